// SPDX-License-Identifier: MIT
#include "rcls/arm/so101.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"
#include "rcls/core/strings.hpp"

namespace rcls::arm {
namespace {

const Register& present_position() {
    static const Register& reg = find_register("Present_Position");
    return reg;
}

const Register& goal_position() {
    static const Register& reg = find_register("Goal_Position");
    return reg;
}

std::map<std::uint8_t, std::string> joint_names_by_id() {
    std::map<std::uint8_t, std::string> names;
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        names[kJointIds[i]] = std::string(kJointNames[i]);
    }
    return names;
}

std::string plural(std::size_t count, const std::string& word) {
    return count == 1 ? word : word + "s";
}

}  // namespace

std::optional<std::size_t> joint_index(std::string_view name) {
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        if (kJointNames[i] == name) return i;
    }
    return std::nullopt;
}

So101Arm::So101Arm(std::unique_ptr<SerialPort> port, ArmOptions options)
    : options_(std::move(options)),
      port_(std::move(port)),
      bus_(std::make_unique<ServoBus>(*port_, joint_names_by_id())) {}

So101Arm::So101Arm(ArmOptions options)
    : So101Arm(open_serial_port(options.port), ArmOptions(options)) {}

So101Arm::~So101Arm() = default;

ServoBus& So101Arm::bus() {
    if (!bus_) {
        throw UsageError(to_string(options_.role) + " '" + options_.id + "' on " + options_.port +
                         " is disconnected");
    }
    return *bus_;
}

SerialPort& So101Arm::port() {
    bus();  // same check
    return *port_;
}

Clock& So101Arm::clock() const {
    if (!port_) {
        throw UsageError(to_string(options_.role) + " '" + options_.id + "' on " + options_.port +
                         " is disconnected");
    }
    return port_->clock();
}

BusStats So101Arm::bus_stats() const {
    return bus_ ? bus_->stats() : final_stats_;
}

NormMode So101Arm::norm_mode(std::size_t index) const {
    if (index == kGripper) return NormMode::kRange0To100;
    return options_.use_degrees ? NormMode::kDegrees : NormMode::kRangeM100To100;
}

std::filesystem::path So101Arm::calibration_file() const {
    return calibration_path(options_.role, options_.id, options_.calibration_dir);
}

void So101Arm::check_motors() {
    const std::string& port = bus_->port_name();
    std::vector<std::string> missing;
    std::vector<std::string> garbled;
    std::vector<std::string> failing;
    for (const std::uint8_t id : kJointIds) {
        const PingResult ping = bus_->ping(id, kHandshakeRetries);
        if (ping.result == CommResult::kSuccess && ping.error == 0) continue;
        if (ping.result == CommResult::kSuccess) {
            failing.push_back(bus_->describe(id) + " reports " + protocol::error_text(ping.error) +
                              " (" + error_hint(ping.error) + ")");
        } else if (ping.any_reply) {
            garbled.push_back(bus_->describe(id));
        } else {
            missing.push_back(bus_->describe(id));
        }
    }
    if (!missing.empty()) {
        throw DeviceError(plural(missing.size(), "missing motor") + ": " + join(missing, ", ") +
                          " on " + port +
                          "; check the cable to it and the power supply, and that its id was set "
                          "(`rcls arm setup-motors`)");
    }
    if (!garbled.empty()) {
        throw DeviceError(
            join(garbled, ", ") + " on " + port + " answered only with damaged packets " +
            "after " + std::to_string(kHandshakeRetries + 1) + " tries (" +
            protocol::kCorruptStatusText + "); check the cables and the power supply");
    }
    if (!failing.empty()) throw DeviceError(join(failing, "; ") + " on " + port);

    std::vector<std::string> wrong_models;
    for (const std::uint8_t id : kJointIds) {
        const int model = bus_->read("Model_Number", id, kHandshakeRetries);
        if (model != kSts3215ModelNumber) {
            wrong_models.push_back(bus_->describe(id) + " is model " + std::to_string(model));
        }
    }
    if (!wrong_models.empty()) {
        throw DeviceError("motors with incorrect model numbers on " + port + ": " +
                          join(wrong_models, ", ") + " (an SO-101 has STS3215 motors, model " +
                          std::to_string(kSts3215ModelNumber) + ")");
    }

    std::vector<std::string> versions;
    std::set<std::string> distinct;
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        const int major = bus_->read("Firmware_Major_Version", kJointIds[i], kHandshakeRetries);
        const int minor = bus_->read("Firmware_Minor_Version", kJointIds[i], kHandshakeRetries);
        const std::string version = std::to_string(major) + "." + std::to_string(minor);
        versions.push_back(std::string(kJointNames[i]) + " " + version);
        distinct.insert(version);
    }
    if (distinct.size() > 1) {
        throw DeviceError("some motors on " + port + " use different firmware versions (" +
                          join(versions, ", ") +
                          "); update them all to the same version with Feetech's FD software");
    }
}

