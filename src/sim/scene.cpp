// SPDX-License-Identifier: MIT
#include "rcls/sim/scene.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "rcls/arm/sim_bus.hpp"

namespace rcls::sim {
namespace {

constexpr double kGravity = 9.81;
constexpr double kSubstep = 0.005;
/// Where cubes are put: in front of the base, within the arm's reach with the jaws pointing down.
constexpr double kCubeMinX = -0.07, kCubeMaxX = 0.11;
constexpr double kCubeMinY = -0.25, kCubeMaxY = -0.16;

double yaw_of(const Mat3& r) {
    return std::atan2(r.m[1][0], r.m[0][0]);
}

}  // namespace

Scene::Scene(const SceneOptions& options) : options_(options) {
    reset(options.seed);
}

void Scene::reset(std::uint64_t seed) {
    options_.seed = seed;
    rng_.seed(seed * 0x9E3779B97F4A7C15ULL + 0x5CE7E);
    std::uniform_real_distribution<double> ux(kCubeMinX, kCubeMaxX);
    std::uniform_real_distribution<double> uy(kCubeMinY, kCubeMaxY);
    std::uniform_real_distribution<double> uyaw(-std::numbers::pi / 4, std::numbers::pi / 4);
    cube_start_ = {ux(rng_), uy(rng_), 0.5 * options_.cube_size_m};
    cube_start_yaw_ = uyaw(rng_);
    cube_ = {rot_z(cube_start_yaw_), cube_start_};
    mode_ = CubeMode::kResting;
    fall_speed_ = 0.0;
    have_q_ = false;
    will_slip_ = false;
    grasps_ = 0;
    drops_ = 0;
    time_s_ = 0.0;
}

double Scene::cube_height_m() const {
    return cube_.t.z - 0.5 * options_.cube_size_m;
}

bool Scene::held_above(double height_m) const {
    return mode_ == CubeMode::kHeld && cube_height_m() >= height_m;
}

void Scene::step(const JointAngles& q, double dt_s) {
    if (!have_q_) {
        q_ = q;
        previous_gap_ = jaw_gap(q[5]);
        shown_jaw_ = q[5];
        have_q_ = true;
    }
    // Joints move linearly over the interval, so that fast motions are not skipped over.
    const JointAngles from = q_;
    const int n = std::max(1, static_cast<int>(std::ceil(dt_s / kSubstep - 1e-9)));
    for (int i = 1; i <= n; ++i) {
        const double f = static_cast<double>(i) / n;
        JointAngles qi{};
        for (std::size_t j = 0; j < kNumJoints; ++j)
            qi[j] = from[j] + (q[j] - from[j]) * f;
        substep(qi, dt_s / n);
    }
}

void Scene::update_from_bus(const arm::SimBus& follower, double dt_s) {
    JointAngles q{};
    for (std::size_t j = 0; j < kNumJoints; ++j) {
        q[j] = steps_to_radians(follower.actual_position(static_cast<std::uint8_t>(j + 1)));
    }
    step(q, dt_s);
}

void Scene::substep(const JointAngles& q, double dt_s) {
    q_ = q;
    time_s_ += dt_s;
    const double size = options_.cube_size_m;
    const double gap = jaw_gap(q[5]);
    const Pose gripper = forward_kinematics(q).links[4];
    shown_jaw_ = q[5];
    switch (mode_) {
        case CubeMode::kFalling: {
            fall_speed_ += kGravity * dt_s;
            cube_.t.z -= fall_speed_ * dt_s;
            if (cube_.t.z <= 0.5 * size) {
                cube_ = {rot_z(yaw_of(cube_.R)), {cube_.t.x, cube_.t.y, 0.5 * size}};
                mode_ = CubeMode::kResting;
                fall_speed_ = 0.0;
            }
            break;
        }
        case CubeMode::kResting: {
            // The jaws close on the cube: the gap shrinks through the cube's size while the cube
            // sits between them, near the grasp point.
            const bool closing_on_size = previous_gap_ > size + 0.001 && gap <= size + 0.002;
            if (closing_on_size) {
                const Vec3 in_gripper = gripper.inverse() * cube_.t;
                const Vec3 d = in_gripper - grasp_point_in_gripper(size);
                const double tol = options_.grasp_tolerance_m;
                if (std::abs(d.x) <= tol && std::abs(d.y) <= 1.25 * tol &&
                    std::abs(d.z) <= 1.25 * tol) {
                    mode_ = CubeMode::kHeld;
                    ++grasps_;
                    // The jaws square the cube up and centre it between them.
                    const Vec3 grasp = grasp_point_in_gripper(size);
                    cube_in_gripper_ = {Mat3{}, {grasp.x, in_gripper.y, in_gripper.z}};
                    std::uniform_real_distribution<double> u(0.0, 1.0);
                    will_slip_ = u(rng_) < options_.slip_probability;
                    slip_height_m_ = 0.008 + 0.05 * u(rng_);
                }
            }
            break;
        }
        case CubeMode::kHeld: {
            cube_ = gripper * cube_in_gripper_;
            shown_jaw_ = std::max(q[5], gripper_angle_for_gap(size));
            const bool opened = gap > size + 0.003;
            const bool slipped = will_slip_ && cube_height_m() >= slip_height_m_;
            if (opened || slipped) {
                mode_ = CubeMode::kFalling;
                fall_speed_ = 0.0;
                ++drops_;
                will_slip_ = false;
                cube_ = {rot_z(yaw_of(cube_.R)), cube_.t};
            }
            break;
        }
    }
    previous_gap_ = gap;
}

SceneSnapshot Scene::snapshot() const {
    SceneSnapshot s;
    s.q = q_;
    s.q[5] = shown_jaw_;
    s.arm = forward_kinematics(s.q);
    s.cube = cube_;
    s.cube_size_m = options_.cube_size_m;
    s.mode = mode_;
    return s;
}

}  // namespace rcls::sim
