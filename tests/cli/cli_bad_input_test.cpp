// SPDX-License-Identifier: MIT
//
// Bad inputs found by trying main as users would (issue "Fixes from trying main as users would"):
// each must end in one line naming the path or option, with the documented exit code, never a hang
// or a runaway.
#include <cstring>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rcls/arm/sim_bus.hpp"
#include "rcls/core/atomic_file.hpp"
#include "rcls/core/clock.hpp"
#include "rcls/parquet/reader.hpp"
#include "rcls/parquet/writer.hpp"

#include "checkpoint_fixture.hpp"
#include "dataset_fixtures.hpp"
#include "error_message.hpp"
#include "prerequisite.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"
#include "v21_dataset.hpp"
#include <sys/stat.h>

namespace rcls::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

class CliBadInput : public ::testing::Test {
protected:
    fs::path fifo(const std::string& name) const {
        const fs::path path = dir_ / name;
        EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0);
        return path;
    }
    TempDir dir_;
};

TEST_F(CliBadInput, AFifoGivenAsAVideoIsRefusedNotWaitedOn) {
    const fs::path path = fifo("f.mp4");
    const ProcessResult r =
        run_rcls({"preprocess", path.string(), "--output", (dir_ / "o").string()}, seconds(20));
    EXPECT_EQ(r.exit_code, 5) << r.err;
    EXPECT_NE(r.err.find(path.string() + ": is a named pipe (FIFO), not a video file"),
              std::string::npos)
        << r.err;
}

TEST_F(CliBadInput, AFifoGivenAsAConfigWithNoWriterIsRefusedNotWaitedOn) {
    const fs::path path = fifo("record.json");
    const ProcessResult r = run_rcls({"config", "check", path.string()}, seconds(20));
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.exit_code, 128 + 9) << "killed by the test's timeout: it hung";
    EXPECT_NE(r.err.find(path.string()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("named pipe"), std::string::npos) << r.err;
}

TEST_F(CliBadInput, AFifoGivenAsADatasetFileIsRefusedNotWaitedOn) {
    fs::create_directories(dir_ / "ds" / "meta");
    const fs::path info = dir_ / "ds" / "meta" / "info.json";
    ASSERT_EQ(::mkfifo(info.c_str(), 0600), 0);
    const ProcessResult r = run_rcls({"dataset", "info", (dir_ / "ds").string()}, seconds(20));
    EXPECT_EQ(r.exit_code, 5) << r.err;
    EXPECT_NE(r.err.find(info.string()), std::string::npos) << r.err;
}

TEST_F(CliBadInput, ACharacterDeviceIsRefusedNotReadForEver) {
    const ProcessResult r = run_rcls({"config", "check", "/dev/zero"}, seconds(20));
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.exit_code, 128 + 9) << "killed by the test's timeout: it hung";
    EXPECT_NE(r.err.find("/dev/zero: is a character device"), std::string::npos) << r.err;
}

TEST_F(CliBadInput, ThreadCountsAreBoundedWithAClearError) {
    write_random_checkpoint(dir_ / "model", classifier_config({"front"}), 3);
    for (const char* threads : {"100000", "1000"}) {
        const ProcessResult r = run_rcls({"predict", "--checkpoint", (dir_ / "model").string(),
                                          "--benchmark", "1", "--threads", threads},
                                         seconds(60));
        EXPECT_EQ(r.exit_code, 3) << threads << ": " << r.err;
        EXPECT_NE(r.err.find("--threads: " + std::string(threads) + " threads is out of range"),
                  std::string::npos)
            << r.err;
        EXPECT_EQ(count_lines(r.err), 1) << r.err;
    }
}

TEST_F(CliBadInput, PreprocessJobsAreBoundedWithAClearError) {
    const ProcessResult r = run_rcls(
        {"preprocess", "/nonexistent.mp4", "--output", (dir_ / "o").string(), "--jobs", "100000"},
        seconds(20));
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("--jobs: 100000 threads is out of range"), std::string::npos) << r.err;
}

