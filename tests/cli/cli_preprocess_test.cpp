// SPDX-License-Identifier: MIT
//
// `rcls preprocess` through the real binary: exit codes, one-line errors, outputs, reruns, Ctrl-C.
#include <chrono>
#include <csignal>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rcls/dataset/dataset.hpp"
#include "rcls/dataset/frame_reader.hpp"

#include "media.hpp"
#include "prerequisite.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"

namespace rcls::testing {
namespace {

namespace fs = std::filesystem;

/// A few small clips shared by the tests of this suite (made once by the ffmpeg binary).
class CliPreprocess : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        clips_ = new TempDir();
        make_testsrc_video(*clips_ / "clip.mp4", 320, 240, 8);
    }
    static void TearDownTestSuite() { delete clips_; }

    static std::string clip() { return (*clips_ / "clip.mp4").string(); }
    std::string out() const { return (dir_ / "out").string(); }

    /// The number of frames ffprobe counts in `path` (-1 when it cannot read it).
    static int count_frames(const fs::path& path) {
        const ProcessResult r = run_process(
            {find_program("ffprobe").string(), "-v", "error", "-count_frames", "-select_streams",
             "v", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path.string()});
        return r.exit_code == 0 ? std::atoi(r.out.c_str()) : -1;
    }

    static TempDir* clips_;
    TempDir dir_;
};

TempDir* CliPreprocess::clips_ = nullptr;

TEST_F(CliPreprocess, HelpDocumentsEveryOption) {
    const ProcessResult r = run_rcls({"preprocess", "--help"});
    EXPECT_EQ(r.exit_code, 0);
    for (const char* option : {"--output", "--crop", "--size", "--filter", "--frames", "--vcodec",
                               "--crf", "--gop", "--preset", "--jobs", "--force", "--json"}) {
        EXPECT_NE(r.out.find(option), std::string::npos) << option;
    }
    EXPECT_NE(run_rcls({"--help"}).out.find("preprocess"), std::string::npos);
}

