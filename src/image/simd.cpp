// SPDX-License-Identifier: MIT
#include "simd.hpp"

#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__ELF__)
#define RCLS_MULTIVERSION __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define RCLS_MULTIVERSION
#endif

// The 4-float vector helper below is file-local and always inlined, so the ABI note GCC emits
// for vector arguments does not concern any interface.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace rcls::image::simd {
namespace {

using F4 = float __attribute__((vector_size(16)));

inline __attribute__((always_inline)) F4 load4(const float* p) {
    F4 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// Four taps per sweep over the row keep the accumulator traffic low; `__restrict` tells the
// compiler that the 8-bit rows (which may alias anything) do not overlap the accumulator. A last
// group of fewer than four taps is padded with zero-weight taps (GCC leaves a lone one-tap loop
// scalar).
template <class In>
inline __attribute__((always_inline)) void sweep4(const In* __restrict r0,
                                                  const In* __restrict r1,
                                                  const In* __restrict r2,
                                                  const In* __restrict r3,
                                                  const float* w,
                                                  int count,
                                                  float* __restrict acc) {
    const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
    for (int x = 0; x < count; ++x) {
        acc[x] += w0 * static_cast<float>(r0[x]) + w1 * static_cast<float>(r1[x]) +
                  w2 * static_cast<float>(r2[x]) + w3 * static_cast<float>(r3[x]);
    }
}

template <class In>
inline __attribute__((always_inline)) void accumulate_rows_impl(
    const In* const* rows, const float* weights, int taps, int count, float* __restrict acc) {
    for (int x = 0; x < count; ++x)
        acc[x] = 0.0f;
    int k = 0;
    for (; k + 4 <= taps; k += 4) {
        sweep4(rows[k], rows[k + 1], rows[k + 2], rows[k + 3], weights + k, count, acc);
    }
    if (k < taps) {
        const In* r[4];
        float w[4];
        for (int j = 0; j < 4; ++j) {
            r[j] = rows[k + j < taps ? k + j : k];
            w[j] = k + j < taps ? weights[k + j] : 0.0f;
        }
        sweep4(r[0], r[1], r[2], r[3], w, count, acc);
    }
}

}  // namespace

RCLS_MULTIVERSION void accumulate_rows(
    const std::uint8_t* const* rows, const float* weights, int taps, int count, float* acc) {
    accumulate_rows_impl(rows, weights, taps, count, acc);
}

RCLS_MULTIVERSION void accumulate_rows(
    const float* const* rows, const float* weights, int taps, int count, float* acc) {
    accumulate_rows_impl(rows, weights, taps, count, acc);
}

RCLS_MULTIVERSION void round_to_u8(const float* __restrict in,
                                   int count,
                                   std::uint8_t* __restrict out) {
    for (int x = 0; x < count; ++x) {
        float v = in[x] + 0.5f;
        v = v < 0.0f ? 0.0f : v;
        v = v > 255.0f ? 255.0f : v;
        out[x] = static_cast<std::uint8_t>(static_cast<int>(v));  // truncation: round half up
    }
}

RCLS_MULTIVERSION void widen_to_float(const std::uint8_t* __restrict in,
                                      int count,
                                      float* __restrict out) {
    for (int x = 0; x < count; ++x)
        out[x] = static_cast<float>(in[x]);
}

RCLS_MULTIVERSION void weighted_columns(const float* row,
                                        int channels,
                                        const int* start,
                                        const float* weights,
                                        int taps,
                                        int out_size,
                                        float* __restrict out) {
    if (channels == 3 || channels == 4) {
        // One pixel per 4-float vector; for RGB the 4th lane reads the next pixel's first value
        // (or the row padding) and is dropped.
        for (int i = 0; i < out_size; ++i) {
            const float* p = row + start[i] * channels;
            const float* w = weights + i * taps;
            F4 acc{};
            for (int k = 0; k < taps; ++k)
                acc += w[k] * load4(p + k * channels);
            for (int c = 0; c < channels; ++c)
                out[i * channels + c] = acc[c];
        }
        return;
    }
    for (int i = 0; i < out_size; ++i) {
        const float* p = row + start[i] * channels;
        const float* w = weights + i * taps;
        for (int c = 0; c < channels; ++c) {
            float acc = 0.0f;
            for (int k = 0; k < taps; ++k)
                acc += w[k] * p[k * channels + c];
            out[i * channels + c] = acc;
        }
    }
}

}  // namespace rcls::image::simd