// Issue 10 item 1: a negative episode length in meta/episodes.jsonl crashed (SIGSEGV in
// Table::slice) `dataset info --check` and `preprocess`, and `predict --episodes` exited 0 with no
// output. Every length, index and offset read from a file is validated before use: exit 5 naming
// the file, line and episode.
TEST_F(CliBadInput, ANegativeEpisodeLengthIsRefusedNamingTheFile) {
    const fs::path root = dir_ / "v21";
    make_v21_dataset(root, R"({"episode_index": 0, "tasks": ["t"], "length": -5})");
    const std::string where = (root / "meta/episodes.jsonl").string() + ":1: episode 0: length -5";
    const std::vector<std::vector<std::string>> commands = {
        {"dataset", "info", root.string(), "--check"},
        {"preprocess", root.string(), "--output", (dir_ / "o").string(), "--skip-missing"},
    };
    for (const auto& args : commands) {
        const ProcessResult r = run_rcls(args, seconds(60));
        EXPECT_EQ(r.exit_code, 5) << args[0] << ": " << r.err;
        EXPECT_NE(r.err.find(where), std::string::npos) << args[0] << ": " << r.err;
    }
}

TEST_F(CliBadInput, AnEpisodeIndexOrLengthPastAnyBoundIsRefused) {
    for (const char* line : {R"({"episode_index": -1, "length": 3})",
                             R"({"episode_index": 0, "length": 9223372036854775807})"}) {
        const fs::path root = dir_ / "v21";
        fs::remove_all(root);
        make_v21_dataset(root, line);
        const ProcessResult r =
            run_rcls({"dataset", "info", root.string(), "--check"}, seconds(60));
        EXPECT_EQ(r.exit_code, 5) << line << ": " << r.err;
        EXPECT_NE(r.err.find("out of range"), std::string::npos) << r.err;
    }
}

// Issue 10 item 5: NaN (and infinity) is refused by every numeric flag, in one shared check: a
// range check such as CLI::PositiveNumber lets NaN through. Exit 2 (a bad command line) naming
// the flag; never a run that does not end or labels everything.
TEST_F(CliBadInput, NanAndInfinityAreRefusedByEveryNumericFlag) {
    write_random_checkpoint(dir_ / "model", classifier_config({"front"}), 3);
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"predict", "--checkpoint", (dir_ / "model").string(), "--benchmark", "1", "--threshold",
          "nan"},
         "--threshold"},
        {{"arm", "teleop", "--duration", "nan"}, "--duration"},
        {{"arm", "calibrate", "--port", "/dev/null", "--range-seconds", "nan"}, "--range-seconds"},
        {{"predict", "--checkpoint", (dir_ / "model").string(), "--benchmark", "1", "--threshold",
          "-nan"},
         "--threshold"},
    };
    for (const auto& [args, flag] : cases) {
        const ProcessResult r = run_rcls(args, seconds(20));
        EXPECT_EQ(r.exit_code, 2) << args[1] << " " << flag << ": " << r.err;
        EXPECT_NE(r.err.find(flag), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("finite"), std::string::npos) << r.err;
        EXPECT_EQ(count_lines(r.err), 1) << r.err;
    }
    // Infinity and past a double: a range check may refuse them first; still a usage error
    // naming the flag, with short numbers.
    for (const char* value : {"inf", "1e400"}) {
        const ProcessResult teleop = run_rcls({"arm", "teleop", "--duration", value}, seconds(20));
        EXPECT_EQ(teleop.exit_code, 2) << teleop.err;
        EXPECT_NE(teleop.err.find("--duration"), std::string::npos) << teleop.err;
        EXPECT_EQ(count_lines(teleop.err), 1) << teleop.err;
        EXPECT_LT(teleop.err.size(), 200u) << teleop.err;
    }
}

TEST_F(CliBadInput, NanForTheSafetyClampIsRefused) {
    const ProcessResult r =
        run_rcls({"arm", "teleop", "--max-relative-target", "nan"}, seconds(20));
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("--max-relative-target"), std::string::npos) << r.err;
}

// Issue 10 item 6: 1e400 was exit 1 "internal error" without the file's name.
TEST_F(CliBadInput, ANumberPastADoubleInAConfigFileNamesTheFileAndPointer) {
    const fs::path file = dir_ / "record.json";
    write_file(file, "{\n  \"fps\": 10,\n  \"robot\": {\"max_relative_target\": 1e400}\n}\n");
    const ProcessResult r = run_rcls({"config", "check", file.string()}, seconds(20));
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find(file.string() + ":3: /robot/max_relative_target: "), std::string::npos)
        << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
}

TEST_F(CliBadInput, ANumberPastADoubleInAConfigFlagIsAConfigError) {
    const ProcessResult r =
        run_rcls({"config", "show", "record", "--control_time_s", "1e400"}, seconds(20));
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("--control_time_s: \"1e400\" is out of range"), std::string::npos)
        << r.err;
}

