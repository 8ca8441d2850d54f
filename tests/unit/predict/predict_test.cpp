// SPDX-License-Identifier: MIT
//
// The `rcls predict` workflow: inputs of every kind reach the model through the right
// preprocessing, frame by frame, and bad inputs are errors naming them.
#include "rcls/predict/predict.hpp"

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "rcls/core/error.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/dataset/dataset.hpp"
#include "rcls/dataset/frame_reader.hpp"
#include "rcls/image/pipeline.hpp"

#include "checkpoint_fixture.hpp"
#include "dataset_fixtures.hpp"
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

std::string read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

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
              }).find("notes.txt: not an image, a video (by its extension) or a dataset"),
              std::string::npos);
    testing::write_text(dir_ / "broken.png", "not a png");
    EXPECT_NE(testing::error_message<DataError>([&] {
                  run({dir_ / "broken.png"});
              }).find("broken.png: not an image rcls reads"),
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

/// A v3.0 dataset of synthetic episodes 0..2 with 64x64 cameras `keys` (H.264, for speed), each
/// episode in its own video file.
fs::path write_dataset(const fs::path& root, const std::vector<std::string>& keys) {
    dataset::DatasetSpec spec = testing::synthetic_spec();
    spec.video_files_size_in_mb = 1e-6;  // every episode rolls over to a new file
    for (const std::string& key : keys) {
        spec.features.push_back(
            dataset::make_feature(key, "video", {3, 64, 64}, {"channels", "height", "width"}));
    }
    dataset::WriterOptions options;
    video::EncoderSettings settings;
    settings.codec = video::Codec::kH264;
    options.video = settings;
    dataset::DatasetWriter writer = dataset::DatasetWriter::create(root, spec, options);
    for (std::int64_t e = 0; e < 3; ++e) {
        for (std::int64_t t = 0; t < testing::synthetic_length(e); ++t) {
            dataset::Frame frame = testing::synthetic_frame(e, t);
            for (std::size_t k = 0; k < keys.size(); ++k) {
                frame.images[keys[k]] =
                    testing::synthetic_image(e, t + static_cast<std::int64_t>(k) * 3);
            }
            writer.add_frame(frame);
        }
        writer.save_episode();
    }
    return root;
}

TEST_F(PredictTest, ScoresEveryFrameOfADatasetByGlobalIndex) {
    const fs::path root = write_dataset(dir_ / "ds", {"observation.images.front"});
    const std::vector<FrameResult> results = run({root});
    const std::int64_t total =
        testing::synthetic_length(0) + testing::synthetic_length(1) + testing::synthetic_length(2);
    ASSERT_EQ(static_cast<std::int64_t>(results.size()), total);
    for (std::int64_t i = 0; i < total; ++i)
        EXPECT_EQ(results[static_cast<std::size_t>(i)].frame, i);
    // Frame 2 of episode 1 is what the model says about that decoded frame, brought to 128x128.
    const dataset::Dataset data = dataset::Dataset::open(root);
    dataset::FrameReader reader(data, image::ChannelOrder::kBgr);
    const cv::Mat decoded = reader.frame(1, "observation.images.front", 2);
    cv::Mat input;
    image::PreparedPipeline(image::Pipeline{}, decoded.size()).apply(decoded, input);
    const auto index = static_cast<std::size_t>(testing::synthetic_length(0) + 2);
    EXPECT_EQ(results[index].prediction.logit, direct(input).logit);
}

TEST_F(PredictTest, DatasetCamerasAreMatchedByKeyOrChosen) {
    const fs::path root =
        write_dataset(dir_ / "ds", {"observation.images.wrist", "observation.images.top"});
    // The checkpoint's camera is "front": the dataset has two others, so one must be named.
    EXPECT_NE(
        testing::error_message<UsageError>([&] { run({root}); }).find("name one with --camera"),
        std::string::npos);
    const std::vector<FrameResult> top = run({root}, "top");
    const std::vector<FrameResult> wrist = run({root}, "observation.images.wrist");
    ASSERT_EQ(top.size(), wrist.size());
    EXPECT_NE(top[0].prediction.logit, wrist[0].prediction.logit);
    // A two-camera checkpoint takes both cameras of each frame at once.
    testing::write_random_checkpoint(dir_ / "two", testing::classifier_config({"wrist", "top"}), 4);
    PredictOptions options;
    options.checkpoint = dir_ / "two";
    options.inputs = {root};
    std::size_t frames = 0;
    run_predict(options, [&](const FrameResult&) { ++frames; });
    EXPECT_EQ(frames, top.size());
    testing::write_random_checkpoint(dir_ / "other", testing::classifier_config({"wrist", "side"}),
                                     4);
    options.checkpoint = dir_ / "other";
    EXPECT_NE(testing::error_message<UsageError>([&] {
                  run_predict(options, [](const FrameResult&) {});
              }).find("no camera observation.images.side"),
              std::string::npos);
}

TEST_F(PredictTest, EpisodesWithoutVideoAreSkipped) {
    const fs::path root = write_dataset(dir_ / "ds", {"observation.images.front"});
    const dataset::Dataset data = dataset::Dataset::open(root);
    const fs::path video = data.meta().find_video_file(data.episode(1), "observation.images.front");
    ASSERT_NE(video, data.meta().find_video_file(data.episode(0), "observation.images.front"));
    fs::remove(video);  // a hole, as real recordings have
    const std::vector<FrameResult> results = run({root});
    const std::int64_t first = testing::synthetic_length(0);
    ASSERT_EQ(static_cast<std::int64_t>(results.size()), first + testing::synthetic_length(2));
    EXPECT_EQ(results[static_cast<std::size_t>(first)].frame, first + testing::synthetic_length(1));
}

TEST_F(PredictTest, EpisodesSelectWhatIsScored) {
    const fs::path root = write_dataset(dir_ / "ds", {"observation.images.front"});
    PredictOptions options;
    options.checkpoint = dir_ / "ck";
    options.inputs = {root};
    options.episodes = {2, 0};  // scored in the dataset's order
    std::vector<FrameResult> results;
    run_predict(options, [&](const FrameResult& r) { results.push_back(r); });
    const std::int64_t first = testing::synthetic_length(0);
    const std::int64_t third = testing::synthetic_length(2);
    ASSERT_EQ(static_cast<std::int64_t>(results.size()), first + third);
    EXPECT_EQ(results.front().frame, 0);
    EXPECT_EQ(results[static_cast<std::size_t>(first)].frame, first + testing::synthetic_length(1));
    // The same frames score the same whether or not the others were scored.
    const std::vector<FrameResult> all = run({root});
    EXPECT_EQ(results.back().prediction.logit, all.back().prediction.logit);

    options.episodes = {7};
    EXPECT_NE(testing::error_message<UsageError>([&] {
                  run_predict(options, [](const FrameResult&) {});
              }).find("--episodes 7: " + root.string() + " has 3 episodes (0 to 2)"),
              std::string::npos);

    // An episode asked for by name whose video is missing is an error, not a skip.
    const dataset::Dataset data = dataset::Dataset::open(root);
    fs::remove(data.meta().find_video_file(data.episode(1), "observation.images.front"));
    options.episodes = {1};
    EXPECT_NE(testing::error_message<DataError>([&] {
                  run_predict(options, [](const FrameResult&) {});
              }).find(": episode 1: "),
              std::string::npos);
    options.episodes = {0};
    std::size_t frames = 0;
    run_predict(options, [&](const FrameResult&) { ++frames; });
    EXPECT_EQ(static_cast<std::int64_t>(frames), first);
}

/// Every frame of `options`, in the order run_predict hands them out.
std::vector<FrameResult> collect(const PredictOptions& options) {
    std::vector<FrameResult> out;
    run_predict(options, [&](const FrameResult& r) { out.push_back(r); });
    return out;
}

TEST_F(PredictTest, DecodingAheadGivesTheSequentialResultsBitForBit) {
    const fs::path root = write_dataset(dir_ / "ds", {"observation.images.front"});
    PredictOptions options;
    options.checkpoint = dir_ / "ck";
    options.inputs = {root};
    options.prefetch = 0;  // decode and score in turn on this thread
    const std::vector<FrameResult> sequential = collect(options);
    ASSERT_FALSE(sequential.empty());
    // Several scoring threads, each with its own copy of the model and one libtorch thread,
    // hand their results back in order, bit for bit the sequential ones.
    for (const int prefetch : {1, 3, 16}) {
        for (const int scorers : {1, 2, 3}) {
            options.prefetch = prefetch;
            options.scorers = scorers;
            const std::vector<FrameResult> ahead = collect(options);
            const std::string where =
                "prefetch " + std::to_string(prefetch) + ", scorers " + std::to_string(scorers);
            ASSERT_EQ(ahead.size(), sequential.size()) << where;
            for (std::size_t i = 0; i < ahead.size(); ++i) {
                EXPECT_EQ(ahead[i].frame, sequential[i].frame) << where;
                EXPECT_EQ(ahead[i].input, sequential[i].input);
                // Bitwise: the same pixels reach the same model.
                EXPECT_EQ(std::memcmp(&ahead[i].prediction.probability,
                                      &sequential[i].prediction.probability, sizeof(double)),
                          0)
                    << "frame " << i << ", " << where;
                EXPECT_EQ(ahead[i].prediction.logit, sequential[i].prediction.logit) << where;
            }
        }
    }
    options.scorers = 0;
    // Frame threads in the decoder change nothing either.
    options.decoder_threads = 0;
    const std::vector<FrameResult> threaded = collect(options);
    ASSERT_EQ(threaded.size(), sequential.size());
    EXPECT_EQ(threaded.back().prediction.logit, sequential.back().prediction.logit);
}

TEST_F(PredictTest, DecodingErrorsReachTheCallerAfterTheFramesBeforeThem) {
    const fs::path root = write_dataset(dir_ / "ds", {"observation.images.front"});
    const dataset::Dataset data = dataset::Dataset::open(root);
    const fs::path video = data.meta().find_video_file(data.episode(1), "observation.images.front");
    // A damaged file of the same size: its contents past the header are garbage.
    std::string bytes = read_bytes(video);
    for (std::size_t i = 48; i < bytes.size(); ++i) {
        bytes[i] = static_cast<char>((i * 131) & 0xff);
    }
    write_bytes(video, bytes);
    for (const int prefetch : {0, 4}) {
        PredictOptions options;
        options.checkpoint = dir_ / "ck";
        options.inputs = {root};
        options.episodes = {0, 1, 2};  // asked for by name: an error, not a skip
        options.prefetch = prefetch;
        options.scorers = 3;  // with prefetch: three model copies score side by side
        std::vector<std::int64_t> scored;
        const std::string message = testing::error_message<DataError>([&] {
            run_predict(options, [&](const FrameResult& r) { scored.push_back(r.frame); });
        });
        EXPECT_NE(message.find(video.filename().string()), std::string::npos) << message;
        EXPECT_NE(message.find("episode 1"), std::string::npos) << message;
        EXPECT_NE(message.find(", frame "), std::string::npos) << message;
        // Episode 0 was scored whole and in order before the error.
        ASSERT_GE(static_cast<std::int64_t>(scored.size()), testing::synthetic_length(0));
        for (std::size_t i = 0; i < scored.size(); ++i) {
            EXPECT_EQ(scored[i], static_cast<std::int64_t>(i));
        }
    }
}

TEST_F(PredictTest, CtrlCStopsTheDecodingThreadAndTheModel) {
    const fs::path root = write_dataset(dir_ / "ds", {"observation.images.front"});
    PredictOptions options;
    options.checkpoint = dir_ / "ck";
    options.inputs = {root};
    options.prefetch = 4;
    options.scorers = 2;
    std::size_t scored = 0;
    EXPECT_THROW(run_predict(options,
                             [&](const FrameResult&) {
                                 if (++scored == 3) request_interrupt();
                             }),
                 InterruptedError);
    reset_interrupt();
    EXPECT_EQ(scored, 3u);  // nothing is scored after Ctrl-C
    // An error in the consumer stops the producer too (no hang, no leak): the call returns.
    EXPECT_THROW(run_predict(options, [&](const FrameResult&) { throw DataError("stop here"); }),
                 DataError);
    // And the next run is whole.
    EXPECT_EQ(
        static_cast<std::int64_t>(collect(options).size()),
        testing::synthetic_length(0) + testing::synthetic_length(1) + testing::synthetic_length(2));
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
