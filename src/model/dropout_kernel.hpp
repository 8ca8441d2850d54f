// SPDX-License-Identifier: MIT
//
// Dropout's mask from a counter-based generator: element i of a call is kept when a hash of
// (key, i) falls below the keep threshold, so any element's draw depends on the call's key and
// its index alone. The elements can be split over any number of threads with the same result,
// and one 64-bit draw of torch's generator per call (the key) is all the state a resumed run
// needs. No torch here.
#pragma once

#include <cstdint>

namespace rcls::model::detail {

/// The largest 32-bit draw kept with dropout probability p in [0, 1): round((1 - p) * 2^32),
/// so that a draw u is kept when u < threshold (0 keeps nothing, 2^32 everything).
std::uint64_t dropout_keep_threshold(double p);

/// For i in [begin, end): out[i] = kept(key, i) ? scale * (x ? x[i] : 1) : 0, where
/// kept(key, i) = draw(key, i) < keep_threshold. With x null, `out` is the mask itself.
void dropout_apply(const float* x,
                   std::int64_t begin,
                   std::int64_t end,
                   std::uint64_t key,
                   std::uint64_t keep_threshold,
                   float scale,
                   float* out);

/// The 32-bit draw of element i under `key` (what dropout_apply compares; for tests).
std::uint32_t dropout_draw(std::uint64_t key, std::int64_t i);

}  // namespace rcls::model::detail
