// SPDX-License-Identifier: MIT
// Expected values worked out by hand (numpy's population std and linear quantiles).
#include "rcls/dataset/stats.hpp"

#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace rcls::dataset {
namespace {

TEST(DatasetStats, ComputesPerDimensionStatistics) {
    // Two dimensions, four rows: d0 = 1,2,3,4; d1 = 10,10,10,10.
    const FeatureStats s = compute_stats({1, 10, 2, 10, 3, 10, 4, 10}, 2);
    EXPECT_EQ(s.count, 4);
    EXPECT_EQ(s.min, (std::vector<double>{1, 10}));
    EXPECT_EQ(s.max, (std::vector<double>{4, 10}));
    EXPECT_EQ(s.mean, (std::vector<double>{2.5, 10}));
    EXPECT_DOUBLE_EQ(s.std[0], std::sqrt(1.25));  // ((1.5²+.5²)·2)/4
    EXPECT_DOUBLE_EQ(s.std[1], 0.0);
    // q50 at position 1.5: 2.5; q10 at 0.3: 1.3; q99 at 2.97: 3.97.
    EXPECT_DOUBLE_EQ(s.quantiles[2][0], 2.5);
    EXPECT_DOUBLE_EQ(s.quantiles[1][0], 1.3);
    EXPECT_DOUBLE_EQ(s.quantiles[4][0], 3.97);
}

TEST(DatasetStats, AggregationMatchesStatisticsOfAllRows) {
    const FeatureStats a = compute_stats({1, 2, 3}, 1);
    const FeatureStats b = compute_stats({10, 20}, 1);
    const FeatureStats all = aggregate_stats({&a, &b});
    EXPECT_EQ(all.count, 5);
    EXPECT_EQ(all.min[0], 1);
    EXPECT_EQ(all.max[0], 20);
    EXPECT_DOUBLE_EQ(all.mean[0], 36.0 / 5.0);
    // population variance of {1,2,3,10,20}: mean 7.2, squares 38.44+27.04+17.64+7.84+163.84
    EXPECT_NEAR(all.std[0], std::sqrt(254.8 / 5.0), 1e-12);
}

TEST(DatasetStats, JsonHasLeRobotsKeysAndIntegerBounds) {
    Stats stats{{"frame_index", compute_stats({0, 1, 2}, 1)}, {"x", compute_stats({0.5}, 1)}};
    const auto j = nlohmann::json::parse(stats_to_json(stats, {"frame_index"}));
    EXPECT_EQ(j["frame_index"]["min"][0], 0);
    EXPECT_TRUE(j["frame_index"]["max"][0].is_number_integer());
    EXPECT_EQ(j["frame_index"]["count"][0], 3);
    EXPECT_TRUE(j["x"]["min"][0].is_number_float());
    for (const char* key :
         {"min", "max", "mean", "std", "count", "q01", "q10", "q50", "q90", "q99"}) {
        EXPECT_TRUE(j["x"].contains(key)) << key;
    }
}

}  // namespace
}  // namespace rcls::dataset
