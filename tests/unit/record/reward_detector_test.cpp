// SPDX-License-Identifier: MIT
//
// The live reward classifier: the success rule on fixed probability sequences, its threshold and k
// from rcls_eval.json, and the detector on small untrained checkpoints (decisions arrive, equal
// the Predictor's, and submit() never waits for the model).
#include "rcls/record/reward_detector.hpp"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "rcls/core/error.hpp"
#include "rcls/eval/episodes.hpp"
#include "rcls/eval/eval.hpp"
#include "rcls/image/channel_order.hpp"
#include "rcls/image/pipeline.hpp"
#include "rcls/model/predictor.hpp"

#include "checkpoint_fixture.hpp"
#include "temp_dir.hpp"

namespace rcls::record {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::vector<bool> states(ConsecutiveSuccess& rule, const std::vector<double>& p) {
    std::vector<bool> out;
    for (const double x : p)
        out.push_back(rule.update(x));
    return out;
}

TEST(ConsecutiveSuccess, KOneFiresAtTheThresholdItself) {
    ConsecutiveSuccess rule(0.5, 1);
    EXPECT_EQ(states(rule, {0.4, 0.5, 0.6, 0.1}), (std::vector<bool>{false, true, true, false}));
    EXPECT_TRUE(rule.reached());  // latched after the fall
    EXPECT_EQ(rule.run(), 0);
}

TEST(ConsecutiveSuccess, KThreeNeedsThreeInARowAndARunBreaksOnALowFrame) {
    ConsecutiveSuccess rule(0.7, 3);
    EXPECT_EQ(states(rule, {0.9, 0.8, 0.69, 0.7, 0.95}),
              (std::vector<bool>{false, false, false, false, false}));
    EXPECT_FALSE(rule.reached());
    EXPECT_EQ(rule.run(), 2);
    EXPECT_EQ(states(rule, {0.99, 0.99, 0.2}), (std::vector<bool>{true, true, false}));
    EXPECT_TRUE(rule.reached());
}

TEST(ConsecutiveSuccess, ResetForgetsTheRunAndTheSuccess) {
    ConsecutiveSuccess rule(0.5, 2);
    EXPECT_EQ(states(rule, {0.9, 0.9}), (std::vector<bool>{false, true}));
    rule.reset();
    EXPECT_FALSE(rule.reached());
    EXPECT_EQ(rule.run(), 0);
    // The run before the reset does not carry over into the new episode.
    EXPECT_EQ(states(rule, {0.9, 0.1, 0.9, 0.9}), (std::vector<bool>{false, false, false, true}));
}

TEST(ConsecutiveSuccess, AgreesWithEvalsDetector) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    for (int trial = 0; trial < 200; ++trial) {
        std::vector<double> p(50);
        for (double& x : p)
            x = uniform(rng) < 0.3 ? 0.2 : uniform(rng);  // runs of all lengths
        const double threshold = std::round(uniform(rng) * 20) / 20;
        const int k = 1 + trial % 5;
        ConsecutiveSuccess rule(threshold, k);
        ASSERT_EQ(states(rule, p), eval::detector_states(p, threshold, k))
            << "threshold " << threshold << " k " << k;
    }
}

TEST(ConsecutiveSuccess, RefusesBadValuesNamingTheField) {
    for (const double bad : {-0.1, 1.5, std::nan("")}) {
        try {
            ConsecutiveSuccess rule(bad, 1);
            ADD_FAILURE() << bad << " accepted";
        } catch (const ConfigError& e) {
            EXPECT_NE(std::string(e.what()).find(kThresholdField), std::string::npos) << e.what();
        }
    }
    try {
        ConsecutiveSuccess rule(0.5, 0);
        ADD_FAILURE() << "k 0 accepted";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(kKField), std::string::npos) << e.what();
    }
    EXPECT_NO_THROW(ConsecutiveSuccess(0.0, 1));
    EXPECT_NO_THROW(ConsecutiveSuccess(1.0, 100));
}

