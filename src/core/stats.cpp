// SPDX-License-Identifier: MIT
#include "rcls/core/stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace rcls {

double percentile(std::vector<double> samples, double p) {
    if (samples.empty()) return 0.0;
    const double rank = std::ceil(p / 100.0 * static_cast<double>(samples.size()));
    const auto index =
        static_cast<std::size_t>(std::clamp(rank, 1.0, static_cast<double>(samples.size()))) - 1;
    const auto nth = samples.begin() + static_cast<std::ptrdiff_t>(index);
    std::nth_element(samples.begin(), nth, samples.end());
    return *nth;
}

}  // namespace rcls