Calibration So101Arm::read_motor_calibration() {
    const std::vector<std::uint8_t> ids(kJointIds.begin(), kJointIds.end());
    const std::vector<int> offsets =
        bus_->sync_read(find_register("Homing_Offset"), ids, kHandshakeRetries);
    const std::vector<int> mins =
        bus_->sync_read(find_register("Min_Position_Limit"), ids, kHandshakeRetries);
    const std::vector<int> maxes =
        bus_->sync_read(find_register("Max_Position_Limit"), ids, kHandshakeRetries);
    Calibration calibration;
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        calibration.emplace_back(std::string(kJointNames[i]),
                                 MotorCalibration{kJointIds[i], 0, offsets[i], mins[i], maxes[i]});
    }
    return calibration;
}

void So101Arm::set_torque(bool enabled) {
    const std::vector<std::uint8_t> ids(kJointIds.begin(), kJointIds.end());
    if (enabled) {
        torque_enabled_ = true;
        bus_->enable_torque(ids, kHandshakeRetries);
    } else {
        bus_->disable_torque(ids, kHandshakeRetries);
        torque_enabled_ = false;
    }
}

void So101Arm::apply_calibration(const Calibration& calibration) {
    // The whole calibration is checked before the first write: never half of it on the motors.
    validate_calibration(calibration, "calibration");
    const bool restore_torque = torque_enabled_;
    set_torque(false);
    for (const auto& [name, motor] : calibration) {
        const auto id = static_cast<std::uint8_t>(motor.id);
        bus_->write("Homing_Offset", id, motor.homing_offset, kHandshakeRetries);
        bus_->write("Min_Position_Limit", id, motor.range_min, kHandshakeRetries);
        bus_->write("Max_Position_Limit", id, motor.range_max, kHandshakeRetries);
    }
    calibration_ = calibration;
    if (restore_torque) set_torque(true);
}

namespace {

void check_calibration_covers_arm(const Calibration& calibration, const std::string& source) {
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        const MotorCalibration* motor = dict_find(calibration, kJointNames[i]);
        if (motor == nullptr) {
            throw ConfigError(source + ": no calibration for joint " + std::string(kJointNames[i]) +
                              "; calibrate the arm again (`rcls arm calibrate`)");
        }
        if (motor->id != kJointIds[i]) {
            throw ConfigError(source + ": /" + std::string(kJointNames[i]) + "/id: expected " +
                              std::to_string(kJointIds[i]) + ", got " + std::to_string(motor->id));
        }
        if (motor->range_min >= motor->range_max) {
            throw ConfigError(source + ": /" + std::string(kJointNames[i]) +
                              ": range_min must be below range_max; calibrate the arm again");
        }
    }
}

bool same_calibration(const Calibration& a, const Calibration& b) {
    for (const auto& [name, motor] : a) {
        const MotorCalibration* other = dict_find(b, name);
        if (other == nullptr || other->homing_offset != motor.homing_offset ||
            other->range_min != motor.range_min || other->range_max != motor.range_max) {
            return false;
        }
    }
    return true;
}

}  // namespace

void So101Arm::connect(const ConnectOptions& connect_options) {
    bus();  // a disconnected arm cannot connect again: its port is closed
    check_motors();
    if (connect_options.use_calibration) {
        const auto file =
            find_calibration_file(options_.role, options_.id, options_.calibration_dir);
        if (!file && options_.builtin_calibration) {
            spdlog::info("{}: no calibration file for {} '{}'; using the built-in calibration",
                         bus_->port_name(), to_string(options_.role), options_.id);
            apply_calibration(*options_.builtin_calibration);
        } else if (!file) {
            throw ConfigError("no calibration for " + to_string(options_.role) + " '" +
                              options_.id + "' (looked for " + calibration_file().string() +
                              "); run `rcls arm calibrate --port " + bus_->port_name() +
                              " --role " + to_string(options_.role) + " --id " + options_.id + "`");
        } else {
            Calibration calibration = load_calibration(*file);
            check_calibration_covers_arm(calibration, file->string());
            if (same_calibration(calibration, read_motor_calibration())) {
                calibration_ = std::move(calibration);
            } else if (connect_options.configure) {
                spdlog::info("{}: writing the calibration of {} '{}' from {} to the motors",
                             bus_->port_name(), to_string(options_.role), options_.id,
                             file->string());
                apply_calibration(calibration);
            } else {
                spdlog::warn(
                    "{}: the motors hold another calibration than {}; positions are converted "
                    "with the file's (`rcls arm teleop` writes it to the motors)",
                    bus_->port_name(), file->string());
                calibration_ = std::move(calibration);
            }
        }
    }
    if (connect_options.configure) configure();
    connected_ = true;
    if (options_.role == ArmRole::kFollower && !calibration_.empty()) {
        hold_positions_ = read_positions();
    }
}