TEST(ReadRecommendation, RoundTripsWhatEvalSaves) {
    testing::TempDir dir;
    EXPECT_FALSE(eval::read_recommendation(dir.path()));
    eval::EvalResult result;
    result.checkpoint = dir.path();
    result.status = eval::TrainingStatus::kHeldOut;
    result.recommendation.found = true;
    result.recommendation.point.threshold = 0.65;
    result.recommendation.point.k = 3;
    ASSERT_EQ(eval::save_recommendation(result), "");
    const auto saved = eval::read_recommendation(dir.path());
    ASSERT_TRUE(saved);
    EXPECT_DOUBLE_EQ(saved->threshold, 0.65);
    EXPECT_EQ(saved->k, 3);
}

TEST(ReadRecommendation, MalformedFilesAreModelErrorsNamingTheField) {
    testing::TempDir dir;
    const auto expect_error = [&](const std::string& text, const std::string& field) {
        testing::write_text(dir / eval::kEvalFile, text);
        try {
            eval::read_recommendation(dir.path());
            ADD_FAILURE() << text << " accepted";
        } catch (const ModelError& e) {
            EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(eval::kEvalFile), std::string::npos) << e.what();
        }
    };
    expect_error("not json", "not a JSON object");
    expect_error(R"({"k": 2})", "/threshold");
    expect_error(R"({"threshold": 0.5})", "/k");
    expect_error(R"({"threshold": 1.2, "k": 2})", "/threshold");
    expect_error(R"({"threshold": "high", "k": 2})", "/threshold");
    expect_error(R"({"threshold": 0.5, "k": 0})", "/k");
    expect_error(R"({"threshold": 0.5, "k": 1.5})", "/k");
}

cv::Mat random_image(int width, int height, int seed) {
    cv::Mat image(height, width, CV_8UC3);
    cv::RNG rng(static_cast<std::uint64_t>(seed));
    rng.fill(image, cv::RNG::UNIFORM, 0, 256);
    return image;
}

/// Polls until `count` decisions came (or 30 s).
std::vector<RewardDecision> wait_for(RewardDetector& detector, std::size_t count) {
    std::vector<RewardDecision> all;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (all.size() < count && std::chrono::steady_clock::now() < deadline) {
        const auto more = detector.poll();
        all.insert(all.end(), more.begin(), more.end());
        if (all.size() < count) std::this_thread::sleep_for(2ms);
    }
    return all;
}

class RewardDetectorTest : public ::testing::Test {
protected:
    void SetUp() override {
        testing::write_random_checkpoint(dir_ / "ck", testing::classifier_config({"front"}), 3);
    }
    fs::path checkpoint() const { return dir_ / "ck"; }
    testing::TempDir dir_;
};

TEST_F(RewardDetectorTest, DecisionsArriveAndEqualThePredictors) {
    RewardDetector detector(checkpoint(), std::nullopt, std::nullopt, 1);
    EXPECT_EQ(detector.cameras(), std::vector<std::string>{"observation.images.front"});
    EXPECT_DOUBLE_EQ(detector.threshold(), 0.5);
    EXPECT_EQ(detector.k(), 1);
    EXPECT_EQ(detector.threshold_source(), "default");
    EXPECT_EQ(detector.k_source(), "default");

    // A camera frame (cropped and resized on the worker) and a model-sized one, both RGB.
    const cv::Mat camera = random_image(640, 480, 1);
    const cv::Mat small = random_image(128, 128, 2);
    detector.submit(10, {camera});
    const auto first = wait_for(detector, 1);
    detector.submit(11, {small});
    const auto second = wait_for(detector, 1);
    ASSERT_EQ(first.size(), 1u);
    ASSERT_EQ(second.size(), 1u);
    EXPECT_EQ(first[0].frame, 10);
    EXPECT_EQ(second[0].frame, 11);

    model::Predictor predictor(checkpoint(), {.num_threads = 1});
    image::Pipeline pipeline;
    pipeline.size = cv::Size(128, 128);
    image::PreparedPipeline prepared(pipeline, camera.size());
    cv::Mat resized;
    prepared.apply(camera, resized);
    const auto bgr = [](const cv::Mat& rgb) {
        return image::convert_channel_order(rgb, image::ChannelOrder::kRgb,
                                            image::ChannelOrder::kBgr);
    };
    const cv::Mat a[] = {bgr(resized)};
    const cv::Mat b[] = {bgr(small)};
    EXPECT_DOUBLE_EQ(first[0].probability, predictor.predict(a).probability);
    EXPECT_DOUBLE_EQ(second[0].probability, predictor.predict(b).probability);
    EXPECT_EQ(first[0].success, first[0].probability >= 0.5);
    EXPECT_EQ(detector.scored(), 2);
    EXPECT_EQ(detector.dropped(), 0);
    EXPECT_TRUE(detector.poll().empty());
}

