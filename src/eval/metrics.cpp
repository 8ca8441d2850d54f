// SPDX-License-Identifier: MIT
#include "rcls/eval/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

namespace rcls::eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_sizes(std::span<const double> probability, std::span<const int> label) {
    if (probability.size() != label.size()) {
        throw std::invalid_argument("eval metrics: " + std::to_string(probability.size()) +
                                    " probabilities for " + std::to_string(label.size()) +
                                    " labels");
    }
}

double ratio(std::int64_t num, std::int64_t den) {
    return den == 0 ? kNaN : static_cast<double>(num) / static_cast<double>(den);
}

/// Cumulative (false positives, true positives) after each distinct score, highest first, as
/// sklearn's _binary_clf_curve.
struct ClfCurve {
    std::vector<double> fps, tps, thresholds;
};

ClfCurve binary_clf_curve(std::span<const double> probability, std::span<const int> label) {
    std::vector<std::size_t> order(probability.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return probability[a] > probability[b]; });
    ClfCurve curve;
    double tp = 0.0, fp = 0.0;
    for (std::size_t i = 0; i < order.size(); ++i) {
        const std::size_t j = order[i];
        (label[j] != 0 ? tp : fp) += 1.0;
        const bool last_of_score =
            i + 1 == order.size() || probability[order[i + 1]] != probability[j];
        if (last_of_score) {
            curve.fps.push_back(fp);
            curve.tps.push_back(tp);
            curve.thresholds.push_back(probability[j]);
        }
    }
    return curve;
}

}  // namespace

ThresholdMetrics threshold_metrics(std::span<const double> probability,
                                   std::span<const int> label,
                                   double threshold) {
    check_sizes(probability, label);
    ThresholdMetrics m;
    m.threshold = threshold;
    Confusion& c = m.confusion;
    for (std::size_t i = 0; i < probability.size(); ++i) {
        const bool predicted = probability[i] >= threshold;
        const bool actual = label[i] != 0;
        if (predicted && actual) ++c.tp;
        if (predicted && !actual) ++c.fp;
        if (!predicted && actual) ++c.fn;
        if (!predicted && !actual) ++c.tn;
    }
    m.accuracy = ratio(c.tp + c.tn, c.total());
    m.precision = ratio(c.tp, c.tp + c.fp);
    m.recall = ratio(c.tp, c.tp + c.fn);
    m.f1 = c.total() == 0                ? kNaN
           : 2 * c.tp + c.fp + c.fn == 0 ? kNaN
                                         : ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn);
    return m;
}

std::vector<CurvePoint> roc_curve(std::span<const double> probability, std::span<const int> label) {
    check_sizes(probability, label);
    const ClfCurve c = binary_clf_curve(probability, label);
    if (c.tps.empty() || c.tps.back() == 0.0 || c.fps.back() == 0.0) return {};
    std::vector<CurvePoint> out;
    out.push_back({0.0, 0.0, std::numeric_limits<double>::infinity()});
    for (std::size_t i = 0; i < c.tps.size(); ++i) {
        out.push_back({c.fps[i] / c.fps.back(), c.tps[i] / c.tps.back(), c.thresholds[i]});
    }
    return out;
}

double roc_auc(std::span<const double> probability, std::span<const int> label) {
    const std::vector<CurvePoint> curve = roc_curve(probability, label);
    if (curve.empty()) return kNaN;
    double area = 0.0;
    for (std::size_t i = 1; i < curve.size(); ++i) {
        area += (curve[i].x - curve[i - 1].x) * (curve[i].y + curve[i - 1].y) / 2.0;
    }
    return area;
}

std::vector<CurvePoint> pr_curve(std::span<const double> probability, std::span<const int> label) {
    check_sizes(probability, label);
    const ClfCurve c = binary_clf_curve(probability, label);
    if (c.tps.empty() || c.tps.back() == 0.0) return {};
    std::vector<CurvePoint> out;
    out.push_back({0.0, 1.0, std::numeric_limits<double>::infinity()});
    for (std::size_t i = 0; i < c.tps.size(); ++i) {
        const double predicted = c.tps[i] + c.fps[i];
        out.push_back({c.tps[i] / c.tps.back(), predicted == 0.0 ? 0.0 : c.tps[i] / predicted,
                       c.thresholds[i]});
    }
    return out;
}

