// SPDX-License-Identifier: MIT
//
// The SO-101 arm on the in-process simulated bus (virtual time): LeRobot's connect handshake and
// configuration, the messages for missing, wrong or failing motors, connecting and reading
// through 5% and 10% corrupt replies, calibrated positions, goals with locked joints and
// max_relative_target, teleoperation, and torque off at the end.
#include "rcls/arm/so101.hpp"

#include <cmath>

#include <gtest/gtest.h>

#include "rcls/arm/sim_bus.hpp"
#include "rcls/config/record_config.hpp"
#include "rcls/core/error.hpp"

#include "temp_dir.hpp"

namespace rcls::arm {
namespace {

using namespace std::chrono_literals;

/// Every joint calibrated to [1000, 3000] with no offset (wrist_roll a full turn), as a file.
Calibration simple_calibration() {
    Calibration calibration;
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        const bool roll = i == kWristRoll;
        calibration.emplace_back(
            std::string(kJointNames[i]),
            MotorCalibration{kJointIds[i], 0, 0, roll ? 0 : 1000, roll ? 4095 : 3000});
    }
    return calibration;
}

class So101Test : public ::testing::Test {
protected:
    ArmOptions options(ArmRole role, const std::string& id) const {
        ArmOptions result;
        result.role = role;
        result.id = id;
        result.port = "/dev/ttyACM0";
        result.calibration_dir = dir_.path().string();
        return result;
    }

    /// An arm on a fresh simulated bus named /dev/ttyACM0, with a calibration file.
    std::unique_ptr<So101Arm> make_arm(SimOptions sim,
                                       ArmRole role = ArmRole::kFollower,
                                       const std::string& id = "follower") {
        ArmOptions arm_options = options(role, id);
        save_calibration(calibration_path(role, id, arm_options.calibration_dir),
                         simple_calibration());
        auto port = make_sim_port(std::move(sim), "/dev/ttyACM0");
        sim_ = port->shared_bus();
        return std::make_unique<So101Arm>(std::move(port), arm_options);
    }

    static SimOptions still() {
        SimOptions sim;
        sim.motion = SimMotion::kStill;
        return sim;
    }

    std::string connect_error(SimOptions sim) {
        auto arm = make_arm(std::move(sim));
        try {
            arm->connect();
        } catch (const DeviceError& e) {
            return e.what();
        }
        return "";
    }

