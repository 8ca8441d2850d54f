// SPDX-License-Identifier: MIT
//
// torch::nn::Dropout's semantics (in train() mode each element is zeroed with probability p and
// the others scaled by 1 / (1 - p); identity in eval() mode) with a faster mask on the CPU: a
// counter-based hash of one 64-bit draw of torch's default generator per call and the element's
// index (src/model/dropout_kernel.hpp), vectorised and split over libtorch's threads, where
// torch's CPU bernoulli_ draws each element from mt19937 on one thread (about 1 ms for head
// mode's [32, 4096] input, a quarter of a cached training step). The mask depends on the
// generator's state and the element's index only: same seed, same masks, whatever the thread
// count, and the generator's saved state resumes it. CUDA tensors use torch's own dropout. No
// parameters or buffers: a checkpoint's state dict is the same as with torch::nn::Dropout.
#pragma once

#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace rcls::model {

/// `x` with dropout of probability p applied (training) or unchanged (not training, or p = 0).
/// Differentiable: with gradients the result is x times a mask without gradient.
torch::Tensor fast_dropout(const torch::Tensor& x, double p, bool training);

class DropoutImpl : public torch::nn::Cloneable<DropoutImpl> {
public:
    explicit DropoutImpl(double p = 0.5);
    void reset() override {}
    torch::Tensor forward(const torch::Tensor& x);
    double p() const { return p_; }

private:
    double p_;
};
TORCH_MODULE(Dropout);

}  // namespace rcls::model