void So101Arm::configure() {
    const std::vector<std::uint8_t> ids(kJointIds.begin(), kJointIds.end());
    constexpr int kPositionMode = 0;
    set_torque(false);
    bus_->configure_motors(ids, kHandshakeRetries);
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        const std::uint8_t id = kJointIds[i];
        bus_->write("Operating_Mode", id, kPositionMode, kHandshakeRetries);
        if (options_.role == ArmRole::kLeader) continue;
        bus_->write("P_Coefficient", id, options_.position_p_coefficient, kHandshakeRetries);
        bus_->write("I_Coefficient", id, options_.position_i_coefficient, kHandshakeRetries);
        bus_->write("D_Coefficient", id, options_.position_d_coefficient, kHandshakeRetries);
        if (i == kGripper) {
            // LeRobot PR #1809: half torque and current so that a stalled gripper does not burn.
            bus_->write("Max_Torque_Limit", id, 500, kHandshakeRetries);
            bus_->write("Protection_Current", id, 250, kHandshakeRetries);
            bus_->write("Overload_Torque", id, 25, kHandshakeRetries);
        }
    }
    if (options_.role == ArmRole::kFollower) set_torque(true);
}

const MotorCalibration& So101Arm::joint_calibration(std::size_t index) const {
    const MotorCalibration* motor = dict_find(calibration_, kJointNames[index]);
    if (motor == nullptr) {
        throw ConfigError(to_string(options_.role) + " '" + options_.id +
                          "' has no calibration; run `rcls arm calibrate`");
    }
    return *motor;
}

RawValues So101Arm::read_raw_positions() {
    const std::vector<int> values =
        bus().sync_read(present_position(), kJointIds, options_.num_read_retries);
    RawValues raw{};
    std::copy(values.begin(), values.end(), raw.begin());
    return raw;
}

JointValues So101Arm::read_positions() {
    return normalize_positions(read_raw_positions());
}

JointValues So101Arm::normalize_positions(const RawValues& raw) const {
    JointValues values{};
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        values[i] = normalize(raw[i], joint_calibration(i), norm_mode(i));
    }
    return values;
}

JointValues So101Arm::send_goals(const JointValues& goals, const JointValues* present) {
    if (options_.role != ArmRole::kFollower) {
        throw UsageError("send_goals: the leader arm '" + options_.id + "' takes no goals");
    }
    JointValues target = goals;
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        if (!std::isfinite(target[i])) {
            throw UsageError("goal position of " + std::string(kJointNames[i]) +
                             " is not a number");
        }
        if (options_.locked[i]) {
            target[i] = options_.locked_positions[i].value_or(hold_positions_[i]);
        }
    }
    if (options_.max_relative_target) {
        const double cap = *options_.max_relative_target;
        const JointValues now = present != nullptr ? *present : read_positions();
        for (std::size_t i = 0; i < kNumJoints; ++i) {
            const double diff = target[i] - now[i];
            const double safe = std::clamp(diff, -cap, cap);
            if (std::abs(safe - diff) > 1e-4) {
                ++clamped_goals_;
                spdlog::debug(
                    "{}: goal of {} clamped from {:.2f} to {:.2f} (max_relative_target {})",
                    bus_->port_name(), kJointNames[i], target[i], now[i] + safe, cap);
            }
            target[i] = now[i] + safe;
        }
    }
    std::array<int, kNumJoints> raw{};
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        const MotorCalibration& motor = joint_calibration(i);
        raw[i] = std::clamp(unnormalize(target[i], motor, norm_mode(i)), motor.range_min,
                            motor.range_max);
    }
    bus().sync_write(goal_position(), kJointIds, raw);
    return target;
}

void So101Arm::disconnect() {
    if (!port_) return;
    std::exception_ptr failure;
    if (torque_enabled_ && options_.disable_torque_on_disconnect) {
        try {
            set_torque(false);
        } catch (const Error&) {
            failure = std::current_exception();  // close the port first, then report
        }
    }
    final_stats_ = bus_->stats();
    bus_.reset();
    port_.reset();
    connected_ = false;
    if (failure) std::rethrow_exception(failure);
}

}  // namespace rcls::arm
