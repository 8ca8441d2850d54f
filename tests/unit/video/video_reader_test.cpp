// SPDX-License-Identifier: MIT
//
// The reader against files and decodes made by the ffmpeg binary (an independent reference),
// and on the real LeRobot recordings in ../shared/realdata when they are present.
#include "rcls/video/video_reader.hpp"

#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "rcls/core/error.hpp"

#include "error_message.hpp"
#include "media.hpp"
#include "prerequisite.hpp"
#include "temp_dir.hpp"

namespace rcls::video {
namespace {

namespace fs = std::filesystem;
using image::ChannelOrder;

constexpr int kFrames = 50;
constexpr int kGop = 10;

/// One H.264 clip made by ffmpeg (testsrc2, 320x240, 10 fps, a keyframe every 10 frames, with
/// B-frames) and ffmpeg's own decode of it to RGB, shared by the tests of this suite.
class VideoReaderTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new testing::TempDir();
        testing::run_ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-frames:v",
                             std::to_string(kFrames), "-c:v", "libx264", "-g", std::to_string(kGop),
                             "-pix_fmt", "yuv420p", clip().string()});
        testing::run_ffmpeg({"-i", clip().string(), "-f", "rawvideo", "-pix_fmt", "rgb24",
                             (*dir_ / "decoded.rgb").string()});
        reference_ =
            new std::vector<cv::Mat>(testing::read_raw_frames(*dir_ / "decoded.rgb", 320, 240));
    }
    static void TearDownTestSuite() {
        delete reference_;
        delete dir_;
    }
    static fs::path clip() { return *dir_ / "clip.mp4"; }

    /// Every frame of the clip, read sequentially by rcls.
    static std::vector<Frame> read_all(const fs::path& path) {
        VideoReader reader(path, {ChannelOrder::kRgb});
        std::vector<Frame> frames;
        Frame frame;
        while (reader.read(frame)) {
            frames.push_back(frame);
        }
        return frames;
    }

    static testing::TempDir* dir_;
    static std::vector<cv::Mat>* reference_;
};

testing::TempDir* VideoReaderTest::dir_ = nullptr;
std::vector<cv::Mat>* VideoReaderTest::reference_ = nullptr;

template <class F>
std::string data_error(F&& f) {
    return testing::error_message<DataError>(std::forward<F>(f));
}

