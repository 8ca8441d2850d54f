// SPDX-License-Identifier: MIT
//
// `rcls predict` run as a user runs it (the binary loads the model from the librcls_torch plugin):
// output formats, exit codes and one-line errors.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "checkpoint_fixture.hpp"
#include "dataset_fixtures.hpp"
#include "media.hpp"
#include "prerequisite.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"

namespace rcls::testing {
namespace {

namespace fs = std::filesystem;

class CliPredict : public ::testing::Test {
protected:
    void SetUp() override {
        write_random_checkpoint(dir_ / "run" / "checkpoints" / "000010" / "pretrained_model",
                                classifier_config({"front"}), 5);
        fs::create_directory_symlink("000010", dir_ / "run" / "checkpoints" / "last");
        cv::Mat image(480, 640, CV_8UC3);
        cv::randu(image, 0, 256);
        cv::imwrite((dir_ / "camera.png").string(), image);
        cv::imwrite((dir_ / "small.png").string(), image(cv::Rect(0, 0, 128, 128)));
    }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }
    TempDir dir_;
};

TEST_F(CliPredict, JsonLinesHaveTheDocumentedKeys) {
    const ProcessResult r = run_rcls(
        {"predict", "--checkpoint", path("run"), path("camera.png"), path("small.png"), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(count_lines(r.out), 2) << r.out;
    std::istringstream lines(r.out);
    std::string line;
    for (const std::string& input : {path("camera.png"), path("small.png")}) {
        std::getline(lines, line);
        const auto json = nlohmann::ordered_json::parse(line);
        std::vector<std::string> keys;
        for (const auto& [key, value] : json.items())
            keys.push_back(key);
        EXPECT_EQ(keys,
                  (std::vector<std::string>{"input", "frame", "logit", "probability", "success"}));
        EXPECT_EQ(json["input"], input);
        EXPECT_EQ(json["frame"], 0);
        const double p = json["probability"].get<double>();
        EXPECT_NEAR(p, 1.0 / (1.0 + std::exp(-json["logit"].get<double>())), 1e-6);
        EXPECT_EQ(json["success"].get<bool>(), p > 0.5);
    }
}

TEST_F(CliPredict, TextLinesNameFrameAndDecision) {
    make_testsrc_video(dir_ / "clip.mp4", 160, 120, 3);
    const ProcessResult r = run_rcls({"predict", "--checkpoint", path("run/checkpoints/last"),
                                      path("clip.mp4"), "--threshold", "0"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count_lines(r.out), 3) << r.out;
    EXPECT_NE(r.out.find(path("clip.mp4") + " frame 2: logit "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(", success\n"), std::string::npos) << r.out;  // every probability > 0
}

TEST_F(CliPredict, ScoresADatasetFrameByFrame) {
    {
        dataset::DatasetSpec spec = synthetic_spec_with_camera();
        dataset::WriterOptions options;
        video::EncoderSettings settings;
        settings.codec = video::Codec::kH264;
        options.video = settings;
        auto writer = dataset::DatasetWriter::create(dir_ / "ds", spec, options);
        for (std::int64_t e = 0; e < 2; ++e) {
            for (std::int64_t t = 0; t < synthetic_length(e); ++t) {
                dataset::Frame frame = synthetic_frame(e, t);
                frame.images[kSyntheticCamera] = synthetic_image(e, t);
                writer.add_frame(frame);
            }
            writer.save_episode();
        }
    }
    const ProcessResult r =
        run_rcls({"predict", "--checkpoint", path("run"), path("ds"), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(count_lines(r.out), synthetic_length(0) + synthetic_length(1));
    std::istringstream lines(r.out);
    std::string line;
    for (std::int64_t index = 0; std::getline(lines, line); ++index) {
        const auto json = nlohmann::ordered_json::parse(line);
        std::vector<std::string> keys;
        for (const auto& [key, value] : json.items())
            keys.push_back(key);
        EXPECT_EQ(keys, (std::vector<std::string>{"input", "frame", "episode_index", "frame_index",
                                                  "logit", "probability", "success"}));
        EXPECT_EQ(json["input"], path("ds"));
        EXPECT_EQ(json["frame"], index);  // the dataset's global index
        // The episode and the frame in it, as the dataset numbers them.
        const std::int64_t episode = index < synthetic_length(0) ? 0 : 1;
        EXPECT_EQ(json["episode_index"], episode);
        EXPECT_EQ(json["frame_index"], episode == 0 ? index : index - synthetic_length(0));
    }

    // The text lines name the episode too.
    const ProcessResult text = run_rcls({"predict", "--checkpoint", path("run"), path("ds")});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find(path("ds") + " frame " + std::to_string(synthetic_length(0)) +
                            " (episode 1 frame 0): logit "),
              std::string::npos)
        << text.out;
}

TEST_F(CliPredict, MissingCheckpointExits6) {
    const ProcessResult r =
        run_rcls({"predict", "--checkpoint", path("nothing"), path("small.png")});
    EXPECT_EQ(r.exit_code, 6);
    EXPECT_EQ(r.err, "rcls: error: " + path("nothing") + ": checkpoint not found\n");
}

TEST_F(CliPredict, CorruptWeightsExit6NamingTheFile) {
    const fs::path model = dir_ / "run/checkpoints/000010/pretrained_model/model.safetensors";
    fs::resize_file(model, fs::file_size(model) - 100);
    const ProcessResult r = run_rcls({"predict", "--checkpoint", path("run"), path("small.png")});
    EXPECT_EQ(r.exit_code, 6);
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("model.safetensors: the tensors cover"), std::string::npos) << r.err;
}

TEST_F(CliPredict, MissingInputExits5) {
    const ProcessResult r = run_rcls({"predict", "--checkpoint", path("run"), path("absent.png")});
    EXPECT_EQ(r.exit_code, 5);
    EXPECT_EQ(r.err, "rcls: error: " + path("absent.png") + ": no such file\n");
}

TEST_F(CliPredict, UnknownCameraIsAUsageError) {
    const ProcessResult r =
        run_rcls({"predict", "--checkpoint", path("run"), "--camera", "wrist", path("small.png")});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--camera wrist"), std::string::npos) << r.err;
}

TEST_F(CliPredict, BenchmarkPrintsLatencyJson) {
    const ProcessResult r = run_rcls({"predict", "--benchmark", "3", "--threads", "1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto json = nlohmann::json::parse(r.out);
    EXPECT_EQ(json["frames"], 3);
    EXPECT_EQ(json["input"], "640x480 BGR");
    EXPECT_GT(json["p50_ms"].get<double>(), 0.0);
    EXPECT_GE(json["p99_ms"].get<double>(), json["p50_ms"].get<double>());
    EXPECT_GT(json["eager_p50_ms"].get<double>(), 0.0);
}

TEST_F(CliPredict, ScoresARealCameraStill) {
    const fs::path stills = realdata_dir() / "so100_cube_sort_stills_LTS";
    if (realdata_dir().empty() || !fs::is_directory(stills))
        RCLS_PREREQUISITE_MISSING() << "no real data (../shared/realdata)";
    fs::path still;
    for (const auto& entry : fs::recursive_directory_iterator(stills)) {
        if (entry.path().extension() == ".png") {
            still = entry.path();
            break;
        }
    }
    ASSERT_FALSE(still.empty());
    const ProcessResult r =
        run_rcls({"predict", "--checkpoint", path("run"), still.string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count_lines(r.out), 1);
}

// A real SO-101 wrist camera (AV1, 640x480, LeRobot v2.1 without parquet files): one episode chosen
// with --episodes decodes and scores frame by frame; an episode whose video is missing is exit 5.
TEST_F(CliPredict, ScoresAnEpisodeOfARealWristCameraDataset) {
    const fs::path root = realdata_dir() / "so101_chess_wrist_lerobot_pr1138";
    if (realdata_dir().empty() || !fs::is_directory(root))
        RCLS_PREREQUISITE_MISSING() << "no real data (../shared/realdata)";
    const ProcessResult r = run_rcls(
        {"predict", "--checkpoint", path("run"), root.string(), "--episodes", "3", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(count_lines(r.out), 762);  // episode 3's length in meta/episodes.jsonl
    std::istringstream lines(r.out);
    std::string line;
    std::int64_t expected = 775 + 893 + 789;  // the global index where episode 3 starts
    for (std::int64_t t = 0; std::getline(lines, line); ++t) {
        const auto json = nlohmann::json::parse(line);
        ASSERT_EQ(json["frame"], expected++);
        ASSERT_EQ(json["episode_index"], 3);
        ASSERT_EQ(json["frame_index"], t);
        const double p = json["probability"].get<double>();
        ASSERT_TRUE(p > 0.0 && p < 1.0) << line;
    }

    const ProcessResult missing =
        run_rcls({"-q", "predict", "--checkpoint", path("run"), root.string(), "--episodes", "1"});
    EXPECT_EQ(missing.exit_code, 5);
    EXPECT_EQ(count_lines(missing.err), 1) << missing.err;
    EXPECT_NE(missing.err.find("episode 1: "), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace rcls::testing
