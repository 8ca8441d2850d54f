// SPDX-License-Identifier: MIT
#include "rcls/dataset/stats.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

namespace rcls::dataset {

FeatureStats compute_stats(const std::vector<double>& values, std::size_t dim) {
    FeatureStats s;
    if (dim == 0) return s;
    const std::size_t rows = values.size() / dim;
    s.count = static_cast<std::int64_t>(rows);
    s.min.assign(dim, 0.0);
    s.max.assign(dim, 0.0);
    s.mean.assign(dim, 0.0);
    s.std.assign(dim, 0.0);
    for (auto& q : s.quantiles) {
        q.assign(dim, 0.0);
    }
    if (rows == 0) return s;
    std::vector<double> column(rows);
    for (std::size_t d = 0; d < dim; ++d) {
        double sum = 0.0;
        for (std::size_t r = 0; r < rows; ++r) {
            column[r] = values[r * dim + d];
            sum += column[r];
        }
        const double mean = sum / static_cast<double>(rows);
        double squares = 0.0;
        for (double v : column) {
            squares += (v - mean) * (v - mean);
        }
        s.mean[d] = mean;
        s.std[d] = std::sqrt(squares / static_cast<double>(rows));
        std::sort(column.begin(), column.end());
        s.min[d] = column.front();
        s.max[d] = column.back();
        for (std::size_t q = 0; q < kQuantiles.size(); ++q) {
            const double position = kQuantiles[q] * static_cast<double>(rows - 1);
            const auto lo = static_cast<std::size_t>(std::floor(position));
            const std::size_t hi = std::min(lo + 1, rows - 1);
            const double frac = position - static_cast<double>(lo);
            s.quantiles[q][d] = column[lo] + (column[hi] - column[lo]) * frac;
        }
    }
    return s;
}

FeatureStats aggregate_stats(const std::vector<const FeatureStats*>& parts) {
    FeatureStats out;
    std::vector<const FeatureStats*> used;
    for (const FeatureStats* p : parts) {
        if (p != nullptr && p->count > 0) used.push_back(p);
    }
    if (used.empty()) return out;
    const std::size_t dim = used.front()->mean.size();
    out.min = used.front()->min;
    out.max = used.front()->max;
    out.mean.assign(dim, 0.0);
    out.std.assign(dim, 0.0);
    for (auto& q : out.quantiles) {
        q.assign(dim, 0.0);
    }
    for (const FeatureStats* p : used) {
        out.count += p->count;
    }
    const auto total = static_cast<double>(out.count);
    for (const FeatureStats* p : used) {
        const double w = static_cast<double>(p->count) / total;
        for (std::size_t d = 0; d < dim; ++d) {
            out.min[d] = std::min(out.min[d], p->min[d]);
            out.max[d] = std::max(out.max[d], p->max[d]);
            out.mean[d] += p->mean[d] * w;
            for (std::size_t q = 0; q < kQuantiles.size(); ++q) {
                out.quantiles[q][d] += p->quantiles[q][d] * w;
            }
        }
    }
    for (const FeatureStats* p : used) {
        const double w = static_cast<double>(p->count) / total;
        for (std::size_t d = 0; d < dim; ++d) {
            const double delta = p->mean[d] - out.mean[d];
            out.std[d] += (p->std[d] * p->std[d] + delta * delta) * w;
        }
    }
    for (double& v : out.std) {
        v = std::sqrt(v);
    }
    return out;
}

void ImageStatsAccumulator::add(const unsigned char* data,
                                int rows,
                                int cols,
                                std::size_t row_stride) {
    // LeRobot's auto_downsample_height_width: above 300 px, every (size / 150)-th pixel.
    const int longest = std::max(rows, cols);
    const int step = longest < 300 ? 1 : longest / 150;
    for (int y = 0; y < rows; y += step) {
        const unsigned char* row = data + static_cast<std::size_t>(y) * row_stride;
        for (int x = 0; x < cols; x += step) {
            for (int c = 0; c < 3; ++c) {
                ++histogram_[static_cast<std::size_t>(c)][row[3 * x + c]];
            }
        }
    }
    ++images_;
}

FeatureStats ImageStatsAccumulator::stats() const {
    FeatureStats s;
    s.count = images_;
    for (auto& q : s.quantiles) {
        q.assign(3, 0.0);
    }
    s.min.assign(3, 0.0);
    s.max.assign(3, 0.0);
    s.mean.assign(3, 0.0);
    s.std.assign(3, 0.0);
    for (std::size_t c = 0; c < 3; ++c) {
        const auto& h = histogram_[c];
        std::uint64_t n = 0;
        double sum = 0.0, squares = 0.0;
        for (std::size_t v = 0; v < 256; ++v) {
            n += h[v];
            sum += static_cast<double>(h[v]) * static_cast<double>(v);
            squares += static_cast<double>(h[v]) * static_cast<double>(v) * static_cast<double>(v);
        }
        if (n == 0) continue;
        const double count = static_cast<double>(n);
        const double mean = sum / count;
        std::size_t lo = 0, hi = 255;
        while (h[lo] == 0) {
            ++lo;
        }
        while (h[hi] == 0) {
            --hi;
        }
        s.min[c] = static_cast<double>(lo) / 255.0;
        s.max[c] = static_cast<double>(hi) / 255.0;
        s.mean[c] = mean / 255.0;
        s.std[c] = std::sqrt(std::max(0.0, squares / count - mean * mean)) / 255.0;
        // The k-th smallest pixel value, from the cumulative histogram.
        const auto kth = [&](std::uint64_t k) {
            std::uint64_t seen = 0;
            for (std::size_t v = 0; v < 256; ++v) {
                seen += h[v];
                if (seen > k) return static_cast<double>(v);
            }
            return 255.0;
        };
        for (std::size_t q = 0; q < kQuantiles.size(); ++q) {
            const double position = kQuantiles[q] * (count - 1.0);
            const auto below = static_cast<std::uint64_t>(std::floor(position));
            const double a = kth(below);
            const double b = kth(std::min<std::uint64_t>(below + 1, n - 1));
            s.quantiles[q][c] = (a + (b - a) * (position - std::floor(position))) / 255.0;
        }
    }
    return s;
}

std::string stats_to_json(const Stats& stats,
                          const std::vector<std::string>& integer_keys,
                          const std::vector<std::string>& image_keys) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (const auto& [key, s] : stats) {
        nlohmann::ordered_json f;
        const bool integer =
            std::find(integer_keys.begin(), integer_keys.end(), key) != integer_keys.end();
        const bool image = std::find(image_keys.begin(), image_keys.end(), key) != image_keys.end();
        // Camera stats are shaped (3, 1, 1): [[[r]], [[g]], [[b]]].
        const auto shaped = [&](const nlohmann::ordered_json& flat) {
            if (!image) return flat;
            nlohmann::ordered_json out = nlohmann::ordered_json::array();
            for (const auto& v : flat) {
                out.push_back({{v}});
            }
            return out;
        };
        const auto bound = [&](const std::vector<double>& v) {
            nlohmann::ordered_json a = nlohmann::ordered_json::array();
            for (double x : v) {
                if (integer) {
                    a.push_back(static_cast<std::int64_t>(x));
                } else {
                    a.push_back(x);
                }
            }
            return a;
        };
        f["min"] = shaped(bound(s.min));
        f["max"] = shaped(bound(s.max));
        f["mean"] = shaped(s.mean);
        f["std"] = shaped(s.std);
        f["count"] = nlohmann::ordered_json::array({s.count});
        for (std::size_t q = 0; q < kQuantiles.size(); ++q) {
            f[kQuantileNames[q]] = shaped(s.quantiles[q]);
        }
        j[key] = f;
    }
    return j.dump(4) + "\n";
}

}  // namespace rcls::dataset
