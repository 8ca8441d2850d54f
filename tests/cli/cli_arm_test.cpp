// SPDX-License-Identifier: MIT
//
// `rcls arm ...` run as a user runs it, against simulated SO-101 buses served on pseudo-terminals
// (in this process, or by `rcls arm sim` itself): exit codes, one-line errors, JSON outputs, the
// calibration file in LeRobot's format, non-interactive setup-motors and a short teleoperation.
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rcls/arm/sim_bus.hpp"
#include "rcls/arm/so101.hpp"

#include "run_process.hpp"
#include "temp_dir.hpp"
#include <sys/wait.h>

namespace rcls::testing {
namespace {

using arm::PtySimServer;
using arm::SimBus;
using arm::SimOptions;
using namespace std::chrono_literals;

/// Every joint calibrated to [1000, 3000] with no offset, as LeRobot writes it.
constexpr const char* kCalibration = R"({
    "shoulder_pan": {"id": 1, "drive_mode": 0, "homing_offset": 0, "range_min": 1000, "range_max": 3000},
    "shoulder_lift": {"id": 2, "drive_mode": 0, "homing_offset": 0, "range_min": 1000, "range_max": 3000},
    "elbow_flex": {"id": 3, "drive_mode": 0, "homing_offset": 0, "range_min": 1000, "range_max": 3000},
    "wrist_flex": {"id": 4, "drive_mode": 0, "homing_offset": 0, "range_min": 1000, "range_max": 3000},
    "wrist_roll": {"id": 5, "drive_mode": 0, "homing_offset": 0, "range_min": 0, "range_max": 4095},
    "gripper": {"id": 6, "drive_mode": 0, "homing_offset": 0, "range_min": 1000, "range_max": 3000}
})";

class CliArm : public ::testing::Test {
protected:
    /// Serves a simulated bus on a pty linked at <tmp>/<name>; returns the link.
    std::string serve(const std::string& name, SimOptions options = {}) {
        auto bus = std::make_shared<SimBus>(std::move(options), steady_clock().now());
        servers_.push_back(std::make_unique<PtySimServer>(bus, dir_ / name));
        servers_.back()->start();
        return servers_.back()->path();
    }

    std::vector<std::string> env() const {
        return {"HF_LEROBOT_CALIBRATION=" + (dir_ / "calibration").string()};
    }

    TempDir dir_;
    std::vector<std::unique_ptr<PtySimServer>> servers_;
};

TEST_F(CliArm, HelpListsTheArmCommands) {
    const ProcessResult r = run_rcls({"arm", "--help"});
    EXPECT_EQ(r.exit_code, 0);
    for (const char* command :
         {"find-port", "scan", "setup-motors", "calibrate", "read", "teleop", "sim"}) {
        EXPECT_NE(r.out.find(command), std::string::npos) << command;
    }
}

