// SPDX-License-Identifier: MIT
#include "rcls/sim/operator.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

#include "rcls/arm/sim_bus.hpp"

namespace rcls::sim {
namespace {

/// Minimum-jerk profile: 10 s^3 - 15 s^4 + 6 s^5.
double min_jerk(double s) {
    s = std::clamp(s, 0.0, 1.0);
    return s * s * s * (10.0 + s * (-15.0 + 6.0 * s));
}

/// The jaw angle for LeRobot's gripper value (0..100).
double gripper_angle(double value) {
    return kJointLower[5] + value / 100.0 * (kJointUpper[5] - kJointLower[5]);
}

/// A pose to start IK from: the arm raised with the gripper pointing down.
constexpr JointAngles kIkStart = {0.0, -0.5, 0.9, 1.2, 0.0, 0.0};

}  // namespace

ScriptedOperator::ScriptedOperator(const Vec3& cube,
                                   double cube_yaw,
                                   double cube_size_m,
                                   std::uint64_t seed,
                                   const OperatorOptions& options) {
    std::mt19937_64 rng(seed * 0x2545F4914F6CDD1DULL + 0x0B5);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    auto uni = [&](double lo, double hi) { return lo + (hi - lo) * u(rng); };
    std::normal_distribution<double> gauss(0.0, 1.0);
    intent_ = u(rng) < options.miss_probability ? Intent::kMiss : Intent::kGrasp;

    // The jaws close along the cube's x axis (yaw) or its y axis, whichever needs the smaller
    // turn of the wrist from pointing along the world's x axis.
    const double yaw = cube_yaw + uni(-0.12, 0.12);
    const Vec3 closing = {std::cos(yaw), std::sin(yaw), 0.0};
    const Vec3 across = {-std::sin(yaw), std::cos(yaw), 0.0};
    // The grasp point sits half a cube from the fixed jaw, the tool point near it: aim the tool
    // point so that the grasp point lands on the cube's centre.
    const double grasp_offset = grasp_point_in_gripper(cube_size_m).x - (-0.0079);
    Vec3 aim = cube - closing * grasp_offset;
    if (intent_ == Intent::kMiss) {
        const double side = u(rng) < 0.5 ? -1.0 : 1.0;
        aim = aim + across * (side * uni(0.024, 0.036)) + closing * uni(-0.004, 0.004);
    } else {
        aim = aim + closing * std::clamp(gauss(rng) * 0.002, -0.005, 0.005) +
              across * std::clamp(gauss(rng) * 0.003, -0.007, 0.007);
    }
    aim.z = cube.z + std::clamp(gauss(rng) * 0.002, -0.004, 0.004);

    const double open = gripper_angle(uni(45.0, 75.0));
    const double closed = gripper_angle(uni(0.0, 4.0));
    const double rest_gripper = gripper_angle(uni(5.0, 20.0));
    const Waypoint rest{{uni(0.0, 0.04), uni(-0.14, -0.12), uni(0.085, 0.1)}, 0.0, rest_gripper};
    const double above = uni(0.05, 0.07);
    Waypoint pre{{aim.x, aim.y, aim.z + above}, yaw, open};
    Waypoint down{aim, yaw, open};
    Waypoint shut{aim, yaw, closed};
    Waypoint lifted{{aim.x + uni(-0.01, 0.01), aim.y + uni(-0.01, 0.01), aim.z + uni(0.055, 0.075)},
                    yaw,
                    closed};

    std::vector<std::pair<double, Waypoint>> plan;  // (duration to reach it, waypoint)
    plan.push_back({uni(0.2, 0.8), rest});          // still, before the attempt
    if (u(rng) < options.correction_probability) {
        const double a = uni(0.0, 2 * std::numbers::pi);
        Waypoint wrong = pre;
        wrong.position = wrong.position + Vec3{std::cos(a), std::sin(a), 0.0} * uni(0.012, 0.022);
        plan.push_back({uni(1.1, 1.6), wrong});
        plan.push_back({uni(0.2, 0.5), wrong});  // sees the error
        plan.push_back({uni(0.4, 0.7), pre});
    } else {
        plan.push_back({uni(1.2, 1.8), pre});
    }
    if (u(rng) < options.hesitation_probability) plan.push_back({uni(0.3, 0.9), pre});
    plan.push_back({uni(0.7, 1.1), down});
    plan.push_back({uni(0.05, 0.25), down});
    const std::size_t close_index = plan.size();
    plan.push_back({uni(0.35, 0.6), shut});
    plan.push_back({uni(0.1, 0.3), shut});
    plan.push_back({uni(0.9, 1.4), lifted});

    JointAngles q = solve(rest, kIkStart);
    double t = 0;
    Waypoint from = rest;
    for (std::size_t i = 0; i < plan.size(); ++i) {
        Segment s;
        s.start_s = t;
        s.end_s = t + plan[i].first;
        s.from = from;
        s.to = plan[i].second;
        s.seed = q;
        if (i == close_index) close_time_s_ = t;
        segments_.push_back(s);
        q = solve(s.to, q);
        from = s.to;
        t = s.end_s;
    }
    tremor_phase_ = uni(0.0, 2 * std::numbers::pi);
    tremor_amplitude_ = uni(0.0005, 0.0015);
}

JointAngles ScriptedOperator::solve(const Waypoint& w, const JointAngles& seed) const {
    JointAngles q = inverse_kinematics({w.position, w.yaw}, seed);
    q[5] = w.gripper;
    return q;
}

JointAngles ScriptedOperator::at(double t_s) const {
    const Segment* seg = &segments_.back();
    for (const Segment& s : segments_) {
        if (t_s < s.end_s) {
            seg = &s;
            break;
        }
    }
    const double span = seg->end_s - seg->start_s;
    const double f = span > 0 ? min_jerk((t_s - seg->start_s) / span) : 1.0;
    Waypoint w;
    w.position = seg->from.position + (seg->to.position - seg->from.position) * f;
    w.yaw = seg->from.yaw + (seg->to.yaw - seg->from.yaw) * f;
    w.gripper = seg->from.gripper + (seg->to.gripper - seg->from.gripper) * f;
    // A hand is never perfectly still: a slow tremor of about a millimetre.
    const double tremor =
        tremor_amplitude_ * std::sin(2 * std::numbers::pi * 1.7 * t_s + tremor_phase_);
    w.position = w.position + Vec3{tremor, 0.6 * tremor, 0.0};
    return solve(w, seg->seed);
}

void ScriptedOperator::move_leader(arm::SimBus& leader, double t_s) const {
    const JointAngles q = at(t_s);
    for (std::size_t j = 0; j < kNumJoints; ++j) {
        leader.set_actual_position(static_cast<std::uint8_t>(j + 1), radians_to_steps(q[j]));
    }
}

}  // namespace rcls::sim
