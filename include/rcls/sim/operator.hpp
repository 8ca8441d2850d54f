// SPDX-License-Identifier: MIT
//
// A scripted person moving the simulated LEADER arm through one reach-and-grasp attempt, as a hand
// would: from a rest pose above the table to above the cube, a pause (sometimes a hesitation and a
// correction of a first, wrong aim), down, close the jaws, lift and hold. Every motion is a
// minimum-jerk profile in Cartesian space (inverse kinematics per instant) with a small tremor.
// The attempt's variability comes from its seed: speeds, pauses, approach errors, and in some
// attempts an aim beside the cube (the jaws then close beside it: a miss).
#pragma once

#include <cstdint>
#include <vector>

#include "rcls/sim/kinematics.hpp"

namespace rcls::arm {
class SimBus;
}

namespace rcls::sim {

/// Settings of the scripted operator.
struct OperatorOptions {
    double miss_probability = 0.12;  ///< Attempts aimed beside the cube.
    double hesitation_probability = 0.4;
    double correction_probability = 0.3;  ///< First aim off by 1-2 cm, corrected above the cube.
};

/// What the operator meant to do (the outcome also depends on the scene's slips).
enum class Intent { kGrasp, kMiss };

/// One scripted attempt.
class ScriptedOperator {
public:
    /// An attempt at the cube at `cube` (centre) with yaw `cube_yaw`, seeded by `seed`.
    ScriptedOperator(const Vec3& cube,
                     double cube_yaw,
                     double cube_size_m,
                     std::uint64_t seed,
                     const OperatorOptions& options = {});

    /// The leader's joint angles `t_s` seconds into the attempt (holds the last pose after the
    /// end).
    JointAngles at(double t_s) const;

    /// Puts the leader's joints where at(t_s) says, as the person's hand does (encoder positions
    /// of servos 1-6 on `leader`, whose torque is off).
    void move_leader(arm::SimBus& leader, double t_s) const;

    /// When the attempt's motions end (the arm holds still after).
    double duration_s() const { return segments_.back().end_s; }
    Intent intent() const { return intent_; }
    /// When the jaws start to close on (or beside) the cube.
    double close_time_s() const { return close_time_s_; }

private:
    struct Waypoint {
        Vec3 position;
        double yaw = 0;
        double gripper = 0;  ///< Jaw angle, radians.
    };
    struct Segment {
        double start_s = 0, end_s = 0;
        Waypoint from, to;
        JointAngles seed{};  ///< IK solution at `from`.
    };

    JointAngles solve(const Waypoint& w, const JointAngles& seed) const;

    std::vector<Segment> segments_;
    Intent intent_ = Intent::kGrasp;
    double close_time_s_ = 0;
    double tremor_phase_ = 0;
    double tremor_amplitude_ = 0;
};

}  // namespace rcls::sim
