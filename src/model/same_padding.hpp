// SPDX-License-Identifier: MIT
//
// JAX "SAME" padding, shared by the plain network (classifier.cpp) and the fast inference path
// (fast_classifier.cpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>

namespace rcls::model::detail {

/// JAX "SAME" padding of one dimension of `size` for this kernel and stride: {before, after}.
inline std::pair<std::int64_t, std::int64_t> same_pads(std::int64_t size,
                                                       std::int64_t kernel,
                                                       std::int64_t stride) {
    const std::int64_t out = (size + stride - 1) / stride;
    const std::int64_t total = std::max<std::int64_t>(0, (out - 1) * stride + kernel - size);
    return {total / 2, total - total / 2};
}

}  // namespace rcls::model::detail