TEST_F(CliBadInput, AnAbsurdCheckpointDimensionIsOneModelErrorLine) {
    write_random_checkpoint(dir_ / "model", classifier_config({"front"}), 3);
    nlohmann::json config = nlohmann::json::parse(read_file(dir_ / "model" / "config.json"));
    config["hidden_dim"] = 2147483647;
    write_file(dir_ / "model" / "config.json", config.dump());
    const ProcessResult r = run_rcls(
        {"predict", "--checkpoint", (dir_ / "model").string(), "--benchmark", "1"}, seconds(60));
    EXPECT_EQ(r.exit_code, 6) << r.err;
    EXPECT_NE(r.err.find("hidden_dim 2147483647 is out of range"), std::string::npos) << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
}

// Issue 10 item 5: NaN weights (a diverged training) scored every frame `nan` with exit 0.
TEST_F(CliBadInput, NanWeightsInACheckpointAreRefused) {
    write_random_checkpoint(dir_ / "model", classifier_config({"front"}), 3);
    const fs::path weights = dir_ / "model" / "model.safetensors";
    std::string bytes = read_file(weights);
    std::uint64_t header_size = 0;
    std::memcpy(&header_size, bytes.data(), 8);
    const auto header = nlohmann::json::parse(bytes.substr(8, header_size));
    std::string name;
    std::size_t offset = 0;
    for (const auto& [key, info] : header.items()) {
        if (key == "__metadata__" || info["dtype"] != "F32") continue;
        name = key;
        offset = 8 + header_size + info["data_offsets"][0].get<std::size_t>();
        break;
    }
    ASSERT_FALSE(name.empty());
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::memcpy(&bytes[offset], &nan, sizeof(nan));
    write_file(weights, bytes);
    const ProcessResult r = run_rcls(
        {"predict", "--checkpoint", (dir_ / "model").string(), "--benchmark", "1"}, seconds(60));
    EXPECT_EQ(r.exit_code, 6) << r.err;
    EXPECT_NE(r.err.find("tensor \"" + name + "\" holds 1 NaN or infinite values"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.out.find("nan"), std::string::npos) << r.out;
}

// Issue 10 item 7: encoder settings are checked up front (exit 3, before any input is read),
// per codec; they used to be accepted silently or to fail late with exit 5 and wrong advice.
TEST_F(CliBadInput, EncoderSettingsAreCheckedUpFrontPerCodec) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--crf", "999"}, "crf 999 is out of range for h264 (0-51"},
        {{"--crf", "-1"}, "crf -1 is out of range for h264 (0-51"},
        {{"--vcodec", "av1", "--crf", "64"}, "crf 64 is out of range for av1 (0-63"},
        {{"--vcodec", "mpeg4", "--crf", "0"}, "crf 0 is out of range for mpeg4 (1-31"},
        {{"--gop", "0"}, "gop 0 is out of range"},
        {{"--gop", "-1"}, "gop -1 is out of range"},
        {{"--preset", "bogus"}, "preset \"bogus\" is not a h264 preset"},
        {{"--vcodec", "av1", "--preset", "veryfast"}, "preset \"veryfast\" is not a av1 preset"},
        {{"--vcodec", "mpeg4", "--preset", "fast"}, "mpeg4 has no presets"},
        {{"--vcodec", "av1", "--size", "16"}, "size 16x16 is out of range for av1 (64 to 16384"},
        {{"--size", "100000"}, "--size \"100000\": 100000 is out of range (1 to 16384"},
        {{"--size", "1"}, "size 1x1 is out of range for h264"},
        {{"--size", "129"}, "size 129x129: yuv420p video needs an even width and height"},
    };
    for (const auto& [flags, message] : cases) {
        std::vector<std::string> args = {"preprocess", "/nonexistent.mp4", "--output",
                                         (dir_ / "o").string()};
        args.insert(args.end(), flags.begin(), flags.end());
        const ProcessResult r = run_rcls(args, seconds(20));
        EXPECT_EQ(r.exit_code, 3) << flags.front() << " " << flags.back() << ": " << r.err;
        EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
        EXPECT_EQ(count_lines(r.err), 1) << r.err;
    }
}

TEST_F(CliBadInput, ARecordResizePastAnyVideoIsAConfigError) {
    const ProcessResult r =
        run_rcls({"config", "show", "record", "--resize_size", "[100000,100000]"}, seconds(20));
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("/resize_size: sizes must be 1 to 16384 pixels"), std::string::npos)
        << r.err;
}

