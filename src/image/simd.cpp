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
using F8 = float __attribute__((vector_size(32)));

inline __attribute__((always_inline)) F4 load4(const float* p) {
    F4 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline __attribute__((always_inline)) F8 load8(const float* p) {
    F8 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// Several taps per sweep over the row keep the accumulator's loads and stores few (they, not the
// arithmetic, bound this loop); the first sweep stores instead of adding. `__restrict` tells the
// compiler that the rows (8-bit ones may alias anything) do not overlap the accumulator. A last
// group of fewer than four taps is padded with zero-weight taps (GCC leaves a lone one-tap loop
// scalar).
template <int kTaps, bool kFirst, class In>
inline __attribute__((always_inline)) void sweep(const In* const* r,
                                                 const float* w,
                                                 int count,
                                                 float* __restrict acc) {
    static_assert(kTaps == 4 || kTaps == 8);
    // Named restrict pointers: GCC drops the aliasing question (and vectorises without runtime
    // checks) only for these, not for an array of pointers.
    const In* __restrict r0 = r[0];
    const In* __restrict r1 = r[1];
    const In* __restrict r2 = r[2];
    const In* __restrict r3 = r[3];
    const In* __restrict r4 = r[kTaps == 8 ? 4 : 0];
    const In* __restrict r5 = r[kTaps == 8 ? 5 : 0];
    const In* __restrict r6 = r[kTaps == 8 ? 6 : 0];
    const In* __restrict r7 = r[kTaps == 8 ? 7 : 0];
    const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
    const float w4 = kTaps == 8 ? w[4] : 0.0f, w5 = kTaps == 8 ? w[5] : 0.0f;
    const float w6 = kTaps == 8 ? w[6] : 0.0f, w7 = kTaps == 8 ? w[7] : 0.0f;
    const auto f = [](In v) { return static_cast<float>(v); };
    for (int x = 0; x < count; ++x) {
        float sum = (w0 * f(r0[x]) + w1 * f(r1[x])) + (w2 * f(r2[x]) + w3 * f(r3[x]));
        if constexpr (kTaps == 8) {
            sum += (w4 * f(r4[x]) + w5 * f(r5[x])) + (w6 * f(r6[x]) + w7 * f(r7[x]));
        }
        acc[x] = kFirst ? sum : acc[x] + sum;
    }
}

template <class In>
inline __attribute__((always_inline)) void accumulate_rows_impl(
    const In* const* rows, const float* weights, int taps, int count, float* __restrict acc) {
    int k = 0;
    for (; k + 8 <= taps; k += 8) {
        if (k == 0) {
            sweep<8, true>(rows, weights, count, acc);
        } else {
            sweep<8, false>(rows + k, weights + k, count, acc);
        }
    }
    for (; k + 4 <= taps; k += 4) {
        if (k == 0) {
            sweep<4, true>(rows, weights, count, acc);
        } else {
            sweep<4, false>(rows + k, weights + k, count, acc);
        }
    }
    if (k < taps) {
        const In* r[4];
        float w[4];
        for (int j = 0; j < 4; ++j) {
            r[j] = rows[k + j < taps ? k + j : k];
            w[j] = k + j < taps ? weights[k + j] : 0.0f;
        }
        if (k == 0) {
            sweep<4, true>(r, w, count, acc);
        } else {
            sweep<4, false>(r, w, count, acc);
        }
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
    for (int x = 0; x < count; ++x) {
        out[x] = static_cast<float>(in[x]);
    }
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
        // (or the row padding) and is dropped. Four accumulators: one would chain every tap on
        // the previous one's FMA latency. Offsets are computed in ptrdiff_t, not int.
        const std::ptrdiff_t c = channels;
        for (int i = 0; i < out_size; ++i) {
            const float* p = row + start[i] * c;
            const float* w = weights + static_cast<std::ptrdiff_t>(i) * taps;
            F4 acc0{}, acc1{}, acc2{}, acc3{};
            int k = 0;
            for (; k + 4 <= taps; k += 4) {
                acc0 += w[k] * load4(p + k * c);
                acc1 += w[k + 1] * load4(p + (k + 1) * c);
                acc2 += w[k + 2] * load4(p + (k + 2) * c);
                acc3 += w[k + 3] * load4(p + (k + 3) * c);
            }
            for (; k < taps; ++k) {
                acc0 += w[k] * load4(p + k * c);
            }
            const F4 acc = (acc0 + acc1) + (acc2 + acc3);
            for (int ch = 0; ch < channels; ++ch) {
                out[i * c + ch] = acc[ch];
            }
        }
        return;
    }
    const std::ptrdiff_t c = channels;
    for (int i = 0; i < out_size; ++i) {
        const float* p = row + start[i] * c;
        const float* w = weights + static_cast<std::ptrdiff_t>(i) * taps;
        for (int ch = 0; ch < channels; ++ch) {
            float acc = 0.0f;
            for (int k = 0; k < taps; ++k) {
                acc += w[k] * p[k * c + ch];
            }
            out[i * c + ch] = acc;
        }
    }
}

RCLS_MULTIVERSION void weighted_columns_single(const float* row,
                                               const int* start,
                                               const float* weights,
                                               int taps,
                                               int out_size,
                                               float* __restrict out) {
    for (int i = 0; i < out_size; ++i) {
        const float* p = row + start[i];
        const float* w = weights + static_cast<std::ptrdiff_t>(i) * taps;
        F8 acc0{}, acc1{};
        int k = 0;
        for (; k + 16 <= taps; k += 16) {
            acc0 += load8(w + k) * load8(p + k);
            acc1 += load8(w + k + 8) * load8(p + k + 8);
        }
        if (k < taps) acc0 += load8(w + k) * load8(p + k);
        const F8 acc = acc0 + acc1;
        out[i] = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    }
}

}  // namespace rcls::image::simd
