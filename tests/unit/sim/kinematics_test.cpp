// SPDX-License-Identifier: MIT
#include "rcls/sim/kinematics.hpp"

#include <cmath>
#include <numbers>

#include <gtest/gtest.h>

namespace rcls::sim {
namespace {

constexpr double kHalfPi = std::numbers::pi / 2;

void expect_near(const Vec3& a, const Vec3& b, double tol) {
    EXPECT_NEAR(a.x, b.x, tol);
    EXPECT_NEAR(a.y, b.y, tol);
    EXPECT_NEAR(a.z, b.z, tol);
}

// Zero pose, worked out by hand from the URDF table (so101_kinematics.md): the shoulder's frame
// is turned upside down (roll pi) and by yaw pi/2, so the pan joint sits at (0.0208, -0.0231,
// 0.0949) and the shoulder-lift axis 0.0542 higher and 0.0304 / 0.0183 off: (0.0025, -0.0535,
// 0.1491). At zero the upper arm stands up: the elbow is 0.11257 above and 0.028 in front (-y),
// (0.0025, -0.0815, 0.2617). The forearm lies flat toward -y: the wrist flex axis 0.1349 further
// and 0.0052 up, (0.0025, -0.2164, 0.2669). The wrist roll origin is 0.0611 further and 0.0181 to
// the side (+x); the tool point 0.0981 further along the gripper and 0.0079 down:
// (0.0204, -0.3756, 0.2590).
TEST(Kinematics, ZeroPoseMatchesTheUrdfByHand) {
    const ArmPose p = forward_kinematics({0, 0, 0, 0, 0, 0});
    expect_near(p.links[0].t, {0.0207909, -0.0230745, 0.0948817}, 1e-6);
    expect_near(p.links[1].t, {0.0025, -0.0535, 0.1491}, 2e-4);
    expect_near(p.links[2].t, {0.0025, -0.0815, 0.2617}, 2e-4);
    expect_near(p.links[3].t, {0.0025, -0.2164, 0.2669}, 2e-4);
    expect_near(p.links[4].t, {0.0206, -0.2775, 0.2669}, 2e-4);
    expect_near(p.tool.t, {0.0204, -0.3756, 0.2590}, 2e-4);
    // The lengths the kinematics document states.
    EXPECT_NEAR(norm(p.links[2].t - p.links[1].t), 0.116, 5e-4);
    EXPECT_NEAR(norm(p.links[3].t - p.links[2].t), 0.135, 5e-4);
}

// Elbow +90 degrees and wrist -90 degrees: the forearm hangs straight down from the elbow (wrist
// at z 0.2617 - 0.1349 = 0.1268, 0.0052 further forward) and the gripper points forward again, so
// the tool is where the zero pose's tool would be with the forearm folded: (0.0204, -0.2459,
// 0.1189).
TEST(Kinematics, ElbowFoldedDownPose) {
    const ArmPose p = forward_kinematics({0, 0, kHalfPi, -kHalfPi, 0, 0});
    expect_near(p.links[3].t, {0.0025, -0.0867, 0.1268}, 2e-4);
    expect_near(p.tool.t, {0.0204, -0.2459, 0.1189}, 2e-4);
    // The gripper points along its link's -z axis: forward (-y).
    expect_near(-p.links[4].R.column(2), {0, -1, 0}, 1e-4);
}

// Pan +90 degrees turns the zero pose about the pan axis (the shoulder frame's z axis points down,
// so a positive pan turns the arm from -y toward -x): the tool's offset (-0.0004, -0.3525) from the
// axis becomes (-0.3525, +0.0004): tool at (-0.3317, -0.0227, 0.2590).
TEST(Kinematics, PanQuarterTurn) {
    const ArmPose p = forward_kinematics({kHalfPi, 0, 0, 0, 0, 0});
    expect_near(p.tool.t, {-0.3317, -0.0227, 0.2590}, 3e-4);
}

// The sign convention against LeRobot: LeRobot's own kinematics (lerobot RobotKinematics with
// so101_new_calib.urdf) passes deg2rad(joint degrees) straight to the URDF, so a positive degree
// is a positive URDF angle; a positive shoulder_lift leans the arm forward and down.
TEST(Kinematics, LeRobotDegreesMapToUrdfRadiansWithTheSameSign) {
    const JointAngles q = from_lerobot({10, 45, -20, 30, 90, 50});
    EXPECT_NEAR(q[0], 10 * std::numbers::pi / 180, 1e-12);
    EXPECT_NEAR(q[1], std::numbers::pi / 4, 1e-12);
    EXPECT_NEAR(q[4], kHalfPi, 1e-12);
    // Gripper 0..100 onto the joint's limits.
    EXPECT_NEAR(from_lerobot({0, 0, 0, 0, 0, 0})[5], kJointLower[5], 1e-12);
    EXPECT_NEAR(from_lerobot({0, 0, 0, 0, 0, 100})[5], kJointUpper[5], 1e-12);
    const auto back = to_lerobot(q);
    EXPECT_NEAR(back[2], -20, 1e-9);
    EXPECT_NEAR(back[5], 50, 1e-9);
    const ArmPose leaned = forward_kinematics(from_lerobot({0, 45, 0, 0, 0, 0}));
    EXPECT_LT(leaned.tool.t.z, 0.01);
    EXPECT_LT(leaned.tool.t.y, -0.35);
}

TEST(Kinematics, EncoderStepsAndRadians) {
    EXPECT_DOUBLE_EQ(steps_to_radians(2048), 0.0);
    EXPECT_NEAR(steps_to_radians(3072), kHalfPi, 1e-12);
    EXPECT_NEAR(radians_to_steps(-kHalfPi), 1024, 1e-9);
}

TEST(Kinematics, JawGapOpensMonotonicallyAndInverts) {
    EXPECT_NEAR(jaw_gap(kJawTouchAngle), 0.0, 1e-12);
    EXPECT_NEAR(jaw_gap(kJawTouchAngle - 0.1), 0.0, 1e-12);  // pressed: still closed
    double previous = 0.0;
    for (double q = kJawTouchAngle + 0.05; q <= kJointUpper[5]; q += 0.05) {
        const double gap = jaw_gap(q);
        EXPECT_GT(gap, previous);
        previous = gap;
    }
    EXPECT_GT(jaw_gap(kJointUpper[5]), 0.08);  // wide open: far more than a cube
    EXPECT_NEAR(jaw_gap(gripper_angle_for_gap(0.025)), 0.025, 1e-6);
}

TEST(Kinematics, InverseKinematicsReachesTheTableWithTheJawsDown) {
    const JointAngles seed = {0.0, -0.5, 0.9, 1.2, 0.0, 0.0};
    for (const Vec3 target : {Vec3{0.02, -0.22, 0.0125}, Vec3{-0.07, -0.27, 0.0125},
                              Vec3{0.11, -0.17, 0.0125}, Vec3{0.05, -0.2, 0.1}}) {
        double error = 1.0;
        const JointAngles q = inverse_kinematics({target, 0.3}, seed, &error);
        EXPECT_LT(error, 1e-3) << target.x << " " << target.y << " " << target.z;
        const ArmPose p = forward_kinematics(q);
        EXPECT_LT(norm(p.tool.t - target), 1e-3);
        EXPECT_LT((-p.links[4].R.column(2)).z, -0.98);  // pointing down
        const Vec3 closing = p.links[4].R.column(0);
        EXPECT_NEAR(std::abs(closing.x * std::cos(0.3) + closing.y * std::sin(0.3)), 1.0, 0.02);
        for (std::size_t j = 0; j < kNumJoints; ++j) {
            EXPECT_GE(q[j], kJointLower[j]);
            EXPECT_LE(q[j], kJointUpper[j]);
        }
    }
}

}  // namespace
}  // namespace rcls::sim