TEST_F(CliBadInput, TrailingBytesAfterANulInAConfigAreRefused) {
    const fs::path file = dir_ / "record.json";
    write_file(file, std::string("{\"fps\": 10}\0{\"fps\": 99999}", 27));
    const ProcessResult r = run_rcls({"config", "check", file.string()}, seconds(20));
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find(file.string() + ":1:12: invalid JSON: a NUL byte"), std::string::npos)
        << r.err;
}

// Issue 10 item 8: `dataset info --check` exited 0 on datasets that lie.
class CliBadDataset : public CliBadInput {
protected:
    void SetUp() override {
        auto writer = dataset::DatasetWriter::create(root_, synthetic_spec());
        write_synthetic_episodes(writer, 0, 2);
    }
    /// Edits meta/info.json with `edit`.
    template <class F>
    void edit_info(F edit) {
        nlohmann::ordered_json info =
            nlohmann::ordered_json::parse(read_file(root_ / "meta/info.json"));
        edit(info);
        write_file(root_ / "meta/info.json", info.dump(4));
    }
    ProcessResult check() const {
        return run_rcls({"dataset", "info", root_.string(), "--check"}, seconds(60));
    }
    fs::path root_ = dir_ / "ds";
};

TEST_F(CliBadDataset, TheUntouchedDatasetPasses) {
    const ProcessResult r = check();
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(CliBadDataset, ATruncatedStatsJsonIsAProblem) {
    const std::string stats = read_file(root_ / "meta/stats.json");
    write_file(root_ / "meta/stats.json", stats.substr(0, stats.size() / 2));
    const ProcessResult r = check();
    EXPECT_EQ(r.exit_code, 5) << r.err;
    EXPECT_NE(r.out.find("  " + (root_ / "meta/stats.json").string() + ": invalid JSON"),
              std::string::npos)
        << r.out;
}

TEST_F(CliBadDataset, AnAbsurdFpsIsRefused) {
    edit_info([](auto& info) { info["fps"] = 1e308; });
    const ProcessResult r = check();
    EXPECT_EQ(r.exit_code, 5) << r.err;
    EXPECT_NE(r.err.find("\"fps\" 1e+308 is out of range"), std::string::npos) << r.err;
}

TEST_F(CliBadDataset, AStateShapeOverDataOfAnotherSizeIsAProblem) {
    edit_info([](auto& info) { info["features"]["observation.state"]["shape"] = {7}; });
    const ProcessResult r = check();
    EXPECT_EQ(r.exit_code, 5) << r.err;
    EXPECT_NE(r.out.find("column \"observation.state\" row 0 holds 6 values, info.json's shape "
                         "says 7"),
              std::string::npos)
        << r.out;
}

TEST_F(CliBadDataset, AWrongDtypeIsAProblem) {
    edit_info([](auto& info) { info["features"]["next.reward"]["dtype"] = "int64"; });
    const ProcessResult r = check();
    EXPECT_EQ(r.exit_code, 5) << r.err;
    EXPECT_NE(r.out.find("info.json says dtype int64"), std::string::npos) << r.out;
}

TEST_F(CliBadDataset, ImpossibleCameraShapesAreRefused) {
    for (const std::vector<int>& shape :
         {std::vector<int>{3, 0, 0}, std::vector<int>{3, 100000, 100000}}) {
        edit_info([&](auto& info) {
            info["features"]["observation.images.front"] = {
                {"dtype", "video"}, {"shape", shape}, {"names", {"channels", "height", "width"}}};
        });
        const ProcessResult r = check();
        EXPECT_EQ(r.exit_code, 5) << r.err;
        EXPECT_NE(r.err.find("features/observation.images.front/shape"), std::string::npos)
            << r.err;
    }
}

TEST_F(CliBadDataset, TheProblemListDoesNotRepeatItsPrefix) {
    const fs::path data = root_ / "data/chunk-000/file-000.parquet";
    const std::string bytes = read_file(data);
    write_file(data, bytes.substr(0, bytes.size() / 2));
    const ProcessResult r = check();
    EXPECT_EQ(r.exit_code, 5) << r.err;
    const std::string line = "  episode 0: " + data.string() + ": ";
    const std::size_t at = r.out.find(line);
    ASSERT_NE(at, std::string::npos) << r.out;
    const std::string rest =
        r.out.substr(at + line.size(), r.out.find('\n', at) - at - line.size());
    EXPECT_EQ(rest.find("episode 0"), std::string::npos) << rest;
    EXPECT_EQ(rest.find(data.string()), std::string::npos) << rest;
}

TEST(CliBadDatasetVideo, CheckCountsOnlyTheFramesThatExist) {
    TempDir dir;
    const fs::path root = dir / "d";
    {
        // A tiny video file size: one video file per episode.
        auto writer =
            dataset::DatasetWriter::create(root, synthetic_spec_with_camera(100.0, 1000, 1e-6));
        for (std::int64_t e = 0; e < 2; ++e) {
            for (std::int64_t t = 0; t < synthetic_length(e); ++t)
                writer.add_frame(synthetic_frame(e, t));
            make_synthetic_video(writer.episode_video_path(kSyntheticCamera), e);
            writer.save_episode();
        }
    }
    const fs::path second = root / "videos/observation.images.front/chunk-000/file-001.mp4";
    ASSERT_TRUE(fs::exists(second));
    fs::remove(second);
    const ProcessResult r = run_rcls({"dataset", "info", root.string(), "--check"}, seconds(60));
    EXPECT_EQ(r.exit_code, 5) << r.err;
    const std::string counted =
        std::to_string(synthetic_length(0)) + "/" + std::to_string(synthetic_length(0)) + " frames";
    EXPECT_NE(r.err.find(counted), std::string::npos) << r.err;
    const std::int64_t all = synthetic_length(0) + synthetic_length(1);
    EXPECT_EQ(r.err.find("/" + std::to_string(all) + " frames"), std::string::npos) << r.err;
}

// Issue 10 item 17: `rcls frobnicate` said "A subcommand is required"; `rcls frobnicate --help`
// printed the top-level help with exit 0.
TEST_F(CliBadInput, AnUnknownCommandIsNamed) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"frobnicate"}, "unknown command \"frobnicate\"; commands: "},
        {{"frobnicate", "--help"}, "unknown command \"frobnicate\"; commands: "},
        {{"-v", "frobnicate"}, "unknown command \"frobnicate\"; commands: "},
        {{"arm", "frobnicate"}, "unknown command \"frobnicate\" for arm; commands: "},
        {{"dataset", "inf"}, "unknown command \"inf\" for dataset (did you mean \"info\"?)"},
    };
    for (const auto& [args, message] : cases) {
        const ProcessResult r = run_rcls(args, seconds(20));
        EXPECT_EQ(r.exit_code, 2) << args.front() << ": " << r.err;
        EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
        EXPECT_EQ(count_lines(r.err), 1) << r.err;
        EXPECT_TRUE(r.out.empty()) << r.out;
    }
}

