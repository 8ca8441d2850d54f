// SPDX-License-Identifier: MIT
//
// The teleoperation loop on two in-process simulated arms (virtual time): its rate and loop-time
// statistics, and stopping on Ctrl-C with torque turned off.
#include "rcls/arm/teleop.hpp"

#include <gtest/gtest.h>

#include "rcls/arm/sim_bus.hpp"
#include "rcls/core/interrupt.hpp"

#include "temp_dir.hpp"

namespace rcls::arm {
namespace {

Calibration middle_calibration() {
    Calibration calibration;
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        calibration.emplace_back(std::string(kJointNames[i]),
                                 MotorCalibration{kJointIds[i], 0, 0, 1000, 3000});
    }
    return calibration;
}

class TeleopTest : public ::testing::Test {
protected:
    void SetUp() override {
        save_calibration(dir_ / "leader.json", middle_calibration());
        save_calibration(dir_ / "follower.json", middle_calibration());
        auto leader_port = make_sim_port(SimOptions{}, "/dev/ttyACM1");  // moved by a person
        SimOptions still;
        still.motion = SimMotion::kStill;
        auto follower_port = make_sim_port(still, "/dev/ttyACM0");
        follower_sim_ = follower_port->shared_bus();
        leader_ = std::make_unique<So101Arm>(std::move(leader_port), options(ArmRole::kLeader));
        follower_ =
            std::make_unique<So101Arm>(std::move(follower_port), options(ArmRole::kFollower));
        leader_->connect();
        follower_->connect();
    }

    ArmOptions options(ArmRole role) const {
        ArmOptions result;
        result.role = role;
        result.id = to_string(role);
        result.calibration_dir = dir_.path().string();
        return result;
    }

    testing::TempDir dir_;
    std::unique_ptr<So101Arm> leader_;
    std::unique_ptr<So101Arm> follower_;
    std::shared_ptr<SimBus> follower_sim_;
};

TEST_F(TeleopTest, KeepsTheRequestedRateOnVirtualTime) {
    int statuses = 0;
    const LoopStats stats = run_teleop(*leader_, *follower_, TeleopOptions{60, 2.0, 0.5},
                                       [&](const LoopStats&) { ++statuses; });
    EXPECT_NEAR(static_cast<double>(stats.steps), 120.0, 1.0);
    EXPECT_NEAR(stats.loop_p50_ms, 1000.0 / 60.0, 0.01);
    EXPECT_NEAR(stats.loop_p99_ms, 1000.0 / 60.0, 0.01);
    EXPECT_EQ(stats.overruns, 0u);
    EXPECT_GT(stats.step_p50_ms, 0.0);  // three transactions' wire time
    EXPECT_LT(stats.step_p50_ms, 5.0);
    EXPECT_EQ(statuses, 3);
    // The follower tracked the moving leader.
    const JointValues leader = leader_->read_positions();
    const JointValues follower = follower_->read_positions();
    EXPECT_NEAR(follower[0], leader[0], 5.0);
}

TEST_F(TeleopTest, CtrlCStopsTheLoopAndTheGuardTurnsTorqueOff) {
    {
        TorqueOffGuard guard(*follower_);
        EXPECT_EQ(follower_sim_->register_value(1, "Torque_Enable"), 1);
        request_interrupt();
        const LoopStats stats = run_teleop(*leader_, *follower_, TeleopOptions{60, 10.0, 1.0});
        reset_interrupt();
        EXPECT_EQ(stats.steps, 0u);
    }
    for (const std::uint8_t id : kJointIds) {
        EXPECT_EQ(follower_sim_->register_value(id, "Torque_Enable"), 0);
    }
}

TEST_F(TeleopTest, StatisticsFormatAsTextAndJson) {
    const LoopStats stats = run_teleop(*leader_, *follower_, TeleopOptions{30, 1.0, 10.0});
    EXPECT_NE(describe_loop(stats).find("steps in 1.0 s (30.0 Hz); loop p50 33.33 ms"),
              std::string::npos)
        << describe_loop(stats);
    EXPECT_NE(loop_stats_to_json(stats).find("\"loop_p50_ms\":33.3"), std::string::npos);
}

TEST(Percentile, UsesTheNearestRank) {
    std::vector<double> samples;
    for (int i = 100; i >= 1; --i)
        samples.push_back(i);
    EXPECT_DOUBLE_EQ(percentile(samples, 50), 50.0);
    EXPECT_DOUBLE_EQ(percentile(samples, 99), 99.0);
    EXPECT_DOUBLE_EQ(percentile(samples, 100), 100.0);
    EXPECT_DOUBLE_EQ(percentile({}, 50), 0.0);
    EXPECT_DOUBLE_EQ(percentile({7.0}, 99), 7.0);
}

}  // namespace
}  // namespace rcls::arm