TEST_F(CliPreprocess, ProcessesAVideoThenSkipsItOnARerun) {
    ProcessResult r = run_rcls({"-q", "preprocess", clip(), "--output", out(), "--size", "64"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("preprocess: 1 processed (8 frames), 0 up to date", 0), 0u) << r.out;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(count_frames(dir_ / "out" / "clip.mp4"), 8);

    r = run_rcls({"-q", "preprocess", clip(), "-o", out(), "--size", "64"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("preprocess: 0 processed (0 frames), 1 up to date", 0), 0u) << r.out;
}

TEST_F(CliPreprocess, FramesAndJsonSummary) {
    const ProcessResult r =
        run_rcls({"-q", "preprocess", clip(), "-o", out(), "--frames", "--json", "--crop",
                  "0,40,240,240", "--filter", "area", "--vcodec", "mpeg4"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const nlohmann::json summary = nlohmann::json::parse(r.out);
    EXPECT_EQ(summary["processed"], 1);
    EXPECT_EQ(summary["frames"], 8);
    EXPECT_EQ(summary["items"][0]["outputs"].size(), 2u);
    EXPECT_TRUE(fs::exists(dir_ / "out" / "clip" / "frame_000000.png"));
    EXPECT_TRUE(fs::exists(dir_ / "out" / "clip" / "frame_000007.png"));
    EXPECT_FALSE(fs::exists(dir_ / "out" / "clip" / "frame_000008.png"));
}

TEST_F(CliPreprocess, PrintConfigShowsTheSettingsAndWritesNothing) {
    const ProcessResult r =
        run_rcls({"preprocess", clip(), "-o", out(), "--size", "96x64", "--print-config"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const nlohmann::json config = nlohmann::json::parse(r.out);
    EXPECT_EQ(config["settings"]["size"], "96x64");
    EXPECT_EQ(config["settings"]["crop"], "center");
    EXPECT_EQ(config["settings"]["filter"], "lanczos");
    EXPECT_EQ(config["settings"]["video"]["codec"], "h264");
    EXPECT_EQ(config["settings"]["video"]["preset"], "veryfast");
    EXPECT_EQ(config["settings"]["video"]["crf"], 19);
    EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(CliPreprocess, EncoderFlagsOverrideTheCodecDefaults) {
    const ProcessResult r = run_rcls(
        {"preprocess", clip(), "-o", out(), "--vcodec", "av1", "--crf", "40", "--print-config"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const nlohmann::json video = nlohmann::json::parse(r.out)["settings"]["video"];
    EXPECT_EQ(video["codec"], "av1");
    EXPECT_EQ(video["crf"], 40);
    EXPECT_EQ(video["gop"], 2);
    EXPECT_EQ(video["preset"], "12");
}

TEST_F(CliPreprocess, MissingInputExits5WithOneLine) {
    const std::string missing = (dir_ / "nope.mp4").string();
    const ProcessResult r = run_rcls({"preprocess", missing, "-o", out()});
    EXPECT_EQ(r.exit_code, 5);
    EXPECT_EQ(r.err, "rcls: error: " + missing + ": no such file or folder\n");
}

TEST_F(CliPreprocess, GarbageVideoExits5WithOneLineNamingIt) {
    write_text(dir_ / "broken.mp4", std::string(5000, '\x5a'));
    const ProcessResult r = run_rcls({"preprocess", (dir_ / "broken.mp4").string(), "-o", out()});
    EXPECT_EQ(r.exit_code, 5);
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_EQ(r.err.rfind(
                  "rcls: error: " + (dir_ / "broken.mp4").string() + ": cannot open as a video", 0),
              0u)
        << r.err;
    EXPECT_FALSE(fs::exists(dir_ / "out" / "broken.mp4"));
}

TEST_F(CliPreprocess, BadCropSyntaxExits3) {
    const ProcessResult r = run_rcls({"preprocess", clip(), "-o", out(), "--crop", "10,20,30"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.err,
              "rcls: error: --crop \"10,20,30\": expected \"center\" or TOP,LEFT,HEIGHT,WIDTH in "
              "pixels\n");
}

TEST_F(CliPreprocess, CropOutsideTheVideoExits3NamingTheFile) {
    const ProcessResult r =
        run_rcls({"preprocess", clip(), "-o", out(), "--crop", "0,100,240,240"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(clip() + ": crop 0,100,240,240"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("320x240"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir_ / "out" / "clip.mp4"));
}

TEST_F(CliPreprocess, BadFilterSizeAndCodecExit3) {
    ProcessResult r = run_rcls({"preprocess", clip(), "-o", out(), "--filter", "lanczoz"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_NE(r.err.find("did you mean \"lanczos\""), std::string::npos) << r.err;
    r = run_rcls({"preprocess", clip(), "-o", out(), "--size", "0"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    r = run_rcls({"preprocess", clip(), "-o", out(), "--vcodec", "vp9"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
}

TEST_F(CliPreprocess, MissingOutputIsAUsageError) {
    const ProcessResult r = run_rcls({"preprocess", clip()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("--output"), std::string::npos) << r.err;
}

TEST_F(CliPreprocess, OneBadInputAmongSeveralIsReportedAndTheRestIsDone) {
    fs::create_directories(dir_ / "in");
    fs::copy_file(clip(), dir_ / "in" / "good.mp4");
    write_text(dir_ / "in" / "bad.mp4", "garbage");
    const ProcessResult r = run_rcls({"preprocess", (dir_ / "in").string(), "-o", out()});
    EXPECT_EQ(r.exit_code, 5);
    EXPECT_NE(r.err.find("bad.mp4: cannot open as a video"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("rcls: error: 1 of 2 inputs failed"), std::string::npos) << r.err;
    EXPECT_EQ(count_frames(dir_ / "out" / "good.mp4"), 8);
}

bool has_temporary_file(const fs::path& dir) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(dir, error)) {
        if (entry.path().filename().string().find(".tmp-") != std::string::npos) return true;
    }
    return false;
}

TEST_F(CliPreprocess, CtrlCKeepsFinishedOutputsAndRemovesPartialOnes) {
    // Three clips processed one at a time; Ctrl-C arrives while the second is being written.
    fs::create_directories(dir_ / "in");
    for (const char* name : {"a.mp4", "b.mp4", "c.mp4"}) {
        make_testsrc_video(dir_ / "in" / name, 640, 480, 48);
    }
    fs::create_directories(dir_ / "out");  // watched from the start
    ChildProcess preprocess(
        rcls_argv({"preprocess", (dir_ / "in").string(), "-o", out(), "--jobs", "1"}));
    // Ready when the first clip is in place and the second one's temporary file exists: each
    // change in the folder is a signal (inotify) to look again, with no timer.
    const bool mid_second = wait_for_directory_change(
        dir_ / "out",
        [&] { return fs::exists(dir_ / "out" / "a.mp4") && has_temporary_file(dir_ / "out"); },
        std::chrono::seconds(60));
    preprocess.signal(SIGINT);
    const ProcessResult stopped = preprocess.wait();
    ASSERT_TRUE(mid_second) << "never saw the second clip in progress";
    ASSERT_EQ(stopped.signal, 0) << "killed by signal " << stopped.signal << ": " << stopped.err;
    EXPECT_EQ(stopped.exit_code, 130) << stopped.err;
    EXPECT_EQ(count_frames(dir_ / "out" / "a.mp4"), 48);
    EXPECT_FALSE(fs::exists(dir_ / "out" / "b.mp4"));
    EXPECT_FALSE(fs::exists(dir_ / "out" / "c.mp4"));
    EXPECT_FALSE(has_temporary_file(dir_ / "out"));

    // The rerun keeps a.mp4 and does the rest.
    const ProcessResult r = run_rcls({"-q", "preprocess", (dir_ / "in").string(), "-o", out()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("preprocess: 2 processed (96 frames), 1 up to date", 0), 0u) << r.out;
}

// The real SO-101 wrist recording is LeRobot v2.1 without parquet files: `rcls predict` scores it
// from its videos and meta/, and preprocess reads it the same way into its usual v3.0 output, with
// the indices, timestamps and tasks derived from meta/ and the columns that have no values left
// out (saying so).
TEST(CliPreprocessReal, ReadsTheWristDatasetWithoutParquetAsPredictDoes) {
    const fs::path root = realdata_dir() / "so101_chess_wrist_lerobot_pr1138";
    if (realdata_dir().empty() || !fs::is_directory(root))
        RCLS_PREREQUISITE_MISSING() << "no real data (../shared/realdata)";
    TempDir dir;
    const fs::path out = dir / "wrist_64";
    const ProcessResult r = run_rcls({"preprocess", root.string(), "-o", out.string(), "--size",
                                      "64", "--vcodec", "mpeg4", "--skip-missing"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find(root.string() + ": no data files (parquet)"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("timestamps derived as frame_index / fps"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("left out of the output (no values): action, observation.state"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("3->1, 4->2"), std::string::npos) << r.err;  // 1, 2 have no video

    const dataset::Dataset d = dataset::Dataset::open(out);
    EXPECT_EQ(d.info().codebase_version, "v3.0");
    ASSERT_EQ(d.meta().episodes.size(), 3u);  // source episodes 0, 3 and 4
    EXPECT_EQ(d.info().total_frames, 775 + 762 + 1);
    EXPECT_EQ(d.info().feature("action"), nullptr);
    EXPECT_EQ(d.info().feature("observation.state"), nullptr);
    const std::string key = "observation.images.follower_wrist";
    ASSERT_NE(d.info().feature(key), nullptr);
    EXPECT_EQ(d.info().feature(key)->shape, (std::vector<std::int64_t>{3, 64, 64}));
    ASSERT_EQ(d.meta().tasks.size(), 1u);
    EXPECT_EQ(d.meta().tasks[0], "Move the white rook to D4 on the chessboard.");
    const parquet::Table rows = d.read_episode(1);  // source episode 3
    ASSERT_EQ(rows.num_rows, 762);
    for (std::size_t t = 0; t < 762; ++t) {
        ASSERT_EQ(rows.find("frame_index")->integer(t), static_cast<std::int64_t>(t));
        ASSERT_EQ(rows.find("episode_index")->integer(t), 1);
        ASSERT_EQ(rows.find("index")->integer(t), 775 + static_cast<std::int64_t>(t));
        ASSERT_EQ(rows.find("task_index")->integer(t), 0);
        // float32, as LeRobot stores timestamps
        ASSERT_EQ(rows.find("timestamp")->number(t),
                  static_cast<double>(static_cast<float>(static_cast<double>(t) / 30.0)));
    }
    dataset::FrameReader frames(d);
    EXPECT_EQ(frames.frame(1, key, 761).size(), cv::Size(64, 64));
}

}  // namespace
}  // namespace rcls::testing
