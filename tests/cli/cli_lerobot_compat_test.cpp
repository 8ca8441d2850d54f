// SPDX-License-Identifier: MIT
//
// A LeRobot user's habits (issue 10 items 13, 14 and 10): LeRobot's flag spellings on every arm
// command, LeRobot's own config files, and an echoing bus line said as such. Run as a user runs
// rcls, against simulated SO-101 buses served on pseudo-terminals.
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rcls/arm/sim_bus.hpp"
#include "rcls/core/clock.hpp"

#include "run_process.hpp"
#include "temp_dir.hpp"

namespace rcls::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

/// A LeRobot calibration file: every joint calibrated to [1000, 3000] with no offset.
std::string calibration_text() {
    std::string text = "{";
    const char* joints[] = {"shoulder_pan", "shoulder_lift", "elbow_flex",
                            "wrist_flex",   "wrist_roll",    "gripper"};
    for (int i = 0; i < 6; ++i) {
        text += std::string(i ? "," : "") + "\"" + joints[i] +
                "\": {\"id\": " + std::to_string(i + 1) +
                ", \"drive_mode\": 0, \"homing_offset\": 0, \"range_min\": 1000, "
                "\"range_max\": 3000}";
    }
    return text + "}";
}

class CliLerobotFlags : public ::testing::Test {
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
    TempDir dir_;
    std::shared_ptr<arm::SimBus> bus_;
    std::unique_ptr<arm::PtySimServer> server_;
};

// Item 13: `arm read`, `scan`, `calibrate` and `setup-motors` take LeRobot's `--robot.*` and
// `--teleop.*` spellings ('=' or a space, '-' or '_') as their own options.
TEST_F(CliLerobotFlags, ReadTakesLeRobotsSpellings) {
    const std::string port = serve();
    const fs::path folder = dir_ / "mine";
    write_text(folder / "blue.json", calibration_text());
    const ProcessResult r = run_rcls({"arm", "read", "--robot.port=" + port, "--robot.id", "blue",
                                      "--robot.calibration-dir=" + folder.string(), "--json"},
                                     seconds(60), env());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out).size(), 6u) << r.out;

    // --teleop.* is the leader: its calibration is looked for among the leaders'.
    write_text(dir_ / "calibration/teleoperators/so_leader/my_leader.json", calibration_text());
    const ProcessResult leader =
        run_rcls({"arm", "read", "--teleop.port", port, "--teleop.id=my_leader",
                  "--teleop.type=so101_leader", "--json"},
                 seconds(60), env());
    ASSERT_EQ(leader.exit_code, 0) << leader.err;
    EXPECT_EQ(nlohmann::json::parse(leader.out).size(), 6u) << leader.out;
}

TEST_F(CliLerobotFlags, ScanAndSetupMotorsTakeLeRobotsSpellings) {
    const std::string port = serve();
    const ProcessResult scan =
        run_rcls({"arm", "scan", "--robot.type=so101_follower", "--robot.port=" + port, "--json"},
                 seconds(60));
    ASSERT_EQ(scan.exit_code, 0) << scan.err;
    EXPECT_EQ(nlohmann::json::parse(scan.out).size(), 6u);

    arm::SimOptions factory;
    factory.factory_setup = true;
    server_.reset();
    const std::string fresh = serve(factory);
    const ProcessResult setup = run_rcls(
        {"arm", "setup-motors", "--teleop.type", "so101_leader", "--teleop.port", fresh, "--yes"},
        seconds(60));
    ASSERT_EQ(setup.exit_code, 0) << setup.err;
    EXPECT_NE(setup.out.find("all six motors of " + fresh), std::string::npos) << setup.out;
}

TEST_F(CliLerobotFlags, CalibrateTakesLeRobotsSpellingsAndTheRoleFromThem) {
    const std::string port = serve();
    const ProcessResult r =
        run_rcls({"arm", "calibrate", "--teleop.type=so101_leader", "--teleop.port=" + port,
                  "--teleop.id=pink", "--yes", "--range-seconds", "2"},
                 seconds(120), env());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, (dir_ / "calibration/teleoperators/so_leader/pink.json").string() + "\n");
}

TEST_F(CliLerobotFlags, ALeRobotSpellingThatContradictsTheNativeOptionIsAUsageError) {
    struct Case {
        std::vector<std::string> args;
        std::string first;
        std::string second;
    };
    const std::vector<Case> cases = {
        {{"arm", "read", "--port", "/dev/ttyA", "--robot.port=/dev/ttyB", "--raw"},
         "--port /dev/ttyA",
         "--robot.port /dev/ttyB"},
        {{"arm", "scan", "--robot.port", "/dev/ttyA", "--teleop.port", "/dev/ttyB"},
         "--robot.port /dev/ttyA",
         "--teleop.port /dev/ttyB"},
        {{"arm", "calibrate", "--port", "/dev/ttyA", "--role", "leader", "--robot.id", "x"},
         "--role leader",
         "--robot.id x"},
        {{"arm", "calibrate", "--port", "/dev/ttyA", "--id", "a", "--robot.id=b"},
         "--id a",
         "--robot.id b"},
        {{"arm", "setup-motors", "--port", "/dev/ttyA", "--robot.port", "/dev/ttyB"},
         "--port /dev/ttyA",
         "--robot.port /dev/ttyB"},
        {{"arm", "teleop", "--follower-port", "/dev/ttyA", "--robot.port", "/dev/ttyB"},
         "--follower-port \"/dev/ttyA\"",
         "--robot.port \"/dev/ttyB\""},
    };
    for (const Case& c : cases) {
        const ProcessResult r = run_rcls(c.args, seconds(20), env());
        EXPECT_EQ(r.exit_code, 2) << c.args[1] << ": " << r.err;
        EXPECT_NE(r.err.find(c.first), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(c.second), std::string::npos) << r.err;
    }
    const ProcessResult type = run_rcls({"arm", "scan", "--robot.type=so101_leader"}, seconds(20));
    EXPECT_EQ(type.exit_code, 2) << type.err;
    EXPECT_NE(type.err.find("--robot.type so101_leader: the robot is a follower arm"),
              std::string::npos)
        << type.err;
    const ProcessResult none = run_rcls({"arm", "scan"}, seconds(20));
    EXPECT_EQ(none.exit_code, 2) << none.err;
    EXPECT_NE(none.err.find("--port is required (or LeRobot's --robot.port"), std::string::npos)
        << none.err;
}

}  // namespace
}  // namespace rcls::testing
