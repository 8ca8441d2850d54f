// SPDX-License-Identifier: MIT
#include "rcls/record/rig.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "rcls/arm/so101.hpp"
#include "rcls/core/error.hpp"
#include "rcls/sim/operator.hpp"
#include "rcls/sim/renderer.hpp"
#include "rcls/sim/scene.hpp"

namespace rcls::record {
namespace {

/// Disconnects an arm, logging (not throwing) a failure.
void disconnect_quietly(arm::Arm* arm) noexcept {
    if (arm == nullptr) return;
    try {
        arm->disconnect();
    } catch (const std::exception& e) {
        spdlog::warn("could not turn torque off: {}", e.what());
    }
}

/// The cameras of a config, opened on `clock`.
std::vector<std::unique_ptr<camera::Camera>> open_cameras(const config::RecordConfig& config,
                                                          Clock& clock,
                                                          const camera::SimSceneSource& scene,
                                                          std::vector<std::string>& names) {
    std::vector<std::unique_ptr<camera::Camera>> cameras;
    for (const auto& [name, camera_config] : config.robot.cameras) {
        names.push_back(name);
        cameras.push_back(camera::open_camera(name, camera_config, clock, scene));
    }
    return cameras;
}

/// The simulated scene's look, from the "sim" cameras' `appearance` (they film one scene, so they
/// must agree; "session" without any).
sim::AppearanceMode appearance_mode(const config::RecordConfig& config) {
    std::optional<std::pair<std::string, std::string>> first;  // camera name, appearance
    for (const auto& [name, camera] : config.robot.cameras) {
        if (camera.type != "sim") continue;
        if (first && first->second != camera.appearance) {
            throw ConfigError("robot.cameras." + name + ".appearance: \"" + camera.appearance +
                              "\" differs from robot.cameras." + first->first + ".appearance \"" +
                              first->second +
                              "\"; the simulated cameras film one scene: give them the same");
        }
        if (!first) first.emplace(name, camera.appearance);
    }
    if (!first) return sim::AppearanceMode::kSession;
    return sim::parse_appearance_mode(first->second).value_or(sim::AppearanceMode::kSession);
}

/// The real SO-101 arms and cameras, on real time.
class HardwareRig final : public Rig {
public:
    explicit HardwareRig(const config::RecordConfig& config) {
        leader_ = arm::make_arm(arm::arm_options(config.teleop), steady_clock());
        // Locked joints are held by the recorder (at the episode's start position), not the arm.
        follower_ = arm::make_arm(arm::arm_options(config.robot), steady_clock());
        cameras_ = open_cameras(config, steady_clock(), {}, names_);
    }
    ~HardwareRig() override { disconnect(); }

    void connect() override {
        leader_->connect();
        follower_->connect();
        for (auto& camera : cameras_)
            camera->start();
    }
    void disconnect() noexcept override {
        disconnect_quietly(follower_.get());
        disconnect_quietly(leader_.get());
        for (auto& camera : cameras_)
            camera->stop();
    }
    arm::Arm& leader() override { return *leader_; }
    arm::Arm& follower() override { return *follower_; }
    std::vector<std::string> camera_names() const override { return names_; }
    /// The newest frame the camera's thread captured, never waiting for a newer one: waiting up
    /// to a frame period inside the step (Camera::latest()) would phase-lock the loop to the
    /// camera and can make a step overrun; a step without a new frame counts a stale frame.
    camera::Frame grab(std::size_t index) override { return cameras_.at(index)->newest(); }
    Clock& clock() override { return steady_clock(); }

private:
    std::unique_ptr<arm::Arm> leader_;
    std::unique_ptr<arm::Arm> follower_;
    std::vector<std::string> names_;
    std::vector<std::unique_ptr<camera::Camera>> cameras_;
};

/// The simulated reach-and-grasp scene: both arms on simulated buses, the scripted person moving
/// the leader, the scene following the follower's servos, cameras rendering the scene.
class SimRig final : public Rig {
public:
    SimRig(const config::RecordConfig& config, const SimRigOptions& options)
        : options_(options),
          fps_(config.fps),
          rng_(options.seed * 7919 + 17),
          appearance_mode_(appearance_mode(config)) {
        spdlog::info("simulated scene: {}, seed {}",
                     appearance_mode_ == sim::AppearanceMode::kSession
                         ? "one look for the whole recording with small per-episode variation "
                           "(appearance session)"
                         : "a new random look per episode (appearance per_episode)",
                     options.seed);
        if (options.speed > 0) {
            clock_ = std::make_unique<ScaledClock>(options.speed);
        } else {
            clock_ = std::make_unique<VirtualClock>(std::chrono::steady_clock::time_point{});
        }
        leader_bus_ = make_bus(options.seed);
        follower_bus_ = make_bus(options.seed + 1);
        arm::ArmOptions leader_options = arm::arm_options(config.teleop);
        leader_options.builtin_calibration = arm::simulated_calibration();
        leader_ = std::make_unique<arm::So101Arm>(
            std::make_unique<arm::SimServoPort>(leader_bus_, config.teleop.port, clock_.get()),
            leader_options);
        arm::ArmOptions follower_options = arm::arm_options(config.robot);
        follower_options.builtin_calibration = arm::simulated_calibration();
        follower_ = std::make_unique<arm::So101Arm>(
            std::make_unique<arm::SimServoPort>(follower_bus_, config.robot.port, clock_.get()),
            follower_options);
        // The cameras see the scene as the control thread last published it (publish()): on a
        // clock that waits in real time they render it in threads of their own, at their fps.
        camera::SimSceneSource source{[this] {
                                          std::lock_guard lock(shown_mutex_);
                                          return shown_scene_;
                                      },
                                      [this] {
                                          std::lock_guard lock(shown_mutex_);
                                          return shown_appearance_;
                                      }};
        cameras_ = open_cameras(config, *clock_, source, names_);
        place(0);
    }
    ~SimRig() override { disconnect(); }

