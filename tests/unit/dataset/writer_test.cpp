// SPDX-License-Identifier: MIT
#include "rcls/dataset/writer.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/dataset/dataset.hpp"
#include "rcls/parquet/reader.hpp"

#include "dataset_fixtures.hpp"
#include "prerequisite.hpp"
#include "temp_dir.hpp"

namespace rcls::dataset {
namespace {
namespace fs = std::filesystem;
using testing::synthetic_length;

std::int64_t synthetic_task_index(std::int64_t e) {
    return e % 3 == 2 ? 1 : 0;
}

void expect_synthetic_dataset(const fs::path& root, std::int64_t episodes) {
    const Dataset d = Dataset::open(root);
    ASSERT_EQ(static_cast<std::int64_t>(d.meta().episodes.size()), episodes);
    std::int64_t index = 0;
    for (std::int64_t e = 0; e < episodes; ++e) {
        EXPECT_EQ(testing::synthetic_mismatch(d.read_episode(e), e, index, synthetic_task_index(e)),
                  "")
            << "episode " << e;
        EXPECT_EQ(d.episode(e).length, synthetic_length(e));
        EXPECT_EQ(d.episode(e).tasks, std::vector<std::string>{testing::synthetic_task(e)});
        index += synthetic_length(e);
    }
    EXPECT_EQ(d.info().total_frames, index);
}

TEST(DatasetWriter, WritesTheV30LayoutAndReadsEveryColumnBack) {
    testing::TempDir dir;
    const fs::path root = dir / "me/cubes";
    DatasetWriter writer = DatasetWriter::create(root, testing::synthetic_spec());
    testing::write_synthetic_episodes(writer, 0, 4);
    for (const char* file :
         {"meta/info.json", "meta/stats.json", "meta/tasks.parquet",
          "meta/episodes/chunk-000/file-000.parquet", "data/chunk-000/file-000.parquet"}) {
        EXPECT_TRUE(fs::exists(root / file)) << file;
    }
    expect_synthetic_dataset(root, 4);
    const Dataset d = Dataset::open(root);
    EXPECT_EQ(d.meta().tasks,
              (std::vector<std::string>{"Reach and grasp the cube", "Put the cube back"}));
    EXPECT_EQ(d.info().total_tasks, 2);
    const Feature* state = d.info().feature("observation.state");
    ASSERT_NE(state, nullptr);
    EXPECT_EQ(state->names[0], "shoulder_pan.pos");
    EXPECT_EQ(state->names[5], "gripper.pos");
    std::vector<std::string> keys;
    for (const Feature& f : d.info().features)
        keys.push_back(f.key);
    EXPECT_EQ(keys, (std::vector<std::string>{"observation.state", "action", "next.reward",
                                              "next.done", "timestamp", "frame_index",
                                              "episode_index", "index", "task_index"}));
}

TEST(DatasetWriter, DataFilesCarryTheHuggingFaceFeaturesAndFixedSizeLists) {
    testing::TempDir dir;
    DatasetWriter writer = DatasetWriter::create(dir / "d", testing::synthetic_spec());
    testing::write_synthetic_episodes(writer, 0, 1);
    const parquet::FileSummary s = parquet::read_summary(dir / "d/data/chunk-000/file-000.parquet");
    const auto hf = std::find_if(s.metadata.begin(), s.metadata.end(),
                                 [](const auto& kv) { return kv.first == "huggingface"; });
    ASSERT_NE(hf, s.metadata.end());
    const auto features = nlohmann::json::parse(hf->second)["info"]["features"];
    EXPECT_EQ(features["observation.state"]["_type"], "Sequence");
    EXPECT_EQ(features["observation.state"]["length"], 6);
    EXPECT_EQ(features["next.done"]["dtype"], "bool");
    EXPECT_EQ(features["index"]["dtype"], "int64");
    const parquet::Table tasks = parquet::read_table(dir / "d/meta/tasks.parquet");
    ASSERT_NE(tasks.meta("pandas"), nullptr);
    EXPECT_EQ(nlohmann::json::parse(*tasks.meta("pandas"))["index_columns"][0], "task");
}

TEST(DatasetWriter, StatsJsonMatchesStatisticsRecomputedFromTheData) {
    testing::TempDir dir;
    DatasetWriter writer = DatasetWriter::create(dir / "d", testing::synthetic_spec());
    testing::write_synthetic_episodes(writer, 0, 5);
    std::ifstream in(dir / "d/meta/stats.json");
    const auto stats = nlohmann::json::parse(in);
    // Recompute min/max/mean/std of observation.state and next.reward over every frame.
    for (const char* key : {"observation.state", "next.reward", "frame_index"}) {
        std::vector<std::vector<double>> columns;
        for (std::int64_t e = 0; e < 5; ++e) {
            for (std::int64_t t = 0; t < synthetic_length(e); ++t) {
                std::vector<double> row;
                if (std::string(key) == "frame_index") {
                    row = {static_cast<double>(t)};
                } else {
                    row = testing::synthetic_frame(e, t).values.at(key);
                    for (double& v : row)
                        v = static_cast<float>(v);
                }
                if (columns.empty()) columns.resize(row.size());
                for (std::size_t d = 0; d < row.size(); ++d)
                    columns[d].push_back(row[d]);
            }
        }
        for (std::size_t d = 0; d < columns.size(); ++d) {
            const auto& v = columns[d];
            double sum = 0, squares = 0;
            for (double x : v)
                sum += x;
            const double mean = sum / static_cast<double>(v.size());
            for (double x : v)
                squares += (x - mean) * (x - mean);
            const double std = std::sqrt(squares / static_cast<double>(v.size()));
            EXPECT_EQ(stats[key]["min"][d].get<double>(), *std::min_element(v.begin(), v.end()))
                << key;
            EXPECT_EQ(stats[key]["max"][d].get<double>(), *std::max_element(v.begin(), v.end()))
                << key;
            EXPECT_NEAR(stats[key]["mean"][d].get<double>(), mean, 1e-9 * (1 + std::abs(mean)))
                << key;
            EXPECT_NEAR(stats[key]["std"][d].get<double>(), std, 1e-9 * (1 + std)) << key;
            EXPECT_EQ(stats[key]["count"][0].get<std::int64_t>(),
                      static_cast<std::int64_t>(v.size()));
        }
    }
}

TEST(DatasetWriter, RollsDataFilesAndChunksBySize) {
    testing::TempDir dir;
    // A tiny size limit puts every episode in its own file; two files per chunk.
    DatasetWriter writer = DatasetWriter::create(dir / "d", testing::synthetic_spec(1e-6, 2));
    testing::write_synthetic_episodes(writer, 0, 5);
    for (const char* file : {"data/chunk-000/file-000.parquet", "data/chunk-000/file-001.parquet",
                             "data/chunk-001/file-000.parquet", "data/chunk-001/file-001.parquet",
                             "data/chunk-002/file-000.parquet"}) {
        EXPECT_TRUE(fs::exists(dir / "d" / file)) << file;
    }
    expect_synthetic_dataset(dir / "d", 5);
    const Dataset d = Dataset::open(dir / "d");
    EXPECT_EQ(d.episode(4).data_chunk_index, 2);
    EXPECT_EQ(d.episode(4).data_file_index, 0);
}

TEST(DatasetWriter, AppendsAfterReopening) {
    testing::TempDir dir;
    {
        DatasetWriter writer = DatasetWriter::create(dir / "d", testing::synthetic_spec());
        testing::write_synthetic_episodes(writer, 0, 2);
    }
    DatasetWriter writer = DatasetWriter::open(dir / "d");
    EXPECT_EQ(writer.meta().info.total_episodes, 2);
    testing::write_synthetic_episodes(writer, 2, 6);
    expect_synthetic_dataset(dir / "d", 6);
}

TEST(DatasetWriter, RejectsBadFramesAndNonEmptyFolders) {
    testing::TempDir dir;
    DatasetWriter writer = DatasetWriter::create(dir / "d", testing::synthetic_spec());
    Frame frame = testing::synthetic_frame(0, 0);
    frame.values["observation.state"].pop_back();
    EXPECT_THROW(writer.add_frame(frame), DataError);
    frame = testing::synthetic_frame(0, 0);
    frame.values.erase("action");
    EXPECT_THROW(writer.add_frame(frame), DataError);
    frame = testing::synthetic_frame(0, 0);
    frame.values["bogus"] = {1.0};
    EXPECT_THROW(writer.add_frame(frame), DataError);
    EXPECT_THROW(writer.save_episode(), DataError);
    writer.add_frame(testing::synthetic_frame(0, 0));
    writer.clear_episode();
    EXPECT_EQ(writer.buffered_frames(), 0);
    EXPECT_THROW(DatasetWriter::create(dir / "d", testing::synthetic_spec()), DataError);
}

TEST(DatasetWriter, UncommittedLeftoversAreIgnoredByReadersAndRepairedOnOpen) {
    testing::TempDir dir;
    const fs::path root = dir / "d";
    {
        DatasetWriter writer = DatasetWriter::create(root, testing::synthetic_spec());
        testing::write_synthetic_episodes(writer, 0, 3);
    }
    const std::string info = read_file(root / "meta/info.json");
    {
        DatasetWriter writer = DatasetWriter::open(root);
        testing::write_synthetic_episodes(writer, 3, 4);
    }
    // Simulate a kill just before the commit of episode 3: the old info.json comes back.
    write_file_atomic(root / "meta/info.json", info);
    write_file_atomic(root / ".rcls-staging/.file-000.parquet.tmp-1-0", "torn");
    expect_synthetic_dataset(root, 3);
    EXPECT_EQ(
        parquet::read_summary(root / "data/chunk-000/file-000.parquet").num_rows,
        synthetic_length(0) + synthetic_length(1) + synthetic_length(2) + synthetic_length(3));
    {
        DatasetWriter writer = DatasetWriter::open(root);
        EXPECT_FALSE(fs::exists(root / ".rcls-staging/.file-000.parquet.tmp-1-0"));
        EXPECT_EQ(parquet::read_summary(root / "data/chunk-000/file-000.parquet").num_rows,
                  synthetic_length(0) + synthetic_length(1) + synthetic_length(2));
        EXPECT_EQ(parquet::read_summary(root / "meta/episodes/chunk-000/file-000.parquet").num_rows,
                  3);
        testing::write_synthetic_episodes(writer, 3, 5);
    }
    expect_synthetic_dataset(root, 5);
}

class DatasetWriterVideo : public ::testing::Test {
protected:
    void SetUp() override {
        if (!fs::exists("/usr/bin/ffmpeg")) RCLS_PREREQUISITE_MISSING() << "ffmpeg not installed";
        for (std::int64_t e = 0; e < 6; ++e) {
            sources_.push_back(dir_ / ("source_" + std::to_string(e) + ".mp4"));
            testing::make_synthetic_video(sources_.back(), e);
        }
    }
    void write(DatasetWriter& writer, std::int64_t first, std::int64_t last) {
        for (std::int64_t e = first; e < last; ++e) {
            for (std::int64_t t = 0; t < synthetic_length(e); ++t) {
                writer.add_frame(testing::synthetic_frame(e, t));
            }
            fs::copy_file(sources_[static_cast<std::size_t>(e)],
                          writer.episode_video_path(testing::kSyntheticCamera));
            writer.save_episode();
        }
    }
    /// Every committed episode's frames are where its metadata says, and the data is intact.
    void expect_videos(const fs::path& root, std::int64_t episodes) {
        expect_synthetic_dataset(root, episodes);
        const Dataset d = Dataset::open(root);
        for (std::int64_t e = 0; e < episodes; ++e) {
            const EpisodeMeta& m = d.episode(e);
            const VideoRef& v = m.videos.at(testing::kSyntheticCamera);
            EXPECT_NEAR(v.to_timestamp - v.from_timestamp,
                        static_cast<double>(synthetic_length(e)) / 10.0, 1e-9);
            const fs::path file = d.meta().find_video_file(m, testing::kSyntheticCamera);
            EXPECT_EQ(testing::video_hashes_between(file, v.from_timestamp, v.to_timestamp),
                      testing::video_hashes(sources_[static_cast<std::size_t>(e)]))
                << "episode " << e << " in " << file;
        }
    }
    testing::TempDir dir_;
    std::vector<fs::path> sources_;
};

TEST_F(DatasetWriterVideo, JoinsEpisodeVideosIntoOneFilePerCamera) {
    const fs::path root = dir_ / "d";
    DatasetWriter writer = DatasetWriter::create(root, testing::synthetic_spec_with_camera());
    write(writer, 0, 4);
    expect_videos(root, 4);
    const Dataset d = Dataset::open(root);
    EXPECT_TRUE(fs::exists(root / "videos/observation.images.front/chunk-000/file-000.mp4"));
    EXPECT_EQ(d.episode(0).videos.at(testing::kSyntheticCamera).from_timestamp, 0.0);
    EXPECT_NEAR(d.episode(1).videos.at(testing::kSyntheticCamera).from_timestamp,
                static_cast<double>(synthetic_length(0)) / 10.0, 1e-9);
    const Feature* camera = d.info().feature(testing::kSyntheticCamera);
    ASSERT_TRUE(camera->video.has_value());
    EXPECT_EQ(camera->video->codec, "mpeg4");
    EXPECT_EQ(camera->video->width, 64);
    EXPECT_DOUBLE_EQ(camera->video->fps, 10.0);
    EXPECT_EQ(*d.info().video_path,
              "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4");
    EXPECT_TRUE(d.find_problems(true).empty());
}

TEST_F(DatasetWriterVideo, TruncatedVideoIsReportedByEpisodeAndPath) {
    const fs::path root = dir_ / "d";
    {
        DatasetWriter writer = DatasetWriter::create(root, testing::synthetic_spec_with_camera());
        write(writer, 0, 3);
    }
    const fs::path video = root / "videos/observation.images.front/chunk-000/file-000.mp4";
    const std::string bytes = read_file(video);
    write_file_atomic(video, bytes.substr(0, bytes.size() / 2));
    const Dataset d = Dataset::open(root);
    const std::vector<FileProblem> problems = d.find_problems(true);
    ASSERT_EQ(problems.size(), 3u);  // one line per episode in the file
    for (std::size_t e = 0; e < 3; ++e) {
        EXPECT_EQ(problems[e].episode_index, static_cast<std::int64_t>(e));
        EXPECT_EQ(problems[e].path, video);
        // The path is the problem's own field: its text does not repeat it (issue 10 item 8).
        EXPECT_EQ(problems[e].what.find(video.string()), std::string::npos) << problems[e].what;
        EXPECT_NE(problems[e].what.find("cannot open"), std::string::npos) << problems[e].what;
    }
}

TEST_F(DatasetWriterVideo, RollsVideoFilesBySize) {
    const fs::path root = dir_ / "d";
    DatasetWriter writer =
        DatasetWriter::create(root, testing::synthetic_spec_with_camera(100.0, 2, 1e-6));
    write(writer, 0, 3);
    EXPECT_TRUE(fs::exists(root / "videos/observation.images.front/chunk-000/file-001.mp4"));
    EXPECT_TRUE(fs::exists(root / "videos/observation.images.front/chunk-001/file-000.mp4"));
    expect_videos(root, 3);
}

TEST_F(DatasetWriterVideo, MissingOrMismatchedEpisodeVideoIsADataError) {
    DatasetWriter writer = DatasetWriter::create(dir_ / "d", testing::synthetic_spec_with_camera());
    for (std::int64_t t = 0; t < synthetic_length(0); ++t)
        writer.add_frame(testing::synthetic_frame(0, t));
    EXPECT_THROW(writer.save_episode(), DataError);
    fs::copy_file(sources_[1],
                  writer.episode_video_path(testing::kSyntheticCamera));  // 12 frames, not 5
    EXPECT_THROW(writer.save_episode(), DataError);
    EXPECT_THROW(writer.episode_video_path("observation.state"), DataError);
}

TEST_F(DatasetWriterVideo, ReopeningTrimsVideoFramesOfAnUncommittedEpisode) {
    const fs::path root = dir_ / "d";
    {
        DatasetWriter writer = DatasetWriter::create(root, testing::synthetic_spec_with_camera());
        write(writer, 0, 2);
    }
    const std::string info = read_file(root / "meta/info.json");
    {
        DatasetWriter writer = DatasetWriter::open(root);
        write(writer, 2, 3);
    }
    write_file_atomic(root / "meta/info.json", info);  // as if killed before committing episode 2
    const fs::path video = root / "videos/observation.images.front/chunk-000/file-000.mp4";
    EXPECT_EQ(
        testing::video_hashes(video).size(),
        static_cast<std::size_t>(synthetic_length(0) + synthetic_length(1) + synthetic_length(2)));
    expect_videos(root, 2);
    {
        DatasetWriter writer = DatasetWriter::open(root);
        EXPECT_EQ(testing::video_hashes(video).size(),
                  static_cast<std::size_t>(synthetic_length(0) + synthetic_length(1)));
        write(writer, 2, 5);
    }
    expect_videos(root, 5);
}

TEST(DatasetWriter, RefusesToAppendToV21Datasets) {
    const fs::path root = testing::realdata_dir() / "so101_chess_wrist_lerobot_pr1138";
    if (testing::realdata_dir().empty() || !fs::exists(root))
        RCLS_PREREQUISITE_MISSING() << "realdata not on this machine";
    EXPECT_THROW(DatasetWriter::open(root), DataError);
}

}  // namespace
}  // namespace rcls::dataset
