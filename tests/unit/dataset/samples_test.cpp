// SPDX-License-Identifier: MIT
#include "rcls/dataset/samples.hpp"

#include <csignal>
#include <filesystem>
#include <random>
#include <unistd.h>

#include <gtest/gtest.h>

#include "rcls/core/error.hpp"
#include "rcls/dataset/writer.hpp"

#include "dataset_fixtures.hpp"
#include "temp_dir.hpp"
#include <sys/resource.h>
#include <sys/wait.h>

namespace rcls::dataset {
namespace {
namespace fs = std::filesystem;
using testing::synthetic_length;

/// A dataset of 3 episodes whose camera images went through add_frame (a queue of 2 images, so
/// that add_frame does wait for the encoder thread at times).
class SamplesTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new testing::TempDir;
        WriterOptions options;
        options.encode_queue_frames = 2;
        video::EncoderSettings settings = video::lerobot_encoder_settings();
        settings.crf = 20;
        options.video = settings;
        DatasetWriter writer =
            DatasetWriter::create(root(), testing::synthetic_spec_with_camera(), options);
        for (std::int64_t e = 0; e < 3; ++e) {
            for (std::int64_t t = 0; t < synthetic_length(e); ++t) {
                Frame frame = testing::synthetic_frame(e, t);
                cv::Mat image = testing::synthetic_image(e, t);
                frame.images[testing::kSyntheticCamera] = image;
                writer.add_frame(frame);
                image.setTo(cv::Scalar(0, 0, 0));  // the writer must have kept its own copy
            }
            writer.save_episode();
        }
    }
    static void TearDownTestSuite() { delete dir_; }
    static fs::path root() { return dir_->path() / "d"; }
    static testing::TempDir* dir_;
};
testing::TempDir* SamplesTest::dir_ = nullptr;

std::int64_t first_index(std::int64_t e) {
    std::int64_t n = 0;
    for (std::int64_t k = 0; k < e; ++k)
        n += synthetic_length(k);
    return n;
}

void make_samples(const Dataset& d, const SampleOptions& options) {
    Samples samples(d, options);
}

void expect_sample(const Sample& s, std::int64_t e, std::int64_t t, bool image) {
    EXPECT_EQ(s.episode_index, e);
    EXPECT_EQ(s.frame_index, t);
    EXPECT_EQ(s.index, first_index(e) + t);
    EXPECT_NEAR(s.timestamp, static_cast<double>(t) / 10.0, 1e-6);
    ASSERT_EQ(s.state.size(), 6u);
    for (int j = 0; j < 6; ++j) {
        EXPECT_EQ(s.state[static_cast<std::size_t>(j)], testing::synthetic_joint(e, t, j, false));
    }
    ASSERT_TRUE(s.label.has_value());
    EXPECT_EQ(*s.label, testing::synthetic_success(e, t) ? 1.0f : 0.0f);
    if (image) {
        ASSERT_FALSE(s.image.empty());
        EXPECT_LT(testing::mean_abs_diff(s.image, testing::synthetic_image(e, t)), 6.0)
            << "episode " << e << " frame " << t;
    } else {
        EXPECT_TRUE(s.image.empty());
    }
}

TEST_F(SamplesTest, IteratesChosenEpisodesInOrderWithFramesStatesAndLabels) {
    if (!fs::exists("/usr/bin/ffmpeg")) GTEST_SKIP() << "ffmpeg not installed";
    const Dataset d = Dataset::open(root());
    SampleOptions options;
    options.episodes = {2, 0};
    Samples samples(d, options);
    EXPECT_EQ(samples.size(), synthetic_length(2) + synthetic_length(0));
    EXPECT_TRUE(samples.has_labels());
    EXPECT_EQ(samples.camera(), testing::kSyntheticCamera);
    std::int64_t i = 0;
    samples.for_each([&](const Sample& s) {
        const std::int64_t e = i < synthetic_length(2) ? 2 : 0;
        const std::int64_t t = e == 2 ? i : i - synthetic_length(2);
        expect_sample(s, e, t, true);
        ++i;
        return true;
    });
    EXPECT_EQ(i, samples.size());
}

TEST_F(SamplesTest, RandomAccessGivesTheSampleOfItsEpisodeAndFrame) {
    const Dataset d = Dataset::open(root());
    Samples samples(d);
    EXPECT_EQ(samples.size(), first_index(3));
    std::mt19937 rng(3);
    for (int k = 0; k < 20; ++k) {
        const auto i = static_cast<std::int64_t>(rng() % static_cast<unsigned>(samples.size()));
        const Sample s = samples.at(i);
        const Sample same = samples.get(s.episode_index, s.frame_index);
        EXPECT_EQ(same.index, i);
        expect_sample(s, s.episode_index, s.frame_index, true);
    }
    EXPECT_THROW(samples.at(samples.size()), UsageError);
    EXPECT_THROW(samples.at(-1), UsageError);
}

TEST_F(SamplesTest, WithoutImagesNothingIsDecodedAndBadChoicesAreDataErrors) {
    const Dataset d = Dataset::open(root());
    SampleOptions options;
    options.images = false;
    Samples samples(d, options);
    EXPECT_TRUE(samples.camera().empty());
    expect_sample(samples.at(3), 0, 3, false);
    options.episodes = {7};
    EXPECT_THROW(make_samples(d, options), DataError);
    options.episodes = {};
    options.images = true;
    options.camera = "observation.images.wrist";
    EXPECT_THROW(make_samples(d, options), DataError);
    options.camera = "";
    options.episodes = {1};
    Samples one(d, options);
    EXPECT_THROW(one.get(0, 0), DataError);
    EXPECT_THROW(one.get(1, synthetic_length(1)), DataError);
}

TEST(EncoderThread, AFailureSurfacesNamingTheEpisodeAndCamera) {
    // A file size limit makes the encoder's writes fail (EFBIG) once the episode video grows
    // past it; noise images do not compress. Run in a child: the limit is per process.
    testing::TempDir dir;
    const fs::path root = dir / "d";
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        std::signal(SIGXFSZ, SIG_IGN);
        int code = 10;
        try {
            DatasetWriter writer =
                DatasetWriter::create(root, testing::synthetic_spec_with_camera());
            rlimit limit{64 * 1024, 64 * 1024};
            ::setrlimit(RLIMIT_FSIZE, &limit);
            cv::Mat noise(64, 64, CV_8UC3);
            cv::RNG rng(1);
            try {
                for (std::int64_t t = 0; t < 400; ++t) {
                    Frame frame = testing::synthetic_frame(0, t % synthetic_length(0));
                    rng.fill(noise, cv::RNG::UNIFORM, 0, 256);
                    frame.images[testing::kSyntheticCamera] = noise;
                    writer.add_frame(frame);
                }
                writer.save_episode();
                code = 11;  // no failure seen
            } catch (const DataError& e) {
                const std::string what = e.what();
                code = what.find("episode 0") != std::string::npos &&
                               what.find(testing::kSyntheticCamera) != std::string::npos
                           ? 0
                           : 12;
            }
        } catch (...) {
            code = 13;
        }
        ::_exit(code);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 0) << "10: setup failed, 11: no error, 12: message lacks "
                                         "the episode or camera, 13: another exception";
}

}  // namespace
}  // namespace rcls::dataset
