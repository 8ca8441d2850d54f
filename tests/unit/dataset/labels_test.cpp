// SPDX-License-Identifier: MIT
#include "rcls/dataset/labels.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/dataset/dataset.hpp"
#include "rcls/parquet/reader.hpp"

#include "dataset_fixtures.hpp"
#include "temp_dir.hpp"

namespace rcls::dataset {
namespace {
namespace fs = std::filesystem;
using testing::synthetic_length;

/// New labels of episode e: success from a third of the episode on, done at its last frame but
/// one (distinct from synthetic_frame's).
EpisodeLabels new_labels(std::int64_t e) {
    EpisodeLabels l;
    const std::int64_t n = synthetic_length(e);
    for (std::int64_t t = 0; t < n; ++t) {
        l.reward.push_back(t >= n / 3 ? 0.75f : 0.0f);
        l.done.push_back(t == n - 2 ? 1 : 0);
    }
    return l;
}

void expect_labels(const Dataset& d, std::int64_t e, const EpisodeLabels& l) {
    const parquet::Table t = d.read_episode(e);
    ASSERT_EQ(t.num_rows, static_cast<std::int64_t>(l.reward.size()));
    for (std::size_t r = 0; r < l.reward.size(); ++r) {
        EXPECT_EQ(t.column("next.reward").as<float>()[r], l.reward[r]) << "episode " << e;
        EXPECT_EQ(t.column("next.done").as<std::uint8_t>()[r], l.done[r]) << "episode " << e;
    }
}

double json_mean(const fs::path& root, const std::string& key) {
    return nlohmann::json::parse(read_file(root / "meta/stats.json"))[key]["mean"][0].get<double>();
}

TEST(Labels, RewritesChosenEpisodesAcrossFilesAndKeepsTheRest) {
    testing::TempDir dir;
    const fs::path root = dir / "d";
    {
        // Small files: several data and episode metadata files.
        DatasetWriter writer = DatasetWriter::create(root, testing::synthetic_spec(0.004, 2));
        testing::write_synthetic_episodes(writer, 0, 6);
    }
    const std::string info_before = read_file(root / "meta/info.json");
    rewrite_labels(root, {{1, new_labels(1)}, {4, new_labels(4)}});
    const Dataset d = Dataset::open(root);
    expect_labels(d, 1, new_labels(1));
    expect_labels(d, 4, new_labels(4));
    std::int64_t index = 0;
    double reward_sum = 0.0;
    std::int64_t frames = 0;
    for (std::int64_t e = 0; e < 6; ++e) {
        if (e != 1 && e != 4) {
            EXPECT_EQ(testing::synthetic_mismatch(d.read_episode(e), e, index, e % 3 == 2 ? 1 : 0),
                      "")
                << "episode " << e << " changed";
        }
        const parquet::Table t = d.read_episode(e);
        for (std::int64_t r = 0; r < t.num_rows; ++r) {
            reward_sum += t.column("next.reward").as<float>()[static_cast<std::size_t>(r)];
            ++frames;
        }
        // Everything but the labels is as written.
        EXPECT_EQ(t.column("observation.state").list<float>(0)[0],
                  testing::synthetic_joint(e, 0, 0, false));
        index += synthetic_length(e);
    }
    EXPECT_NEAR(json_mean(root, "next.reward"), reward_sum / static_cast<double>(frames), 1e-9);
    EXPECT_EQ(read_file(root / "meta/info.json"), info_before);  // features were there already
    EXPECT_FALSE(fs::exists(label_journal_path(root)));
    // The per-episode statistics in meta/episodes follow the labels too.
    const parquet::Table episodes =
        parquet::read_table(root / "meta/episodes/chunk-000/file-000.parquet");
    for (std::size_t r = 0; r < static_cast<std::size_t>(episodes.num_rows); ++r) {
        const std::int64_t e = episodes.column("episode_index").integer(r);
        if (e != 1) continue;
        const EpisodeLabels l = new_labels(1);
        double sum = 0;
        for (float v : l.reward)
            sum += v;
        EXPECT_NEAR(episodes.column("stats/next.reward/mean").numbers(r)[0],
                    sum / static_cast<double>(l.reward.size()), 1e-9);
    }
    // Appending still works after a rewrite.
    DatasetWriter writer = DatasetWriter::open(root);
    testing::write_synthetic_episodes(writer, 6, 7);
    EXPECT_EQ(writer.meta().info.total_episodes, 7);
}

TEST(Labels, AddsTheColumnsWhenTheDatasetHasNoneAndLeRobotSeesTheirTypes) {
    testing::TempDir dir;
    const fs::path root = dir / "d";
    DatasetSpec spec = testing::synthetic_spec();
    spec.features.resize(2);  // observation.state and action only
    {
        DatasetWriter writer = DatasetWriter::create(root, spec);
        for (std::int64_t e = 0; e < 3; ++e) {
            for (std::int64_t t = 0; t < synthetic_length(e); ++t) {
                Frame f = testing::synthetic_frame(e, t);
                f.values.erase("next.reward");
                f.values.erase("next.done");
                writer.add_frame(f);
            }
            writer.save_episode();
        }
    }
    // Every episode needs labels when there are none yet.
    EXPECT_THROW(rewrite_labels(root, {{0, new_labels(0)}}), DataError);
    std::map<std::int64_t, EpisodeLabels> labels;
    for (std::int64_t e = 0; e < 3; ++e)
        labels[e] = new_labels(e);
    rewrite_labels(root, labels);
    const Dataset d = Dataset::open(root);
    for (std::int64_t e = 0; e < 3; ++e)
        expect_labels(d, e, labels[e]);
    const Feature* reward = d.info().feature("next.reward");
    const Feature* done = d.info().feature("next.done");
    ASSERT_NE(reward, nullptr);
    ASSERT_NE(done, nullptr);
    EXPECT_EQ(reward->dtype, "float32");
    EXPECT_EQ(done->dtype, "bool");
    EXPECT_EQ(reward->shape, std::vector<std::int64_t>{1});
    std::vector<std::string> keys;
    for (const Feature& f : d.info().features)
        keys.push_back(f.key);
    EXPECT_EQ(keys, (std::vector<std::string>{"observation.state", "action", "next.reward",
                                              "next.done", "timestamp", "frame_index",
                                              "episode_index", "index", "task_index"}));
    // The data file tells `datasets` (LeRobot's loader) the same types.
    const parquet::FileSummary s = parquet::read_summary(root / "data/chunk-000/file-000.parquet");
    const auto hf = std::find_if(s.metadata.begin(), s.metadata.end(),
                                 [](const auto& kv) { return kv.first == "huggingface"; });
    ASSERT_NE(hf, s.metadata.end());
    const auto features = nlohmann::json::parse(hf->second)["info"]["features"];
    EXPECT_EQ(features["next.reward"]["dtype"], "float32");
    EXPECT_EQ(features["next.done"]["dtype"], "bool");
    const auto stats = nlohmann::json::parse(read_file(root / "meta/stats.json"));
    EXPECT_TRUE(stats.contains("next.reward"));
    EXPECT_TRUE(stats.contains("next.done"));
    // New episodes now need labels like any other feature.
    DatasetWriter writer = DatasetWriter::open(root);
    testing::write_synthetic_episodes(writer, 3, 4);
    EXPECT_EQ(Dataset::open(root).info().total_episodes, 4);
}

TEST(Labels, WrongEpisodesAndLengthsAreDataErrorsAndChangeNothing) {
    testing::TempDir dir;
    const fs::path root = dir / "d";
    {
        DatasetWriter writer = DatasetWriter::create(root, testing::synthetic_spec());
        testing::write_synthetic_episodes(writer, 0, 2);
    }
    const std::string data = read_file(root / "data/chunk-000/file-000.parquet");
    EXPECT_THROW(rewrite_labels(root, {{5, new_labels(5)}}), DataError);
    EpisodeLabels short_labels = new_labels(0);
    short_labels.reward.pop_back();
    EXPECT_THROW(rewrite_labels(root, {{0, short_labels}}), DataError);
    EXPECT_EQ(read_file(root / "data/chunk-000/file-000.parquet"), data);
}

TEST(Labels, AJournalLeftByAKilledRewriteIsCompletedOnOpen) {
    testing::TempDir dir;
    const fs::path root = dir / "d";
    {
        DatasetWriter writer = DatasetWriter::create(root, testing::synthetic_spec());
        testing::write_synthetic_episodes(writer, 0, 2);
    }
    // Stage two files by hand and commit only the journal, as a rewrite killed right after its
    // commit point leaves them.
    const std::string new_info = read_file(root / "meta/info.json") + "\n";
    {
        StagedFiles::Options o;
        o.staging_dir = root / ".rcls-staging";
        o.journal = label_journal_path(root);
        long renames = 0;
        o.on_step = [&](std::string_view step) {
            if (step == "rename" && ++renames == 2) throw std::runtime_error("killed");
        };
        StagedFiles files(o);
        files.add(root / "meta/stats.json", read_file(root / "meta/stats.json"));
        files.add(root / "meta/info.json", new_info);
        EXPECT_THROW(files.commit(), std::runtime_error);
        ASSERT_TRUE(fs::exists(label_journal_path(root)));
    }
    // Past the commit point, even an interrupted set keeps its staged files for the journal.
    EXPECT_EQ(
        std::distance(fs::directory_iterator(root / ".rcls-staging"), fs::directory_iterator()),
        3);  // the journal and two staged files
    EXPECT_NE(read_file(root / "meta/info.json"), new_info);
    const Dataset d = Dataset::open(root);
    EXPECT_EQ(read_file(root / "meta/info.json"), new_info);
    EXPECT_FALSE(fs::exists(label_journal_path(root)));
    EXPECT_EQ(d.info().total_episodes, 2);
}

}  // namespace
}  // namespace rcls::dataset
