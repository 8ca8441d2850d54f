// SPDX-License-Identifier: MIT
//
// The classifier's fast inference path, beside the network rather than inside it: the network's
// forward() is always plain libtorch (what training differentiates), and inference that wants
// speed goes through these classes (the Predictor does, unless PredictorOptions::optimized is
// false). Both paths give the same numbers to float rounding (tests/unit/model/classifier_test.cpp
// checks them against each other and against an independent PyTorch reference).
//
// This header includes libtorch: only the model, train and eval modules may include it.
#pragma once

#include <memory>
#include <vector>

#include "rcls/model/classifier.hpp"

namespace rcls::model {

/// ResNet10's forward pass for inference: channels-last activations, convolutions through oneDNN
/// with weights packed once into its preferred blocked layout (libtorch would otherwise reorder
/// 20 MB of weights on every call and pick a slow im2col path for the small late layers),
/// GroupNorm fused with the residual add and the ReLU, the -inf padding of the max pool folded
/// into ceil_mode, and in-place ReLUs. Plans are kept per input shape (a few at most) and dropped
/// when a convolution weight changes (in place or replaced), so it follows training or loading.
/// Runs without gradients whatever the grad mode. The first one made sets glibc to keep freed
/// memory in the process (mallopt; the per-frame page faults otherwise cost about 1 ms).
/// Not thread-safe: one forward at a time.
class FastResNet10 {
public:
    /// Runs `net`'s weights (shared, not copied).
    explicit FastResNet10(ResNet10 net);
    ~FastResNet10();
    FastResNet10(FastResNet10&&) noexcept;
    FastResNet10& operator=(FastResNet10&&) noexcept;

    /// The encoder output for x: [B, 3, H, W] (any memory format), as ResNet10Impl::forward.
    torch::Tensor forward(const torch::Tensor& x);

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

/// Classifier::predict for inference: the shared encoder through FastResNet10, and single-frame
/// linear layers as matrix-vector products (libtorch hands a [1, n] x [n, m] product to OpenBLAS's
/// sgemm, which packs the whole weight matrix on every call: 0.69 ms for the 4096x256 camera layer
/// against 0.06 ms). Dropout follows the classifier's train()/eval() mode as in predict(); no
/// gradients. Not thread-safe.
class FastClassifier {
public:
    /// Runs `model`'s weights (shared, not copied).
    explicit FastClassifier(Classifier model);

    /// What model->predict(images) gives, on the fast path.
    ClassifierOutput predict(const std::vector<torch::Tensor>& images);

    const Classifier& model() const { return model_; }

private:
    Classifier model_;
    FastResNet10 encoder_;
};

}  // namespace rcls::model
