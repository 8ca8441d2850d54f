// SPDX-License-Identifier: MIT
//
// Every frame-level figure against scikit-learn's (tests/reference/eval_metrics_reference.py),
// on inputs with ties, extreme probabilities, one class only and no frames at all.
#include "rcls/eval/metrics.hpp"

#include <cmath>

#include <gtest/gtest.h>

#include "metrics_reference_data.hpp"

namespace rcls::eval {
namespace {

using testing::eval_reference::Case;
using testing::eval_reference::cases;

void expect_same(double actual, double expected, const std::string& what) {
    if (std::isnan(expected)) {
        EXPECT_TRUE(std::isnan(actual)) << what << ": expected undefined, got " << actual;
    } else {
        EXPECT_NEAR(actual, expected, 1e-12 * std::max(1.0, std::abs(expected))) << what;
    }
}

TEST(EvalMetrics, ThresholdFreeFiguresMatchSklearn) {
    ASSERT_EQ(cases().size(), 7u);
    for (const Case& c : cases()) {
        SCOPED_TRACE(c.name);
        expect_same(roc_auc(c.probability, c.label), c.roc_auc, "roc_auc");
        expect_same(average_precision(c.probability, c.label), c.average_precision, "ap");
        expect_same(log_loss(c.probability, c.label), c.log_loss, "log_loss");
        expect_same(brier_score(c.probability, c.label), c.brier, "brier");
        expect_same(expected_calibration_error(c.probability, c.label), c.ece, "ece");
    }
}

TEST(EvalMetrics, ThresholdFiguresMatchSklearn) {
    for (const Case& c : cases()) {
        SCOPED_TRACE(c.name);
        ASSERT_EQ(c.rows.size(), 3u);
        for (const auto& row : c.rows) {
            SCOPED_TRACE(row.threshold);
            const ThresholdMetrics m = threshold_metrics(c.probability, c.label, row.threshold);
            EXPECT_EQ(m.confusion.tn, row.tn);
            EXPECT_EQ(m.confusion.fp, row.fp);
            EXPECT_EQ(m.confusion.fn, row.fn);
            EXPECT_EQ(m.confusion.tp, row.tp);
            expect_same(m.accuracy, row.accuracy, "accuracy");
            expect_same(m.precision, row.precision, "precision");
            expect_same(m.recall, row.recall, "recall");
            expect_same(m.f1, row.f1, "f1");
        }
    }
}

TEST(EvalMetrics, TiesAreOnePointOfTheCurves) {
    const std::vector<double> p = {0.5, 0.5, 0.5, 0.5};
    const std::vector<int> y = {0, 1, 1, 0};
    const std::vector<CurvePoint> roc = roc_curve(p, y);
    ASSERT_EQ(roc.size(), 2u);  // (0,0) and (1,1): all four frames enter together
    EXPECT_DOUBLE_EQ(roc_auc(p, y), 0.5);
    const std::vector<CurvePoint> pr = pr_curve(p, y);
    ASSERT_EQ(pr.size(), 2u);
    EXPECT_DOUBLE_EQ(pr[1].y, 0.5);
    EXPECT_DOUBLE_EQ(average_precision(p, y), 0.5);
}

TEST(EvalMetrics, ReliabilityBinsPutOneInTheLastBin) {
    const std::vector<double> p = {0.0, 0.05, 0.1, 0.95, 1.0};
    const std::vector<int> y = {0, 0, 1, 1, 1};
    const std::vector<ReliabilityBin> bins = reliability_bins(p, y, 10);
    ASSERT_EQ(bins.size(), 10u);
    EXPECT_EQ(bins[0].count, 2);
    EXPECT_EQ(bins[1].count, 1);
    EXPECT_EQ(bins[9].count, 2);
    EXPECT_DOUBLE_EQ(bins[9].mean_probability, 0.975);
    EXPECT_TRUE(std::isnan(bins[5].mean_probability));
}

TEST(EvalMetrics, MismatchedSizesAreRejected) {
    const std::vector<double> p = {0.1, 0.2};
    const std::vector<int> y = {0};
    EXPECT_THROW(threshold_metrics(p, y, 0.5), std::invalid_argument);
    EXPECT_THROW(roc_auc(p, y), std::invalid_argument);
}

TEST(EvalMetrics, DefaultThresholdsAreExactTwentieths) {
    const std::vector<double> t = default_thresholds();
    ASSERT_EQ(t.size(), 19u);
    EXPECT_EQ(t.front(), 0.05);
    EXPECT_EQ(t[2], 0.15);
    EXPECT_EQ(t.back(), 0.95);
}

}  // namespace
}  // namespace rcls::eval
