// SPDX-License-Identifier: MIT
//
// `rcls record` run as a user runs it, on the simulated scene: the JSON summary, exit codes and
// one-line errors, Ctrl-C, and SIGKILL at random moments (every episode announced as saved before
// the kill reopens, and --resume goes on from there).
#include <chrono>
#include <csignal>
#include <poll.h>
#include <pty.h>
#include <random>
#include <regex>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rcls/dataset/dataset.hpp"

#include "checkpoint_fixture.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"
#include <sys/wait.h>

namespace rcls::testing {
namespace {

using namespace std::chrono_literals;

const std::string kSimConfig = std::string(RCLS_SOURCE_DIR) + "/configs/sim_record_config.json";
constexpr const char* kSmallCamera =
    R"({"front": {"type": "sim", "width": 96, "height": 64, "fps": 10, "warmup_s": 0.0}})";

std::vector<std::string> sim_args(const std::filesystem::path& root,
                                  int episodes,
                                  double seconds,
                                  std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"record",
                                     "-c",
                                     kSimConfig,
                                     "--num_episodes",
                                     std::to_string(episodes),
                                     "--control_time_s",
                                     std::to_string(seconds),
                                     "--reset_time_s",
                                     "0.2",
                                     "--robot.cameras",
                                     kSmallCamera,
                                     "--dataset.vcodec",
                                     "libx264",
                                     "--dataset.root",
                                     root.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

std::vector<std::string> with_binary(std::vector<std::string> args) {
    args.insert(args.begin(), RCLS_BINARY);
    return args;
}

/// The highest episode index the log announced as saved, or -1.
int last_saved(const std::string& log) {
    static const std::regex saved(R"(episode (\d+) saved)");
    int last = -1;
    for (auto it = std::sregex_iterator(log.begin(), log.end(), saved);
         it != std::sregex_iterator(); ++it) {
        last = std::max(last, std::stoi((*it)[1].str()));
    }
    return last;
}

TEST(CliRecord, SimRecordingPrintsTheJsonSummaryAndTheDatasetOpens) {
    TempDir dir;
    const auto root = dir / "ds";
    const ProcessResult r = run_rcls(sim_args(root, 2, 2.0, {"--json", "--sim_seed", "3"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto summary = nlohmann::json::parse(r.out);
    EXPECT_EQ(summary["episodes_saved"], 2);
    EXPECT_EQ(summary["frames"], 40);
    ASSERT_EQ(summary["episodes"].size(), 2u);
    EXPECT_TRUE(summary["episodes"][0].contains("truth_onset_frame"));
    EXPECT_TRUE(summary["episodes"][0]["timing"].contains("period_p99_ms"));
    EXPECT_NE(r.err.find("Recording episode 0"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Resetting. 0.2 seconds."), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Reset done."), std::string::npos) << r.err;
    const ProcessResult info = run_rcls({"dataset", "info", root.string()});
    EXPECT_EQ(info.exit_code, 0) << info.err;
    EXPECT_EQ(dataset::Dataset::open(root).info().total_frames, 40);

    // Again into the same folder: refused without --resume, appended with it.
    const ProcessResult again = run_rcls(sim_args(root, 1, 1.0));
    EXPECT_EQ(again.exit_code, 5) << again.err;
    EXPECT_NE(again.err.find("--resume"), std::string::npos) << again.err;
    const ProcessResult resumed = run_rcls(sim_args(root, 1, 2.0, {"--resume", "--json"}));
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_EQ(nlohmann::json::parse(resumed.out)["dataset_episodes"], 3);
    // Other features: refused, naming the difference.
    const ProcessResult other =
        run_rcls(sim_args(root, 1, 1.0, {"--resume", "--resize_size", "[32,32]"}));
    EXPECT_EQ(other.exit_code, 5) << other.err;
    EXPECT_NE(other.err.find("observation.images.front is 3x64x96 there, 3x32x32 here"),
              std::string::npos)
        << other.err;
}

TEST(CliRecord, LiveClassifierEndsTheEpisodeOnSuccess) {
    TempDir dir;
    write_random_checkpoint(dir / "ck", classifier_config({"front"}, 128), 4);
    // Threshold 0: every scored frame is a success, so the first decision ends the episode.
    const ProcessResult r =
        run_rcls(sim_args(dir / "ds", 1, 3.0,
                          {"--json", "--reward_classifier_pretrained_path", (dir / "ck").string(),
                           "--reward_classifier_threshold", "0", "--reward_classifier_k", "1",
                           "--terminate_on_success", "true", "--sim_speed", "1"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto episode = nlohmann::json::parse(r.out)["episodes"][0];
    EXPECT_EQ(episode["end"], "success") << r.out;
    ASSERT_TRUE(episode.contains("classifier")) << r.out;
    EXPECT_FALSE(episode["classifier"]["frame"].is_null()) << r.out;
    EXPECT_LT(episode["frames"].get<int>(), 30) << r.out;
    EXPECT_EQ(episode["success_frame"], episode["classifier"]["frame"]);
    EXPECT_TRUE(episode["key_frame"].is_null());
}

/// Reads the pty's master side into `text` until it holds `wanted` after `from` (true), or
/// `timeout` passes or the child closes it (false).
bool read_until(int fd,
                std::string& text,
                const std::string& wanted,
                std::size_t from,
                std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (text.find(wanted, from) == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            end - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
        char buffer[4096];
        const ssize_t n = read(fd, buffer, sizeof buffer);
        if (n <= 0) return false;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
}

TEST(CliRecord, KeysThroughATerminalRedoEndAndStop) {
    TempDir dir;
    const auto root = dir / "ds";
    std::vector<std::string> args =
        with_binary(sim_args(root, 5, 3.0, {"--sim_speed", "1", "--json"}));
    int master = -1;
    const pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        std::vector<char*> argv;
        for (std::string& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    std::string text;
    const auto press = [&](const std::string& wait_for, const char* key) {
        EXPECT_TRUE(read_until(master, text, wait_for, 0, 20s)) << wait_for << "\n" << text;
        if (key != nullptr) {
            ASSERT_EQ(write(master, key, 1), 1);
        }
    };
    press("Recording episode 0", "r");  // discard and record episode 0 again
    press("Re-recording episode 0", nullptr);
    press("Reset done.", nullptr);
    std::this_thread::sleep_for(300ms);
    ASSERT_EQ(write(master, " ", 1), 1);  // end the second attempt early, kept
    press("episode 0 saved", nullptr);
    press("Recording episode 1", "q");  // save episode 1 and stop
    read_until(master, text, "\"episodes_saved\"", 0, 20s);
    read_until(master, text, "]\r\n}", 0, 10s);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    close(master);
    ASSERT_TRUE(WIFEXITED(status)) << text;
    EXPECT_EQ(WEXITSTATUS(status), 0) << text;
    EXPECT_NE(text.find("\"rerecorded\": 1"), std::string::npos) << text;
    EXPECT_NE(text.find("\"stopped\": true"), std::string::npos) << text;
    EXPECT_NE(text.find("\"end\": \"early\""), std::string::npos) << text;
    const dataset::Dataset ds = dataset::Dataset::open(root);
    EXPECT_EQ(ds.info().total_episodes, 2) << text;
    EXPECT_LT(ds.episode(0).length, 30) << "space ended episode 0 early";
}

TEST(CliRecord, MissingSerialPortIsADeviceErrorOnOneLine) {
    TempDir dir;
    const ProcessResult r =
        run_rcls({"record", "-c",
                  std::string(RCLS_SOURCE_DIR) + "/configs/reward_classifier_record_config.json",
                  "--teleop.port", (dir / "no_such_tty").string(), "--robot.port",
                  (dir / "no_such_tty_either").string(), "--dataset.root", (dir / "ds").string()});
    EXPECT_EQ(r.exit_code, 4) << r.err;
    EXPECT_NE(r.err.find("no_such_tty"), std::string::npos) << r.err;
}

TEST(CliRecord, CtrlCKeepsSavedEpisodesAndExits130) {
    TempDir dir;
    const auto root = dir / "ds";
    ChildProcess child(with_binary(sim_args(root, 50, 1.0, {"--sim_speed", "4"})));
    ASSERT_TRUE(child.wait_for_stderr("episode 0 saved", 20s));
    child.signal(SIGINT);
    const ProcessResult r = child.wait(30s);
    EXPECT_EQ(r.exit_code, 130) << r.err;
    const int saved = last_saved(r.err);
    ASSERT_GE(saved, 0);
    const dataset::Dataset ds = dataset::Dataset::open(root);
    EXPECT_EQ(ds.info().total_episodes, saved + 1) << r.err;
    EXPECT_TRUE(ds.find_problems(true).empty());
}

TEST(CliRecord, SecondCtrlCStillTurnsTorqueOffThenExits130) {
    TempDir dir;
    ChildProcess child(with_binary(sim_args(dir / "ds", 5, 30.0, {"--sim_speed", "1"})));
    ASSERT_TRUE(child.wait_for_stderr("Recording episode 0", 20s));
    std::this_thread::sleep_for(300ms);
    child.signal(SIGINT);
    std::this_thread::sleep_for(5ms);  // two at once would merge into one pending signal
    child.signal(SIGINT);              // the user insists
    const auto t0 = std::chrono::steady_clock::now();
    const ProcessResult r = child.wait(30s);
    const double exit_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(r.exit_code, 130) << r.err;
    EXPECT_NE(r.err.find("interrupted twice: turning torque off on both arms"), std::string::npos)
        << r.err;
    EXPECT_TRUE(std::regex_search(r.err, std::regex("turning torque off on both arms: done in")))
        << r.err;
    EXPECT_EQ(r.err.find("could not turn torque off"), std::string::npos) << r.err;
    EXPECT_LT(exit_s, 3.0) << "the second Ctrl-C must end the process within about 1 s";
}

TEST(CliRecord, ClassifierThresholdAndKAreConfigFieldsAndFlags) {
    const ProcessResult printed =
        run_rcls({"--print-config", "record", "-c", kSimConfig, "--reward_classifier_threshold",
                  "0.7", "--reward_classifier_k", "3"});
    ASSERT_EQ(printed.exit_code, 0) << printed.err;
    const auto config = nlohmann::json::parse(printed.out);
    EXPECT_DOUBLE_EQ(config["reward_classifier_threshold"].get<double>(), 0.7);
    EXPECT_EQ(config["reward_classifier_k"], 3);
    const ProcessResult defaults = run_rcls({"--print-config", "record", "-c", kSimConfig});
    ASSERT_EQ(defaults.exit_code, 0) << defaults.err;
    EXPECT_TRUE(nlohmann::json::parse(defaults.out)["reward_classifier_threshold"].is_null());
    EXPECT_TRUE(nlohmann::json::parse(defaults.out)["reward_classifier_k"].is_null());
    const ProcessResult bad =
        run_rcls({"record", "-c", kSimConfig, "--reward_classifier_threshold", "1.5"});
    EXPECT_EQ(bad.exit_code, 3) << bad.err;
    EXPECT_NE(bad.err.find("reward_classifier_threshold"), std::string::npos) << bad.err;
    const ProcessResult bad_k =
        run_rcls({"record", "-c", kSimConfig, "--reward_classifier_k", "0"});
    EXPECT_EQ(bad_k.exit_code, 3) << bad_k.err;
    EXPECT_NE(bad_k.err.find("reward_classifier_k"), std::string::npos) << bad_k.err;
}

TEST(CliRecord, DisplayCamerasWithoutADisplayWarnsOnceAndRecords) {
    TempDir dir;
    const ProcessResult r =
        run_rcls(sim_args(dir / "ds", 1, 1.0, {"--display_cameras", "true", "--json"}), 120s,
                 {"DISPLAY=", "WAYLAND_DISPLAY="});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::regex warning("display_cameras: no display: neither DISPLAY nor WAYLAND_DISPLAY");
    const auto count = std::distance(std::sregex_iterator(r.err.begin(), r.err.end(), warning),
                                     std::sregex_iterator());
    EXPECT_EQ(count, 1) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["frames"], 10) << r.out;
}

TEST(CliRecord, SigkillAtRandomMomentsKeepsEverySavedEpisode) {
    TempDir dir;
    const auto root = dir / "ds";
    std::mt19937 rng(2026);
    std::uniform_int_distribution<int> wait_ms(100, 2000);
    int confirmed = 0;  // episodes known to be saved so far
    for (int kill = 0; kill < 22; ++kill) {
        // --resume starts the dataset when there is none yet, and appends after a kill.
        const std::vector<std::string> extra = {"--sim_seed", std::to_string(kill), "--resume"};
        ChildProcess child(with_binary(sim_args(root, 100, 0.5, extra)));
        std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms(rng)));
        child.signal(SIGKILL);
        const ProcessResult r = child.wait(30s);
        ASSERT_TRUE(r.exit_code == 137 || r.exit_code == 0) << r.err;
        const int saved = last_saved(r.err);
        if (saved >= 0) confirmed = saved + 1;
        if (confirmed == 0) continue;
        const dataset::Dataset ds = dataset::Dataset::open(root);
        EXPECT_GE(ds.info().total_episodes, confirmed) << "kill " << kill << "\n" << r.err;
        for (std::int64_t e = 0; e < confirmed; ++e) {
            EXPECT_EQ(ds.read_episode(e).num_rows, 5) << "kill " << kill << " episode " << e;
        }
        confirmed = static_cast<int>(ds.info().total_episodes);
    }
    EXPECT_GT(confirmed, 3) << "the kills came before any episode was saved";
    // The last state appends cleanly.
    const ProcessResult last = run_rcls(sim_args(root, 1, 0.5, {"--resume", "--json"}));
    ASSERT_EQ(last.exit_code, 0) << last.err;
    const dataset::Dataset ds = dataset::Dataset::open(root);
    EXPECT_EQ(ds.info().total_episodes, confirmed + 1);
    EXPECT_TRUE(ds.find_problems(true).empty());
}

}  // namespace
}  // namespace rcls::testing
