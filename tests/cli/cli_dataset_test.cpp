// SPDX-License-Identifier: MIT
//
// `rcls dataset info`: the report, and exit code 5 with one-line messages for bad datasets.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rcls/core/atomic_file.hpp"

#include "dataset_fixtures.hpp"
#include "prerequisite.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"

namespace rcls::testing {
namespace {
namespace fs = std::filesystem;

class CliDataset : public ::testing::Test {
protected:
    void SetUp() override {
        auto writer = dataset::DatasetWriter::create(root_, synthetic_spec());
        write_synthetic_episodes(writer, 0, 3);
    }
    TempDir dir_;
    fs::path root_ = dir_ / "me" / "cubes";
};

TEST_F(CliDataset, InfoPrintsTheReferenceTable) {
    const ProcessResult r = run_rcls({"dataset", "info", root_.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::int64_t total = 0, success = 0;
    for (std::int64_t e = 0; e < 3; ++e) {
        for (std::int64_t t = 0; t < synthetic_length(e); ++t)
            success += synthetic_success(e, t) ? 1 : 0;
        total += synthetic_length(e);
    }
    EXPECT_NE(r.out.find("Episodes         3\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Total frames     " + std::to_string(total) + "\n"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("Success frames   " + std::to_string(success) + "\n"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("Failure frames   " + std::to_string(total - success) + "\n"),
              std::string::npos);
    EXPECT_NE(r.out.find("FPS              10\n"), std::string::npos) << r.out;
    // Episode 1 has 12 frames, success from frame 6 on.
    EXPECT_NE(r.out.find("      1      12  6\n"), std::string::npos) << r.out;
}

TEST_F(CliDataset, RepoIdsResolveUnderHfLeRobotHome) {
    const ProcessResult r =
        run_rcls({"dataset", "info", "me/cubes", "--json"}, std::chrono::seconds(60),
                 {"HF_LEROBOT_HOME=" + dir_.path().string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["root"], root_.string());
}

TEST_F(CliDataset, InfoJsonHasPerEpisodeSuccessStarts) {
    const ProcessResult r = run_rcls({"dataset", "info", root_.string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["episodes"], 3);
    ASSERT_EQ(j["per_episode"].size(), 3u);
    for (std::int64_t e = 0; e < 3; ++e) {
        EXPECT_EQ(j["per_episode"][e]["length"], synthetic_length(e));
        EXPECT_EQ(j["per_episode"][e]["success_start"], synthetic_length(e) / 2);
    }
    EXPECT_TRUE(j["problems"].empty());
}

TEST_F(CliDataset, TruncatedParquetExits5NamingEpisodeAndFile) {
    const fs::path data = root_ / "data/chunk-000/file-000.parquet";
    const std::string bytes = read_file(data);
    write_text(data, bytes.substr(0, bytes.size() - 100));
    const ProcessResult r = run_rcls({"dataset", "info", root_.string()});
    EXPECT_EQ(r.exit_code, 5);
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("rcls: error: episode 0: " + data.string()), std::string::npos) << r.err;
    const ProcessResult skipped = run_rcls({"dataset", "info", root_.string(), "--skip-missing"});
    EXPECT_EQ(skipped.exit_code, 0) << skipped.err;
    EXPECT_NE(skipped.err.find("skipped"), std::string::npos);
    const ProcessResult checked = run_rcls({"dataset", "info", root_.string(), "--check"});
    EXPECT_EQ(checked.exit_code, 5);
    EXPECT_NE(checked.out.find("3 problems:"), std::string::npos) << checked.out;
}

TEST_F(CliDataset, InfoJsonWithMissingKeyExits5) {
    const fs::path info = root_ / "meta/info.json";
    std::string text = read_file(info);
    text.replace(text.find("\"fps\""), 5, "\"fpz\"");
    write_text(info, text);
    const ProcessResult r = run_rcls({"dataset", "info", root_.string()});
    EXPECT_EQ(r.exit_code, 5);
    EXPECT_EQ(r.err, "rcls: error: " + info.string() +
                         ": missing key \"fps\"; is this a LeRobot dataset's meta/info.json?\n");
}

TEST_F(CliDataset, WrongCodebaseVersionExits5) {
    const fs::path info = root_ / "meta/info.json";
    std::string text = read_file(info);
    text.replace(text.find("v3.0"), 4, "v1.6");
    write_text(info, text);
    const ProcessResult r = run_rcls({"dataset", "info", root_.string()});
    EXPECT_EQ(r.exit_code, 5);
    EXPECT_NE(r.err.find("codebase_version \"v1.6\" is not supported"), std::string::npos) << r.err;
}

TEST(CliDatasetVideo, TruncatedMp4Exits5WithCheck) {
    if (!fs::exists("/usr/bin/ffmpeg")) RCLS_PREREQUISITE_MISSING() << "ffmpeg not installed";
    TempDir dir;
    const fs::path root = dir / "d";
    {
        auto writer = dataset::DatasetWriter::create(root, synthetic_spec_with_camera());
        for (std::int64_t e = 0; e < 2; ++e) {
            for (std::int64_t t = 0; t < synthetic_length(e); ++t)
                writer.add_frame(synthetic_frame(e, t));
            make_synthetic_video(writer.episode_video_path(kSyntheticCamera), e);
            writer.save_episode();
        }
    }
    const ProcessResult ok = run_rcls({"dataset", "info", root.string(), "--check"});
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_NE(ok.out.find("Resolution       64x64 (observation.images.front)\n"), std::string::npos)
        << ok.out;
    EXPECT_NE(ok.out.find("Codec            mpeg4\n"), std::string::npos) << ok.out;
    const fs::path video = root / "videos/observation.images.front/chunk-000/file-000.mp4";
    const std::string bytes = read_file(video);
    write_text(video, bytes.substr(0, bytes.size() - 200));
    const ProcessResult r = run_rcls({"dataset", "info", root.string(), "--check"});
    EXPECT_EQ(r.exit_code, 5);
    EXPECT_NE(r.out.find("2 problems:\n  episode 0: " + video.string()), std::string::npos)
        << r.out;
    const std::string last =
        "rcls: error: " + root.string() + ": 2 missing or damaged files (listed above)\n";
    ASSERT_GE(r.err.size(), last.size());
    EXPECT_EQ(r.err.substr(r.err.size() - last.size()), last) << r.err;  // after the progress line
}

TEST(CliDatasetReal, ChessDatasetCheckListsMissingFiles) {
    const fs::path root = realdata_dir() / "so101_chess_wrist_lerobot_pr1138";
    if (realdata_dir().empty() || !fs::exists(root))
        RCLS_PREREQUISITE_MISSING() << "realdata not on this machine";
    const ProcessResult plain = run_rcls({"dataset", "info", root.string()});
    EXPECT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_NE(plain.out.find("Total frames     3220\n"), std::string::npos);
    EXPECT_NE(plain.out.find("Resolution       640x480"), std::string::npos);
    const ProcessResult checked = run_rcls({"dataset", "info", root.string(), "--check"});
    EXPECT_EQ(checked.exit_code, 5);
    EXPECT_NE(checked.out.find("episode_000001.mp4: missing"), std::string::npos) << checked.out;
}

TEST(CliDatasetReal, MissingFolderExits5) {
    TempDir dir;
    const ProcessResult r = run_rcls({"dataset", "info", (dir / "nothing").string()});
    EXPECT_EQ(r.exit_code, 5);
    EXPECT_EQ(r.err, "rcls: error: " + (dir / "nothing").string() + ": dataset folder not found\n");
}

}  // namespace
}  // namespace rcls::testing
