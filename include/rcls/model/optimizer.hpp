// SPDX-License-Identifier: MIT
//
// The optimizer step of `rcls train`, as LeRobot's (lerobot_formats.md §3.3): AdamW with betas
// (0.9, 0.999), eps 1e-8 and the config's weight decay over every parameter (those without a
// gradient are skipped), the gradients' 2-norm clipped as torch.nn.utils.clip_grad_norm_.
// Includes libtorch.
#pragma once

#include <memory>
#include <vector>

#include <torch/optim/adamw.h>
#include <torch/types.h>

namespace rcls::model {

/// AdamW over `params` with LeRobot's AdamWConfig defaults and this lr and weight decay.
std::unique_ptr<torch::optim::AdamW> make_adamw(const std::vector<torch::Tensor>& params,
                                                double lr,
                                                double weight_decay);

/// The 2-norm of the gradients of `params` that have one (before clipping); when `max_norm` is
/// positive, scales them as clip_grad_norm_(params, max_norm) does. 0 when none has a gradient.
double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm);

}  // namespace rcls::model
