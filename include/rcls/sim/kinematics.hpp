// SPDX-License-Identifier: MIT
//
// The SO-101 follower's forward kinematics from its URDF (TheRobotStudio/SO-ARM100,
// Simulation/SO101/so101_new_calib.urdf; facts in docs so101_kinematics.md), the jaw geometry the
// scene uses, a small numeric inverse kinematics for the scripted operator, and the mapping
// between joint angles, LeRobot's normalised values and servo encoder steps.
//
// Frames: the base link's frame is the world frame (metres, z up; the base stands on the table at
// z = 0 and the arm reaches toward -y). Joint angles are the URDF's, in radians; zero is LeRobot's
// calibrated middle position, and a positive LeRobot degree is a positive URDF angle.
#pragma once

#include <array>
#include <cstddef>

#include "rcls/sim/geometry.hpp"

namespace rcls::sim {

inline constexpr std::size_t kNumJoints = 6;  ///< shoulder_pan .. wrist_roll, gripper.

/// Joint angles in radians (URDF), in servo id order; [5] is the moving jaw's angle.
using JointAngles = std::array<double, kNumJoints>;

/// Lower and upper limits of each joint (URDF), radians.
inline constexpr std::array<double, kNumJoints> kJointLower = {-1.91986, -1.74533, -1.69,
                                                               -1.65806, -2.79253, -0.174533};
inline constexpr std::array<double, kNumJoints> kJointUpper = {1.91986, 1.74533, 1.69,
                                                               1.65806, 2.79253, 1.74533};

/// The encoder position (0..4095 steps of one turn) taken as joint angle zero, for every joint.
inline constexpr double kZeroSteps = 2048.0;

/// Servo encoder steps to joint radians: (steps - 2048) * 2 pi / 4096.
double steps_to_radians(double steps);
/// Joint radians to encoder steps.
double radians_to_steps(double radians);

/// LeRobot's normalised values (body joints in degrees, gripper 0..100 mapped linearly onto the
/// gripper joint's limits) to joint angles, and back.
JointAngles from_lerobot(const std::array<double, kNumJoints>& values);
std::array<double, kNumJoints> to_lerobot(const JointAngles& q);

/// Where everything of the arm is, for one set of joint angles.
struct ArmPose {
    /// Frames of the links shoulder, upper_arm, lower_arm, wrist, gripper (after each joint's
    /// rotation), in the world frame.
    std::array<Pose, 5> links;
    Pose tool;       ///< URDF `gripperframe`: the tool point between the jaws.
    Pose jaw_hinge;  ///< The moving jaw's joint frame (after its rotation).
};

/// Forward kinematics of the URDF chain.
ArmPose forward_kinematics(const JointAngles& q);

/// Jaw geometry, in the gripper link's frame: the jaws close along the gripper's x axis; the fixed
/// jaw's inner face is the plane x = kFixedJawInnerX, the moving jaw swings about its hinge.
inline constexpr double kFixedJawInnerX = -0.0204;
/// The moving jaw's inner grasp point at the closed angle (the tool point's depth).
inline constexpr Vec3 kMovingJawHinge = {0.0202, 0.0188, -0.0234};
/// Gripper joint angle at which the jaws touch (closed, empty).
inline constexpr double kJawTouchAngle = -0.174533;

/// Gap between the jaws' inner faces at the tool point's depth, for gripper angle `q_gripper`
/// (0 when closed or pressed).
double jaw_gap(double q_gripper);

/// The gripper angle at which the gap is `gap` (inverse of jaw_gap on the opening range).
double gripper_angle_for_gap(double gap);

/// The grasp point in the gripper link's frame: midway between the jaws' inner faces when they
/// hold a cube of side `cube_size`, at the tool point's depth.
Vec3 grasp_point_in_gripper(double cube_size);

/// What the operator asks of the inverse kinematics: the tool point at `position` with the jaws
/// pointing straight down and closing along the horizontal direction at `yaw` (radians about z).
struct ToolTarget {
    Vec3 position;
    double yaw = 0.0;
};

/// Damped least squares from `seed` (joint angles; the gripper angle is kept). Returns the angles
/// reached, inside the joint limits; `error_m` (if not null) gets the remaining position error.
JointAngles inverse_kinematics(const ToolTarget& target,
                               const JointAngles& seed,
                               double* error_m = nullptr);

}  // namespace rcls::sim
