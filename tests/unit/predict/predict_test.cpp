// SPDX-License-Identifier: MIT
//
// The `rcls predict` workflow: inputs of every kind reach the model through the right
// preprocessing, frame by frame, and bad inputs are errors naming them.
#include "rcls/predict/predict.hpp"

#include <cmath>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "rcls/core/error.hpp"
#include "rcls/image/pipeline.hpp"

#include "checkpoint_fixture.hpp"
#include "error_message.hpp"
#include "media.hpp"
#include "temp_dir.hpp"

namespace rcls::predict {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

class PredictTest : public ::testing::Test {
protected:
    void SetUp() override {
        testing::write_random_checkpoint(dir_ / "ck", testing::classifier_config({"front"}), 3);
    }

    std::vector<FrameResult> run(const std::vector<fs::path>& inputs,
                                 std::optional<std::string> camera = {}) {
        PredictOptions options;
        options.checkpoint = dir_ / "ck";
        options.inputs = inputs;
        options.camera = std::move(camera);
        std::vector<FrameResult> out;
        run_predict(options, [&](const FrameResult& r) { out.push_back(r); });
        return out;
    }

    /// What the model says about one already-128x128 BGR frame, asked directly.
    model::Prediction direct(const cv::Mat& frame) {
        model::Predictor predictor(dir_ / "ck");
        const cv::Mat frames[] = {frame};
        return predictor.predict(frames);
    }

    TempDir dir_;
};

cv::Mat random_image(int width, int height, int seed) {
    cv::Mat image(height, width, CV_8UC3);
    cv::RNG rng(static_cast<std::uint64_t>(seed));
    rng.fill(image, cv::RNG::UNIFORM, 0, 256);
    return image;
}

TEST_F(PredictTest, ScoresAModelSizedImageAsItIs) {
    const cv::Mat image = random_image(128, 128, 1);
    cv::imwrite((dir_ / "a.png").string(), image);
    const std::vector<FrameResult> results = run({dir_ / "a.png"});
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].input, (dir_ / "a.png").string());
    EXPECT_EQ(results[0].frame, 0);
    const model::Prediction expected = direct(image);
    EXPECT_EQ(results[0].prediction.logit, expected.logit);
    EXPECT_NEAR(results[0].prediction.probability, 1.0 / (1.0 + std::exp(-expected.logit)), 1e-6);
    EXPECT_EQ(results[0].prediction.success, results[0].prediction.probability > 0.5);
}

TEST_F(PredictTest, CropsAndResizesACameraFrameFirst) {
    const cv::Mat camera = random_image(640, 480, 2);
    cv::imwrite((dir_ / "camera.png").string(), camera);
    // The reference workflow's step: the centre 480x480 square, Lanczos to 128x128.
    cv::Mat expected_input;
    image::PreparedPipeline(image::Pipeline{}, camera.size()).apply(camera, expected_input);
    ASSERT_EQ(expected_input.size(), cv::Size(128, 128));
    const std::vector<FrameResult> results = run({dir_ / "camera.png"});
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].prediction.logit, direct(expected_input).logit);
    // Not the same as scaling the whole frame: the crop matters.
    cv::Mat squeezed;
    image::Pipeline no_crop;
    no_crop.crop.reset();
    image::PreparedPipeline(no_crop, camera.size()).apply(camera, squeezed);
    EXPECT_NE(results[0].prediction.logit, direct(squeezed).logit);
}

TEST_F(PredictTest, ScoresEveryFrameOfAVideo) {
    testing::make_testsrc_video(dir_ / "clip.mp4", 160, 120, 7);
    const std::vector<FrameResult> results = run({dir_ / "clip.mp4"});
    ASSERT_EQ(results.size(), 7u);
    for (std::size_t i = 0; i < results.size(); ++i) {
        EXPECT_EQ(results[i].frame, static_cast<std::int64_t>(i));
        EXPECT_TRUE(std::isfinite(results[i].prediction.logit));
    }
    EXPECT_NE(results[0].prediction.logit, results[6].prediction.logit);  // testsrc2 moves
}