    testing::TempDir dir_;
    std::shared_ptr<SimBus> sim_;
};

TEST_F(So101Test, ConnectWritesLeRobotsFollowerConfiguration) {
    auto arm = make_arm(still());
    sim_->set_register(3, "Phase", 0x10);  // multi-turn readings: LeRobot clears bit 4
    arm->connect();
    for (const std::uint8_t id : kJointIds) {
        EXPECT_EQ(sim_->register_value(id, "Return_Delay_Time"), 0) << int(id);
        EXPECT_EQ(sim_->register_value(id, "Maximum_Acceleration"), 254);
        EXPECT_EQ(sim_->register_value(id, "Acceleration"), 254);
        EXPECT_EQ(sim_->register_value(id, "Operating_Mode"), 0);
        EXPECT_EQ(sim_->register_value(id, "P_Coefficient"), 16);
        EXPECT_EQ(sim_->register_value(id, "I_Coefficient"), 0);
        EXPECT_EQ(sim_->register_value(id, "D_Coefficient"), 32);
        EXPECT_EQ(sim_->register_value(id, "Phase"), 0);
        EXPECT_EQ(sim_->register_value(id, "Torque_Enable"), 1);
        EXPECT_EQ(sim_->register_value(id, "Lock"), 1);
    }
    EXPECT_EQ(sim_->register_value(6, "Max_Torque_Limit"), 500);
    EXPECT_EQ(sim_->register_value(6, "Protection_Current"), 250);
    EXPECT_EQ(sim_->register_value(6, "Overload_Torque"), 25);
    EXPECT_EQ(sim_->register_value(5, "Max_Torque_Limit"), 1000);  // only the gripper's
    // The file's calibration went to the motors, into EEPROM (written with Lock = 0).
    sim_->power_cycle();
    EXPECT_EQ(sim_->register_value(1, "Min_Position_Limit"), 1000);
    EXPECT_EQ(sim_->register_value(1, "Max_Position_Limit"), 3000);
    EXPECT_EQ(sim_->register_value(1, "P_Coefficient"), 16);
}

TEST_F(So101Test, LeaderStaysLimpAfterConnect) {
    auto arm = make_arm(still(), ArmRole::kLeader, "leader");
    arm->connect();
    for (const std::uint8_t id : kJointIds) {
        EXPECT_EQ(sim_->register_value(id, "Torque_Enable"), 0);
        EXPECT_EQ(sim_->register_value(id, "P_Coefficient"), 32);  // followers only
        EXPECT_EQ(sim_->register_value(id, "Return_Delay_Time"), 0);
    }
}

TEST_F(So101Test, MissingMotorIsNamedWithItsIdAndPort) {
    SimOptions sim = still();
    sim.faults.missing_ids = {4};
    const std::string message = connect_error(sim);
    EXPECT_EQ(message.rfind("missing motor: wrist_flex (id 4) on /dev/ttyACM0; ", 0), 0u)
        << message;
}

TEST_F(So101Test, SeveralMissingMotorsAreListed) {
    SimOptions sim = still();
    sim.faults.missing_ids = {3, 4};
    EXPECT_EQ(connect_error(sim).rfind(
                  "missing motors: elbow_flex (id 3), wrist_flex (id 4) on /dev/ttyACM0", 0),
              0u);
}

TEST_F(So101Test, WrongModelAndOldFirmwareAreReported) {
    SimOptions wrong = still();
    wrong.faults.wrong_model_ids = {3};
    EXPECT_EQ(connect_error(wrong).rfind("motors with incorrect model numbers on /dev/ttyACM0: "
                                         "elbow_flex (id 3) is model 2825",
                                         0),
              0u);
    SimOptions old = still();
    old.faults.old_firmware_ids = {2};
    const std::string message = connect_error(old);
    EXPECT_NE(message.find("use different firmware versions"), std::string::npos) << message;
    EXPECT_NE(message.find("shoulder_lift 3.9"), std::string::npos) << message;
    EXPECT_NE(message.find("gripper 3.10"), std::string::npos) << message;
}

TEST_F(So101Test, ErrorBitsGiveLeRobotsText) {
    SimOptions sim = still();
    sim.faults.error_bits = 0x01;
    sim.faults.error_ids = {2};
    const std::string message = connect_error(sim);
    EXPECT_NE(message.find("shoulder_lift (id 2) reports [RxPacketError] Input voltage error!"),
              std::string::npos)
        << message;
}

TEST_F(So101Test, OnlyCorruptRepliesAreNotAMissingMotor) {
    SimOptions sim = still();
    sim.faults.corrupt = FaultRate{0.0, 1};
    const std::string message = connect_error(sim);
    EXPECT_NE(message.find("answered only with damaged packets after 6 tries "
                           "([TxRxResult] Incorrect status packet!)"),
              std::string::npos)
        << message;
    EXPECT_EQ(message.find("missing"), std::string::npos);
}

/// Connects, then reads the positions 200 times; returns the bus counters.
BusStats connect_and_read(So101Arm& arm) {
    arm.connect();
    for (int i = 0; i < 200; ++i) {
        const JointValues values = arm.read_positions();
        for (const double v : values)
            EXPECT_TRUE(std::isfinite(v));
    }
    return arm.bus().stats();
}

TEST_F(So101Test, ConnectsAndReadsThroughFivePercentCorruptReplies) {
    SimOptions sim = still();
    sim.faults.corrupt = FaultRate{0.05, 0};
    sim.seed = 7;
    const BusStats stats = connect_and_read(*make_arm(sim));
    EXPECT_GT(stats.retries, 0u);
    EXPECT_EQ(stats.corrupt, sim_->stats().corrupted);  // each damaged reply was seen as such
    EXPECT_EQ(stats.timeouts, 0u);                      // and none taken for a missing motor
}

TEST_F(So101Test, ConnectsAndReadsWithOneReplyInTenCorrupt) {
    SimOptions sim = still();
    sim.faults.corrupt = FaultRate{0.0, 10};
    const BusStats stats = connect_and_read(*make_arm(sim));
    EXPECT_EQ(stats.corrupt, sim_->stats().corrupted);
    EXPECT_EQ(stats.retries, stats.corrupt);  // one in ten: never two in one sync read
    EXPECT_EQ(stats.timeouts, 0u);
    EXPECT_GT(stats.retries, 100u);
}

TEST_F(So101Test, ConnectsThroughGarbageTruncationAndLateReplies) {
    SimOptions sim = still();
    sim.faults.garbage = FaultRate{0.05, 0};
    sim.faults.truncate = FaultRate{0.03, 0};
    sim.faults.delay = FaultRate{0.02, 0};
    sim.faults.drop = FaultRate{0.02, 0};
    sim.seed = 3;
    auto arm = make_arm(sim);
    arm->connect();
    for (int i = 0; i < 100; ++i)
        arm->read_positions();
    EXPECT_GT(arm->bus().stats().retries, 0u);
}

TEST_F(So101Test, MissingCalibrationSaysHowToCalibrate) {
    auto port = make_sim_port(still(), "/dev/ttyACM0");
    So101Arm arm(std::move(port), options(ArmRole::kFollower, "nobody"));
    try {
        arm.connect();
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("run `rcls arm calibrate --port /dev/ttyACM0 --role "
                                             "follower --id nobody`"),
                  std::string::npos)
            << e.what();
    }
}

