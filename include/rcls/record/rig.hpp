// SPDX-License-Identifier: MIT
//
// What `rcls record` records from: the leader arm, the follower arm, the cameras and the clock
// they share, behind one interface. make_rig() builds it from a record config: the real SO-101
// arms and cameras on real time, or the simulated reach-and-grasp scene (both arms on simulated
// servo buses, the scripted person moving the leader, the scene following the follower, cameras
// rendering it) on a simulated clock that runs faster than real time when asked (SimRigOptions).
//
//     auto rig = record::make_rig(config, {.speed = 0});  // sim: as fast as the CPU allows
//     rig->connect();                                     // torque on; disconnect() in ~Rig
//     rig->begin_episode(0);
//     rig->before_step(0.0);  ... leader/follower/grab ...  rig->after_frame(0);
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "rcls/arm/arm.hpp"
#include "rcls/arm/sim_bus.hpp"
#include "rcls/camera/camera.hpp"
#include "rcls/config/record_config.hpp"
#include "rcls/core/clock.hpp"
#include "rcls/record/keys.hpp"
#include "rcls/sim/world.hpp"

namespace rcls::record {

/// The devices of a recording. Not thread-safe: the control loop's thread uses it.
class Rig {
public:
    virtual ~Rig() = default;

    /// Connects both arms (follower torque on) and starts the cameras. Throws DeviceError.
    virtual void connect() = 0;
    /// Torque off, buses closed, cameras stopped. Idempotent; logs failures, never throws.
    virtual void disconnect() noexcept = 0;

    virtual arm::Arm& leader() = 0;
    virtual arm::Arm& follower() = 0;
    /// Camera names, in the config's order (the dataset's observation.images.<name> keys).
    virtual std::vector<std::string> camera_names() const = 0;
    /// The newest frame of camera `index` (an RGB or BGR image, as Frame::order says), without
    /// waiting for one newer than the last (the same frame again is a stale frame). Throws
    /// DeviceError.
    virtual camera::Frame grab(std::size_t index) = 0;
    /// The clock the loop runs on (the arms' clock).
    virtual Clock& clock() = 0;

    /// Simulation hooks; the real rig does nothing in them.
    /// A new episode of the dataset (index `episode_index`) starts now.
    virtual void begin_episode(std::int64_t /*episode_index*/) {}
    /// Before a step, `t_s` seconds into the episode (or the reset, when `resetting`).
    virtual void before_step(double /*t_s*/, bool /*resetting*/) {}
    /// After the follower was read: the scene catches up with the follower's servos.
    virtual void after_observation() {}
    /// After frame `frame` of the episode was recorded.
    virtual void after_frame(std::int64_t /*frame*/) {}
    /// The ground truth of the episode that just ended (simulation only).
    virtual std::optional<sim::EpisodeTruth> end_episode(std::int64_t /*num_frames*/) {
        return std::nullopt;
    }
    /// Keys the rig itself presses (the simulated person's success key), or null.
    virtual KeySource* keys() { return nullptr; }
    /// True for the simulated scene.
    virtual bool simulated() const { return false; }

    /// Held by whoever uses the arms (the recorder around connect() and each control step, the
    /// command around its final disconnect()), so that emergency_stop() from another thread never
    /// cuts into a bus transaction.
    std::timed_mutex& arms_mutex() { return arms_mutex_; }

    /// Torque off from another thread (the second Ctrl-C): waits at most `wait` for the arms'
    /// user to finish its step, then disconnect()s. False when the arms stayed busy that long
    /// (nothing written then). Never throws.
    bool emergency_stop(std::chrono::milliseconds wait) noexcept;

private:
    std::timed_mutex arms_mutex_;
};

/// The spread of the simulated person's reaction: a seeded 0 to this many seconds on top of
/// SimRigOptions::reaction_s, drawn per press.
inline constexpr double kReactionSpreadS = 0.1;

/// How the simulated rig runs.
struct SimRigOptions {
    /// Speed of simulated time against the wall clock: 1 real time, 4 four times faster; 0 as fast
    /// as the CPU allows (a VirtualClock).
    double speed = 0.0;
    /// The simulated person's reaction: the success key is pressed this long after the cube is
    /// lifted 2 cm (plus a seeded 0 to kReactionSpreadS), as an attentive person watching the arm
    /// with a finger on the key would, and only when the cube is still held up then.
    double reaction_s = 0.2;
    /// Seed of the scenes (episode e uses sim::episode_seed(seed, e)).
    std::uint64_t seed = 1;
    /// Faults injected on both simulated servo buses (tests, demos of the retries).
    arm::SimFaults faults;
    /// Whether the simulated person presses the success key.
    bool press_keys = true;
};

/// A clock whose time runs `speed` times faster than steady_clock (speed > 0). Not real time
/// (is_real_time() is false: real arms refuse it), but its sleeps are real waits
/// (sleeps_in_real_time()), so cameras capture in threads of their own, as real ones do.
class ScaledClock final : public Clock {
public:
    explicit ScaledClock(double speed);
    time_point now() const override;
    void sleep_until(time_point deadline) override;
    bool is_real_time() const override { return false; }
    bool sleeps_in_real_time() const override { return true; }
    double speed() const { return speed_; }

private:
    double speed_;
    std::chrono::steady_clock::time_point origin_;
};

/// True when the config names the simulated arms (so101_follower_sim, so101_leader_sim). Throws
/// ConfigError when only one of the two is simulated, or when simulated arms are given a camera
/// that is not "sim".
bool is_simulated(const config::RecordConfig& config);

/// The rig the config names (see the file comment). Nothing is connected yet. Throws ConfigError
/// or DeviceError.
std::unique_ptr<Rig> make_rig(const config::RecordConfig& config, const SimRigOptions& sim = {});

}  // namespace rcls::record
