// SPDX-License-Identifier: MIT
//
// The element-wise work between ResNet10's convolutions on channels-last float data, as plain
// loops the compiler vectorises (with AVX-512 and AVX2 clones chosen at run time): GroupNorm
// statistics, and GroupNorm's per-channel affine fused with the residual add and the ReLU, so
// that each activation is read and written once instead of three or four times. No torch here;
// the callers split the pixels across threads.
#pragma once

#include <cstdint>

namespace rcls::model::detail {

/// Adds, for each of `channels` channels, the sum of x and of x² over `pixels` rows of a
/// channels-last block into `sum` and `sum_sq` (double, so that large images lose nothing).
void add_channel_moments(
    const float* x, std::int64_t pixels, std::int64_t channels, double* sum, double* sum_sq);

/// out = x·scale[c] + shift[c] (+ residual·residual_scale[c] + residual_shift[c], or + residual
/// when residual_scale is null), then max(0, ·) when `relu`. `out` may alias `x` or `residual`.
void affine_residual_relu(const float* x,
                          const float* scale,
                          const float* shift,
                          const float* residual,
                          const float* residual_scale,
                          const float* residual_shift,
                          std::int64_t pixels,
                          std::int64_t channels,
                          bool relu,
                          float* out);

}  // namespace rcls::model::detail