TEST_F(So101Test, ReadsPositionsInLeRobotsUnits) {
    auto arm = make_arm(still());
    sim_->set_actual_position(1, 2000);  // middle of [1000, 3000]
    sim_->set_actual_position(2, 3000);
    sim_->set_actual_position(6, 1500);  // gripper: a quarter of its range
    arm->connect(ConnectOptions{.use_calibration = true, .configure = false});
    const JointValues values = arm->read_positions();
    EXPECT_NEAR(values[0], 0.0, 1e-9);
    EXPECT_NEAR(values[1], 1000.0 * 360.0 / 4095.0, 1e-9);
    EXPECT_NEAR(values[5], 25.0, 1e-9);
    EXPECT_EQ(arm->read_raw_positions()[1], 3000);
}

TEST_F(So101Test, ClampsGoalStepsToMaxRelativeTarget) {
    SimOptions sim = still();
    auto arm_options = options(ArmRole::kFollower, "follower");
    arm_options.max_relative_target = 5.0;
    save_calibration(calibration_path(ArmRole::kFollower, "follower", arm_options.calibration_dir),
                     simple_calibration());
    auto port = make_sim_port(sim, "/dev/ttyACM0");
    sim_ = port->shared_bus();
    for (const std::uint8_t id : kJointIds)
        sim_->set_actual_position(id, 2000);
    So101Arm arm(std::move(port), arm_options);
    arm.connect();
    const JointValues present = arm.read_positions();
    JointValues goals = present;
    goals[0] += 30.0;
    goals[1] -= 2.0;
    const JointValues sent = arm.send_goals(goals, &present);
    EXPECT_NEAR(sent[0], present[0] + 5.0, 1e-9);
    EXPECT_NEAR(sent[1], present[1] - 2.0, 1e-9);
    EXPECT_EQ(arm.clamped_goals(), 1u);
    // 5 degrees = int(5 * 4095 / 360 + 2000) steps.
    EXPECT_EQ(sim_->register_value(1, "Goal_Position"), 2056);
}

TEST_F(So101Test, LockedJointsHoldTheirPositionWhileOthersFollow) {
    auto arm_options = options(ArmRole::kFollower, "follower");
    arm_options.locked[kWristRoll] = true;
    arm_options.locked_positions[kWristRoll] = 10.0;
    arm_options.locked[kGripper] = true;  // no position: held where it was at connect
    save_calibration(calibration_path(ArmRole::kFollower, "follower", arm_options.calibration_dir),
                     simple_calibration());
    auto port = make_sim_port(still(), "/dev/ttyACM0");
    sim_ = port->shared_bus();
    sim_->set_actual_position(6, 1500);
    So101Arm arm(std::move(port), arm_options);
    arm.connect();
    JointValues goals{};
    goals.fill(20.0);
    const JointValues sent = arm.send_goals(goals);
    EXPECT_DOUBLE_EQ(sent[0], 20.0);
    EXPECT_DOUBLE_EQ(sent[kWristRoll], 10.0);
    EXPECT_NEAR(sent[kGripper], 25.0, 1e-9);
}