double average_precision(std::span<const double> probability, std::span<const int> label) {
    const std::vector<CurvePoint> curve = pr_curve(probability, label);
    if (curve.empty()) return kNaN;
    double ap = 0.0;
    for (std::size_t i = 1; i < curve.size(); ++i) {
        ap += (curve[i].x - curve[i - 1].x) * curve[i].y;
    }
    return ap;
}

double frame_loss(double probability, int label) {
    constexpr double eps = std::numeric_limits<double>::epsilon();
    const double p = std::clamp(probability, eps, 1.0 - eps);
    return label != 0 ? -std::log(p) : -std::log(1.0 - p);
}

double log_loss(std::span<const double> probability, std::span<const int> label) {
    check_sizes(probability, label);
    if (probability.empty()) return kNaN;
    double sum = 0.0;
    for (std::size_t i = 0; i < probability.size(); ++i) {
        sum += frame_loss(probability[i], label[i]);
    }
    return sum / static_cast<double>(probability.size());
}

double brier_score(std::span<const double> probability, std::span<const int> label) {
    check_sizes(probability, label);
    if (probability.empty()) return kNaN;
    double sum = 0.0;
    for (std::size_t i = 0; i < probability.size(); ++i) {
        const double d = probability[i] - (label[i] != 0 ? 1.0 : 0.0);
        sum += d * d;
    }
    return sum / static_cast<double>(probability.size());
}

std::vector<ReliabilityBin> reliability_bins(std::span<const double> probability,
                                             std::span<const int> label,
                                             int bins) {
    check_sizes(probability, label);
    if (bins < 1) throw std::invalid_argument("eval metrics: reliability bins must be >= 1");
    std::vector<ReliabilityBin> out(static_cast<std::size_t>(bins));
    std::vector<double> sum_p(out.size(), 0.0), sum_y(out.size(), 0.0);
    for (int b = 0; b < bins; ++b) {
        out[static_cast<std::size_t>(b)].lower = static_cast<double>(b) / bins;
        out[static_cast<std::size_t>(b)].upper = static_cast<double>(b + 1) / bins;
    }
    for (std::size_t i = 0; i < probability.size(); ++i) {
        const double scaled = std::floor(probability[i] * bins);
        const auto b =
            static_cast<std::size_t>(std::clamp(scaled, 0.0, static_cast<double>(bins - 1)));
        ++out[b].count;
        sum_p[b] += probability[i];
        sum_y[b] += label[i] != 0 ? 1.0 : 0.0;
    }
    for (std::size_t b = 0; b < out.size(); ++b) {
        out[b].mean_probability = ratio(0, 0);
        out[b].fraction_positive = ratio(0, 0);
        if (out[b].count > 0) {
            out[b].mean_probability = sum_p[b] / static_cast<double>(out[b].count);
            out[b].fraction_positive = sum_y[b] / static_cast<double>(out[b].count);
        }
    }
    return out;
}

double expected_calibration_error(std::span<const double> probability,
                                  std::span<const int> label,
                                  int bins) {
    if (probability.empty()) return kNaN;
    double ece = 0.0;
    for (const ReliabilityBin& bin : reliability_bins(probability, label, bins)) {
        if (bin.count == 0) continue;
        ece += static_cast<double>(bin.count) / static_cast<double>(probability.size()) *
               std::abs(bin.mean_probability - bin.fraction_positive);
    }
    return ece;
}

std::vector<double> default_thresholds() {
    std::vector<double> out;
    for (int i = 1; i <= 19; ++i) {
        out.push_back(static_cast<double>(i) / 20.0);
    }
    return out;
}

}  // namespace rcls::eval
