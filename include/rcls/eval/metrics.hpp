// SPDX-License-Identifier: MIT
//
// Frame-level figures of a binary classifier from its probabilities and the labels: the
// confusion matrix and what follows from it at one threshold, and the threshold-free figures
// (ROC-AUC, average precision, log-loss, Brier score, expected calibration error) with the curves
// and bins the report plots. Pure functions, defined as scikit-learn defines them (tests compare
// against sklearn), except that a figure without a definition on the given frames (precision with
// nothing predicted positive, ROC-AUC with one class, anything on no frames) is NaN, shown as
// null in JSON and "n/a" in tables, rather than sklearn's 0 or exception.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace rcls::eval {

/// A frame is predicted positive when its probability is >= the threshold.
struct Confusion {
    std::int64_t tn = 0;
    std::int64_t fp = 0;
    std::int64_t fn = 0;
    std::int64_t tp = 0;
    std::int64_t total() const { return tn + fp + fn + tp; }
};

/// Figures at one threshold. NaN where undefined.
struct ThresholdMetrics {
    double threshold = 0.5;
    Confusion confusion;
    double accuracy = 0.0;
    double precision = 0.0;  ///< tp / (tp + fp).
    double recall = 0.0;     ///< tp / (tp + fn).
    double f1 = 0.0;         ///< 2 tp / (2 tp + fp + fn).
};

/// One point of a curve.
struct CurvePoint {
    double x = 0.0;
    double y = 0.0;
    double threshold = 0.0;  ///< The score at which the point is reached.
};

/// One bin of a reliability diagram: [lower, upper), the last one closed.
struct ReliabilityBin {
    double lower = 0.0;
    double upper = 0.0;
    std::int64_t count = 0;
    double mean_probability = 0.0;   ///< NaN for an empty bin.
    double fraction_positive = 0.0;  ///< NaN for an empty bin.
};

/// Labels are 0 or 1; `probability` and `label` have the same length (else std::invalid_argument).
ThresholdMetrics threshold_metrics(std::span<const double> probability,
                                   std::span<const int> label,
                                   double threshold);

/// Area under the ROC curve (ties counted as sklearn's roc_auc_score does, by trapezoids); NaN
/// unless both classes occur.
double roc_auc(std::span<const double> probability, std::span<const int> label);

/// Average precision: sum over distinct scores, descending, of (R_n - R_{n-1}) P_n, as sklearn's
/// average_precision_score; NaN without positives.
double average_precision(std::span<const double> probability, std::span<const int> label);

/// Mean binary cross-entropy, probabilities clipped to [eps, 1 - eps] with eps the double
/// machine epsilon (sklearn's log_loss with labels [0, 1]); NaN on no frames.
double log_loss(std::span<const double> probability, std::span<const int> label);

/// Mean squared difference of probability and label; NaN on no frames.
double brier_score(std::span<const double> probability, std::span<const int> label);

/// `bins` equal-width bins over [0, 1]; a probability p goes to bin min(floor(p * bins), bins - 1).
std::vector<ReliabilityBin> reliability_bins(std::span<const double> probability,
                                             std::span<const int> label,
                                             int bins = 10);

/// Expected calibration error over reliability_bins(): sum of count/N * |mean p - fraction
/// positive|; NaN on no frames.
double expected_calibration_error(std::span<const double> probability,
                                  std::span<const int> label,
                                  int bins = 10);

/// ROC curve (x: false positive rate, y: true positive rate) from (0, 0) through one point per
/// distinct score, descending; empty unless both classes occur.
std::vector<CurvePoint> roc_curve(std::span<const double> probability, std::span<const int> label);

/// Precision-recall curve (x: recall, y: precision), one point per distinct score, descending,
/// starting at (0, 1); empty without positives.
std::vector<CurvePoint> pr_curve(std::span<const double> probability, std::span<const int> label);

/// The thresholds of sweeps and of the recommendation's grid: 0.05, 0.10, ..., 0.95.
std::vector<double> default_thresholds();

/// Per-frame binary cross-entropy (clipped as log_loss()), for ranking the worst frames.
double frame_loss(double probability, int label);

}  // namespace rcls::eval