TEST_F(So101Test, RecordConfigGivesFollowerAndLeaderOptions) {
    config::RecordConfig config;
    config.robot.port = "/dev/ttyACM3";
    config.robot.max_relative_target = 8.0;
    config.teleop.port = "/dev/ttyACM4";
    config.locked_joints = {"wrist_roll", "gripper"};
    config.locked_joint_positions = {{"wrist_roll", -15.0}};
    const ArmOptions follower = follower_options(config);
    EXPECT_EQ(follower.port, "/dev/ttyACM3");
    EXPECT_EQ(follower.role, ArmRole::kFollower);
    EXPECT_EQ(follower.max_relative_target, 8.0);
    EXPECT_TRUE(follower.locked[kWristRoll]);
    EXPECT_EQ(follower.locked_positions[kWristRoll], -15.0);
    EXPECT_TRUE(follower.locked[kGripper]);
    EXPECT_FALSE(follower.locked_positions[kGripper]);
    EXPECT_FALSE(follower.locked[0]);
    const ArmOptions leader = leader_options(config);
    EXPECT_EQ(leader.port, "/dev/ttyACM4");
    EXPECT_EQ(leader.id, "leader");
    EXPECT_EQ(leader.role, ArmRole::kLeader);
}

TEST_F(So101Test, FollowerFollowsTheLeaderInNormalisedUnits) {
    auto leader = make_arm(still(), ArmRole::kLeader, "leader");
    auto leader_sim = sim_;
    // The follower is calibrated differently: the same angle is another raw position.
    auto follower_options_ = options(ArmRole::kFollower, "follower");
    Calibration shifted = simple_calibration();
    for (auto& [name, motor] : shifted) {
        if (name != "wrist_roll") {
            motor.range_min += 300;
            motor.range_max += 300;
        }
    }
    save_calibration(
        calibration_path(ArmRole::kFollower, "follower", follower_options_.calibration_dir),
        shifted);
    auto follower_port = make_sim_port(still(), "/dev/ttyACM1");
    auto follower_sim = follower_port->shared_bus();
    So101Arm follower(std::move(follower_port), follower_options_);
    leader->connect();
    follower.connect();
    const double raw[] = {1500, 2500, 1800, 2200, 1000, 2600};
    for (std::size_t i = 0; i < kNumJoints; ++i)
        leader_sim->set_actual_position(kJointIds[i], raw[i]);
    TeleopStep step;
    for (int i = 0; i < 60; ++i) {
        step = teleop_step(*leader, follower);
        follower.port().sleep_until(follower.port().now() + 16ms);
    }
    const JointValues reached = follower.read_positions();
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        EXPECT_NEAR(reached[i], step.leader[i], 0.1) << kJointNames[i];
    }
    // shoulder_pan: the leader's 1500 is -500 steps from its middle, so the follower sits at 1800.
    EXPECT_NEAR(follower_sim->actual_position(1), 1800, 1.0);
}

TEST_F(So101Test, DisconnectTurnsTorqueOff) {
    auto arm = make_arm(still());
    arm->connect();
    EXPECT_EQ(sim_->register_value(1, "Torque_Enable"), 1);
    arm->disconnect();
    for (const std::uint8_t id : kJointIds) {
        EXPECT_EQ(sim_->register_value(id, "Torque_Enable"), 0);
        EXPECT_EQ(sim_->register_value(id, "Lock"), 0);
    }
    EXPECT_FALSE(arm->is_connected());
    arm->disconnect();                                // idempotent
    EXPECT_THROW(arm->read_positions(), UsageError);  // an error, not a crash
}

TEST_F(So101Test, GuardTurnsTorqueOffWhenAnErrorEndsTheCommand) {
    auto arm = make_arm(still());
    try {
        TorqueOffGuard guard(*arm);
        arm->connect();
        throw DeviceError("something failed mid-way");
    } catch (const DeviceError&) {
    }
    EXPECT_EQ(sim_->register_value(1, "Torque_Enable"), 0);
}

TEST_F(So101Test, ConnectWithoutConfigureLeavesTheMotorsAlone) {
    auto arm = make_arm(still());
    arm->connect(ConnectOptions{.use_calibration = false, .configure = false});
    EXPECT_EQ(sim_->register_value(1, "Return_Delay_Time"), 250);
    EXPECT_EQ(sim_->register_value(1, "Min_Position_Limit"), 0);
    EXPECT_EQ(sim_->register_value(1, "Torque_Enable"), 0);
    for (const auto& request : sim_->request_log()) {
        const auto instruction = static_cast<protocol::Instruction>(request[4]);
        EXPECT_NE(instruction, protocol::Instruction::kWrite);
        EXPECT_NE(instruction, protocol::Instruction::kSyncWrite);
    }
}

}  // namespace
}  // namespace rcls::arm
