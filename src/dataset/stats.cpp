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
    for (auto& q : s.quantiles)
        q.assign(dim, 0.0);
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
        for (double v : column)
            squares += (v - mean) * (v - mean);
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
    for (auto& q : out.quantiles)
        q.assign(dim, 0.0);
    for (const FeatureStats* p : used)
        out.count += p->count;
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
    for (double& v : out.std)
        v = std::sqrt(v);
    return out;
}

std::string stats_to_json(const Stats& stats, const std::vector<std::string>& integer_keys) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (const auto& [key, s] : stats) {
        nlohmann::ordered_json f;
        const bool integer =
            std::find(integer_keys.begin(), integer_keys.end(), key) != integer_keys.end();
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
        f["min"] = bound(s.min);
        f["max"] = bound(s.max);
        f["mean"] = s.mean;
        f["std"] = s.std;
        f["count"] = nlohmann::ordered_json::array({s.count});
        for (std::size_t q = 0; q < kQuantiles.size(); ++q)
            f[kQuantileNames[q]] = s.quantiles[q];
        j[key] = f;
    }
    return j.dump(4) + "\n";
}

}  // namespace rcls::dataset
