// SPDX-License-Identifier: MIT
//
// Per-feature statistics as LeRobot stores them (meta/stats.json, the stats/<feature>/<stat>
// columns of v3.0 episode metadata, episodes_stats.jsonl of v2.1): per dimension min, max, mean,
// std (population), count, and the quantiles q01, q10, q50, q90, q99 (numpy's linear method).
// Episode statistics aggregate like LeRobot's aggregate_stats: min of mins, max of maxes,
// count-weighted mean, pooled variance, count-weighted mean of each quantile.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace rcls::dataset {

/// The quantile levels LeRobot stores, and their names.
inline constexpr std::array<double, 5> kQuantiles{0.01, 0.10, 0.50, 0.90, 0.99};
inline constexpr std::array<const char*, 5> kQuantileNames{"q01", "q10", "q50", "q90", "q99"};

/// Statistics of one feature; each vector has one entry per dimension.
struct FeatureStats {
    std::vector<double> min, max, mean, std;
    std::int64_t count = 0;
    std::array<std::vector<double>, 5> quantiles;  ///< In kQuantiles order.
};

/// Statistics of several features, in feature order.
using Stats = std::vector<std::pair<std::string, FeatureStats>>;

/// Statistics of `rows` rows of `dim` values each, stored row after row in `values`.
FeatureStats compute_stats(const std::vector<double>& values, std::size_t dim);

/// Combines episode statistics (all with the same dimension) into dataset statistics.
FeatureStats aggregate_stats(const std::vector<const FeatureStats*>& parts);

/// meta/stats.json text for `stats`: {"key": {"min": [...], ..., "count": [n], "q01": [...]}}.
/// Keys of `integer_keys` get integer min and max, as numpy keeps them for int64 features; keys
/// of `image_keys` get per-channel values shaped (3, 1, 1), as LeRobot stores camera stats.
std::string stats_to_json(const Stats& stats,
                          const std::vector<std::string>& integer_keys = {},
                          const std::vector<std::string>& image_keys = {});

/// Per-channel statistics of 8-bit RGB images, in [0, 1] as LeRobot computes them (pixels / 255),
/// from a 256-bin histogram per channel: exact min, max, mean, std and quantiles of the pixels
/// seen. Images larger than 300 px are subsampled with a stride, as LeRobot downsamples them.
/// count is the number of images. Not thread-safe.
class ImageStatsAccumulator {
public:
    /// Adds an 8-bit 3-channel image.
    void add(const unsigned char* data, int rows, int cols, std::size_t row_stride);
    /// Images added so far.
    std::int64_t images() const { return images_; }
    /// The statistics (dimension 3).
    FeatureStats stats() const;

private:
    std::array<std::array<std::uint64_t, 256>, 3> histogram_{};
    std::int64_t images_ = 0;
};

}  // namespace rcls::dataset