    void connect() override {
        leader_->connect();
        follower_->connect();
        for (auto& camera : cameras_)
            camera->start();
        last_scene_ = clock_->now();
    }
    void disconnect() noexcept override {
        disconnect_quietly(follower_.get());
        disconnect_quietly(leader_.get());
        for (auto& camera : cameras_)
            camera->stop();
    }
    arm::Arm& leader() override { return *leader_; }
    arm::Arm& follower() override { return *follower_; }
    std::vector<std::string> camera_names() const override { return names_; }
    /// The newest frame, never waiting for the camera's thread (on a VirtualClock: rendered now).
    camera::Frame grab(std::size_t index) override { return cameras_.at(index)->newest(); }
    Clock& clock() override { return *clock_; }
    KeySource* keys() override { return options_.press_keys ? &keys_ : nullptr; }
    bool simulated() const override { return true; }

    void begin_episode(std::int64_t episode_index) override {
        place(episode_index);
        last_scene_ = clock_->now();
    }

    void before_step(double t_s, bool resetting) override {
        // During the reset the person holds the leader where the attempt ended.
        if (!resetting) person_->move_leader(*leader_bus_, t_s);
    }

    void after_observation() override {
        const Clock::time_point now = clock_->now();
        scene_.update_from_bus(*follower_bus_, std::max(0.0, seconds_between(last_scene_, now)));
        last_scene_ = now;
        publish();
    }

    void after_frame(std::int64_t frame) override {
        const bool held = scene_.held_above(sim::kLiftThresholdM);
        if (held) last_held_ = frame;
        if (held && !onset_) onset_ = frame;
        // The person sees the lift and reaches for `s`; a press that would land after the cube
        // fell is held back (nobody calls a dropped cube a success), and a later lift counts anew.
        if (held && !press_at_ && !pressed_) press_at_ = frame + reaction_frames();
        // Pushed now, polled by the next step: the press lands on frame press_at_.
        if (press_at_ && !pressed_ && frame + 1 >= *press_at_) {
            if (held) {
                keys_.push(RecordKey::Success);
                pressed_ = true;
            } else {
                press_at_.reset();
            }
        }
        // After the press, a cube that falls gets a second press, which ends the success.
        if (pressed_ && !held && !end_press_at_) end_press_at_ = frame + reaction_frames();
        if (end_press_at_ && !end_pressed_ && frame + 1 >= *end_press_at_) {
            keys_.push(RecordKey::Success);
            end_pressed_ = true;
        }
    }

    /// Frames from what the person sees to their key press: reaction_s plus the seeded spread.
    std::int64_t reaction_frames() {
        std::uniform_real_distribution<double> spread(0.0, kReactionSpreadS);
        const double delay_s = options_.reaction_s + spread(rng_);
        return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::lround(delay_s * fps_)));
    }

    std::optional<sim::EpisodeTruth> end_episode(std::int64_t num_frames) override {
        sim::EpisodeTruth truth;
        truth.episode_index = episode_;
        truth.seed = sim::episode_seed(options_.seed, episode_);
        truth.num_frames = num_frames;
        if (onset_ && *onset_ < num_frames) truth.first_success_frame = onset_;
        truth.outcome = scene_.held_above(sim::kLiftThresholdM) ? sim::Outcome::kSuccess
                        : scene_.grasps() > 0                   ? sim::Outcome::kDrop
                                                                : sim::Outcome::kMiss;
        // A cube that slipped after its lift: success only while it was held up.
        if (truth.first_success_frame && truth.outcome != sim::Outcome::kSuccess && last_held_) {
            truth.last_success_frame = std::min(*last_held_, num_frames - 1);
        }
        keys_.poll();  // a press the episode did not reach is not carried into the next one
        return truth;
    }

private:
    std::shared_ptr<arm::SimBus> make_bus(std::uint64_t seed) const {
        arm::SimOptions bus;
        bus.motion = arm::SimMotion::kStill;  // the scripted person moves the leader
        bus.seed = static_cast<std::uint32_t>(seed);
        bus.log_requests = false;
        bus.faults = options_.faults;
        return std::make_shared<arm::SimBus>(bus, clock_->now());
    }