TEST_F(RewardDetectorTest, ReusedBuffersHoldEachFramesOwnPixels) {
    RewardDetector detector(checkpoint(), std::nullopt, std::nullopt, 1);
    model::Predictor predictor(checkpoint(), {.num_threads = 1});
    image::Pipeline pipeline;
    pipeline.size = cv::Size(128, 128);
    image::PreparedPipeline prepared(pipeline, cv::Size(640, 480));
    cv::Mat camera = random_image(640, 480, 0);
    for (int f = 0; f < 4; ++f) {
        random_image(640, 480, 20 + f).copyTo(camera);  // the caller's one buffer, refilled
        detector.submit(f, {camera});
        const cv::Mat submitted = camera.clone();
        random_image(640, 480, 99).copyTo(camera);  // overwritten at once: submit() copied it
        cv::Mat resized;
        prepared.apply(submitted, resized);
        const cv::Mat bgr[] = {image::convert_channel_order(resized, image::ChannelOrder::kRgb,
                                                            image::ChannelOrder::kBgr)};
        const double expected = predictor.predict(bgr).probability;
        const auto d = wait_for(detector, 1);
        ASSERT_EQ(d.size(), 1u);
        EXPECT_EQ(d[0].frame, f);
        EXPECT_DOUBLE_EQ(d[0].probability, expected) << f;
    }
}

TEST_F(RewardDetectorTest, KConsecutiveFramesAndResetPerEpisode) {
    // Threshold 0: every frame counts as high, so success comes exactly at the k-th frame.
    RewardDetector detector(checkpoint(), 0.0, 3, 1);
    EXPECT_EQ(detector.threshold_source(), "config");
    std::vector<bool> fired;
    for (int f = 0; f < 4; ++f) {
        detector.submit(f, {random_image(128, 128, f)});
        const auto d = wait_for(detector, 1);
        ASSERT_EQ(d.size(), 1u);
        fired.push_back(d[0].success);
        EXPECT_EQ(detector.success(), f >= 2) << f;
    }
    EXPECT_EQ(fired, (std::vector<bool>{false, false, true, true}));
    detector.reset_episode();
    EXPECT_FALSE(detector.success());
    detector.submit(100, {random_image(128, 128, 9)});
    const auto d = wait_for(detector, 1);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].frame, 100);
    EXPECT_FALSE(d[0].success);  // the run starts again
    EXPECT_FALSE(detector.success());

    // Threshold 1: an untrained model never reaches p = 1.
    RewardDetector never(checkpoint(), 1.0, 1, 1);
    for (int f = 0; f < 3; ++f)
        never.submit(f, {random_image(128, 128, f)});
    std::this_thread::sleep_for(100ms);
    for (const auto& decision : wait_for(never, 1))
        EXPECT_FALSE(decision.success);
    EXPECT_FALSE(never.success());
}

TEST_F(RewardDetectorTest, ResetDiscardsTheLastEpisodesFrames) {
    RewardDetector detector(checkpoint(), std::nullopt, std::nullopt, 1);
    for (int f = 0; f < 5; ++f)
        detector.submit(f, {random_image(640, 480, f)});
    detector.reset_episode();
    detector.submit(1000, {random_image(640, 480, 7)});
    const auto d = wait_for(detector, 1);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].frame, 1000);
    std::this_thread::sleep_for(200ms);
    EXPECT_TRUE(detector.poll().empty());
}

