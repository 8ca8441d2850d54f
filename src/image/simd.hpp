// SPDX-License-Identifier: MIT
//
// The resampler's inner loops (private to the image module). Written as plain loops that GCC and
// Clang vectorise; where the compiler supports function multi-versioning they are also built for
// AVX2 + FMA, and the loader picks the version for the CPU at start-up.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rcls::image::simd {

/// Extra float elements after each row of an intermediate float image, so that 4-wide loads of
/// the last pixel of a row, and single-channel windows padded to 8 taps, stay inside the buffer.
/// The padding must hold finite values (zero weights multiply it).
inline constexpr std::size_t kRowPadding = 8;

/// Tap counts of single-channel horizontal windows are padded to a multiple of this.
inline constexpr int kSingleChannelTapAlign = 8;

/// acc[x] = sum over k < taps of weights[k] * rows[k][x], for x < count (the vertical pass).
void accumulate_rows(
    const std::uint8_t* const* rows, const float* weights, int taps, int count, float* acc);
void accumulate_rows(
    const float* const* rows, const float* weights, int taps, int count, float* acc);

/// out[x] = in[x] rounded to the nearest integer and clamped to [0, 255], for x < count.
void round_to_u8(const float* in, int count, std::uint8_t* out);

/// out[x] = in[x], for x < count.
void widen_to_float(const std::uint8_t* in, int count, float* out);

/// The horizontal pass over one float row of pixels with `channels` interleaved values and
/// kRowPadding readable elements after its end: out[i * channels + c] = sum over k < taps of
/// weights[i * taps + k] * row[(start[i] + k) * channels + c], for i < out_size.
void weighted_columns(const float* row,
                      int channels,
                      const int* start,
                      const float* weights,
                      int taps,
                      int out_size,
                      float* out);

/// The horizontal pass for one channel: out[i] = sum over k < taps of weights[i * taps + k] *
/// row[start[i] + k], with `taps` a multiple of kSingleChannelTapAlign (zero weights at the end)
/// and the row padded with kRowPadding finite values.
void weighted_columns_single(
    const float* row, const int* start, const float* weights, int taps, int out_size, float* out);

}  // namespace rcls::image::simd