TEST_F(CliArm, ScanJsonListsSixSts3215Servos) {
    const std::string port = serve("bus");
    const ProcessResult r = run_rcls({"arm", "scan", "--port", port, "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto servos = nlohmann::json::parse(r.out);
    ASSERT_EQ(servos.size(), 6u);
    EXPECT_EQ(servos[0]["id"], 1);
    EXPECT_EQ(servos[0]["model"], 777);
    EXPECT_EQ(servos[0]["firmware"], "3.10");
    EXPECT_EQ(servos[5]["joint"], "gripper");
}

TEST_F(CliArm, ReadRawJsonMapsJointNamesToSteps) {
    const std::string port = serve("bus");
    const ProcessResult r = run_rcls({"arm", "read", "--port", port, "--raw", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto values = nlohmann::json::parse(r.out);
    ASSERT_EQ(values.size(), 6u);
    for (const char* joint :
         {"shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"}) {
        ASSERT_TRUE(values.contains(joint)) << joint;
        EXPECT_TRUE(values[joint].is_number_integer());
        EXPECT_GE(values[joint].get<int>(), 0);
        EXPECT_LE(values[joint].get<int>(), 4095);
    }
    EXPECT_NE(r.err.find(" transactions, "), std::string::npos) << r.err;  // the retry report
}

TEST_F(CliArm, MissingMotorExits4WithOneLineNamingIt) {
    SimOptions options;
    options.faults.missing_ids = {4};
    const std::string port = serve("bus", options);
    const ProcessResult r = run_rcls({"arm", "read", "--port", port, "--raw"});
    EXPECT_EQ(r.exit_code, 4);
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_EQ(r.err.rfind("rcls: error: missing motor: wrist_flex (id 4) on " + port + "; ", 0), 0u)
        << r.err;
}

TEST_F(CliArm, MissingPortExits4) {
    const ProcessResult r = run_rcls({"arm", "scan", "--port", (dir_ / "ttyNONE").string()});
    EXPECT_EQ(r.exit_code, 4);
    EXPECT_NE(r.err.find("not found; is the arm's USB cable plugged in?"), std::string::npos);
}

TEST_F(CliArm, ReadReportsRetriesThroughCorruptReplies) {
    SimOptions options;
    options.faults.corrupt = arm::FaultRate{0.0, 10};
    const std::string port = serve("bus", options);
    const ProcessResult r = run_rcls({"arm", "read", "--port", port, "--raw", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out).size(), 6u);
    EXPECT_EQ(r.err.find(" 0 retries"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("corrupt repl"), std::string::npos) << r.err;
}

TEST_F(CliArm, CalibrateWithYesWritesLeRobotsFileThenReadUsesIt) {
    const std::string port = serve("bus");
    const ProcessResult r = run_rcls({"arm", "calibrate", "--port", port, "--role", "follower",
                                      "--id", "blue", "--yes", "--range-seconds", "4"},
                                     120s, env());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto file = dir_ / "calibration/robots/so_follower/blue.json";
    EXPECT_EQ(r.out, file.string() + "\n");
    const std::string text = [&] {
        std::ifstream in(file);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }();
    EXPECT_EQ(
        text.rfind("{\n    \"shoulder_pan\": {\n        \"id\": 1,\n        \"drive_mode\": 0,\n"
                   "        \"homing_offset\": ",
                   0),
        0u)
        << text;
    EXPECT_NE(text.back(), '\n');  // json.dump writes no final newline
    const auto calibration = nlohmann::json::parse(text);
    EXPECT_EQ(calibration["wrist_roll"]["range_min"], 0);
    EXPECT_EQ(calibration["wrist_roll"]["range_max"], 4095);
    EXPECT_GT(calibration["gripper"]["range_max"].get<int>() -
                  calibration["gripper"]["range_min"].get<int>(),
              1000);

    const ProcessResult read =
        run_rcls({"arm", "read", "--port", port, "--id", "blue", "--json"}, 60s, env());
    ASSERT_EQ(read.exit_code, 0) << read.err;
    const auto values = nlohmann::json::parse(read.out);
    EXPECT_GE(values["gripper"].get<double>(), 0.0);
    EXPECT_LE(values["gripper"].get<double>(), 100.0);
    EXPECT_LE(std::abs(values["shoulder_pan"].get<double>()), 100.0);
}

TEST_F(CliArm, ReadWithoutCalibrationExits3AndSaysHowToCalibrate) {
    const std::string port = serve("bus");
    const ProcessResult r = run_rcls({"arm", "read", "--port", port, "--id", "nobody"}, 60s, env());
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_NE(
        r.err.find("run `rcls arm calibrate --port " + port + " --role follower --id nobody`"),
        std::string::npos)
        << r.err;
}

TEST_F(CliArm, SetupMotorsWithYesSetsEveryIdOnFactoryMotors) {
    SimOptions options;
    options.factory_setup = true;
    const std::string port = serve("bus", options);
    const ProcessResult r = run_rcls({"arm", "setup-motors", "--port", port, "--yes"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("'gripper' motor id set to 6"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("'shoulder_pan' motor id set to 1"), std::string::npos) << r.err;
    const ProcessResult scan = run_rcls({"arm", "scan", "--port", port, "--json"});
    ASSERT_EQ(scan.exit_code, 0) << scan.err;
    EXPECT_EQ(nlohmann::json::parse(scan.out).size(), 6u);
}

TEST_F(CliArm, TeleopRunsForItsDurationAndPrintsLoopStatistics) {
    const std::string follower = serve("follower");
    const std::string leader = serve("leader");
    write_text(dir_ / "calibration/robots/so_follower/f.json", kCalibration);
    write_text(dir_ / "calibration/teleoperators/so_leader/l.json", kCalibration);
    const ProcessResult r = run_rcls(
        {"arm", "teleop", "--follower-port", follower, "--leader-port", leader, "--follower-id",
         "f", "--leader-id", "l", "--fps", "30", "--duration", "1.5", "--json"},
        60s, env());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto stats = nlohmann::json::parse(r.out);
    EXPECT_GE(stats["steps"].get<int>(), 30);  // 45 on an idle machine; fewer after overruns
    EXPECT_LE(stats["steps"].get<int>(), 46);
    EXPECT_NEAR(stats["loop_p50_ms"].get<double>(), 1000.0 / 30.0, 5.0);
}

TEST_F(CliArm, CtrlCEndsTeleopWithTorqueOffAndExit130) {
    auto follower_sim = std::make_shared<SimBus>(SimOptions{}, steady_clock().now());
    servers_.push_back(std::make_unique<PtySimServer>(follower_sim, dir_ / "follower"));
    servers_.back()->start();
    const std::string leader = serve("leader");
    write_text(dir_ / "calibration/robots/so_follower/f.json", kCalibration);
    write_text(dir_ / "calibration/teleoperators/so_leader/l.json", kCalibration);
    ChildProcess teleop(
        rcls_argv({"arm", "teleop", "--follower-port", (dir_ / "follower").string(),
                   "--leader-port", leader, "--follower-id", "f", "--leader-id", "l"}),
        env());
    auto torque_on = [&] {
        for (const std::uint8_t id : arm::kJointIds) {
            if (follower_sim->register_value(id, "Torque_Enable") != 1) return false;
        }
        return true;
    };
    // Ready when it says so: both arms connected, the follower holding with torque on, the loop
    // starting. Ctrl-C then lands in the loop.
    ASSERT_TRUE(teleop.wait_for_stderr("teleoperating", 60s)) << teleop.wait(5s).err;
    ASSERT_TRUE(torque_on());
    teleop.signal(SIGINT);
    const ProcessResult r = teleop.wait();
    ASSERT_EQ(r.signal, 0) << "killed by signal " << r.signal << ": " << r.err;
    EXPECT_EQ(r.exit_code, 130) << r.err;
    for (const std::uint8_t id : arm::kJointIds) {
        EXPECT_EQ(follower_sim->register_value(id, "Torque_Enable"), 0) << int(id);
    }
}

TEST_F(CliArm, TeleopPrintConfigShowsTheEffectiveRecordConfig) {
    const ProcessResult r = run_rcls({"arm", "teleop", "--follower-port", "/dev/ttyX",
                                      "--locked-joints", "wrist_roll,gripper", "--print-config"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto config = nlohmann::json::parse(r.out);
    EXPECT_EQ(config["robot"]["port"], "/dev/ttyX");
    EXPECT_EQ(config["locked_joints"], nlohmann::json::array({"wrist_roll", "gripper"}));
}

TEST_F(CliArm, TeleopTakesTheRecordConfigsArmFlags) {
    const ProcessResult r = run_rcls(
        {"arm", "teleop", "--robot.port", "/dev/ttyA", "--teleop.port", "/dev/ttyB", "--robot.id",
         "blue", "--teleop.id", "red", "--robot.max_relative_target", "7.5", "--locked_joints",
         "gripper", "--locked_joint_positions", "{\"gripper\": 12}", "--print-config"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto config = nlohmann::json::parse(r.out);
    EXPECT_EQ(config["robot"]["port"], "/dev/ttyA");
    EXPECT_EQ(config["teleop"]["port"], "/dev/ttyB");
    EXPECT_EQ(config["robot"]["id"], "blue");
    EXPECT_EQ(config["teleop"]["id"], "red");
    EXPECT_EQ(config["robot"]["max_relative_target"], 7.5);
    EXPECT_EQ(config["locked_joints"], nlohmann::json::array({"gripper"}));
    EXPECT_EQ(config["locked_joint_positions"]["gripper"], 12.0);
    const ProcessResult help = run_rcls({"arm", "teleop", "--help"});
    for (const char* flag : {"--robot.type", "--teleop.port", "--follower-port", "--leader-id",
                             "--max-relative-target", "--locked-joints"}) {
        EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
    }
}

TEST_F(CliArm, TeleopFlagsWithBadValuesAreConfigErrors) {
    const ProcessResult r =
        run_rcls({"arm", "teleop", "--robot.type", "koch_follower", "--print-config"});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("koch_follower"), std::string::npos) << r.err;
    const ProcessResult joints =
        run_rcls({"arm", "teleop", "--locked-joints", "elbow", "--print-config"});
    EXPECT_EQ(joints.exit_code, 3) << joints.err;
    EXPECT_NE(joints.err.find("/locked_joints"), std::string::npos) << joints.err;
}

TEST_F(CliArm, TeleopRunsTheSimulatedArmsChosenByTypeWithoutCalibrating) {
    const ProcessResult r =
        run_rcls({"arm", "teleop", "--robot.type", "so101_follower_sim", "--teleop.type",
                  "so101_leader_sim", "--fps", "30", "--duration", "1", "--json"},
                 60s, env());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto stats = nlohmann::json::parse(r.out);
    EXPECT_GE(stats["steps"].get<int>(), 20);  // 30 on an idle machine, real time
    EXPECT_LE(stats["steps"].get<int>(), 31);
    EXPECT_NEAR(stats["loop_p50_ms"].get<double>(), 1000.0 / 30.0, 5.0);
    EXPECT_NE(r.err.find("built-in calibration"), std::string::npos) << r.err;
}

TEST_F(CliArm, SimCommandServesItsLinkUntilItStops) {
    const std::string link = (dir_ / "served").string();
    auto sim = std::async(std::launch::async, [&] {
        return run_rcls({"arm", "sim", "--link", link, "--duration", "3"}, 60s);
    });
    for (int i = 0; i < 200 && !std::filesystem::exists(link); ++i) {
        std::this_thread::sleep_for(10ms);  // waiting for another process, not for a result
    }
    const ProcessResult scan = run_rcls({"arm", "scan", "--port", link, "--json"});
    EXPECT_EQ(scan.exit_code, 0) << scan.err;
    EXPECT_EQ(nlohmann::json::parse(scan.out).size(), 6u);
    const ProcessResult served = sim.get();
    EXPECT_EQ(served.exit_code, 0) << served.err;
    EXPECT_EQ(served.out, link + "\n");
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(link)));
}

TEST_F(CliArm, FindPortListsAdaptersAndNeedsOneToVanish) {
    write_text(dir_ / "dev/ttyACM0", "");
    write_text(dir_ / "dev/tty5", "");
    const ProcessResult list =
        run_rcls({"arm", "find-port", "--list", "--dev-dir", (dir_ / "dev").string()});
    EXPECT_EQ(list.exit_code, 0);
    EXPECT_EQ(list.out, (dir_ / "dev/ttyACM0").string() + "\n");
    // stdin is /dev/null: "Enter" comes at once and nothing was unplugged.
    const ProcessResult find = run_rcls({"arm", "find-port", "--dev-dir", (dir_ / "dev").string()});
    EXPECT_EQ(find.exit_code, 4);
    EXPECT_NE(find.err.find("rcls: error: could not detect the port: no port disappeared"),
              std::string::npos)
        << find.err;
}

TEST_F(CliArm, BadFaultRateIsAUsageError) {
    const ProcessResult r = run_rcls({"arm", "sim", "--corrupt", "sometimes", "--duration", "1"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--corrupt sometimes: expected a probability"), std::string::npos)
        << r.err;
}

}  // namespace
}  // namespace rcls::testing
