// SPDX-License-Identifier: MIT
#include "rcls/video/video_writer.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "rcls/core/error.hpp"
#include "rcls/video/video_reader.hpp"

#include "media.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"
#include "video_test_util.hpp"

namespace rcls::video {
namespace {

namespace fs = std::filesystem;
using image::ChannelOrder;

constexpr int kWidth = 128;
constexpr int kHeight = 96;
constexpr int kFrames = 24;

void write_clip(const fs::path& path,
                const EncoderSettings& settings,
                ChannelOrder order = ChannelOrder::kRgb,
                int frames = kFrames) {
    VideoWriter writer(path, kWidth, kHeight, 10.0, order, settings);
    for (int i = 0; i < frames; ++i) {
        cv::Mat frame = synthetic_frame(kWidth, kHeight, i);
        if (order == ChannelOrder::kBgr) cv::cvtColor(frame, frame, cv::COLOR_RGB2BGR);
        writer.write(frame);
    }
    EXPECT_EQ(writer.frames_written(), frames);
    writer.finish();
}

std::size_t files_in(const fs::path& dir) {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

class RoundTrip : public ::testing::TestWithParam<Codec> {};

TEST_P(RoundTrip, EveryFrameComesBackCloseToTheOriginal) {
    testing::TempDir dir;
    const fs::path path = dir / "clip.mp4";
    EncoderSettings settings;
    settings.codec = GetParam();
    write_clip(path, settings);
    EXPECT_EQ(files_in(dir.path()), 1u);  // no temporary file left beside it

    VideoReader reader(path, {ChannelOrder::kRgb});
    EXPECT_EQ(reader.info().width, kWidth);
    EXPECT_EQ(reader.info().height, kHeight);
    EXPECT_DOUBLE_EQ(reader.info().fps, 10.0);
    EXPECT_EQ(reader.info().frame_count, kFrames);
    EXPECT_TRUE(reader.info().frame_count_exact);
    EXPECT_EQ(reader.info().codec, to_string(GetParam()));
    EXPECT_EQ(reader.info().pixel_format, "yuv420p");
    Frame frame;
    int count = 0;
    while (reader.read(frame)) {
        EXPECT_EQ(frame.index, count);
        EXPECT_NEAR(frame.timestamp_s, count / 10.0, 1e-6);
        // 4:2:0 chroma and lossy coding at the encoders' default quality: about 36 dB here.
        EXPECT_GE(testing::psnr(frame.image, synthetic_frame(kWidth, kHeight, count)), 32.0)
            << to_string(GetParam()) << " frame " << count;
        ++count;
    }
    EXPECT_EQ(count, kFrames);
}

INSTANTIATE_TEST_SUITE_P(Codecs,
                         RoundTrip,
                         ::testing::Values(Codec::kH264, Codec::kAv1, Codec::kMpeg4),
                         [](const auto& param_info) {
                             return std::string(to_string(param_info.param));
                         });

TEST(VideoWriter, BgrInputComesBackAsTheSamePicture) {
    testing::TempDir dir;
    write_clip(dir / "bgr.mp4", EncoderSettings{}, ChannelOrder::kBgr, 3);
    VideoReader rgb_reader(dir / "bgr.mp4", {ChannelOrder::kRgb});
    Frame frame;
    ASSERT_TRUE(rgb_reader.read(frame));
    EXPECT_GE(testing::psnr(frame.image, synthetic_frame(kWidth, kHeight, 0)), 32.0);

    VideoReader bgr_reader(dir / "bgr.mp4", {ChannelOrder::kBgr});
    Frame bgr;
    ASSERT_TRUE(bgr_reader.read(bgr));
    cv::Mat swapped;
    cv::cvtColor(bgr.image, swapped, cv::COLOR_BGR2RGB);
    EXPECT_EQ(cv::norm(swapped, frame.image, cv::NORM_INF), 0.0);
}

TEST(VideoWriter, LeRobotSettingsGiveAv1WithAKeyframeEveryTwoFrames) {
    const EncoderSettings settings = lerobot_encoder_settings();
    EXPECT_EQ(settings.codec, Codec::kAv1);
    EXPECT_EQ(settings.crf, 30);
    EXPECT_EQ(settings.gop, 2);
    EXPECT_EQ(settings.pixel_format, "yuv420p");
    EXPECT_EQ(settings.preset, "12");

    testing::TempDir dir;
    write_clip(dir / "lerobot.mp4", settings, ChannelOrder::kRgb, 8);
    const fs::path ffprobe = testing::find_program("ffprobe");
    ASSERT_FALSE(ffprobe.empty()) << "ffprobe not found; run scripts/install_deps.sh";
    const testing::ProcessResult probe = testing::run_process(
        {ffprobe.string(), "-v", "error", "-select_streams", "v", "-show_entries",
         "frame=key_frame", "-of", "csv=p=0", (dir / "lerobot.mp4").string()});
    ASSERT_EQ(probe.exit_code, 0) << probe.err;
    EXPECT_EQ(probe.out, "1\n0\n1\n0\n1\n0\n1\n0\n");
}

TEST(VideoWriter, UnfinishedWriterLeavesNothingBehind) {
    testing::TempDir dir;
    {
        VideoWriter writer(dir / "partial.mp4", kWidth, kHeight, 10.0, ChannelOrder::kRgb, {});
        writer.write(synthetic_frame(kWidth, kHeight, 0));
        EXPECT_EQ(files_in(dir.path()), 1u);  // the temporary file
    }
    EXPECT_EQ(files_in(dir.path()), 0u);
}

TEST(VideoWriter, FinishedFileReplacesAnOldOneOnlyWhenDone) {
    testing::TempDir dir;
    testing::write_text(dir / "clip.mp4", "old contents");
    {
        VideoWriter writer(dir / "clip.mp4", kWidth, kHeight, 10.0, ChannelOrder::kRgb, {});
        writer.write(synthetic_frame(kWidth, kHeight, 0));
    }
    EXPECT_EQ(fs::file_size(dir / "clip.mp4"), 12u);  // untouched
    write_clip(dir / "clip.mp4", {}, ChannelOrder::kRgb, 2);
    EXPECT_EQ(VideoReader(dir / "clip.mp4", {ChannelOrder::kRgb}).info().frame_count, 2);
}

TEST(VideoWriter, BadInputsAreDataErrorsNamingTheFile) {
    testing::TempDir dir;
    const fs::path path = dir / "x.mp4";
    try {
        VideoWriter writer(path, 97, 61, 10.0, ChannelOrder::kRgb, {});
        FAIL() << "odd size accepted";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("even"), std::string::npos) << e.what();
    }
    EXPECT_THROW(VideoWriter(dir / "x.notaformat", 64, 64, 10.0, ChannelOrder::kRgb, {}),
                 DataError);
    EXPECT_THROW(VideoWriter(path, 64, 64, 0.0, ChannelOrder::kRgb, {}), DataError);

    VideoWriter writer(path, 64, 64, 10.0, ChannelOrder::kRgb, {});
    EXPECT_THROW(writer.write(cv::Mat(64, 63, CV_8UC3)), DataError);
    EXPECT_THROW(writer.write(cv::Mat(64, 64, CV_8UC1)), DataError);
}

TEST(VideoWriter, Yuv420PlanesRoundTrip) {
    testing::TempDir dir;
    const auto planes_of = [](const cv::Mat& rgb) {
        cv::Mat i420;
        cv::cvtColor(rgb, i420, cv::COLOR_RGB2YUV_I420);  // kHeight * 3 / 2 rows
        return image::Yuv420Planes{
            i420.rowRange(0, kHeight).clone(),
            i420.rowRange(kHeight, kHeight + kHeight / 4).clone().reshape(1, kHeight / 2),
            i420.rowRange(kHeight + kHeight / 4, kHeight * 3 / 2).clone().reshape(1, kHeight / 2)};
    };
    {
        VideoWriter writer(dir / "planes.mp4", kWidth, kHeight, 10.0, ChannelOrder::kRgb, {});
        for (int i = 0; i < 6; ++i) {
            writer.write_yuv420(planes_of(synthetic_frame(kWidth, kHeight, i)));
        }
        EXPECT_THROW(writer.write_yuv420({cv::Mat(kHeight, kWidth, CV_8UC1), cv::Mat(2, 2, CV_8UC1),
                                          cv::Mat(2, 2, CV_8UC1)}),
                     DataError);
        writer.finish();
    }
    VideoReader reader(dir / "planes.mp4", {ChannelOrder::kRgb});
    Yuv420Frame frame;
    for (int i = 0; i < 6; ++i) {
        ASSERT_TRUE(reader.read_yuv420(frame));
        const image::Yuv420Planes expected = planes_of(synthetic_frame(kWidth, kHeight, i));
        EXPECT_GE(testing::psnr(frame.planes.y, expected.y), 38.0) << i;
        EXPECT_GE(testing::psnr(frame.planes.u, expected.u), 38.0) << i;
        EXPECT_GE(testing::psnr(frame.planes.v, expected.v), 38.0) << i;
    }
    EXPECT_FALSE(reader.read_yuv420(frame));

    EncoderSettings yuv444;
    yuv444.pixel_format = "yuv444p";
    VideoWriter other(dir / "444.mp4", kWidth, kHeight, 10.0, ChannelOrder::kRgb, yuv444);
    EXPECT_THROW(other.write_yuv420(planes_of(synthetic_frame(kWidth, kHeight, 0))), DataError);
}

TEST(VideoWriter, CodecNames) {
    EXPECT_EQ(parse_codec("h264"), Codec::kH264);
    EXPECT_EQ(parse_codec("libx264"), Codec::kH264);
    EXPECT_EQ(parse_codec("av1"), Codec::kAv1);
    EXPECT_EQ(parse_codec("libsvtav1"), Codec::kAv1);
    EXPECT_EQ(parse_codec("mpeg4"), Codec::kMpeg4);
    try {
        parse_codec("h265");
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("h264, av1, mpeg4"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace rcls::video