TEST_F(CliBadInput, RangeErrorsPrintShortNumbers) {
    const ProcessResult r =
        run_rcls({"predict", "--benchmark", "1", "--threads", "-1"}, seconds(20));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("--threads"), std::string::npos) << r.err;
    EXPECT_LT(r.err.size(), 300u) << r.err;
    EXPECT_EQ(r.err.find("0000000000000000"), std::string::npos) << r.err;
}

// Issue 10 item 13: one flag convention. '-' and '_' are interchangeable in every long option
// (config paths and command options alike), `--a.b=value` works, LeRobot's spellings of the arm
// fields are accepted, and --print-config shows what the flags set.
TEST_F(CliBadInput, DashesAndUnderscoresNameTheSameFlag) {
    const ProcessResult r = run_rcls({"config", "show", "record", "--control-time-s", "3",
                                      "--dataset.repo-id=me/x", "--locked-joints", "gripper"},
                                     seconds(20));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto config = nlohmann::json::parse(r.out);
    EXPECT_EQ(config["control_time_s"], 3.0);
    EXPECT_EQ(config["dataset"]["repo_id"], "me/x");
    EXPECT_EQ(config["locked_joints"], nlohmann::json::array({"gripper"}));

    const ProcessResult info =
        run_rcls({"dataset", "info", (dir_ / "none").string(), "--skip_missing"}, seconds(20));
    EXPECT_EQ(info.exit_code, 5) << info.err;  // the option is known; the folder is not
}

TEST_F(CliBadInput, TeleopTakesLeRobotSpellingsAndPrintConfigShowsTheFlags) {
    const ProcessResult r =
        run_rcls({"--print-config", "arm", "teleop", "--fps", "30", "--robot.port=/dev/ttyF",
                  "--teleop.id=blue", "--locked_joints", "gripper", "--calibration-dir",
                  (dir_ / "cal").string()},
                 seconds(20));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto config = nlohmann::json::parse(r.out);
    EXPECT_EQ(config["fps"], 30);
    EXPECT_EQ(config["robot"]["port"], "/dev/ttyF");
    EXPECT_EQ(config["teleop"]["id"], "blue");
    EXPECT_EQ(config["locked_joints"], nlohmann::json::array({"gripper"}));
    EXPECT_EQ(config["robot"]["calibration_dir"], (dir_ / "cal").string());
    EXPECT_EQ(config["teleop"]["calibration_dir"], (dir_ / "cal").string());
}

