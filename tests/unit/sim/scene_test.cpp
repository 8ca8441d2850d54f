// SPDX-License-Identifier: MIT
#include "rcls/sim/scene.hpp"

#include <numbers>

#include <gtest/gtest.h>

#include "rcls/arm/sim_bus.hpp"

namespace rcls::sim {
namespace {

const JointAngles kIkSeed = {0.0, -0.5, 0.9, 1.2, 0.0, 0.0};

/// Joint angles putting the grasp point at `p` (jaws down, closing along the cube's yaw).
JointAngles reach(const Scene& scene, const Vec3& p, double gripper) {
    JointAngles q = inverse_kinematics({p, scene.cube_start_yaw()}, kIkSeed);
    q[5] = gripper;
    return q;
}

/// Moves from `from` to `to` in `seconds`, 10 ms at a time.
void move(Scene& scene, const JointAngles& from, const JointAngles& to, double seconds) {
    const int steps = static_cast<int>(seconds / 0.01);
    for (int i = 1; i <= steps; ++i) {
        JointAngles q{};
        for (std::size_t j = 0; j < kNumJoints; ++j) {
            q[j] = from[j] + (to[j] - from[j]) * i / steps;
        }
        scene.step(q, 0.01);
    }
}

constexpr double kOpen = 0.9;      // about 7.8 cm between the jaws
constexpr double kClosed = -0.15;  // pressed shut

TEST(Scene, CubeStartsOnTheTableWithinReach) {
    for (std::uint64_t seed = 1; seed <= 50; ++seed) {
        Scene scene({.seed = seed});
        EXPECT_NEAR(scene.cube_height_m(), 0.0, 1e-12);
        EXPECT_EQ(scene.cube_mode(), CubeMode::kResting);
        double error = 1;
        inverse_kinematics({scene.cube_start(), scene.cube_start_yaw()}, kIkSeed, &error);
        EXPECT_LT(error, 2e-3) << "seed " << seed;
    }
    EXPECT_NE(Scene({.seed = 1}).cube_start().x, Scene({.seed = 2}).cube_start().x);
}

TEST(Scene, JawsClosingOnTheCubeGraspAndLiftIt) {
    Scene scene({.seed = 3, .slip_probability = 0.0});
    const Vec3 c = scene.cube_start();
    const JointAngles above = reach(scene, c + Vec3{0, 0, 0.06}, kOpen);
    const JointAngles at = reach(scene, c, kOpen);
    JointAngles shut = at;
    shut[5] = kClosed;
    const JointAngles lifted = reach(scene, c + Vec3{0, 0, 0.06}, kClosed);
    scene.step(above, 0.01);
    move(scene, above, at, 1.0);
    EXPECT_EQ(scene.cube_mode(), CubeMode::kResting);
    move(scene, at, shut, 0.5);
    EXPECT_EQ(scene.cube_mode(), CubeMode::kHeld);
    EXPECT_EQ(scene.grasps(), 1);
    // The jaws stop on the cube.
    EXPECT_NEAR(jaw_gap(scene.snapshot().q[5]), 0.025, 1e-3);
    move(scene, shut, lifted, 1.0);
    EXPECT_TRUE(scene.held_above(0.02));
    EXPECT_NEAR(scene.cube_height_m(), 0.06, 0.003);
    // Opening the jaws drops it; it falls and rests on the table below.
    JointAngles opened = lifted;
    opened[5] = kOpen;
    move(scene, lifted, opened, 0.3);
    EXPECT_FALSE(scene.held_above(0.0));
    move(scene, opened, opened, 1.0);
    EXPECT_EQ(scene.cube_mode(), CubeMode::kResting);
    EXPECT_NEAR(scene.cube_height_m(), 0.0, 1e-9);
    EXPECT_EQ(scene.drops(), 1);
}

TEST(Scene, JawsClosingBesideTheCubeMissIt) {
    Scene scene({.seed = 4});
    const Vec3 c = scene.cube_start();
    const Vec3 beside =
        c + Vec3{-std::sin(scene.cube_start_yaw()), std::cos(scene.cube_start_yaw()), 0.0} * 0.03;
    const JointAngles at = reach(scene, beside, kOpen);
    JointAngles shut = at;
    shut[5] = kClosed;
    scene.step(at, 0.01);
    move(scene, at, shut, 0.5);
    EXPECT_EQ(scene.cube_mode(), CubeMode::kResting);
    EXPECT_EQ(scene.grasps(), 0);
    move(scene, shut, reach(scene, beside + Vec3{0, 0, 0.06}, kClosed), 1.0);
    EXPECT_NEAR(scene.cube_height_m(), 0.0, 1e-12);
    EXPECT_NEAR(norm(scene.cube().t - c), 0.0, 1e-12);
}

TEST(Scene, AGraspThatSlipsDropsTheCubeDuringTheLift) {
    Scene scene({.seed = 5, .slip_probability = 1.0});
    const Vec3 c = scene.cube_start();
    const JointAngles at = reach(scene, c, kOpen);
    JointAngles shut = at;
    shut[5] = kClosed;
    scene.step(at, 0.01);
    move(scene, at, shut, 0.5);
    ASSERT_EQ(scene.cube_mode(), CubeMode::kHeld);
    move(scene, shut, reach(scene, c + Vec3{0, 0, 0.07}, kClosed), 1.5);
    move(scene, shut, shut, 0.0);
    EXPECT_EQ(scene.drops(), 1);
    EXPECT_NE(scene.cube_mode(), CubeMode::kHeld);
}

TEST(Scene, FollowsTheFollowersServos) {
    arm::SimOptions options;
    options.motion = arm::SimMotion::kStill;
    options.wire_time = false;
    arm::SimBus follower(options, arm::SimBus::Clock::time_point{});
    const JointAngles q = {0.2, -0.3, 0.5, 0.7, -1.0, 0.4};
    for (std::size_t j = 0; j < kNumJoints; ++j) {
        follower.set_actual_position(static_cast<std::uint8_t>(j + 1), radians_to_steps(q[j]));
    }
    Scene scene({.seed = 1});
    scene.update_from_bus(follower, 0.01);
    const SceneSnapshot s = scene.snapshot();
    for (std::size_t j = 0; j < kNumJoints; ++j) {
        EXPECT_NEAR(s.q[j], q[j], 2 * std::numbers::pi / 4096) << j;
    }
    EXPECT_LT(norm(s.arm.tool.t - forward_kinematics(q).tool.t), 2e-3);
}

}  // namespace
}  // namespace rcls::sim
