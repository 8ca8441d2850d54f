// SPDX-License-Identifier: MIT
// Inputs are made and outputs checked with the ffmpeg and ffprobe programs (independent of rcls):
// the joined file must hold the same decoded frames (framemd5) at continuous timestamps.
#include "rcls/video/concat.hpp"

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "rcls/core/error.hpp"

#include "prerequisite.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"

namespace rcls::video {
namespace {
namespace fs = std::filesystem;

fs::path make_video(const fs::path& path, int frames, const std::string& codec, int offset = 0) {
    const testing::ProcessResult r = testing::run_process(
        {"/usr/bin/ffmpeg", "-v", "error", "-f", "lavfi", "-i",
         "testsrc=size=64x64:rate=10,trim=start_frame=" + std::to_string(offset), "-frames:v",
         std::to_string(frames), "-c:v", codec, "-g", "2", "-pix_fmt", "yuv420p", path.string()});
    if (r.exit_code != 0) throw std::runtime_error("ffmpeg failed: " + r.err);
    return path;
}

/// One line per decoded frame: its hash (ffmpeg's framemd5 muxer), without timestamps.
std::vector<std::string> frame_hashes(const fs::path& path) {
    const testing::ProcessResult r = testing::run_process(
        {"/usr/bin/ffmpeg", "-v", "error", "-i", path.string(), "-f", "framemd5", "-"});
    std::vector<std::string> hashes;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line[0] != '#') hashes.push_back(line.substr(line.rfind(',') + 1));
    }
    return hashes;
}

std::vector<double> frame_times(const fs::path& path) {
    const testing::ProcessResult r =
        testing::run_process({"/usr/bin/ffprobe", "-v", "error", "-select_streams", "v:0",
                              "-show_entries", "frame=pts_time", "-of", "csv=p=0", path.string()});
    std::vector<double> times;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) times.push_back(std::stod(line));
    }
    return times;
}

class VideoConcat : public ::testing::TestWithParam<const char*> {};

TEST_P(VideoConcat, JoinsFramesUnchangedAtContinuousTimes) {
    if (!fs::exists("/usr/bin/ffmpeg")) RCLS_PREREQUISITE_MISSING() << "ffmpeg not installed";
    testing::TempDir dir;
    const fs::path a = make_video(dir / "a.mp4", 7, GetParam());
    const fs::path b = make_video(dir / "b.mp4", 5, GetParam(), 30);
    const std::vector<SegmentSpan> spans = concatenate_videos({{a}, {b}}, dir / "ab.mp4");
    ASSERT_EQ(spans.size(), 2u);
    EXPECT_EQ(spans[0].frames, 7);
    EXPECT_EQ(spans[1].frames, 5);
    EXPECT_NEAR(spans[0].start_s, 0.0, 1e-9);
    EXPECT_NEAR(spans[0].end_s, 0.7, 1e-9);
    EXPECT_GE(spans[1].start_s, 0.7 - 1e-9);

    std::vector<std::string> expected = frame_hashes(a);
    const std::vector<std::string> second = frame_hashes(b);
    expected.insert(expected.end(), second.begin(), second.end());
    EXPECT_EQ(frame_hashes(dir / "ab.mp4"), expected);
    const std::vector<double> times = frame_times(dir / "ab.mp4");
    ASSERT_EQ(times.size(), 12u);
    for (int t = 0; t < 7; ++t)
        EXPECT_NEAR(times[static_cast<std::size_t>(t)], 0.1 * t, 1e-3);
    for (int t = 0; t < 5; ++t) {
        EXPECT_NEAR(times[static_cast<std::size_t>(7 + t)], spans[1].start_s + 0.1 * t, 1e-3);
    }
}

TEST_P(VideoConcat, CutKeepsTheFramesBeforeTheCut) {
    if (!fs::exists("/usr/bin/ffmpeg")) RCLS_PREREQUISITE_MISSING() << "ffmpeg not installed";
    testing::TempDir dir;
    const fs::path a = make_video(dir / "a.mp4", 6, GetParam());
    const fs::path b = make_video(dir / "b.mp4", 4, GetParam(), 30);
    concatenate_videos({{a}, {b}}, dir / "ab.mp4");
    // Keep the first 0.6 s: episode a; the cut falls on b's first frame, a keyframe.
    const std::vector<SegmentSpan> spans =
        concatenate_videos({{dir / "ab.mp4", 0.6}}, dir / "cut.mp4");
    EXPECT_EQ(spans[0].frames, 6);
    EXPECT_EQ(frame_hashes(dir / "cut.mp4"), frame_hashes(a));
}

TEST_P(VideoConcat, ProbeReadsStreamFactsWithoutDecoding) {
    if (!fs::exists("/usr/bin/ffmpeg")) RCLS_PREREQUISITE_MISSING() << "ffmpeg not installed";
    testing::TempDir dir;
    const VideoProbe p = probe_video(make_video(dir / "a.mp4", 9, GetParam()));
    EXPECT_EQ(p.frames, 9);
    EXPECT_EQ(p.width, 64);
    EXPECT_EQ(p.height, 64);
    EXPECT_NEAR(p.fps, 10.0, 1e-9);
    EXPECT_NEAR(p.end_s, 0.9, 1e-3);
    EXPECT_EQ(p.pixel_format, "yuv420p");
    EXPECT_EQ(p.codec, std::string(GetParam()) == "libx264" ? "h264"
                       : std::string(GetParam()) == "mpeg4" ? "mpeg4"
                                                            : "av1");
}

INSTANTIATE_TEST_SUITE_P(Codecs, VideoConcat, ::testing::Values("libx264", "mpeg4", "libsvtav1"));

TEST(VideoConcatErrors, MismatchedOrMissingInputsAreDataErrors) {
    if (!fs::exists("/usr/bin/ffmpeg")) RCLS_PREREQUISITE_MISSING() << "ffmpeg not installed";
    testing::TempDir dir;
    const fs::path a = make_video(dir / "a.mp4", 3, "libx264");
    const fs::path b = make_video(dir / "b.mp4", 3, "mpeg4");
    EXPECT_THROW(concatenate_videos({{a}, {b}}, dir / "x.mp4"), DataError);
    EXPECT_THROW(concatenate_videos({{a}, {dir / "missing.mp4"}}, dir / "y.mp4"), DataError);
    testing::write_text(dir / "garbage.mp4", "not a video");
    EXPECT_THROW(concatenate_videos({{dir / "garbage.mp4"}}, dir / "z.mp4"), DataError);
}

}  // namespace
}  // namespace rcls::video
