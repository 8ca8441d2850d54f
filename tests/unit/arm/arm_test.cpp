// SPDX-License-Identifier: MIT
//
// The Arm interface and make_arm(): the config's `type` picks the driver, one mapping from a config
// section to the arm's options, and the simulated arms teleoperating on one virtual clock without
// a calibration file.
#include "rcls/arm/arm.hpp"

#include <chrono>

#include <gtest/gtest.h>

#include "rcls/arm/sim_bus.hpp"
#include "rcls/arm/so101.hpp"
#include "rcls/config/record_config.hpp"
#include "rcls/core/error.hpp"

#include "temp_dir.hpp"

namespace rcls::arm {
namespace {

using namespace std::chrono_literals;

TEST(ArmType, KnowsLeRobotsTypesAndTheSimulatedOnes) {
    EXPECT_EQ(parse_arm_type("so101_follower").role, ArmRole::kFollower);
    EXPECT_FALSE(parse_arm_type("so101_follower").simulated);
    EXPECT_EQ(parse_arm_type("so100_follower").role, ArmRole::kFollower);
    EXPECT_EQ(parse_arm_type("so101_leader").role, ArmRole::kLeader);
    EXPECT_EQ(parse_arm_type("so100_leader").role, ArmRole::kLeader);
    EXPECT_TRUE(parse_arm_type("so101_follower_sim").simulated);
    EXPECT_EQ(parse_arm_type("so101_leader_sim").role, ArmRole::kLeader);
    EXPECT_TRUE(parse_arm_type("so101_leader_sim").simulated);
    try {
        parse_arm_type("koch_follower");
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("unknown arm type \"koch_follower\"; known types: "
                                             "so101_follower, so100_follower"),
                  std::string::npos)
            << e.what();
    }
}

TEST(ArmOptionsMapping, EveryFollowerFieldOfTheRobotSection) {
    config::RobotConfig robot;
    robot.type = "so100_follower";
    robot.port = "/dev/ttyUSB7";
    robot.id = "blue";
    robot.calibration_dir = "/tmp/cal";
    robot.disable_torque_on_disconnect = false;
    robot.max_relative_target = 5.5;
    robot.use_degrees = false;
    robot.num_read_retries = 7;
    robot.position_p_coefficient = 20;
    robot.position_i_coefficient = 1;
    robot.position_d_coefficient = 30;
    const ArmOptions options = arm_options(robot);
    EXPECT_EQ(options.type, "so100_follower");
    EXPECT_EQ(options.role, ArmRole::kFollower);
    EXPECT_EQ(options.port, "/dev/ttyUSB7");
    EXPECT_EQ(options.id, "blue");
    EXPECT_EQ(options.calibration_dir, "/tmp/cal");
    EXPECT_FALSE(options.disable_torque_on_disconnect);
    EXPECT_EQ(options.max_relative_target, 5.5);
    EXPECT_FALSE(options.use_degrees);
    EXPECT_EQ(options.num_read_retries, 7);
    EXPECT_EQ(options.position_p_coefficient, 20);
    EXPECT_EQ(options.position_i_coefficient, 1);
    EXPECT_EQ(options.position_d_coefficient, 30);
    EXPECT_FALSE(options.builtin_calibration);
}

TEST(ArmOptionsMapping, EveryLeaderFieldOfTheTeleopSection) {
    config::TeleopConfig teleop;
    teleop.type = "so101_leader_sim";
    teleop.port = "sim-leader";
    teleop.id = "red";
    teleop.use_degrees = false;
    teleop.num_read_retries = 0;
    const ArmOptions options = arm_options(teleop);
    EXPECT_EQ(options.type, "so101_leader_sim");
    EXPECT_EQ(options.role, ArmRole::kLeader);
    EXPECT_EQ(options.port, "sim-leader");
    EXPECT_EQ(options.id, "red");
    EXPECT_FALSE(options.use_degrees);
    EXPECT_EQ(options.num_read_retries, 0);
    EXPECT_FALSE(options.disable_torque_on_disconnect);  // a leader's torque is never on
    EXPECT_FALSE(options.max_relative_target);
}

TEST(MakeArm, SimulatedArmsTeleoperateOnOneVirtualClockWithoutACalibrationFile) {
    testing::TempDir dir;
    config::RecordConfig config;
    config.robot.type = "so101_follower_sim";
    config.robot.port = "sim-follower";
    config.robot.calibration_dir = dir.path().string();  // empty: the built-in calibration
    config.robot.max_relative_target = 20.0;
    config.teleop.type = "so101_leader_sim";
    config.teleop.port = "sim-leader";
    config.teleop.calibration_dir = dir.path().string();
    VirtualClock clock;
    const auto wall_start = std::chrono::steady_clock::now();
    std::unique_ptr<Arm> follower = make_arm(follower_options(config), clock);
    std::unique_ptr<Arm> leader = make_arm(leader_options(config), clock);
    EXPECT_EQ(&follower->clock(), &clock);
    EXPECT_EQ(&leader->clock(), &clock);
    leader->connect();
    follower->connect();
    EXPECT_TRUE(follower->is_connected());
    EXPECT_EQ(follower->describe(), "follower 'follower' on sim-follower");
    TeleopStep step;
    for (int i = 0; i < 180; ++i) {  // 3 s at 60 fps of virtual time
        step = teleop_step(*leader, *follower);
        clock.sleep_until(clock.now() + 16ms);
    }
    EXPECT_LT(std::chrono::steady_clock::now() - wall_start, 30s);  // never slept for real
    const JointValues reached = follower->read_positions();
    // The person keeps moving the leader; the follower is at most a few steps behind.
    EXPECT_NEAR(reached[0], step.leader[0], 10.0);
    EXPECT_GT(follower->bus_stats().transactions, 0u);
    const std::uint64_t transactions = follower->bus_stats().transactions;
    follower->disconnect();
    EXPECT_FALSE(follower->is_connected());
    EXPECT_GT(follower->bus_stats().transactions,
              transactions);  // kept, with the torque-off writes
    EXPECT_THROW(follower->clock(), UsageError);
}

TEST(MakeArm, ARealArmNeedsRealTime) {
    VirtualClock clock;
    ArmOptions options;
    options.port = "/dev/ttyACM9";
    EXPECT_THROW(make_arm(options, clock), UsageError);
}

TEST(MakeArm, TheTypeMustMatchTheRole) {
    ArmOptions options;
    options.type = "so101_leader_sim";
    options.role = ArmRole::kFollower;
    EXPECT_THROW(make_arm(options), ConfigError);
}

TEST(MakeArm, ARealArmOnAMissingPortIsADeviceError) {
    ArmOptions options;
    options.port = "/nonexistent/ttyACM0";
    EXPECT_THROW(make_arm(options), DeviceError);
}

TEST(SimulatedCalibration, SpansThePersonsSweepWithWristRollAFullTurn) {
    const Calibration calibration = simulated_calibration();
    ASSERT_EQ(calibration.size(), kNumJoints);
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        const auto& [name, motor] = calibration[i];
        EXPECT_EQ(name, kJointNames[i]);
        EXPECT_EQ(motor.id, kJointIds[i]);
        EXPECT_EQ(motor.homing_offset, 0);
        EXPECT_LT(motor.range_min, motor.range_max);
    }
    EXPECT_EQ(calibration[kWristRoll].second.range_min, 0);
    EXPECT_EQ(calibration[kWristRoll].second.range_max, 4095);
    EXPECT_EQ(calibration[0].second.range_min, 2198 - 900);  // shoulder_pan's sweep
}

}  // namespace
}  // namespace rcls::arm