TEST_F(RewardDetectorTest, DefaultsComeFromRclsEvalJson) {
    testing::write_text(checkpoint() / eval::kEvalFile, R"({"threshold": 0.35, "k": 4})");
    {
        RewardDetector detector(checkpoint(), std::nullopt, std::nullopt, 1);
        EXPECT_DOUBLE_EQ(detector.threshold(), 0.35);
        EXPECT_EQ(detector.k(), 4);
        EXPECT_EQ(detector.threshold_source(), eval::kEvalFile);
        EXPECT_EQ(detector.k_source(), eval::kEvalFile);
    }
    {
        RewardDetector detector(checkpoint(), 0.8, std::nullopt, 1);  // the config wins
        EXPECT_DOUBLE_EQ(detector.threshold(), 0.8);
        EXPECT_EQ(detector.k(), 4);
        EXPECT_EQ(detector.threshold_source(), "config");
    }
    testing::write_text(checkpoint() / eval::kEvalFile, R"({"threshold": 0.35, "k": -1})");
    EXPECT_THROW(RewardDetector(checkpoint(), std::nullopt, std::nullopt, 1), ModelError);
}

TEST_F(RewardDetectorTest, BadValuesAreConfigErrorsNamingTheField) {
    try {
        RewardDetector detector(checkpoint(), 2.0, std::nullopt, 1);
        ADD_FAILURE() << "threshold 2 accepted";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(kThresholdField), std::string::npos) << e.what();
    }
    try {
        RewardDetector detector(checkpoint(), std::nullopt, 0, 1);
        ADD_FAILURE() << "k 0 accepted";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(kKField), std::string::npos) << e.what();
    }
    EXPECT_THROW(RewardDetector(dir_ / "missing", std::nullopt, std::nullopt, 1), ModelError);
}

TEST_F(RewardDetectorTest, WrongImagesAreDataErrors) {
    RewardDetector detector(checkpoint(), std::nullopt, std::nullopt, 1);
    EXPECT_THROW(detector.submit(0, {}), DataError);
    const cv::Mat image = random_image(128, 128, 1);
    EXPECT_THROW(detector.submit(0, {image, image}), DataError);
    EXPECT_THROW(detector.submit(0, {cv::Mat(128, 128, CV_8UC1, cv::Scalar(0))}), DataError);
    // Nothing reached the worker.
    std::this_thread::sleep_for(50ms);
    EXPECT_TRUE(detector.poll().empty());
    EXPECT_EQ(detector.scored(), 0);
}

TEST_F(RewardDetectorTest, SubmitNeverWaitsForTheModel) {
    // A two-camera model on full-HD frames: each scoring takes many milliseconds.
    testing::write_random_checkpoint(dir_ / "ck2", testing::classifier_config({"front", "wrist"}),
                                     5);
    RewardDetector detector(dir_ / "ck2", std::nullopt, std::nullopt, 1);
    const std::vector<cv::Mat> frames{random_image(1920, 1080, 1), random_image(1920, 1080, 2)};
    // How long one scoring takes.
    auto start = std::chrono::steady_clock::now();
    detector.submit(0, frames);
    ASSERT_EQ(wait_for(detector, 1).size(), 1u);
    const double scoring_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

    // Frames at 200 Hz while the worker is busy: every submit returns at once.
    constexpr int kFrames = 40;
    std::vector<double> submit_ms;
    for (int f = 1; f <= kFrames; ++f) {
        start = std::chrono::steady_clock::now();
        detector.submit(f, frames);
        submit_ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count());
        std::this_thread::sleep_for(5ms);
    }
    std::sort(submit_ms.begin(), submit_ms.end());
    const double median = submit_ms[submit_ms.size() / 2];
    EXPECT_LT(median, scoring_ms / 4) << "scoring " << scoring_ms << " ms";
    EXPECT_LT(median, 10.0);
    // Every frame was either scored or replaced by a newer one.
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (detector.scored() + detector.dropped() < kFrames + 1 &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(detector.scored() + detector.dropped(), kFrames + 1);
    EXPECT_GT(detector.dropped(), 0) << "scoring " << scoring_ms << " ms";
    std::vector<RewardDecision> decisions = wait_for(detector, 1);
    ASSERT_FALSE(decisions.empty());
    // The worker keeps going: a later frame is scored.
    detector.submit(kFrames + 1, frames);
    const auto last = wait_for(detector, 1);
    ASSERT_EQ(last.size(), 1u);
    EXPECT_EQ(last[0].frame, kFrames + 1);
    EXPECT_TRUE(std::is_sorted(
        decisions.begin(), decisions.end(),
        [](const RewardDecision& a, const RewardDecision& b) { return a.frame < b.frame; }));
}

}  // namespace
}  // namespace rcls::record
