// SPDX-License-Identifier: MIT
//
// Kills a label rewrite (tests/tools/dataset_labels_child.cpp) with SIGKILL at 60 seeded random
// points of its file operations (at every one when there are fewer) and checks each time that
// the dataset holds either every old label or every new one, never a mix: in the data, in
// stats.json and in the per-episode statistics. Then the rewrite runs again to the end.
#include <csignal>
#include <filesystem>
#include <random>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/dataset/dataset.hpp"
#include "rcls/parquet/reader.hpp"

#include "dataset_fixtures.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"

namespace rcls::dataset {
namespace {
namespace fs = std::filesystem;
using testing::synthetic_length;

constexpr std::int64_t kEpisodes = 6;

/// Which labels episode `e` holds: "old", "new" or a description of the mix.
std::string labels_of(const parquet::Table& t, std::int64_t e) {
    bool old_ok = true, new_ok = true;
    for (std::int64_t r = 0; r < t.num_rows; ++r) {
        const auto i = static_cast<std::size_t>(r);
        const float reward = t.column("next.reward").as<float>()[i];
        const bool done = t.column("next.done").as<std::uint8_t>()[i] != 0;
        old_ok &= reward == (testing::synthetic_success(e, r) ? 1.0f : 0.0f) &&
                  done == (r == synthetic_length(e) - 1);
        new_ok &= reward == testing::synthetic_new_reward(e, r) &&
                  done == testing::synthetic_new_done(e, r);
    }
    if (old_ok) return "old";
    if (new_ok) return "new";
    return "episode " + std::to_string(e) + " mixed";
}

double mean_reward(const std::string& which) {
    double sum = 0;
    std::int64_t n = 0;
    for (std::int64_t e = 0; e < kEpisodes; ++e) {
        for (std::int64_t t = 0; t < synthetic_length(e); ++t) {
            sum += which == "old" ? (testing::synthetic_success(e, t) ? 1.0 : 0.0)
                                  : testing::synthetic_new_reward(e, t);
            ++n;
        }
    }
    return sum / static_cast<double>(n);
}

/// Opens `root` and returns "old" or "new" when everything agrees; fails the test otherwise.
std::string expect_consistent(const fs::path& root, const std::string& trial) {
    try {
        const Dataset d = Dataset::open(root);
        EXPECT_EQ(d.info().total_episodes, kEpisodes) << trial;
        std::set<std::string> seen;
        std::int64_t index = 0;
        for (std::int64_t e = 0; e < kEpisodes; ++e) {
            const parquet::Table t = d.read_episode(e);
            seen.insert(labels_of(t, e));
            // Every other column is untouched.
            EXPECT_EQ(t.column("index").integer(0), index) << trial;
            EXPECT_EQ(t.column("observation.state").list<float>(0)[0],
                      testing::synthetic_joint(e, 0, 0, false))
                << trial;
            index += synthetic_length(e);
        }
        EXPECT_EQ(seen.size(), 1u) << trial << ": data labels are a mix";
        const std::string which = *seen.begin();
        const auto stats = nlohmann::json::parse(read_file(root / "meta/stats.json"));
        EXPECT_NEAR(stats["next.reward"]["mean"][0].get<double>(), mean_reward(which), 1e-9)
            << trial << ": stats.json does not match the " << which << " labels";
        // Per-episode statistics: episode 0's mean reward.
        const parquet::Table episodes =
            parquet::read_table(root / "meta/episodes/chunk-000/file-000.parquet");
        double sum = 0;
        for (std::int64_t t = 0; t < synthetic_length(0); ++t) {
            sum += which == "old" ? (testing::synthetic_success(0, t) ? 1.0 : 0.0)
                                  : testing::synthetic_new_reward(0, t);
        }
        EXPECT_NEAR(episodes.column("stats/next.reward/mean").numbers(0)[0],
                    sum / static_cast<double>(synthetic_length(0)), 1e-9)
            << trial << ": episode statistics do not match the " << which << " labels";
        return which;
    } catch (const Error& e) {
        ADD_FAILURE() << trial << ": dataset does not open: " << e.what();
        return "";
    }
}

TEST(LabelsKill, ARewriteKilledAtRandomPointsLeavesOldOrNewLabelsNeverAMix) {
    testing::TempDir dir;
    const fs::path base = dir / "base";
    {
        // Small files: three data files and two episode metadata files change.
        DatasetWriter writer = DatasetWriter::create(base, testing::synthetic_spec(0.004, 2));
        testing::write_synthetic_episodes(writer, 0, kEpisodes);
    }
    ASSERT_EQ(expect_consistent(base, "before"), "old");
    const auto copy_of = [&](const std::string& name) {
        const fs::path root = dir / name;
        fs::copy(base, root, fs::copy_options::recursive);
        return root;
    };
    const fs::path full = copy_of("full");
    const testing::ProcessResult r =
        testing::run_process({RCLS_LABELS_CHILD, full.string(), "--no-sync", "1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto at = r.out.rfind("steps ");
    ASSERT_NE(at, std::string::npos);
    const long steps = std::stol(r.out.substr(at + 6));
    ASSERT_GT(steps, 10);
    EXPECT_EQ(expect_consistent(full, "uninterrupted"), "new");

    std::mt19937 rng(20261207);
    std::set<long> points;
    const long trials = std::min<long>(60, steps);
    while (static_cast<long>(points.size()) < trials) {
        points.insert(1 + static_cast<long>(rng() % static_cast<unsigned long>(steps)));
    }
    std::set<std::string> outcomes;
    for (long point : points) {
        const std::string trial =
            "kill at step " + std::to_string(point) + " of " + std::to_string(steps);
        const fs::path root = copy_of("kill-" + std::to_string(point));
        const testing::ProcessResult killed =
            testing::run_process({RCLS_LABELS_CHILD, root.string(), "--no-sync", "1", "--kill-at",
                                  std::to_string(point)});
        ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << trial << ": " << killed.err;
        outcomes.insert(expect_consistent(root, trial));
        const testing::ProcessResult resumed =
            testing::run_process({RCLS_LABELS_CHILD, root.string(), "--no-sync", "1"});
        ASSERT_EQ(resumed.exit_code, 0) << trial << ": rerun failed: " << resumed.err;
        EXPECT_EQ(expect_consistent(root, trial + ", rerun"), "new");
        fs::remove_all(root);
    }
    // Kills fell both before and after the commit point.
    EXPECT_EQ(outcomes, (std::set<std::string>{"old", "new"}));
}

}  // namespace
}  // namespace rcls::dataset