// Issue 10 item 9: a calibration file with one bad value was half-written to the motors before
// an error that did not name the file; `--id ../../x` wrote outside the calibration folder; a
// --calibration-dir that is a file failed only after the whole calibration.
class CliBadCalibration : public CliBadInput {
protected:
    std::string serve(arm::SimOptions options = {}) {
        bus_ = std::make_shared<arm::SimBus>(std::move(options), steady_clock().now());
        server_ = std::make_unique<arm::PtySimServer>(bus_, dir_ / "bus");
        server_->start();
        return server_->path();
    }
    std::vector<std::string> env() const {
        return {"HF_LEROBOT_CALIBRATION=" + (dir_ / "calibration").string()};
    }
    std::shared_ptr<arm::SimBus> bus_;
    std::unique_ptr<arm::PtySimServer> server_;
};

TEST_F(CliBadCalibration, AFileWithOneBadValueIsRefusedBeforeAnyWrite) {
    const std::string port = serve();
    const fs::path file = dir_ / "calibration/robots/so_follower/blue.json";
    fs::create_directories(file.parent_path());
    std::string text = "{";
    const char* joints[] = {"shoulder_pan", "shoulder_lift", "elbow_flex",
                            "wrist_flex",   "wrist_roll",    "gripper"};
    for (int i = 0; i < 6; ++i) {
        text += std::string(i ? "," : "") + "\"" + joints[i] +
                "\": {\"id\": " + std::to_string(i + 1) +
                ", \"drive_mode\": 0, \"homing_offset\": " + (i == 5 ? "5000" : "100") +
                ", \"range_min\": 1000, \"range_max\": 3000}";
    }
    write_file(file, text + "}");
    const std::optional<int> before = bus_->register_value(1, "Homing_Offset");
    const ProcessResult r = run_rcls(
        {"arm", "calibrate", "--port", port, "--role", "follower", "--id", "blue", "--yes"},
        seconds(60), env());
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find(file.string() + ": /gripper/homing_offset: 5000 is out of range"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(bus_->register_value(1, "Homing_Offset"), before) << "written before the error";
}

TEST_F(CliBadCalibration, AnIdIsAFileNameAndTheFolderMustBeAFolder) {
    const std::string port = serve();
    const ProcessResult r = run_rcls(
        {"arm", "calibrate", "--port", port, "--role", "follower", "--id", "../../x", "--yes"},
        seconds(60), env());
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("--id \"../../x\": an arm id is a file name"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir_ / "calibration/x.json"));

    write_file(dir_ / "plain", "not a folder");
    const auto start = std::chrono::steady_clock::now();
    const ProcessResult file =
        run_rcls({"arm", "calibrate", "--port", port, "--role", "follower", "--id", "blue", "--yes",
                  "--calibration-dir", (dir_ / "plain").string()},
                 seconds(60), env());
    EXPECT_EQ(file.exit_code, 3) << file.err;
    EXPECT_NE(file.err.find((dir_ / "plain").string() + ": is not a folder"), std::string::npos)
        << file.err;
    EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5)) << "after the calibration";
}

// Issue 10 item 17: `rcls predict` on a dataset showed no progress while scoring.
TEST_F(CliBadInput, PredictOnADatasetReportsProgress) {
    {
        dataset::WriterOptions options;
        video::EncoderSettings settings;
        settings.codec = video::Codec::kH264;
        options.video = settings;
        auto writer =
            dataset::DatasetWriter::create(dir_ / "ds", synthetic_spec_with_camera(), options);
        for (std::int64_t t = 0; t < synthetic_length(0); ++t) {
            dataset::Frame frame = synthetic_frame(0, t);
            frame.images[kSyntheticCamera] = synthetic_image(0, t);
            writer.add_frame(frame);
        }
        writer.save_episode();
    }
    write_random_checkpoint(dir_ / "model", classifier_config({"front"}), 3);
    const ProcessResult r = run_rcls(
        {"predict", "--checkpoint", (dir_ / "model").string(), (dir_ / "ds").string(), "--json"},
        seconds(120));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("predict: " + std::to_string(synthetic_length(0)) + " frames ("),
              std::string::npos)
        << r.err;
}

