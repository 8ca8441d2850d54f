// SPDX-License-Identifier: MIT
#include "dropout_kernel.hpp"

#include <cmath>

namespace rcls::model::detail {
namespace {

// murmur3's 32-bit finaliser: a bijection with full avalanche, in 32-bit multiplies that AVX2
// and AVX-512 vectorise.
inline std::uint32_t fmix32(std::uint32_t h) {
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return h;
}

// Two rounds keyed by the key's two halves: for a fixed key a bijection of the 32-bit index.
inline std::uint32_t draw(std::uint32_t lo, std::uint32_t hi, std::uint32_t i) {
    return fmix32(fmix32(i * 0x9E3779B9u + lo) ^ hi);
}

}  // namespace

std::uint64_t dropout_keep_threshold(double p) {
    if (!(p > 0.0)) return std::uint64_t{1} << 32;
    if (p >= 1.0) return 0;
    return static_cast<std::uint64_t>(std::llround((1.0 - p) * 4294967296.0));
}

std::uint32_t dropout_draw(std::uint64_t key, std::int64_t i) {
    return draw(static_cast<std::uint32_t>(key), static_cast<std::uint32_t>(key >> 32),
                static_cast<std::uint32_t>(i));
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void dropout_apply(
    const float* x,
    std::int64_t begin,
    std::int64_t end,
    std::uint64_t key,
    std::uint64_t keep_threshold,
    float scale,
    float* out) {
    const auto lo = static_cast<std::uint32_t>(key);
    const auto hi = static_cast<std::uint32_t>(key >> 32);
    if (keep_threshold > 0xFFFFFFFFull) {  // p = 0: everything kept
        for (std::int64_t i = begin; i < end; ++i)
            out[i] = x != nullptr ? scale * x[i] : scale;
        return;
    }
    const auto threshold = static_cast<std::uint32_t>(keep_threshold);
    if (x == nullptr) {
        for (std::int64_t i = begin; i < end; ++i)
            out[i] = draw(lo, hi, static_cast<std::uint32_t>(i)) < threshold ? scale : 0.0f;
    } else {
        for (std::int64_t i = begin; i < end; ++i)
            out[i] = draw(lo, hi, static_cast<std::uint32_t>(i)) < threshold ? scale * x[i] : 0.0f;
    }
}

}  // namespace rcls::model::detail
