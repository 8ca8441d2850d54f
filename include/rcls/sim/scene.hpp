// SPDX-License-Identifier: MIT
//
// The simulated reach-and-grasp scene: the SO-101 follower (its real kinematics), a table and a
// cube of about 2.5 cm at a seeded random place within reach. Physics is simple but honest: the
// cube is grasped when the jaws close on it within tolerance, lifts with the gripper, drops when
// the jaws open or slip (a seeded probability per grasp), falls under gravity and rests on the
// table otherwise.
//
//     Scene scene({.seed = 7});
//     scene.update_from_bus(follower_bus, 0.01);  // the joints the driver wrote, 10 ms later
//     bool success = scene.held_above(0.02);
#pragma once

#include <cstdint>
#include <random>

#include "rcls/sim/geometry.hpp"
#include "rcls/sim/kinematics.hpp"

namespace rcls::arm {
class SimBus;
}

namespace rcls::sim {

/// Settings of a scene.
struct SceneOptions {
    std::uint64_t seed = 1;            ///< Cube place, slips (and, in the renderer, the looks).
    double cube_size_m = 0.025;        ///< Edge of the cube.
    double slip_probability = 0.15;    ///< Chance that a grasp slips during the lift.
    double grasp_tolerance_m = 0.008;  ///< Largest offset of the cube from the grasp point.
};

/// What the cube is doing.
enum class CubeMode { kResting, kHeld, kFalling };

/// Everything the renderer needs to draw one frame.
struct SceneSnapshot {
    JointAngles q{};  ///< Joint angles; q[5] is the jaw angle shown (held cubes block it).
    ArmPose arm;      ///< forward_kinematics(q).
    Pose cube;        ///< Cube centre and orientation, world frame.
    double cube_size_m = 0.025;
    CubeMode mode = CubeMode::kResting;
};

/// The scene. Not thread-safe.
class Scene {
public:
    explicit Scene(const SceneOptions& options = {});

    /// Back to the start: arm state forgotten, cube on the table at its seeded place.
    void reset(std::uint64_t seed);

    /// Moves the arm to `q` and advances the physics by `dt_s` (sub-stepped at 5 ms).
    void step(const JointAngles& q, double dt_s);

    /// step() with the follower's joint angles read from its simulated servos (encoder
    /// positions: what the driver wrote on the bus is what the scene shows).
    void update_from_bus(const arm::SimBus& follower, double dt_s);

    SceneSnapshot snapshot() const;

    CubeMode cube_mode() const { return mode_; }
    const Pose& cube() const { return cube_; }
    /// Height of the cube's bottom above the table, metres.
    double cube_height_m() const;
    /// True when the jaws hold the cube with its bottom at least `height_m` above the table.
    bool held_above(double height_m) const;
    /// Where the cube was put at reset(), and its yaw.
    Vec3 cube_start() const { return cube_start_; }
    double cube_start_yaw() const { return cube_start_yaw_; }
    int grasps() const { return grasps_; }  ///< Times the jaws closed on the cube.
    int drops() const { return drops_; }    ///< Times a held cube fell (opened or slipped).
    double time_s() const { return time_s_; }
    const SceneOptions& options() const { return options_; }

private:
    void substep(const JointAngles& q, double dt_s);

    SceneOptions options_;
    std::mt19937_64 rng_;
    JointAngles q_{};
    double shown_jaw_ = 0.0;
    bool have_q_ = false;
    double previous_gap_ = 0.0;
    Pose cube_;
    Pose cube_in_gripper_;
    Vec3 cube_start_;
    double cube_start_yaw_ = 0.0;
    CubeMode mode_ = CubeMode::kResting;
    double fall_speed_ = 0.0;
    bool will_slip_ = false;
    double slip_height_m_ = 0.0;
    int grasps_ = 0;
    int drops_ = 0;
    double time_s_ = 0.0;
};

}  // namespace rcls::sim
