// SPDX-License-Identifier: MIT
//
// An arm as the workflows see it (teleop, record): connect, read the joint positions, send goals
// (with max_relative_target), torque off, the bus statistics and the clock it runs on. make_arm()
// picks the driver from the config's `type` (LeRobot's robot/teleoperator types):
//
//     type                                  what drives it
//     so101_follower / so100_follower       the real arm on `port` (a /dev/tty* adapter, or the
//     so101_leader   / so100_leader         pseudo-terminal of `rcls arm sim`)
//     so101_follower_sim / so101_leader_sim the simulated bus in-process, on the given clock
//                                           (virtual: faster than real time; `port` only names it)
//
//     auto follower = make_arm(follower_options(config), clock);
//     auto leader = make_arm(leader_options(config), clock);
//     leader->connect();  follower->connect();
//     TorqueOffGuard guard(*follower);
//     TeleopStep step = teleop_step(*leader, *follower);
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "rcls/arm/calibration.hpp"
#include "rcls/arm/servo_bus.hpp"
#include "rcls/config/arm_config.hpp"
#include "rcls/core/clock.hpp"

namespace rcls::config {
struct RecordConfig;
}

namespace rcls::arm {

/// Number of joints (and servos) of an SO-101 arm.
inline constexpr std::size_t kNumJoints = 6;

/// Joint names in servo id order (ids 1..6).
inline constexpr std::array<std::string_view, kNumJoints> kJointNames = config::kSo101JointNames;

/// One value per joint, in normalised units (degrees or -100..100; the gripper 0..100).
using JointValues = std::array<double, kNumJoints>;

/// What a config `type` names: the role, and whether the arm is the in-process simulator.
struct ArmType {
    ArmRole role = ArmRole::kFollower;
    bool simulated = false;
};

/// Parses "so101_follower", "so100_follower", "so101_leader", "so100_leader" and the simulated
/// "so101_follower_sim", "so101_leader_sim". Throws ConfigError naming the known types.
ArmType parse_arm_type(std::string_view type);

/// Settings of one arm, with LeRobot's SOFollowerConfig / SOLeaderConfig meanings.
struct ArmOptions {
    std::string type = "so101_follower";  ///< The config's `type` (see parse_arm_type()).
    ArmRole role = ArmRole::kFollower;
    std::string port = "/dev/ttyACM0";           ///< Serial port of the bus adapter.
    std::string id = "follower";                 ///< Calibration file name (<id>.json).
    std::optional<std::string> calibration_dir;  ///< null: LeRobot's default folders.
    bool use_degrees = true;  ///< Body joints in degrees (true) or -100..100 (false).
    bool disable_torque_on_disconnect = true;   ///< Follower: torque off in disconnect().
    std::optional<double> max_relative_target;  ///< Follower: largest goal step (normalised).
    int num_read_retries = 2;                   ///< Retries of each position read (LeRobot: 2).
    int position_p_coefficient = 16;
    int position_i_coefficient = 0;
    int position_d_coefficient = 32;
    std::array<bool, kNumJoints> locked{};  ///< Follower: joints held still in send_goals().
    /// Where locked joints are held, in normalised units; null: where they were at connect().
    std::array<std::optional<double>, kNumJoints> locked_positions{};
    /// Used by connect() when no calibration file exists (the simulated arms); null: an error.
    std::optional<Calibration> builtin_calibration;
};

/// The one mapping from a config section to an arm's options: every field of `robot` (the
/// follower) or `teleop` (the leader) that the arm uses.
ArmOptions arm_options(const config::RobotConfig& robot);
ArmOptions arm_options(const config::TeleopConfig& teleop);

/// The follower's options from a record config: arm_options(config.robot) plus `locked_joints`
/// and `locked_joint_positions`. Throws ConfigError for an unknown joint.
ArmOptions follower_options(const config::RecordConfig& config);

/// The leader's options from a record config: arm_options(config.teleop).
ArmOptions leader_options(const config::RecordConfig& config);

/// An arm as the workflows use it. Not thread-safe.
class Arm {
public:
    virtual ~Arm() = default;

    /// LeRobot's connect(): handshake, calibration, configuration (follower: torque on). Throws
    /// DeviceError, or ConfigError for a missing or invalid calibration.
    virtual void connect() = 0;

    /// True between connect() and disconnect().
    virtual bool is_connected() const = 0;

    /// Present positions in normalised units. Throws DeviceError.
    virtual JointValues read_positions() = 0;

    /// Follower: sends goal positions (locked joints held; with max_relative_target each goal
    /// moves at most that far from `present`, read now if null). Returns the goals sent.
    virtual JointValues send_goals(const JointValues& goals,
                                   const JointValues* present = nullptr) = 0;

    /// Torque off (follower with disable_torque_on_disconnect), then the bus is closed.
    /// Idempotent. Throws DeviceError when the torque-off writes fail.
    virtual void disconnect() = 0;

    /// The bus counters (transactions, retries, ...), also after disconnect().
    virtual BusStats bus_stats() const = 0;

    /// Goals limited by max_relative_target so far.
    virtual std::uint64_t clamped_goals() const = 0;

    /// The clock the arm's bus runs on (paces loops). Throws UsageError after disconnect().
    virtual Clock& clock() const = 0;

    /// The settings it was made with.
    virtual const ArmOptions& options() const = 0;

    /// "follower 'blue' on /dev/ttyACM0".
    std::string describe() const;
};

/// The arm `options.type` names: the real SO-101 on options.port (opened now; `clock` must be
/// real time), or the in-process simulated one on `clock` (a leader's joints moved by the
/// simulated person; a follower seeded differently). Throws DeviceError as open_serial_port(),
/// or ConfigError for an unknown type.
std::unique_ptr<Arm> make_arm(const ArmOptions& options, Clock& clock = steady_clock());

/// Scope guard that disconnects an arm (torque off) when it goes out of scope, including by an
/// exception or after Ctrl-C; failures are logged, never thrown.
class TorqueOffGuard {
public:
    explicit TorqueOffGuard(Arm& arm) : arm_(arm) {}
    ~TorqueOffGuard();
    TorqueOffGuard(const TorqueOffGuard&) = delete;
    TorqueOffGuard& operator=(const TorqueOffGuard&) = delete;

private:
    Arm& arm_;
};

/// One teleoperation step.
struct TeleopStep {
    JointValues observation{};  ///< Follower's present positions (read first, as LeRobot).
    JointValues leader{};       ///< Leader's present positions.
    JointValues action{};       ///< Goals sent to the follower (after locks and clamping).
};

/// LeRobot's teleoperation step: read the follower (observation), read the leader, send the
/// leader's positions to the follower (locked joints held, max_relative_target applied against the
/// observation). Throws DeviceError.
TeleopStep teleop_step(Arm& leader, Arm& follower);

}  // namespace rcls::arm