// Issue 10 item 10: a scan that finds no servo exited 0 and suggested --all-bauds even when
// given; `find-port --list` printed nothing at all without adapters.
TEST_F(CliBadCalibration, AScanThatFindsNoServoFailsWithAdviceThatFits) {
    arm::SimOptions options;
    options.faults.missing_ids = {1, 2, 3, 4, 5, 6};
    const std::string port = serve(std::move(options));
    const ProcessResult r = run_rcls({"arm", "scan", "--port", port}, seconds(60));
    EXPECT_EQ(r.exit_code, 4) << r.err;
    EXPECT_NE(r.err.find("no servo answered on " + port + " at 1000000 baud"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("try --all-bauds"), std::string::npos) << r.err;
    const ProcessResult all =
        run_rcls({"arm", "scan", "--port", port, "--all-bauds"}, seconds(120));
    EXPECT_EQ(all.exit_code, 4) << all.err;
    EXPECT_NE(all.err.find("at any speed LeRobot scans"), std::string::npos) << all.err;
    EXPECT_EQ(all.err.find("try --all-bauds"), std::string::npos) << all.err;
    EXPECT_NE(all.err.find("scan: "), std::string::npos) << "no progress: " << all.err;
}

TEST_F(CliBadInput, FindPortListSaysWhenThereIsNoAdapter) {
    fs::create_directories(dir_ / "dev");
    const ProcessResult r =
        run_rcls({"arm", "find-port", "--list", "--dev-dir", (dir_ / "dev").string()}, seconds(20));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_NE(r.err.find("no USB serial adapter in " + (dir_ / "dev").string()), std::string::npos)
        << r.err;
}

// Issue 10 item 12: `arm read` without --id looked for the id "follower"; with the id of a leader
// and no --role it said to calibrate it as a follower.
TEST_F(CliBadCalibration, ReadFindsTheRoleOfAnIdAndTheOnlyCalibrationWithoutOne) {
    const std::string port = serve();
    std::string text = "{";
    const char* joints[] = {"shoulder_pan", "shoulder_lift", "elbow_flex",
                            "wrist_flex",   "wrist_roll",    "gripper"};
    for (int i = 0; i < 6; ++i) {
        text += std::string(i ? "," : "") + "\"" + joints[i] +
                "\": {\"id\": " + std::to_string(i + 1) +
                ", \"drive_mode\": 0, \"homing_offset\": 0, \"range_min\": 1000, "
                "\"range_max\": 3000}";
    }
    const fs::path file = dir_ / "calibration/teleoperators/so_leader/my_leader.json";
    fs::create_directories(file.parent_path());
    write_file(file, text + "}");
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"arm", "read", "--port", port, "--id", "my_leader", "--json"},
          std::vector<std::string>{"arm", "read", "--port", port, "--json"}}) {
        const ProcessResult r = run_rcls(args, seconds(60), env());
        EXPECT_EQ(r.exit_code, 0) << args.size() << ": " << r.err;
        EXPECT_NE(r.out.find("\"gripper\""), std::string::npos) << r.out;
    }
    const fs::path second = dir_ / "calibration/robots/so_follower/blue.json";
    fs::create_directories(second.parent_path());
    write_file(second, text + "}");
    const ProcessResult several =
        run_rcls({"arm", "read", "--port", port, "--json"}, seconds(60), env());
    EXPECT_EQ(several.exit_code, 3) << several.err;
    EXPECT_NE(several.err.find("several calibrations (follower 'blue', leader 'my_leader'); "
                               "choose one with --id"),
              std::string::npos)
        << several.err;
}

