// SPDX-License-Identifier: MIT
#include "norm_kernels.hpp"

#include <algorithm>
#include <vector>

namespace rcls::model::detail {
namespace {

// Rows summed in float before being added to the double totals: short enough to keep float's
// rounding error far below what matters, long enough for the vectorised inner loop to dominate.
constexpr std::int64_t kChunk = 32;

}  // namespace

__attribute__((target_clones("avx512f", "avx2", "default"))) void add_channel_moments(
    const float* x, std::int64_t pixels, std::int64_t channels, double* sum, double* sum_sq) {
    std::vector<float> s(static_cast<std::size_t>(channels));
    std::vector<float> q(static_cast<std::size_t>(channels));
    for (std::int64_t start = 0; start < pixels; start += kChunk) {
        std::fill(s.begin(), s.end(), 0.0f);
        std::fill(q.begin(), q.end(), 0.0f);
        const std::int64_t end = std::min(pixels, start + kChunk);
        for (std::int64_t p = start; p < end; ++p) {
            const float* row = x + p * channels;
            for (std::int64_t c = 0; c < channels; ++c) {
                s[c] += row[c];
                q[c] += row[c] * row[c];
            }
        }
        for (std::int64_t c = 0; c < channels; ++c) {
            sum[c] += s[c];
            sum_sq[c] += q[c];
        }
    }
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void affine_residual_relu(
    const float* x,
    const float* scale,
    const float* shift,
    const float* residual,
    const float* residual_scale,
    const float* residual_shift,
    std::int64_t pixels,
    std::int64_t channels,
    bool relu,
    float* out) {
    const float floor = relu ? 0.0f : -__builtin_inff();
    for (std::int64_t p = 0; p < pixels; ++p) {
        const std::int64_t base = p * channels;
        if (residual == nullptr) {
            for (std::int64_t c = 0; c < channels; ++c) {
                out[base + c] = std::max(x[base + c] * scale[c] + shift[c], floor);
            }
        } else if (residual_scale == nullptr) {
            for (std::int64_t c = 0; c < channels; ++c) {
                out[base + c] =
                    std::max(x[base + c] * scale[c] + shift[c] + residual[base + c], floor);
            }
        } else {
            for (std::int64_t c = 0; c < channels; ++c) {
                out[base + c] =
                    std::max(x[base + c] * scale[c] + shift[c] +
                                 (residual[base + c] * residual_scale[c] + residual_shift[c]),
                             floor);
            }
        }
    }
}

}  // namespace rcls::model::detail
