// SPDX-License-Identifier: MIT
//
// `rcls eval` run as a user runs it (the model from the librcls_torch plugin): the table, the
// JSON, the saved recommendation, the report file, and one-line errors with their exit codes.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../unit/eval/eval_fixture.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"

namespace rcls::testing {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

class CliEval : public ::testing::Test {
protected:
    void SetUp() override {
        write_random_checkpoint(pretrained(), classifier_config({"front"}), 5);
        fs::create_directory_symlink("000010", dir_ / "run" / "checkpoints" / "last");
        write_eval_dataset(dir_ / "ds", 3);
    }
    fs::path pretrained() const { return dir_ / "run/checkpoints/000010/pretrained_model"; }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }
    ProcessResult eval(std::vector<std::string> extra) const {
        std::vector<std::string> args = {"eval",     "--checkpoint", path("run"), "--dataset.root",
                                         path("ds"), "--threads",    "1"};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_rcls(args);
    }
    TempDir dir_;
};

TEST_F(CliEval, JsonHasEveryFigure) {
    const ProcessResult r = eval({"--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    std::int64_t frames = 0;
    for (std::int64_t e = 0; e < 3; ++e)
        frames += synthetic_length(e);
    EXPECT_EQ(j["frames"], frames);
    for (const char* key :
         {"accuracy", "precision", "recall", "f1", "confusion_matrix", "roc_auc",
          "pr_auc_average_precision", "log_loss", "brier_score", "expected_calibration_error"}) {
        EXPECT_TRUE(j["frame_level"].contains(key)) << key;
    }
    ASSERT_EQ(j["episodes"].size(), 3u);
    for (const auto& e : j["episodes"]) {
        EXPECT_TRUE(e.contains("onset_error_frames"));
        EXPECT_TRUE(e["false_positives_before_onset"].is_number_integer());
        EXPECT_EQ(e["labelled_onset_frame"], synthetic_length(e["episode_index"]) / 2);
    }
    EXPECT_TRUE(j["recommendation"].contains("threshold"));
    EXPECT_TRUE(j["recommendation"].contains("k"));
    EXPECT_EQ(j["training_status"], "unknown");
    EXPECT_EQ(j["threshold_sweep"].size(), 19u);
}

TEST_F(CliEval, TableSaysHowMuchDataItRestsOn) {
    const ProcessResult r = eval({"--episodes", "0,2", "--threshold", "0.4", "--k", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("Frame level ("), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("threshold 0.40, k 2"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Based on 2 episodes"), std::string::npos) << r.out;
    const std::size_t unknown = r.out.find("episodes of unknown training status");
    EXPECT_NE(unknown, std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("unknown training status", unknown + 12 + 1), std::string::npos)  // once
        << r.out;
    EXPECT_NE(r.out.find("ROC-AUC"), std::string::npos);
    EXPECT_NE(r.out.find("Recommendation"), std::string::npos);
}

TEST_F(CliEval, TrainingEpisodesAreHeadedTrainingSet) {
    write_text(pretrained() / "rcls_train.json",
               R"({"train_episodes": [0, 1], "val_episodes": [2], "dataset_root": ")" + path("ds") +
                   "\"}");
    const ProcessResult held = eval({"--json"});
    ASSERT_EQ(held.exit_code, 0) << held.err;
    const auto j = nlohmann::json::parse(held.out);
    EXPECT_EQ(j["episodes_evaluated"], nlohmann::json::parse("[2]"));
    EXPECT_EQ(j["training_status"], "held-out");

    const ProcessResult trained = eval({"--episodes", "0,2"});
    ASSERT_EQ(trained.exit_code, 0) << trained.err;
    EXPECT_NE(trained.out.find("TRAINING-SET  Frame level"), std::string::npos) << trained.out;
    EXPECT_NE(trained.out.find("TRAINING-SET  Episode level"), std::string::npos);
    EXPECT_NE(trained.out.find("TRAINING-SET  Threshold sweep"), std::string::npos);
    EXPECT_NE(trained.out.find("TRAINING-SET  Recommendation"), std::string::npos);
}

TEST_F(CliEval, WritesTheReport) {
    const ProcessResult r = eval({"--report", path("out/report.html"), "-q"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("error"), std::string::npos) << r.err;  // -q: warnings at most
    const std::string html = read_text(dir_ / "out" / "report.html");
    EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
    EXPECT_NE(html.find("id='worst-frames'"), std::string::npos);
}

TEST_F(CliEval, UnlabelledDatasetExits5PointingToLabel) {
    write_eval_dataset(dir_ / "raw", 1, /*labelled=*/false);
    const ProcessResult r =
        run_rcls({"eval", "--checkpoint", path("run"), "--dataset.root", path("raw")});
    EXPECT_EQ(r.exit_code, 5);
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("no next.reward labels"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("rcls label"), std::string::npos) << r.err;
}

TEST_F(CliEval, UnknownEpisodeExits2) {
    const ProcessResult r = eval({"--episodes", "0,7"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("--episodes 7: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("has 3 episodes (0 to 2)"), std::string::npos) << r.err;
}

TEST_F(CliEval, CheckpointForAnotherCameraExits2) {
    write_random_checkpoint(dir_ / "wrist_ck", classifier_config({"wrist"}), 2);
    const ProcessResult r =
        run_rcls({"eval", "--checkpoint", path("wrist_ck"), "--dataset.root", path("ds")});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("no camera observation.images.wrist"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--camera"), std::string::npos) << r.err;
}

TEST_F(CliEval, ThresholdOutsideZeroToOneExits2) {
    for (const char* bad : {"1.5", "-0.1"}) {
        const ProcessResult r = eval({"--threshold", bad});
        EXPECT_EQ(r.exit_code, 2) << bad;
        EXPECT_NE(r.err.find("--threshold"), std::string::npos) << r.err;
    }
    EXPECT_EQ(eval({"--k", "0"}).exit_code, 2);
}

TEST_F(CliEval, MissingCheckpointExits6AndMissingDatasetExits5) {
    EXPECT_EQ(
        run_rcls({"eval", "--checkpoint", path("nothing"), "--dataset.root", path("ds")}).exit_code,
        6);
    EXPECT_EQ(
        run_rcls({"eval", "--checkpoint", path("run"), "--dataset.root", path("nods")}).exit_code,
        5);
}

// ---- scripts and CI: gates, --list-figures, --baseline ----------------------------------------

/// The value of a key path ("frame_level.accuracy") in `j`.
const nlohmann::json& at_path(const nlohmann::json& j, const std::string& path) {
    std::string pointer = "/" + path;
    for (char& c : pointer) {
        if (c == '.') c = '/';
    }
    return j.at(nlohmann::json::json_pointer(pointer));
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

TEST_F(CliEval, ListFiguresNamesEveryNumberOfTheJson) {
    const ProcessResult list = run_rcls({"eval", "--list-figures"});
    ASSERT_EQ(list.exit_code, 0) << list.err;
    const std::vector<std::string> names = lines_of(list.out);
    for (const char* expected :
         {"frame_level.accuracy", "frame_level.roc_auc",
          "frame_level.confusion_matrix.true_positive", "episode_level.median_onset_error_frames",
          "recommendation.threshold", "recommendation.k", "frames"}) {
        EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
    }
    const ProcessResult r = eval({"--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    for (const std::string& name : names) {
        std::string pointer = "/" + name;
        std::replace(pointer.begin(), pointer.end(), '.', '/');
        if (!j.contains(nlohmann::json::json_pointer(pointer))) {
            // Only the recommendation's figures are absent, when there is none (a gate on
            // them then fails, as on a null figure).
            EXPECT_EQ(name.rfind("recommendation.", 0), 0u) << name;
            EXPECT_EQ(j["recommendation"]["found"], false) << name;
            continue;
        }
        const nlohmann::json& v = at_path(j, name);
        EXPECT_TRUE(v.is_number() || v.is_boolean() || v.is_null()) << name << ": " << v.dump();
    }
}

TEST_F(CliEval, GatesThatHoldExit0) {
    const ProcessResult r =
        eval({"--json", "--fail-under", "accuracy=0", "--fail-under", "frame_level.f1=-1",
              "--fail-over", "frame_level.brier_score=1,frames=100000"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("gate failed"), std::string::npos) << r.err;
    EXPECT_TRUE(nlohmann::json::accept(r.out)) << r.out;
}

TEST_F(CliEval, FailedGatesExit7WithOneLineEach) {
    const ProcessResult r = eval({"--json", "--fail-under", "accuracy=1.5", "--fail-over",
                                  "frames=1", "--fail-under", "roc_auc=-1"});
    EXPECT_EQ(r.exit_code, 7) << r.err;
    const auto j = nlohmann::json::parse(r.out);  // the results are on stdout all the same
    std::vector<std::string> failed;
    for (const std::string& line : lines_of(r.err)) {
        if (line.rfind("rcls: gate failed: ", 0) == 0) failed.push_back(line);
    }
    ASSERT_EQ(failed.size(), 2u) << r.err;
    char value[64];
    std::snprintf(value, sizeof value, "%.6g", j["frame_level"]["accuracy"].get<double>());
    EXPECT_NE(failed[0].find(std::string("frame_level.accuracy = ") + value +
                             " is under the bound 1.5 (--fail-under accuracy=1.5)"),
              std::string::npos)
        << failed[0];
    EXPECT_NE(failed[1].find("frames = " + std::to_string(j["frames"].get<std::int64_t>()) +
                             " is over the bound 1 (--fail-over frames=1)"),
              std::string::npos)
        << failed[1];
    // Without --json the table is printed and the exit code is the same.
    EXPECT_EQ(eval({"--fail-under", "accuracy=1.5"}).exit_code, 7);
}

TEST_F(CliEval, UnknownFigureIsAUsageErrorBeforeAnyWork) {
    // The checkpoint does not exist: the gate is rejected first (exit 2, not 6).
    const ProcessResult r = run_rcls({"eval", "--checkpoint", path("nothing"), "--dataset.root",
                                      path("ds"), "--fail-under", "acuracy=0.9"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("--fail-under acuracy=0.9: no figure acuracy"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("--list-figures"), std::string::npos) << r.err;
    // A list is no figure, a tail two figures share is ambiguous.
    EXPECT_EQ(eval({"--fail-over", "episodes=1"}).exit_code, 2);
    const ProcessResult ambiguous = eval({"--fail-over", "median_onset_error_frames=3"});
    EXPECT_EQ(ambiguous.exit_code, 2);
    EXPECT_NE(ambiguous.err.find("ambiguous"), std::string::npos) << ambiguous.err;
    EXPECT_NE(ambiguous.err.find("episode_level.median_onset_error_frames"), std::string::npos);
    // delta.* and baseline.* need --baseline.
    const ProcessResult delta = eval({"--fail-under", "delta.accuracy=0"});
    EXPECT_EQ(delta.exit_code, 2);
    EXPECT_NE(delta.err.find("--baseline"), std::string::npos) << delta.err;
}

TEST_F(CliEval, MalformedGatesAreUsageErrors) {
    for (const char* bad : {"accuracy", "accuracy=", "=0.9", "accuracy=high", "accuracy=nan",
                            "accuracy=inf", "accuracy=0.9x", "accuracy=1e999"}) {
        const ProcessResult r = run_rcls({"eval", "--checkpoint", path("nothing"), "--dataset.root",
                                          path("ds"), "--fail-under", bad});
        EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
        EXPECT_EQ(count_lines(r.err), 1) << r.err;
        EXPECT_NE(r.err.find("--fail-under"), std::string::npos) << r.err;
    }
}

TEST_F(CliEval, BaselineReportsBothAndTheDifferences) {
    write_random_checkpoint(dir_ / "other", classifier_config({"front"}), 9);
    const ProcessResult r = eval({"--json", "--episodes", "0,2", "--baseline", path("other")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_TRUE(j.contains("baseline"));
    ASSERT_TRUE(j.contains("delta"));
    EXPECT_EQ(j["baseline"]["episodes_evaluated"], j["episodes_evaluated"]);  // same episodes
    EXPECT_NE(j["baseline"]["checkpoint"], j["checkpoint"]);
    const double mine = j["frame_level"]["log_loss"];
    const double theirs = j["baseline"]["frame_level"]["log_loss"];
    EXPECT_NE(mine, theirs);  // two different models
    EXPECT_DOUBLE_EQ(j["delta"]["frame_level"]["log_loss"].get<double>(), mine - theirs);
    EXPECT_EQ(j["delta"]["frames"], 0);

    // A gate on the difference refuses a regression: here, log-loss may not grow by more than
    // a bound just under the actual growth.
    char bound[64];
    std::snprintf(bound, sizeof bound, "%.17g", (mine - theirs) - 1e-3);
    const ProcessResult gate =
        eval({"--episodes", "0,2", "--baseline", path("other"), "--fail-over",
              std::string("delta.log_loss=") + bound, "--fail-under", "baseline.frames=1"});
    EXPECT_EQ(gate.exit_code, 7) << gate.err;
    EXPECT_NE(gate.out.find("Compared with the baseline"), std::string::npos) << gate.out;
    EXPECT_NE(gate.out.find("frame_level.log_loss"), std::string::npos);
    EXPECT_EQ(count_lines(gate.err.substr(gate.err.find("rcls: gate failed"))), 1) << gate.err;
    EXPECT_NE(gate.err.find("rcls: gate failed: delta.frame_level.log_loss = "), std::string::npos)
        << gate.err;
}

}  // namespace
}  // namespace rcls::testing
