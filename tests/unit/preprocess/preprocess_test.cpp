// SPDX-License-Identifier: MIT
#include "rcls/preprocess/preprocess.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/video/video_reader.hpp"

#include "error_message.hpp"
#include "media.hpp"
#include "temp_dir.hpp"

namespace rcls::preprocess {
namespace {

namespace fs = std::filesystem;
using image::ChannelOrder;
using testing::TempDir;

constexpr int kFrames = 6;

/// A small H.264 clip of FFmpeg's testsrc2 (made by the ffmpeg binary, not by rcls).
void make_clip(const fs::path& path, int width = 160, int height = 120, int frames = kFrames) {
    fs::create_directories(path.parent_path());
    testing::make_testsrc_video(path, width, height, frames);
}

PreprocessOptions small_job(const fs::path& input, const fs::path& output) {
    PreprocessOptions options;
    options.inputs = {input};
    options.output_dir = output;
    options.pipeline.size = cv::Size(32, 32);
    options.jobs = 2;
    return options;
}

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

TEST(CollectWork, FilesFoldersOfVideosAndFoldersOfFrames) {
    TempDir dir;
    testing::write_text(dir / "videos" / "b.mp4", "x");
    testing::write_text(dir / "videos" / "a.mkv", "x");
    testing::write_text(dir / "videos" / "notes.txt", "x");
    testing::write_text(dir / "frames" / "0002.png", "x");
    testing::write_text(dir / "frames" / "0001.png", "x");
    testing::write_text(dir / "single.jpg", "x");
    testing::write_text(dir / "clip.avi", "x");
    const std::vector<WorkItem> items =
        collect_work({dir / "videos", dir / "frames/", dir / "single.jpg", dir / "clip.avi"});
    ASSERT_EQ(items.size(), 5u);
    EXPECT_EQ(items[0].name, "a.mkv");
    EXPECT_EQ(items[0].kind, InputKind::kVideo);
    EXPECT_EQ(items[1].name, "b.mp4");
    EXPECT_EQ(items[2].kind, InputKind::kFrames);
    EXPECT_EQ(items[2].name, "frames");
    ASSERT_EQ(items[2].frame_files.size(), 2u);
    EXPECT_EQ(items[2].frame_files[0].filename(), "0001.png");
    EXPECT_EQ(items[3].kind, InputKind::kImage);
    EXPECT_EQ(items[4].kind, InputKind::kVideo);
    EXPECT_EQ(items[4].name, "clip.avi");
}

TEST(CollectWork, MissingAndEmptyInputsAreDataErrors) {
    TempDir dir;
    EXPECT_NE(testing::error_message<DataError>([&] {
                  collect_work({dir / "nope.mp4"});
              }).find((dir / "nope.mp4").string() + ": no such file or folder"),
              std::string::npos);
    fs::create_directories(dir / "empty");
    EXPECT_NE(
        testing::error_message<DataError>([&] { collect_work({dir / "empty"}); }).find("no videos"),
        std::string::npos);
    testing::write_text(dir / "dataset" / "meta" / "info.json", "{}");
    EXPECT_NE(testing::error_message<DataError>([&] {
                  collect_work({dir / "dataset"});
              }).find("LeRobot dataset"),
              std::string::npos);
}

TEST(CollectWork, TwoInputsWithTheSameNameAreAUsageError) {
    TempDir dir;
    testing::write_text(dir / "a" / "clip.mp4", "x");
    testing::write_text(dir / "b" / "clip.mp4", "x");
    const std::string message = testing::error_message<UsageError>([&] {
        collect_work({dir / "a", dir / "b"});
    });
    EXPECT_NE(message.find("clip.mp4"), std::string::npos) << message;
}

TEST(PreprocessDefaults, EncoderSettingsPerCodec) {
    const video::EncoderSettings h264 = default_encoder(video::Codec::kH264);
    EXPECT_EQ(h264.codec, video::Codec::kH264);
    EXPECT_EQ(h264.preset, "veryfast");
    EXPECT_EQ(h264.crf, 19);
    EXPECT_FALSE(h264.gop.has_value());
    const video::EncoderSettings av1 = default_encoder(video::Codec::kAv1);
    EXPECT_EQ(av1.codec, video::Codec::kAv1);
    EXPECT_EQ(av1.crf, 30);  // LeRobot's
    EXPECT_EQ(av1.gop, 2);
    EXPECT_EQ(av1.preset, "12");
    EXPECT_EQ(default_encoder(video::Codec::kMpeg4).crf, 4);
    EXPECT_EQ(PreprocessOptions{}.encoder.preset, "veryfast");
}

TEST(Preprocess, VideosBecomeCroppedResizedVideosAndFrames) {
    TempDir dir;
    make_clip(dir / "in" / "one.mp4");
    make_clip(dir / "in" / "two.mp4", 200, 100);
    PreprocessOptions options = small_job(dir / "in", dir / "out");
    options.frames = true;
    options.encoder.crf = 10;  // testsrc2 at 32x32 is all edges: keep the codec out of the check
    const PreprocessSummary summary = run_preprocess(options);
    EXPECT_EQ(summary.processed, 2);
    EXPECT_EQ(summary.skipped, 0);
    EXPECT_EQ(summary.frames, 2 * kFrames);
    EXPECT_EQ(names_in(dir / "out"),
              (std::vector<std::string>{"one", "one.mp4", kManifestName, "two", "two.mp4"}));

    // The processed video: same frame count and rate, 32x32, and each frame close to the
    // pipeline applied to the decoded input frame.
    video::VideoReader input(dir / "in" / "two.mp4", {ChannelOrder::kRgb});
    video::VideoReader output(dir / "out" / "two.mp4", {ChannelOrder::kRgb});
    EXPECT_EQ(output.info().width, 32);
    EXPECT_EQ(output.info().height, 32);
    EXPECT_EQ(output.info().frame_count, kFrames);
    EXPECT_DOUBLE_EQ(output.info().fps, 10.0);
    image::PreparedPipeline pipeline(options.pipeline, {200, 100});
    video::Frame in_frame;
    video::Frame out_frame;
    for (int i = 0; i < kFrames; ++i) {
        ASSERT_TRUE(input.read(in_frame));
        ASSERT_TRUE(output.read(out_frame));
        cv::Mat expected;
        pipeline.apply(in_frame.image, expected);
        // Compared in luma: 4:2:0 chroma cannot hold testsrc2's colour edges at 32x32.
        cv::Mat out_gray;
        cv::Mat expected_gray;
        cv::cvtColor(out_frame.image, out_gray, cv::COLOR_RGB2GRAY);
        cv::cvtColor(expected, expected_gray, cv::COLOR_RGB2GRAY);
        EXPECT_GE(testing::psnr(out_gray, expected_gray), 35.0) << "frame " << i;

        // The PNG frames are the pipeline's exact output, stored as images in RGB order.
        char name[32];
        std::snprintf(name, sizeof name, "frame_%06d.png", i);
        const cv::Mat png = cv::imread((dir / "out" / "two" / name).string(), cv::IMREAD_COLOR);
        ASSERT_FALSE(png.empty()) << name;
        cv::Mat png_rgb;
        cv::cvtColor(png, png_rgb, cv::COLOR_BGR2RGB);
        EXPECT_EQ(cv::norm(png_rgb, expected, cv::NORM_INF), 0.0) << name;
    }
    EXPECT_EQ(names_in(dir / "out" / "one").size(), static_cast<std::size_t>(kFrames));
}

TEST(Preprocess, PlanarAndRgbPathsMakeTheSameVideo) {
    // Without --frames, 4:2:0 input is scaled plane by plane (as ffmpeg does); with --frames it
    // goes through RGB. Both must show the same picture.
    TempDir dir;
    make_clip(dir / "a.mp4", 320, 240);
    PreprocessOptions planar = small_job(dir / "a.mp4", dir / "planar");
    planar.pipeline.size = cv::Size(64, 64);
    planar.encoder.crf = 10;
    PreprocessOptions rgb = planar;
    rgb.output_dir = dir / "rgb";
    rgb.frames = true;
    run_preprocess(planar);
    run_preprocess(rgb);
    video::VideoReader a(dir / "planar" / "a.mp4", {ChannelOrder::kRgb});
    video::VideoReader b(dir / "rgb" / "a.mp4", {ChannelOrder::kRgb});
    video::Yuv420Frame fa;
    video::Yuv420Frame fb;
    for (int i = 0; i < kFrames; ++i) {
        ASSERT_TRUE(a.read_yuv420(fa));
        const cv::Mat y = fa.planes.y.clone();
        ASSERT_TRUE(b.read_yuv420(fb));
        EXPECT_GE(testing::psnr(y, fb.planes.y), 38.0) << "frame " << i;
    }
}

TEST(Preprocess, RerunSkipsFinishedOutputsAndRedoesChangedOnes) {
    TempDir dir;
    make_clip(dir / "in" / "a.mp4");
    make_clip(dir / "in" / "b.mp4");
    PreprocessOptions options = small_job(dir / "in", dir / "out");
    EXPECT_EQ(run_preprocess(options).processed, 2);
    const auto written = fs::last_write_time(dir / "out" / "a.mp4");

    PreprocessSummary again = run_preprocess(options);
    EXPECT_EQ(again.processed, 0);
    EXPECT_EQ(again.skipped, 2);
    EXPECT_EQ(fs::last_write_time(dir / "out" / "a.mp4"), written);

    make_clip(dir / "in" / "b.mp4", 160, 120, kFrames + 2);  // the input changed
    again = run_preprocess(options);
    EXPECT_EQ(again.processed, 1);
    EXPECT_EQ(again.skipped, 1);
    EXPECT_EQ(video::VideoReader(dir / "out" / "b.mp4", {ChannelOrder::kRgb}).info().frame_count,
              kFrames + 2);

    options.pipeline.size = cv::Size(16, 16);  // other settings: everything is redone
    again = run_preprocess(options);
    EXPECT_EQ(again.processed, 2);
    EXPECT_EQ(video::VideoReader(dir / "out" / "a.mp4", {ChannelOrder::kRgb}).info().width, 16);

    options.force = true;
    EXPECT_EQ(run_preprocess(options).processed, 2);
}

TEST(Preprocess, ManifestRecordsInputAndSettings) {
    TempDir dir;
    make_clip(dir / "a.mp4");
    const PreprocessOptions options = small_job(dir / "a.mp4", dir / "out");
    run_preprocess(options);
    const nlohmann::json manifest = nlohmann::json::parse(read_file(dir / "out" / kManifestName));
    const nlohmann::json& entry = manifest["outputs"]["a.mp4"];
    EXPECT_EQ(entry["state"], "done");
    EXPECT_EQ(entry["frames"], kFrames);
    EXPECT_EQ(entry["input"], fs::absolute(dir / "a.mp4").string());
    EXPECT_EQ(entry["input_bytes"], fs::file_size(dir / "a.mp4"));
    EXPECT_EQ(entry["settings"]["crop"], "center");
    EXPECT_EQ(entry["settings"]["size"], "32x32");
    EXPECT_EQ(entry["settings"]["filter"], "lanczos");
    EXPECT_EQ(entry["settings"]["video"]["codec"], "h264");
}

TEST(Preprocess, FilesRclsDidNotMakeAreOnlyReplacedWithForce) {
    TempDir dir;
    make_clip(dir / "a.mp4");
    testing::write_text(dir / "out" / "a.mp4", "precious");
    PreprocessOptions options = small_job(dir / "a.mp4", dir / "out");
    const std::string message = testing::error_message<DataError>([&] { run_preprocess(options); });
    EXPECT_NE(message.find("--force"), std::string::npos) << message;
    EXPECT_EQ(read_file(dir / "out" / "a.mp4"), "precious");
    options.force = true;
    EXPECT_EQ(run_preprocess(options).processed, 1);
    EXPECT_EQ(video::VideoReader(dir / "out" / "a.mp4", {ChannelOrder::kRgb}).info().frame_count,
              kFrames);
}

TEST(Preprocess, FoldersOfFramesAndImagesKeepTheirNames) {
    TempDir dir;
    fs::create_directories(dir / "shots");
    for (int i = 0; i < 3; ++i) {
        cv::Mat image(60 + i, 80, CV_8UC3, cv::Scalar(10 * i, 100, 200));
        ASSERT_TRUE(
            cv::imwrite((dir / "shots" / ("shot_" + std::to_string(i) + ".png")).string(), image));
    }
    ASSERT_TRUE(
        cv::imwrite((dir / "still.jpg").string(), cv::Mat(50, 70, CV_8UC3, cv::Scalar(1, 2, 3))));
    PreprocessOptions options = small_job(dir / "shots", dir / "out");
    options.inputs.push_back(dir / "still.jpg");
    const PreprocessSummary summary = run_preprocess(options);
    EXPECT_EQ(summary.frames, 4);
    EXPECT_EQ(names_in(dir / "out" / "shots"),
              (std::vector<std::string>{"shot_0.png", "shot_1.png", "shot_2.png"}));
    const cv::Mat shot =
        cv::imread((dir / "out" / "shots" / "shot_2.png").string(), cv::IMREAD_COLOR);
    EXPECT_EQ(shot.size(), cv::Size(32, 32));
    EXPECT_EQ(shot.at<cv::Vec3b>(5, 5),
              cv::Vec3b(20, 100, 200));  // constant colour kept, BGR order
    EXPECT_EQ(cv::imread((dir / "out" / "still.jpg").string()).size(), cv::Size(32, 32));
}

TEST(Preprocess, CropThatDoesNotFitFailsBeforeAnyWork) {
    TempDir dir;
    make_clip(dir / "a.mp4");
    PreprocessOptions options = small_job(dir / "a.mp4", dir / "out");
    options.pipeline.crop = image::CropSpec::rect({0, 0, 121, 121});
    const std::string message =
        testing::error_message<ConfigError>([&] { run_preprocess(options); });
    EXPECT_NE(message.find((dir / "a.mp4").string()), std::string::npos) << message;
    EXPECT_NE(message.find("160x120"), std::string::npos) << message;
    EXPECT_FALSE(fs::exists(dir / "out" / "a.mp4"));
}

TEST(Preprocess, OneBadInputDoesNotStopTheOthers) {
    TempDir dir;
    make_clip(dir / "in" / "good.mp4");
    testing::write_text(dir / "in" / "bad.mp4", "not a video at all");
    PreprocessOptions options = small_job(dir / "in", dir / "out");
    try {
        run_preprocess(options);
        FAIL() << "expected an error";
    } catch (const DataError& e) {
        FAIL() << "one of two failing should give the summary error, got " << e.what();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ExitCode::kData);
        EXPECT_NE(std::string(e.what()).find("1 of 2 inputs failed"), std::string::npos)
            << e.what();
    }
    EXPECT_TRUE(fs::exists(dir / "out" / "good.mp4"));
    EXPECT_FALSE(fs::exists(dir / "out" / "bad.mp4"));
}

TEST(Preprocess, InterruptedBeforeStartWritesNothing) {
    TempDir dir;
    make_clip(dir / "a.mp4");
    request_interrupt();
    EXPECT_THROW(run_preprocess(small_job(dir / "a.mp4", dir / "out")), InterruptedError);
    reset_interrupt();
    for (const std::string& name : names_in(dir / "out")) {
        EXPECT_FALSE(is_temporary_name(name)) << name;
        EXPECT_NE(name, "a.mp4");
    }
}

TEST(Preprocess, StaleTemporariesOfAKilledRunAreRemoved) {
    TempDir dir;
    make_clip(dir / "a.mp4");
    testing::write_text(dir / "out" / ".a.tmp-999999999-0.mp4", "left by a killed run");
    fs::create_directories(dir / "out" / ".a.tmp-999999999-1");
    run_preprocess(small_job(dir / "a.mp4", dir / "out"));
    EXPECT_EQ(names_in(dir / "out"), (std::vector<std::string>{"a.mp4", kManifestName}));
}

}  // namespace
}  // namespace rcls::preprocess
