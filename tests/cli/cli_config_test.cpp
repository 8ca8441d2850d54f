// SPDX-License-Identifier: MIT
//
// `rcls config check` and `rcls config show`: exit codes and one-line messages.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "run_process.hpp"
#include "temp_dir.hpp"

namespace rcls::testing {
namespace {

class CliConfig : public ::testing::Test {
protected:
    std::string file(const std::string& name, const std::string& contents) {
        write_text(dir_ / name, contents);
        return (dir_ / name).string();
    }
    TempDir dir_;
};

TEST_F(CliConfig, ShippedConfigsAreValid) {
    const ProcessResult r =
        run_rcls({"config", "check",
                  (source_dir() / "configs/reward_classifier_record_config.json").string(),
                  (source_dir() / "configs/reward_classifier_train_config.json").string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("valid record config"), std::string::npos);
    EXPECT_NE(r.out.find("valid train config"), std::string::npos);
}

TEST_F(CliConfig, MissingFileExits3) {
    const ProcessResult r = run_rcls({"config", "check", (dir_ / "absent.json").string()});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.err,
              "rcls: error: " + (dir_ / "absent.json").string() + ": config file not found\n");
}

TEST_F(CliConfig, MalformedJsonNamesLineAndColumn) {
    const std::string path = file("bad.json", "{\n  \"fps\": 10,\n  \"num_episodes\": ,\n}\n");
    const ProcessResult r = run_rcls({"config", "check", path});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(path + ":3:19: invalid JSON"), std::string::npos) << r.err;
}

TEST_F(CliConfig, UnknownKeySuggestsNearestKey) {
    const std::string path = file("r.json", R"({"fps": 10, "robot": {"prot": "/dev/ttyACM0"}})");
    const ProcessResult r = run_rcls({"config", "check", path});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.err, "rcls: error: " + path +
                         ": /robot/prot: unknown key \"prot\" (did you mean \"port\"?)\n");
}

TEST_F(CliConfig, WrongTypeNamesPointerAndType) {
    const std::string path = file("t.json", R"({"steps": "many"})");
    const ProcessResult r = run_rcls({"config", "check", path});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.err, "rcls: error: " + path + ": /steps: expected integer, got string \"many\"\n");
}

TEST_F(CliConfig, KindCanBeForced) {
    const std::string path = file("t.json", R"({"steps": 5})");
    EXPECT_EQ(run_rcls({"config", "check", "--kind", "train", path}).exit_code, 0);
    const ProcessResult r = run_rcls({"config", "check", "--kind", "record", path});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_NE(r.err.find("unknown key \"steps\""), std::string::npos);
}

TEST_F(CliConfig, SeveralFilesReportEachAndExit3) {
    const std::string good = file("t.json", R"({"steps": 5})");
    const std::string bad = file("r.json", R"({"fps": "x"})");
    const ProcessResult r = run_rcls({"config", "check", good, bad});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_NE(r.out.find(good + ": valid train config"), std::string::npos);
    EXPECT_NE(r.err.find(bad + ": /fps: expected integer"), std::string::npos);
}

TEST_F(CliConfig, ShowAppliesFileThenFlags) {
    const std::string path = file("r.json", R"({"fps": 15, "num_episodes": 4})");
    const ProcessResult r = run_rcls({"config", "show", "record", "--config", path, "--fps", "30",
                                      "--locked_joints", "wrist_roll", "--robot.id", "123"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\"fps\": 30"), std::string::npos);
    EXPECT_NE(r.out.find("\"num_episodes\": 4"), std::string::npos);
    EXPECT_NE(r.out.find("\"wrist_roll\""), std::string::npos);
    EXPECT_NE(r.out.find("\"id\": \"123\""), std::string::npos);
}

TEST_F(CliConfig, ShowRejectsBadFlagValueWithExit3) {
    const ProcessResult r =
        run_rcls({"config", "show", "train", "--reward_model.dropout_rate", "1.5"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(
        r.err,
        "rcls: error: option --reward_model.dropout_rate: /reward_model/dropout_rate: must be "
        "in [0, 1)\n");
}

// --print-config prints typed values: from the command's options struct (predict, dataset info),
// or by the option's declared type (arm): a string option given digits stays a string.
TEST_F(CliConfig, PrintConfigValuesAreTypedByTheOptionNotGuessedFromText) {
    const ProcessResult predict =
        run_rcls({"predict", "--print-config", "--camera", "7", "--threshold", "0.75", "--episodes",
                  "0,3", "--checkpoint", "123", "in.mp4"});
    ASSERT_EQ(predict.exit_code, 0) << predict.err;
    const nlohmann::json options = nlohmann::json::parse(predict.out);
    EXPECT_EQ(options.at("camera"), "7");
    EXPECT_EQ(options.at("checkpoint"), "123");
    EXPECT_EQ(options.at("threshold"), 0.75);
    EXPECT_EQ(options.at("episodes"), nlohmann::json::array({0, 3}));
    EXPECT_EQ(options.at("inputs"), nlohmann::json::array({"in.mp4"}));
    EXPECT_EQ(options.at("json"), false);
    EXPECT_EQ(options.at("threads"), 0);
    EXPECT_TRUE(options.at("benchmark").is_null());

    const ProcessResult info =
        run_rcls({"--print-config", "dataset", "info", "2024", "--skip-missing"});
    ASSERT_EQ(info.exit_code, 0) << info.err;
    const nlohmann::json info_options = nlohmann::json::parse(info.out);
    EXPECT_EQ(info_options.at("root"), "2024");
    EXPECT_EQ(info_options.at("skip_missing"), true);
    EXPECT_EQ(info_options.at("check"), false);

    const ProcessResult calibrate = run_rcls({"--print-config", "arm", "calibrate", "--port",
                                              "/dev/null", "--role", "leader", "--id", "123"});
    ASSERT_EQ(calibrate.exit_code, 0) << calibrate.err;
    const nlohmann::json arm = nlohmann::json::parse(calibrate.out);
    EXPECT_EQ(arm.at("id"), "123");
    EXPECT_EQ(arm.at("role"), "leader");
    EXPECT_EQ(arm.at("range-seconds"), 10.0);
    EXPECT_EQ(arm.at("yes"), false);
}

}  // namespace
}  // namespace rcls::testing