void copy_truncated(const fs::path& from, const fs::path& to, double fraction) {
    std::ifstream in(from, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    bytes.resize(static_cast<std::size_t>(static_cast<double>(bytes.size()) * fraction));
    testing::write_text(to, bytes);
}

TEST_F(VideoReaderTest, StreamInfo) {
    const VideoReader reader(clip(), {ChannelOrder::kRgb});
    EXPECT_EQ(reader.info().width, 320);
    EXPECT_EQ(reader.info().height, 240);
    EXPECT_DOUBLE_EQ(reader.info().fps, 10.0);
    EXPECT_EQ(reader.info().frame_count, kFrames);
    EXPECT_TRUE(reader.info().frame_count_exact);
    EXPECT_EQ(reader.info().codec, "h264");
    EXPECT_EQ(reader.info().pixel_format, "yuv420p");
    EXPECT_NEAR(reader.info().duration_s, 5.0, 0.11);
    EXPECT_EQ(reader.path(), clip());
}

TEST_F(VideoReaderTest, SequentialDecodeMatchesFfmpeg) {
    const std::vector<Frame> frames = read_all(clip());
    ASSERT_EQ(frames.size(), reference_->size());
    ASSERT_EQ(frames.size(), static_cast<std::size_t>(kFrames));
    for (int i = 0; i < kFrames; ++i) {
        EXPECT_EQ(frames[i].index, i);
        EXPECT_NEAR(frames[i].timestamp_s, i / 10.0, 1e-9);
        EXPECT_GE(testing::psnr(frames[i].image, (*reference_)[i]), 45.0) << "frame " << i;
    }
}

TEST_F(VideoReaderTest, Yuv420PlanesAreTheDecodedPicture) {
    testing::TempDir dir;
    testing::run_ffmpeg({"-i", clip().string(), "-f", "rawvideo", "-pix_fmt", "yuv420p",
                         (dir / "decoded.yuv").string()});
    // One 4:2:0 picture is 240 * 3 / 2 rows of 320 bytes.
    const std::vector<cv::Mat> expected =
        testing::read_raw_frames(dir / "decoded.yuv", 320, 360, 1);
    ASSERT_EQ(expected.size(), static_cast<std::size_t>(kFrames));
    VideoReader reader(clip(), {ChannelOrder::kRgb});
    ASSERT_TRUE(reader.yuv420_available());
    Yuv420Frame frame;
    int count = 0;
    while (reader.read_yuv420(frame)) {
        ASSERT_LT(count, kFrames);
        EXPECT_EQ(frame.index, count);
        const cv::Mat flat = expected[count].reshape(1, 1);
        const cv::Mat y = flat.colRange(0, 320 * 240).reshape(1, 240);
        const cv::Mat u = flat.colRange(320 * 240, 320 * 240 + 160 * 120).reshape(1, 120);
        const cv::Mat v = flat.colRange(320 * 240 + 160 * 120, 320 * 360).reshape(1, 120);
        EXPECT_EQ(cv::norm(frame.planes.y, y, cv::NORM_INF), 0.0) << count;
        EXPECT_EQ(cv::norm(frame.planes.u, u, cv::NORM_INF), 0.0) << count;
        EXPECT_EQ(cv::norm(frame.planes.v, v, cv::NORM_INF), 0.0) << count;
        ++count;
    }
    EXPECT_EQ(count, kFrames);
}

TEST_F(VideoReaderTest, SeekingGivesTheFramesSequentialDecodingGives) {
    const std::vector<Frame> sequential = read_all(clip());
    VideoReader reader(clip(), {ChannelOrder::kRgb});
    for (const int k : {0, 1, 9, 10, 11, 37, 49, 23, 5, 48, 0, 30, 30, 31}) {
        const Frame frame = reader.frame_at_index(k);
        EXPECT_EQ(frame.index, k);
        EXPECT_NEAR(frame.timestamp_s, k / 10.0, 1e-9);
        EXPECT_EQ(cv::norm(frame.image, sequential[k].image, cv::NORM_INF), 0.0) << "frame " << k;
    }
}

TEST_F(VideoReaderTest, SeekDecodesFromThePrecedingKeyframeNotTheStart) {
    VideoReader reader(clip(), {ChannelOrder::kRgb});
    const Frame frame = reader.frame_at_index(45);
    EXPECT_EQ(frame.index, 45);
    // Keyframe 40, then 40..45, plus a few frames of B-frame reordering; from the start it is 46.
    EXPECT_LE(reader.frames_decoded(), 12);
}

TEST_F(VideoReaderTest, ReadingFrameByFrameByTimestampDecodesEachFrameOnce) {
    VideoReader reader(clip(), {ChannelOrder::kRgb});
    for (int k = 0; k < kFrames; ++k) {
        // Timestamps as a dataset computes them (from_timestamp + t / fps), with float jitter.
        const double jitter = (k % 3 - 1) * 0.03;
        EXPECT_EQ(reader.frame_at(k / 10.0 + jitter).index, k);
    }
    EXPECT_EQ(reader.frames_decoded(), kFrames);
}

TEST_F(VideoReaderTest, ReadContinuesAfterASeek) {
    VideoReader reader(clip(), {ChannelOrder::kBgr});
    reader.seek(2.0);
    Frame frame;
    for (const int expected : {20, 21, 22}) {
        ASSERT_TRUE(reader.read(frame));
        EXPECT_EQ(frame.index, expected);
    }
    EXPECT_EQ(reader.order(), ChannelOrder::kBgr);
}

TEST_F(VideoReaderTest, FramesOutsideTheVideoAreDataErrors) {
    VideoReader reader(clip(), {ChannelOrder::kRgb});
    const std::string message = data_error([&] { reader.frame_at_index(kFrames); });
    EXPECT_NE(message.find(clip().string()), std::string::npos) << message;
    EXPECT_NE(message.find("5.000 s"), std::string::npos) << message;
    EXPECT_FALSE(data_error([&] { reader.frame_at_index(-1); }).empty());
    EXPECT_EQ(reader.frame_at_index(3).index, 3);  // still usable
}

TEST_F(VideoReaderTest, MissingGarbageAndEmptyFilesAreDataErrors) {
    testing::TempDir dir;
    const fs::path missing = dir / "missing.mp4";
    EXPECT_NE(data_error([&] {
                  VideoReader(missing, {ChannelOrder::kRgb});
              }).find(missing.string() + ": file not found"),
              std::string::npos);

    std::mt19937 rng(42);
    std::string garbage(20000, '\0');
    for (char& c : garbage) {
        c = static_cast<char>(rng() & 0xff);
    }
    testing::write_text(dir / "garbage.mp4", garbage);
    const std::string message =
        data_error([&] { VideoReader(dir / "garbage.mp4", {ChannelOrder::kRgb}); });
    EXPECT_NE(message.find((dir / "garbage.mp4").string() + ": cannot open as a video"),
              std::string::npos)
        << message;

    testing::write_text(dir / "empty.mp4", "");
    EXPECT_FALSE(data_error([&] { VideoReader(dir / "empty.mp4", {ChannelOrder::kRgb}); }).empty());
    EXPECT_FALSE(data_error([&] { VideoReader(dir.path(), {ChannelOrder::kRgb}); }).empty());
}

TEST_F(VideoReaderTest, TruncatedFilesAreDataErrorsNamingTheFile) {
    testing::TempDir dir;
    // moov at the end (the default): a cut-off file cannot even be opened.
    copy_truncated(clip(), dir / "cut.mp4", 0.6);
    const std::string at_open = data_error([&] { read_all(dir / "cut.mp4"); });
    EXPECT_NE(at_open.find((dir / "cut.mp4").string()), std::string::npos) << at_open;

    // moov first (faststart): it opens, and the missing frames are reported while reading.
    testing::run_ffmpeg({"-i", clip().string(), "-c", "copy", "-movflags", "+faststart",
                         (dir / "faststart.mp4").string()});
    copy_truncated(dir / "faststart.mp4", dir / "faststart_cut.mp4", 0.6);
    const std::string while_reading = data_error([&] { read_all(dir / "faststart_cut.mp4"); });
    EXPECT_NE(while_reading.find((dir / "faststart_cut.mp4").string()), std::string::npos)
        << while_reading;
    EXPECT_NE(while_reading.find("frame"), std::string::npos) << while_reading;
}

TEST_F(VideoReaderTest, CorruptBytesInTheMiddleNeverCrash) {
    testing::TempDir dir;
    std::ifstream in(clip(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::mt19937 rng(7);
    for (std::size_t i = bytes.size() / 3; i < bytes.size() / 3 + 4000 && i < bytes.size(); ++i) {
        bytes[i] = static_cast<char>(rng() & 0xff);
    }
    testing::write_text(dir / "corrupt.mp4", bytes);
    try {
        const std::vector<Frame> frames = read_all(dir / "corrupt.mp4");
        EXPECT_LE(frames.size(), static_cast<std::size_t>(kFrames));  // concealed by the decoder
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("corrupt.mp4"), std::string::npos) << e.what();
    }
}

TEST(VideoFiles, ExtensionsThatHoldVideo) {
    EXPECT_TRUE(has_video_extension("a/b/episode_000000.mp4"));
    EXPECT_TRUE(has_video_extension("x.MKV"));
    EXPECT_TRUE(has_video_extension("x.avi"));
    EXPECT_FALSE(has_video_extension("frame_000000.png"));
    EXPECT_FALSE(has_video_extension("mp4"));
    EXPECT_FALSE(has_video_extension("notes.txt"));
}

// ---- real LeRobot recordings ------------------------------------------------------------------

fs::path realdata(const std::string& relative) {
    const fs::path root = testing::realdata_dir();
    return root.empty() ? fs::path() : root / relative;
}

TEST(RealVideos, Av1EpisodeFromAnSo101WristCamera) {
    const fs::path path = realdata(
        "so101_chess_wrist_lerobot_pr1138/videos/chunk-000/observation.images.follower_wrist/"
        "episode_000000.mp4");
    if (path.empty() || !fs::exists(path)) {
        RCLS_PREREQUISITE_MISSING() << "../shared/realdata is not on this machine";
    }
    VideoReader reader(path, {ChannelOrder::kRgb});
    EXPECT_EQ(reader.info().codec, "av1");
    EXPECT_EQ(reader.info().width, 640);
    EXPECT_EQ(reader.info().height, 480);
    EXPECT_DOUBLE_EQ(reader.info().fps, 30.0);
    EXPECT_EQ(reader.info().frame_count, 775);  // meta/episodes.jsonl: length 775
    Frame frame;
    for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(reader.read(frame));
        EXPECT_EQ(frame.index, i);
    }
    const Frame late = reader.frame_at_index(700);
    EXPECT_EQ(late.index, 700);
    EXPECT_LE(reader.frames_decoded(), 10 + 8);  // LeRobot's g=2: a keyframe every other frame

    testing::TempDir dir;
    testing::run_ffmpeg({"-ss", "23.3333", "-i", path.string(), "-frames:v", "1", "-f", "rawvideo",
                         "-pix_fmt", "rgb24", (dir / "700.rgb").string()});
    const std::vector<cv::Mat> reference = testing::read_raw_frames(dir / "700.rgb", 640, 480);
    ASSERT_EQ(reference.size(), 1u);
    EXPECT_GE(testing::psnr(late.image, reference[0]), 45.0);
}

TEST(RealVideos, OneFrameAv1Episode) {
    const fs::path path = realdata(
        "so101_chess_wrist_lerobot_pr1138/videos/chunk-000/observation.images.follower_wrist/"
        "episode_000004.mp4");
    if (path.empty() || !fs::exists(path)) {
        RCLS_PREREQUISITE_MISSING() << "../shared/realdata is not on this machine";
    }
    VideoReader reader(path, {ChannelOrder::kBgr});
    EXPECT_EQ(reader.info().frame_count, 1);
    Frame frame;
    ASSERT_TRUE(reader.read(frame));
    EXPECT_EQ(frame.image.size(), cv::Size(640, 480));
    EXPECT_FALSE(reader.read(frame));
}

TEST(RealVideos, Mpeg4Part2FileDecodesCompletely) {
    const fs::path path =
        realdata("lingzu_hand_press_button_open50/video/image/chunk-000/file-000.mp4");
    if (path.empty() || !fs::exists(path)) {
        RCLS_PREREQUISITE_MISSING() << "../shared/realdata is not on this machine";
    }
    VideoReader reader(path, {ChannelOrder::kRgb});
    EXPECT_EQ(reader.info().codec, "mpeg4");
    Frame frame;
    std::int64_t count = 0;
    while (reader.read(frame)) {
        EXPECT_EQ(frame.index, count);
        ++count;
    }
    EXPECT_EQ(count, 427);
    EXPECT_EQ(count, reader.info().frame_count);
}

}  // namespace
}  // namespace rcls::video
