// SPDX-License-Identifier: MIT
// `rcls preprocess DATASET`: a new dataset with cameras cropped and resized, everything else
// copied.
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/dataset/dataset.hpp"
#include "rcls/dataset/frame_reader.hpp"
#include "rcls/preprocess/preprocess.hpp"

#include "dataset_fixtures.hpp"
#include "temp_dir.hpp"

namespace rcls::preprocess {
namespace {
namespace fs = std::filesystem;
using testing::synthetic_length;

class DatasetPreprocess : public ::testing::Test {
protected:
    void TearDown() override { ::unsetenv("HF_LEROBOT_HOME"); }
    void SetUp() override {
        // The default output is $HF_LEROBOT_HOME/<user>/<name>_<size>: here, beside the source.
        ::setenv("HF_LEROBOT_HOME", dir_.path().c_str(), 1);
        dataset::WriterOptions options;
        options.video = video::lerobot_encoder_settings();
        options.video->crf = 20;
        dataset::DatasetWriter writer =
            dataset::DatasetWriter::create(source_, testing::synthetic_spec_with_camera(), options);
        for (std::int64_t e = 0; e < 3; ++e) {
            for (std::int64_t t = 0; t < synthetic_length(e); ++t) {
                dataset::Frame frame = testing::synthetic_frame(e, t);
                frame.images[testing::kSyntheticCamera] = testing::synthetic_image(e, t);
                writer.add_frame(frame);
            }
            writer.save_episode();
        }
        options_.inputs = {source_};
        options_.pipeline.crop = image::CropSpec::center();
        options_.pipeline.size = cv::Size(32, 32);
        options_.encoder.codec = video::Codec::kH264;  // libsvtav1 needs 64 px or more
        options_.frames = true;
    }
    testing::TempDir dir_;
    fs::path source_ = dir_ / "me" / "cubes";
    PreprocessOptions options_;
};

TEST_F(DatasetPreprocess, WritesANewDatasetBesideTheSourceWithEveryColumnCopied) {
    const PreprocessSummary summary = run_preprocess(options_);
    const fs::path out = dir_ / "me" / "cubes_32";
    EXPECT_EQ(summary.frames, synthetic_length(0) + synthetic_length(1) + synthetic_length(2));
    const dataset::Dataset d = dataset::Dataset::open(out);
    ASSERT_EQ(d.meta().episodes.size(), 3u);
    EXPECT_EQ(d.info().feature(testing::kSyntheticCamera)->shape,
              (std::vector<std::int64_t>{3, 32, 32}));
    std::int64_t index = 0;
    dataset::FrameReader reader(d);
    dataset::FrameReader source_reader(dataset::Dataset::open(source_));
    for (std::int64_t e = 0; e < 3; ++e) {
        const std::int64_t task = e % 3 == 2 ? 1 : 0;
        EXPECT_EQ(testing::synthetic_mismatch(d.read_episode(e), e, index, task), "")
            << "episode " << e;
        index += synthetic_length(e);
        for (std::int64_t t = 0; t < synthetic_length(e); ++t) {
            const cv::Mat image = reader.frame(e, testing::kSyntheticCamera, t);
            EXPECT_EQ(image.cols, 32);
            EXPECT_EQ(image.rows, 32);
        }
        char png[96];
        std::snprintf(png, sizeof png, "frames_32/episode_%06lld/frame_%06lld.png",
                      static_cast<long long>(e), static_cast<long long>(synthetic_length(e) - 1));
        EXPECT_TRUE(fs::exists(out / png)) << png;
    }
    const auto record = nlohmann::json::parse(read_file(out / kDatasetRecordName));
    EXPECT_EQ(record["pipeline"], "crop center, resize 32x32 (lanczos)");
    EXPECT_EQ(record["source"], fs::absolute(source_).lexically_normal().string());
}

TEST_F(DatasetPreprocess, RerunningContinuesAndOtherSettingsNeedForce) {
    run_preprocess(options_);
    const PreprocessSummary again = run_preprocess(options_);
    EXPECT_EQ(again.skipped, 1);
    EXPECT_EQ(again.frames, 0);
    PreprocessOptions other = options_;
    other.pipeline.size = cv::Size(16, 16);
    other.output_dir = dir_ / "me" / "cubes_32";
    EXPECT_THROW(run_preprocess(other), DataError);
    other.force = true;
    run_preprocess(other);
    EXPECT_EQ(dataset::Dataset::open(dir_ / "me" / "cubes_32")
                  .info()
                  .feature(testing::kSyntheticCamera)
                  ->shape,
              (std::vector<std::int64_t>{3, 16, 16}));
}

TEST_F(DatasetPreprocess, MissingVideoFailsNamingTheEpisodeOrIsSkipped) {
    // Give episode 2 its own video file by moving it: the dataset now lacks a file.
    const dataset::Dataset d = dataset::Dataset::open(source_);
    const fs::path video = d.meta().find_video_file(d.episode(2), testing::kSyntheticCamera);
    fs::rename(video, dir_ / "away.mp4");
    try {
        run_preprocess(options_);
        FAIL();
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("episode 0: " + video.string()), std::string::npos)
            << e.what();
    }
    options_.skip_missing = true;
    options_.force = true;
    EXPECT_THROW(run_preprocess(options_), DataError);  // every episode shares the missing file
    fs::rename(dir_ / "away.mp4", video);
    EXPECT_EQ(run_preprocess(options_).frames,
              synthetic_length(0) + synthetic_length(1) + synthetic_length(2));
}

TEST_F(DatasetPreprocess, ADatasetMustBeTheOnlyInput) {
    options_.inputs.push_back(dir_ / "clip.mp4");
    EXPECT_THROW(run_preprocess(options_), UsageError);
}

}  // namespace
}  // namespace rcls::preprocess