    /// Hands the scene's current state to the cameras.
    void publish() {
        sim::SceneSnapshot snapshot = scene_.snapshot();
        std::lock_guard lock(shown_mutex_);
        shown_scene_ = snapshot;
        shown_appearance_ = appearance_;
    }

    /// A new cube, look and attempt for episode `episode_index`; the arms where it starts.
    void place(std::int64_t episode_index) {
        episode_ = episode_index;
        const std::uint64_t seed = sim::episode_seed(options_.seed, episode_index);
        scene_.reset(seed);
        appearance_ = sim::episode_appearance(appearance_mode_, options_.seed, seed);
        person_ = std::make_unique<sim::ScriptedOperator>(
            scene_.cube_start(), scene_.cube_start_yaw(), scene_.options().cube_size_m, seed);
        person_->move_leader(*leader_bus_, 0.0);
        for (std::uint8_t id = 1; id <= 6; ++id) {
            const double steps = leader_bus_->actual_position(id);
            follower_bus_->set_actual_position(id, steps);
            follower_bus_->set_register(id, "Goal_Position", static_cast<int>(std::lround(steps)));
        }
        scene_.update_from_bus(*follower_bus_, 0.0);
        publish();
        onset_.reset();
        last_held_.reset();
        press_at_.reset();
        pressed_ = false;
        end_press_at_.reset();
        end_pressed_ = false;
    }

    SimRigOptions options_;
    double fps_;
    std::mt19937_64 rng_;
    sim::AppearanceMode appearance_mode_;
    std::unique_ptr<Clock> clock_;
    std::shared_ptr<arm::SimBus> leader_bus_;
    std::shared_ptr<arm::SimBus> follower_bus_;
    std::unique_ptr<arm::Arm> leader_;
    std::unique_ptr<arm::Arm> follower_;
    sim::Scene scene_;
    sim::Appearance appearance_;
    std::unique_ptr<sim::ScriptedOperator> person_;
    std::mutex shown_mutex_;  ///< Guards what the cameras' threads read.
    sim::SceneSnapshot shown_scene_;
    sim::Appearance shown_appearance_;
    std::vector<std::string> names_;
    std::vector<std::unique_ptr<camera::Camera>> cameras_;
    ScriptedKeySource keys_;  ///< The simulated person's success key.
    std::int64_t episode_ = 0;
    Clock::time_point last_scene_{};
    std::optional<std::int64_t> onset_;
    std::optional<std::int64_t> last_held_;
    std::optional<std::int64_t> press_at_;
    bool pressed_ = false;
    std::optional<std::int64_t> end_press_at_;
    bool end_pressed_ = false;
};

}  // namespace

bool Rig::emergency_stop(std::chrono::milliseconds wait) noexcept {
    std::unique_lock lock(arms_mutex_, std::defer_lock);
    try {
        if (!lock.try_lock_for(wait)) return false;
    } catch (const std::exception&) {
        return false;
    }
    disconnect();
    return true;
}

ScaledClock::ScaledClock(double speed) : speed_(speed), origin_(std::chrono::steady_clock::now()) {
    if (!(speed > 0)) throw UsageError("a scaled clock needs a positive speed");
}

Clock::time_point ScaledClock::now() const {
    const double real =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - origin_).count();
    return time_point{} + seconds_to_duration(real * speed_);
}

void ScaledClock::sleep_until(time_point deadline) {
    const double sim_s = seconds_between(time_point{}, deadline);
    const auto wake = origin_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(sim_s / speed_));
    std::this_thread::sleep_until(wake);
}

bool is_simulated(const config::RecordConfig& config) {
    const bool robot = arm::parse_arm_type(config.robot.type).simulated;
    const bool teleop = arm::parse_arm_type(config.teleop.type).simulated;
    if (robot != teleop) {
        throw ConfigError("robot.type \"" + config.robot.type + "\" and teleop.type \"" +
                          config.teleop.type +
                          "\": record with two real arms or two simulated ones "
                          "(so101_follower_sim with so101_leader_sim)");
    }
    if (robot) {
        for (const auto& [name, camera] : config.robot.cameras) {
            if (camera.type != "sim") {
                throw ConfigError("robot.cameras." + name + ".type \"" + camera.type +
                                  "\": the simulated arms run on simulated time; their cameras "
                                  "must be \"sim\"");
            }
        }
    }
    return robot;
}

std::unique_ptr<Rig> make_rig(const config::RecordConfig& config, const SimRigOptions& sim) {
    if (is_simulated(config)) return std::make_unique<SimRig>(config, sim);
    return std::make_unique<HardwareRig>(config);
}

}  // namespace rcls::record