TEST_F(PredictTest, InputsKeepTheirOrder) {
    cv::imwrite((dir_ / "b.png").string(), random_image(128, 128, 4));
    cv::imwrite((dir_ / "a.jpg").string(), random_image(200, 100, 5));
    const std::vector<FrameResult> results = run({dir_ / "b.png", dir_ / "a.jpg"});
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].input, (dir_ / "b.png").string());
    EXPECT_EQ(results[1].input, (dir_ / "a.jpg").string());
}

TEST_F(PredictTest, BadInputsAreDataErrorsNamingThem) {
    EXPECT_NE(testing::error_message<DataError>([&] {
                  run({dir_ / "missing.png"});
              }).find("missing.png: no such file"),
              std::string::npos);
    testing::write_text(dir_ / "notes.txt", "hello");
    EXPECT_NE(testing::error_message<DataError>([&] {
                  run({dir_ / "notes.txt"});
              }).find("notes.txt: not an image or a video"),
              std::string::npos);
    testing::write_text(dir_ / "broken.png", "not a png");
    EXPECT_NE(testing::error_message<DataError>([&] {
                  run({dir_ / "broken.png"});
              }).find("broken.png: cannot decode"),
              std::string::npos);
}

TEST_F(PredictTest, CameraMustBeOneOfTheCheckpoints) {
    const cv::Mat image = random_image(128, 128, 6);
    cv::imwrite((dir_ / "a.png").string(), image);
    EXPECT_EQ(run({dir_ / "a.png"}, "front").size(), 1u);
    EXPECT_EQ(run({dir_ / "a.png"}, "observation.images.front").size(), 1u);
    EXPECT_NE(testing::error_message<UsageError>([&] {
                  run({dir_ / "a.png"}, "wrist");
              }).find("--camera wrist: the checkpoint's cameras are observation.images.front"),
              std::string::npos);
}

TEST_F(PredictTest, TwoCameraCheckpointCannotScoreSingleImages) {
    testing::write_random_checkpoint(dir_ / "two", testing::classifier_config({"front", "side"}),
                                     4);
    cv::imwrite((dir_ / "a.png").string(), random_image(128, 128, 7));
    PredictOptions options;
    options.checkpoint = dir_ / "two";
    options.inputs = {dir_ / "a.png"};
    EXPECT_NE(testing::error_message<UsageError>([&] {
                  run_predict(options, [](const FrameResult&) {});
              }).find("takes 2 cameras at once"),
              std::string::npos);
}

TEST_F(PredictTest, ThresholdDecides) {
    cv::imwrite((dir_ / "a.png").string(), random_image(128, 128, 8));
    const double p = run({dir_ / "a.png"})[0].prediction.probability;
    for (const double threshold : {p - 1e-6, p + 1e-6}) {
        PredictOptions options;
        options.checkpoint = dir_ / "ck";
        options.inputs = {dir_ / "a.png"};
        options.threshold = threshold;
        run_predict(options,
                    [&](const FrameResult& r) { EXPECT_EQ(r.prediction.success, threshold < p); });
    }
}

TEST(PredictBenchmark, ReportsBothPaths) {
    const BenchmarkReport report =
        run_benchmark({.frames = 4, .checkpoint = std::nullopt, .num_threads = 1});
    EXPECT_EQ(report.frames, 4);
    EXPECT_EQ(report.threads, 1);
    EXPECT_GT(report.optimized.p50_ms, 0.0);
    EXPECT_GE(report.optimized.p99_ms, report.optimized.p50_ms);
    EXPECT_GT(report.eager.p50_ms, 0.0);
    const std::string json = to_json(report);
    for (const char* key : {"\"p50_ms\":", "\"p99_ms\":", "\"eager_p50_ms\":", "\"speedup_p50\":",
                            "\"input\":\"640x480 BGR\""}) {
        EXPECT_NE(json.find(key), std::string::npos) << key << " in " << json;
    }
}

}  // namespace
}  // namespace rcls::predict
