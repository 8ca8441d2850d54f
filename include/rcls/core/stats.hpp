// SPDX-License-Identifier: MIT
//
// Summary statistics of measured samples (loop times, latencies).
#pragma once

#include <vector>

namespace rcls {

/// Percentile `p` (0..100) of `samples` by the nearest-rank method: the smallest sample with at
/// least p% of the samples at or below it. 0 for no samples. Linear time (a selection, not a
/// sort), so it can run inside a control loop on a long history.
double percentile(std::vector<double> samples, double p);

}  // namespace rcls
