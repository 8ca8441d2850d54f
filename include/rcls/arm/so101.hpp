// SPDX-License-Identifier: MIT
//
// The SO-101 arm as LeRobot drives it (SOFollower / SOLeader, feetech_sts3215.md §3-4): six STS3215
// servos on one bus, joints shoulder_pan, shoulder_lift, elbow_flex, wrist_flex, wrist_roll and
// gripper on ids 1-6; body joints in degrees (or -100..100), the gripper in 0..100.
//
// So101Arm is the driver behind the Arm interface (arm.hpp) for the real arm and, on a
// SimServoPort, for the simulated one; the tools (calibrate, read) also use its bus-level methods.
//
//     auto follower = make_arm(follower_options(config));   // or So101Arm(port, options)
//     follower->connect();                        // handshake, calibration, LeRobot's set-up
//     TorqueOffGuard guard(*follower);            // torque off at the end, also after Ctrl-C
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "rcls/arm/arm.hpp"
#include "rcls/arm/calibration.hpp"
#include "rcls/arm/serial_port.hpp"
#include "rcls/arm/servo_bus.hpp"

namespace rcls::arm {

/// Servo ids of the joints.
inline constexpr std::array<std::uint8_t, kNumJoints> kJointIds = {1, 2, 3, 4, 5, 6};

inline constexpr std::size_t kWristRoll = 4;  ///< Index of wrist_roll (full turn, 0..4095).
inline constexpr std::size_t kGripper = 5;    ///< Index of the gripper (0..100).

/// One raw Present/Goal_Position per joint, in steps.
using RawValues = std::array<int, kNumJoints>;

/// Index of joint `name`, or nullopt.
std::optional<std::size_t> joint_index(std::string_view name);

/// What connect() does besides the handshake.
struct ConnectOptions {
    /// Load the calibration file (required) and, when the motors hold another calibration, write
    /// the file's to them (LeRobot's answer to its "press ENTER to use the calibration file").
    bool use_calibration = true;
    /// Write LeRobot's configuration (follower: torque on afterwards). False leaves the motors
    /// untouched, for read-only tools; a calibration mismatch is then only a warning.
    bool configure = true;
};

/// Retries of the connect handshake and set-up writes: a corrupt reply is not a missing motor.
inline constexpr int kHandshakeRetries = 5;

/// An SO-101 follower or leader arm. Not thread-safe.
class So101Arm final : public Arm {
public:
    /// An arm on an already opened port (e.g. the in-process simulator).
    So101Arm(std::unique_ptr<SerialPort> port, ArmOptions options);
    /// An arm on options.port, opened now (throws DeviceError as open_serial_port()).
    explicit So101Arm(ArmOptions options);
    ~So101Arm() override;
    So101Arm(const So101Arm&) = delete;
    So101Arm& operator=(const So101Arm&) = delete;

    /// LeRobot's connect(): checks that ids 1-6 answer with model 777 and one firmware version
    /// (retrying corrupt replies), then loads the calibration and configures, as `options` says.
    /// Throws DeviceError, e.g. "missing motor: wrist_flex (id 4) on /dev/ttyACM0; ...", or
    /// ConfigError when the calibration file is missing or invalid (and there is no
    /// builtin_calibration).
    void connect(const ConnectOptions& options);
    /// connect(ConnectOptions{}).
    void connect() override { connect(ConnectOptions{}); }

    /// Present positions in normalised units (needs the calibration). Throws DeviceError.
    JointValues read_positions() override;

    /// Present positions in raw steps. Throws DeviceError.
    RawValues read_raw_positions();

    /// Raw positions in normalised units, through the loaded calibration (each joint's norm
    /// mode). Throws ConfigError when a joint has no calibration.
    JointValues normalize_positions(const RawValues& raw) const;

    /// Follower: sends goal positions. Locked joints get their hold position; with
    /// max_relative_target each goal moves at most that far from `present` (read now if null);
    /// the result is kept inside the calibrated range. Returns the goals sent, in normalised units.
    /// Throws DeviceError, or UsageError for a goal that is not a number.
    JointValues send_goals(const JointValues& goals, const JointValues* present = nullptr) override;

    /// Number of joints send_goals() clamped to max_relative_target so far.
    std::uint64_t clamped_goals() const override { return clamped_goals_; }

    /// Follower with disable_torque_on_disconnect: torque off (5 retries, as LeRobot); then the
    /// port is closed. Idempotent. Throws DeviceError when the torque-off writes fail.
    void disconnect() override;

    /// True between connect() and disconnect().
    bool is_connected() const override { return connected_; }
    /// The settings it was made with.
    const ArmOptions& options() const override { return options_; }
    /// Its bus's counters (kept after disconnect()).
    BusStats bus_stats() const override;
    /// Its port's clock. Throws UsageError after disconnect().
    Clock& clock() const override;
    /// Its bus (for tools and statistics). Throws UsageError after disconnect().
    ServoBus& bus();
    /// Its port (its clock paces loops). Throws UsageError after disconnect().
    SerialPort& port();

    /// The calibration in use (empty before connect() with use_calibration).
    const Calibration& calibration() const { return calibration_; }

    /// LeRobot's enable_torque() (Torque_Enable 1, Lock 1) or disable_torque() (0, 0) on every
    /// motor. Throws DeviceError.
    void set_torque(bool enabled);

    /// Uses `calibration` from now on, and writes it to the motors (torque off while writing).
    void apply_calibration(const Calibration& calibration);

    /// Reads Homing_Offset, Min_Position_Limit and Max_Position_Limit of every motor.
    Calibration read_motor_calibration();

    /// The normalisation of joint `index` (DEGREES or RANGE_M100_100; RANGE_0_100 for the gripper).
    NormMode norm_mode(std::size_t index) const;

    /// Where this arm's calibration file is written.
    std::filesystem::path calibration_file() const;

private:
    void check_motors();
    void configure();
    const MotorCalibration& joint_calibration(std::size_t index) const;

    ArmOptions options_;
    std::unique_ptr<SerialPort> port_;
    std::unique_ptr<ServoBus> bus_;
    Calibration calibration_;
    std::array<double, kNumJoints> hold_positions_{};
    std::uint64_t clamped_goals_ = 0;
    BusStats final_stats_;  ///< The bus's counters when it was closed.
    bool connected_ = false;
    bool torque_enabled_ = false;  ///< Set before torque goes on, so disconnect() turns it off.
};

}  // namespace rcls::arm
