// SPDX-License-Identifier: MIT
//
// The episode plan is pure: these tests plan episodes of a dataset folder that does not exist and
// check what would change, in which order, and that nothing was written.
#include "rcls/dataset/episode_plan.hpp"

#include <algorithm>
#include <filesystem>
#include <vector>

#include <gtest/gtest.h>

#include "rcls/core/error.hpp"

#include "dataset_fixtures.hpp"

namespace rcls::dataset {
namespace {
namespace fs = std::filesystem;

const fs::path kRoot = "/nonexistent/rcls-plan-test/d";

std::vector<Frame> frames_of(std::int64_t e) {
    std::vector<Frame> frames;
    for (std::int64_t t = 0; t < testing::synthetic_length(e); ++t) {
        frames.push_back(testing::synthetic_frame(e, t));
    }
    return frames;
}

/// Plans and "commits" (in memory) episode `e`; video starts at the camera file's end so far.
EpisodePlan plan(const CommittedState& state,
                 std::int64_t e,
                 const std::vector<Frame>& frames,
                 std::size_t video_bytes = 0) {
    EpisodeInput input;
    input.frames = frames;
    if (!state.meta.info.video_keys().empty()) {
        EpisodeVideo v;
        v.path = kRoot / ".rcls-staging/episode.mp4";
        v.bytes = video_bytes;
        v.probe.frames = static_cast<long>(frames.size());
        v.probe.codec = "mpeg4";
        v.probe.fps = 10;
        input.videos[testing::kSyntheticCamera] = v;
    }
    EpisodePlan p = plan_episode(state, input);
    std::map<std::string, JoinedVideo> starts;
    for (const PlannedVideo& v : p.videos) {
        starts[v.key] = {
            static_cast<double>(state.meta.info.total_frames) / 10.0,
            state.videos.count(v.key) ? state.videos.at(v.key).second + video_bytes : video_bytes};
    }
    plan_metadata(p, starts);
    (void)e;
    return p;
}

std::vector<std::string> relative(const std::vector<fs::path>& paths) {
    std::vector<std::string> out;
    for (const fs::path& p : paths)
        out.push_back(p.lexically_relative(kRoot).string());
    return out;
}

TEST(EpisodePlan, FirstEpisodeReplacesDataThenMetadataThenInfoLast) {
    const CommittedState empty = new_dataset_state(kRoot, testing::synthetic_spec());
    const std::vector<Frame> frames = frames_of(0);
    const EpisodePlan p = plan(empty, 0, frames);
    EXPECT_EQ(p.episode_index, 0);
    EXPECT_EQ(p.rows.num_rows, testing::synthetic_length(0));
    EXPECT_EQ(testing::synthetic_mismatch(p.rows, 0, 0, 0), "");
    EXPECT_TRUE(p.adds_tasks);
    EXPECT_EQ(relative(p.commit_order()),
              (std::vector<std::string>{
                  "data/chunk-000/file-000.parquet", "meta/episodes/chunk-000/file-000.parquet",
                  "meta/tasks.parquet", "meta/stats.json", "meta/info.json"}));
    EXPECT_EQ(p.next.meta.info.total_episodes, 1);
    EXPECT_EQ(p.next.meta.info.total_frames, testing::synthetic_length(0));
    EXPECT_EQ(p.next.data_table.num_rows, testing::synthetic_length(0));
    EXPECT_EQ(p.next.data_bytes, p.data.bytes.size());
    EXPECT_NE(p.metadata.back().bytes.find("\"total_episodes\": 1"), std::string::npos);
    ASSERT_EQ(p.next.meta.episodes.size(), 1u);
    EXPECT_EQ(p.next.meta.episodes[0].dataset_to_index, testing::synthetic_length(0));
    EXPECT_FALSE(fs::exists(kRoot.parent_path())) << "planning wrote to disk";
}

TEST(EpisodePlan, KnownTasksLeaveTasksParquetAloneAndRowsAppendToTheFile) {
    CommittedState state = new_dataset_state(kRoot, testing::synthetic_spec());
    std::int64_t index = 0;
    for (std::int64_t e = 0; e < 2; ++e) {  // episodes 0 and 1 share their task
        const std::vector<Frame> frames = frames_of(e);
        EpisodePlan p = plan(state, e, frames);
        EXPECT_EQ(testing::synthetic_mismatch(p.rows, e, index, 0), "");
        EXPECT_EQ(p.adds_tasks, e == 0);
        const auto order = relative(p.commit_order());
        EXPECT_EQ(std::count(order.begin(), order.end(), "meta/tasks.parquet"), e == 0 ? 1 : 0);
        EXPECT_EQ(order.back(), "meta/info.json");
        index += testing::synthetic_length(e);
        state = std::move(p.next);
    }
    EXPECT_EQ(state.data_table.num_rows, index);
    EXPECT_EQ(state.data_at, (ChunkFile{0, 0}));
    EXPECT_EQ(state.dataset_stats().size(), 9u);  // every feature: all are numeric
}

TEST(EpisodePlan, RollsOverDataFilesAndChunksBySize) {
    CommittedState state = new_dataset_state(kRoot, testing::synthetic_spec(1e-6, 2));
    std::vector<std::string> data_files;
    for (std::int64_t e = 0; e < 3; ++e) {
        const std::vector<Frame> frames = frames_of(e);
        EpisodePlan p = plan(state, e, frames);
        data_files.push_back(relative({p.data.target})[0]);
        EXPECT_EQ(p.next.data_table.num_rows, testing::synthetic_length(e));
        state = std::move(p.next);
    }
    EXPECT_EQ(data_files, (std::vector<std::string>{"data/chunk-000/file-000.parquet",
                                                    "data/chunk-000/file-001.parquet",
                                                    "data/chunk-001/file-000.parquet"}));
}

TEST(EpisodePlan, VideosJoinTheCameraFileBeforeTheMetadata) {
    CommittedState state = new_dataset_state(kRoot, testing::synthetic_spec_with_camera());
    for (std::int64_t e = 0; e < 2; ++e) {
        const std::vector<Frame> frames = frames_of(e);
        EpisodePlan p = plan(state, e, frames, 1000);
        const auto order = relative(p.commit_order());
        ASSERT_GE(order.size(), 2u);
        EXPECT_EQ(order[1], "videos/observation.images.front/chunk-000/file-000.mp4");
        ASSERT_EQ(p.videos.size(), 1u);
        // The first episode starts the file; the second joins it: current file, then episode.
        ASSERT_EQ(p.videos[0].segments.size(), static_cast<std::size_t>(e + 1));
        EXPECT_EQ(p.videos[0].segments.back().path, kRoot / ".rcls-staging/episode.mp4");
        const VideoRef& v = p.next.meta.episodes.back().videos.at(testing::kSyntheticCamera);
        EXPECT_NEAR(v.to_timestamp - v.from_timestamp,
                    static_cast<double>(testing::synthetic_length(e)) / 10.0, 1e-9);
        state = std::move(p.next);
    }
}

TEST(EpisodePlan, EmptyEpisodesAndMismatchedVideosAreDataErrors) {
    const CommittedState empty = new_dataset_state(kRoot, testing::synthetic_spec_with_camera());
    EpisodeInput input;
    EXPECT_THROW(plan_episode(empty, input), DataError);
    const std::vector<Frame> frames = frames_of(0);
    input.frames = frames;
    EXPECT_THROW(plan_episode(empty, input), DataError);  // no video for the camera
    EpisodeVideo v;
    v.probe.frames = static_cast<long>(frames.size()) + 1;
    input.videos[testing::kSyntheticCamera] = v;
    EXPECT_THROW(plan_episode(empty, input), DataError);
    EXPECT_THROW(new_dataset_state(kRoot,
                                   [] {
                                       DatasetSpec s = testing::synthetic_spec();
                                       s.fps = 0;
                                       return s;
                                   }()),
                 DataError);
}

}  // namespace
}  // namespace rcls::dataset