// Issue 10 item 16: preprocess wrote beside the source by default (a read-only shared folder);
// it now writes where a LeRobot user looks: $HF_LEROBOT_HOME/<user>/<name>_<size>.
TEST_F(CliBadInput, PreprocessWritesUnderHfLerobotHomeByDefault) {
    const fs::path source = dir_ / "shared" / "me" / "cubes";
    {
        dataset::WriterOptions options;
        video::EncoderSettings settings;
        settings.codec = video::Codec::kH264;
        options.video = settings;
        auto writer = dataset::DatasetWriter::create(source, synthetic_spec_with_camera(), options);
        for (std::int64_t t = 0; t < synthetic_length(0); ++t) {
            dataset::Frame frame = synthetic_frame(0, t);
            frame.images[kSyntheticCamera] = synthetic_image(0, t);
            writer.add_frame(frame);
        }
        writer.save_episode();
    }
    const fs::path home = dir_ / "home";
    const ProcessResult r = run_rcls({"preprocess", source.string(), "--size", "64"}, seconds(120),
                                     {"HF_LEROBOT_HOME=" + home.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::exists(home / "me" / "cubes_64" / "meta" / "info.json")) << r.out << r.err;
    EXPECT_FALSE(fs::exists(dir_ / "shared" / "me" / "cubes_64"));
}

// Issue 10 item 15: `preprocess --skip-missing` renumbered episodes silently and kept no
// mapping, did not skip a damaged video, and left an empty .rcls-staging folder behind.
TEST(CliBadPreprocess, SkipMissingSkipsDamagedVideosAndKeepsTheMapping) {
    if (!fs::exists("/usr/bin/ffmpeg")) RCLS_PREREQUISITE_MISSING() << "ffmpeg not installed";
    TempDir dir;
    const fs::path root = dir / "me" / "cubes";
    {
        auto writer =
            dataset::DatasetWriter::create(root, synthetic_spec_with_camera(100.0, 1000, 1e-6));
        for (std::int64_t e = 0; e < 4; ++e) {
            for (std::int64_t t = 0; t < synthetic_length(e); ++t)
                writer.add_frame(synthetic_frame(e, t));
            make_synthetic_video(writer.episode_video_path(kSyntheticCamera), e);
            writer.save_episode();
        }
    }
    const fs::path videos = root / "videos/observation.images.front/chunk-000";
    ASSERT_TRUE(fs::exists(videos / "file-003.mp4"));
    fs::remove(videos / "file-001.mp4");
    const std::string bytes = read_file(videos / "file-002.mp4");
    write_file(videos / "file-002.mp4", bytes.substr(0, bytes.size() / 2));
    const fs::path out = dir / "out";
    const ProcessResult r = run_rcls(
        {"preprocess", root.string(), "--output", out.string(), "--skip-missing", "--size", "64"},
        seconds(120));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("episodes renumbered in the output (source->output; kept in "
                         "meta/rcls_preprocess.json): 3->1"),
              std::string::npos)
        << r.err;
    const auto record = nlohmann::json::parse(read_file(out / "meta/rcls_preprocess.json"));
    EXPECT_EQ(record["source_episodes"], nlohmann::json::array({0, 3}));
    const auto info = nlohmann::json::parse(read_file(out / "meta/info.json"));
    EXPECT_EQ(info["total_episodes"], 2);
    EXPECT_FALSE(fs::exists(out / ".rcls-staging"));
}

// Issue 10 item 18: rcls read frame t at from_timestamp + t / fps, taking any frame within half a
// frame; LeRobot reads it at from_timestamp + timestamp[t] and refuses a frame farther than 1e-4 s.
// A timestamp 2e-4 s off is now refused, as LeRobot refuses it, in one line naming the file, the
// episode, the frame, the wanted and the nearest times and what to do.
TEST_F(CliBadInput, PredictRefusesAFrameWhoseTimestampIsOffByMoreThanLeRobotsTolerance) {
    const fs::path root = dir_ / "ds";
    {
        dataset::WriterOptions options;
        video::EncoderSettings settings;
        settings.codec = video::Codec::kH264;
        options.video = settings;
        auto writer = dataset::DatasetWriter::create(root, synthetic_spec_with_camera(), options);
        for (std::int64_t t = 0; t < synthetic_length(0); ++t) {
            dataset::Frame frame = synthetic_frame(0, t);
            frame.images[kSyntheticCamera] = synthetic_image(0, t);
            writer.add_frame(frame);
        }
        writer.save_episode();
    }
    write_random_checkpoint(dir_ / "model", classifier_config({"front"}), 3);
    const auto predict = [&] {
        return run_rcls(
            {"-q", "predict", "--checkpoint", (dir_ / "model").string(), root.string(), "--json"},
            seconds(120));
    };
    ProcessResult r = predict();  // on the grid: every frame is read
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count_lines(r.out), synthetic_length(0));

    const fs::path data = root / "data/chunk-000/file-000.parquet";
    parquet::Table table = parquet::read_table(data);
    std::vector<float>& timestamps = table.find("timestamp")->as<float>();
    const double fps = nlohmann::json::parse(read_file(root / "meta/info.json"))["fps"];
    timestamps[4] = static_cast<float>(4.0 / fps + 2e-4);
    parquet::write_table(data, table);
    r = predict();
    EXPECT_EQ(r.exit_code, 5) << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    const fs::path video = root / "videos/observation.images.front/chunk-000/file-000.mp4";
    EXPECT_NE(r.err.find("episode 0, observation.images.front, frame 4: " + video.string() +
                         ": no frame within 0.0001 s of "),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("the nearest is at "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("LeRobot refuses this frame too"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace rcls::testing
