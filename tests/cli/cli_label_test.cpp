// SPDX-License-Identifier: MIT
//
// `rcls label`: the reference's table in and out, --show/--json, every bad input as one line
// naming the episode with exit 3 (label input) or 5 (data), copies, contact sheets.
#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <random>
#include <signal.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rcls/core/atomic_file.hpp"
#include "rcls/dataset/dataset.hpp"

#include "../unit/label/label_fixtures.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"
#include <sys/wait.h>

namespace rcls::testing {
namespace {
namespace fs = std::filesystem;

const std::string kReferenceOutput =
    std::string(kReferenceTable) + "20 episodes, 1932 frames: 869 success, 1063 failure\n";

class CliLabel : public ::testing::Test {
protected:
    void SetUp() override {
        write_reference_dataset(root_);
        write_text(notes_, kReferenceTable);
    }
    /// Runs rcls label and checks it failed with `code` and one error line holding `what`.
    void expect_error(const std::vector<std::string>& args, int code, const std::string& what) {
        std::vector<std::string> all{"label", root_.string()};
        all.insert(all.end(), args.begin(), args.end());
        const ProcessResult r = run_rcls(all);
        EXPECT_EQ(r.exit_code, code) << r.err;
        EXPECT_EQ(count_lines(r.err), 1) << r.err;
        EXPECT_NE(r.err.find("rcls: error: "), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
        EXPECT_TRUE(r.out.empty()) << r.out;
    }
    float reward(std::int64_t e, std::size_t t) const {
        const dataset::Dataset d = dataset::Dataset::open(root_);
        return d.read_episode(e).column("next.reward").as<float>().at(t);
    }
    TempDir dir_;
    fs::path root_ = dir_ / "me" / "so101_reach_grasp_cube_reward_v1";
    fs::path notes_ = dir_ / "notes.txt";
};

TEST_F(CliLabel, ReferenceTablePrints1932Frames869Success1063Failure) {
    const auto start = std::chrono::steady_clock::now();
    const ProcessResult r = run_rcls({"label", root_.string(), "--labels", notes_.string()});
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, kReferenceOutput);
    std::printf("rcls label, 20 episodes / 1932 frames: %.3f s wall\n", seconds);
    EXPECT_EQ(reward(0, 118), 0.0f);
    EXPECT_EQ(reward(0, 119), 1.0f);
    // --show reads back the same table; --json has spans and totals.
    const ProcessResult show = run_rcls({"label", root_.string(), "--show"});
    ASSERT_EQ(show.exit_code, 0) << show.err;
    EXPECT_EQ(show.out, kReferenceOutput);
    const ProcessResult json = run_rcls({"label", root_.string(), "--show", "--json"});
    ASSERT_EQ(json.exit_code, 0) << json.err;
    const auto j = nlohmann::json::parse(json.out);
    EXPECT_EQ(j["total_frames"], 1932);
    EXPECT_EQ(j["success_frames"], 869);
    EXPECT_EQ(j["failure_frames"], 1063);
    EXPECT_EQ(j["episodes"][15]["success_start"], 62);
    EXPECT_EQ(j["episodes"][15]["success_end"], 97);
}

TEST_F(CliLabel, FormsCombineLaterOnesWinning) {
    const fs::path csv = dir_ / "fix.csv";
    write_text(csv, "episode_index,success_start,success_end\n3,never,\n4,42,80\n");
    const ProcessResult r =
        run_rcls({"label", root_.string(), "--set", "4=10", "--labels", notes_.string(), "--labels",
                  csv.string(), "--set", "7=never", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["episodes"][3]["label"], "never");
    EXPECT_EQ(j["episodes"][4]["label"], "42-80");  // the CSV came after --set 4=10
    EXPECT_EQ(j["episodes"][7]["label"], "never");
    EXPECT_EQ(j["episodes"][0]["label"], "119");
    EXPECT_EQ(reward(4, 80), 1.0f);
    EXPECT_EQ(reward(4, 81), 0.0f);
    EXPECT_EQ(reward(7, 90), 0.0f);
}

TEST_F(CliLabel, JsonFileAndSimGroundTruth) {
    write_text(root_ / "rcls/sim_ground_truth.json",  // as the simulation writes it
               R"({"format": "rcls_sim_ground_truth", "version": 1, "fps": 10, "episodes": [
                   {"episode_index": 0, "seed": 1, "num_frames": 200, "outcome": "success",
                    "first_success_frame": 100},
                   {"episode_index": 1, "seed": 2, "num_frames": 200, "outcome": "miss",
                    "first_success_frame": null}]})");
    const fs::path json = dir_ / "l.json";
    write_text(json, R"({"1": 5})");
    const ProcessResult r = run_rcls({"label", root_.string(), "--labels", notes_.string(),
                                      "--labels", json.string(), "--from-sim"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("00: 100 "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("01: never "), std::string::npos) << r.out;
}

TEST_F(CliLabel, FromRecordKeyPresses) {
    write_text(root_ / "meta/rcls_record_keys.json", R"({"episodes": {"2": [30, 60], "3": []}})");
    const ProcessResult r =
        run_rcls({"label", root_.string(), "--labels", notes_.string(), "--from-record", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["episodes"][2]["label"], "30-60");
    EXPECT_EQ(j["episodes"][3]["label"], "never");
    expect_error({"--from-sim"}, 3, "sim_ground_truth.json: missing");
}

TEST_F(CliLabel, KeyLatencyMovesTheKeyPressesEarlier) {
    // 0.25 s at the dataset's 10 fps: 3 frames (2.5 rounded away from zero); never before frame 0.
    write_text(root_ / "meta/rcls_record_keys.json",
               R"({"episodes": {"2": [30, 60], "3": [], "4": [1]}})");
    const ProcessResult r = run_rcls({"label", root_.string(), "--labels", notes_.string(),
                                      "--from-record", "--key-latency", "0.25", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["episodes"][2]["label"], "27-57");
    EXPECT_EQ(j["episodes"][3]["label"], "never");
    EXPECT_EQ(j["episodes"][4]["label"], "0");
    EXPECT_NE(r.err.find("key presses count 3 frames earlier (--key-latency 0.25 at 10 fps)"),
              std::string::npos)
        << r.err;
    expect_error({"--labels", notes_.string(), "--key-latency", "0.2"}, 2,
                 "--key-latency moves the key presses of --from-record");
    expect_error({"--from-record", "--key-latency", "6"}, 2, "--key-latency");
    expect_error({"--from-record", "--key-latency", "-0.1"}, 2, "--key-latency");
}

TEST_F(CliLabel, BadLabelInputExits3NamingTheEpisode) {
    expect_error({"--labels", notes_.string(), "--set", "20=5"}, 3,
                 "episode 20: no such episode in the dataset (episodes 0-19)");
    expect_error({"--labels", notes_.string(), "--set", "1=88"}, 3,
                 "episode 1: success start 88 is past the episode's last frame 87");
    expect_error({"--labels", notes_.string(), "--set", "1=10-88"}, 3,
                 "episode 1: success end 88 is past the episode's last frame 87");
    expect_error({"--labels", notes_.string(), "--set", "2=60-50"}, 3,
                 "episode 2: success end 50 is before its start 60");
    expect_error({"--set", "0=5"}, 3, "episode 1: no label");
    expect_error({"--set", "0=soon"}, 3, "--set 0=soon: \"soon\" is not a label");
    const fs::path bad = dir_ / "bad.txt";
    write_text(bad, "00: 119    05 39\n");
    expect_error({"--labels", bad.string()}, 3, bad.string() + " line 1: episode 5 has no `:`");
    expect_error({"--labels", (dir_ / "none.txt").string()}, 3, "none.txt");
    // Nothing was written by any of them.
    EXPECT_EQ(reward(0, 149), 0.0f);
}

TEST_F(CliLabel, AllowUnlabelledKeepsTheRest) {
    const ProcessResult r =
        run_rcls({"label", root_.string(), "--set", "0=119", "--allow-unlabelled"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("20 episodes, 1932 frames: 31 success, 1901 failure\n"), std::string::npos)
        << r.out;
}

TEST_F(CliLabel, DataAndUsageProblems) {
    const ProcessResult missing =
        run_rcls({"label", (dir_ / "nothing").string(), "--labels", notes_.string()});
    EXPECT_EQ(missing.exit_code, 5) << missing.err;
    EXPECT_EQ(count_lines(missing.err), 1) << missing.err;
    expect_error({}, 2, "no labels given");
    expect_error({"--show", "--set", "0=1"}, 2, "separate uses");
}

TEST_F(CliLabel, OutputWritesACopy) {
    const fs::path out = dir_ / "labelled";
    const ProcessResult r =
        run_rcls({"label", root_.string(), "--labels", notes_.string(), "--output", out.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, kReferenceOutput);
    EXPECT_EQ(reward(0, 149), 0.0f);  // the source is unchanged
    const ProcessResult show = run_rcls({"label", out.string(), "--show"});
    EXPECT_EQ(show.out, kReferenceOutput);
}

/// Rewards of every episode of the dataset at `root`, concatenated.
std::vector<float> all_rewards(const fs::path& root) {
    const dataset::Dataset d = dataset::Dataset::open(root);
    std::vector<float> out;
    for (const dataset::EpisodeMeta& e : d.meta().episodes) {
        const auto r = d.read_episode(e.episode_index).column("next.reward").as<float>();
        out.insert(out.end(), r.begin(), r.end());
    }
    return out;
}

TEST_F(CliLabel, SigkillLeavesTheOldLabelsOrTheNew) {
    // Two label sets, written alternately; every kill must leave one of them whole.
    const fs::path other = dir_ / "other.txt";
    std::string shifted;
    for (std::size_t e = 0; e < 20; ++e) {
        shifted += std::to_string(e) + ": " + std::to_string(kReferenceStarts[e] / 2) + "\n";
    }
    write_text(other, shifted);
    ASSERT_EQ(run_rcls({"label", root_.string(), "--labels", notes_.string()}).exit_code, 0);
    const std::vector<float> a = all_rewards(root_);
    ASSERT_EQ(run_rcls({"label", root_.string(), "--labels", other.string()}).exit_code, 0);
    const std::vector<float> b = all_rewards(root_);
    ASSERT_NE(a, b);
    std::mt19937 random(20261207);
    int killed = 0;
    for (int round = 0; round < 16; ++round) {
        const fs::path& file = round % 2 == 0 ? notes_ : other;
        const pid_t pid = fork();
        if (pid == 0) {
            const int null = ::open("/dev/null", O_WRONLY);
            dup2(null, 1);
            dup2(null, 2);
            execl(RCLS_BINARY, RCLS_BINARY, "label", root_.c_str(), "--labels", file.c_str(),
                  static_cast<char*>(nullptr));
            _exit(127);
        }
        std::this_thread::sleep_for(
            std::chrono::microseconds(std::uniform_int_distribution<int>(2000, 250000)(random)));
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        killed += WIFSIGNALED(status) ? 1 : 0;
        const std::vector<float> now = all_rewards(root_);
        EXPECT_TRUE(now == a || now == b) << "round " << round << ": a mix of old and new labels";
    }
    std::printf("%d of 16 label runs killed mid-way\n", killed);
    // Labelling still works afterwards.
    const ProcessResult r = run_rcls({"label", root_.string(), "--labels", notes_.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, kReferenceOutput);
    EXPECT_EQ(all_rewards(root_), a);
}

TEST(CliLabelCamera, ContactSheetsOnePngPerEpisode) {
    TempDir dir;
    write_reference_dataset(dir / "cam", true, 2);
    const ProcessResult r = run_rcls({"label", (dir / "cam").string(), "--contact-sheet",
                                      (dir / "sheets").string(), "--every", "5"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count_lines(r.out), 2) << r.out;
    EXPECT_TRUE(fs::exists(dir / "sheets/episode_000000.png"));
    EXPECT_TRUE(fs::exists(dir / "sheets/episode_000001.png"));
}

}  // namespace
}  // namespace rcls::testing
