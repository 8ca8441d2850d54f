// SPDX-License-Identifier: MIT
//
// The workflows behind `rcls arm ...`, each LeRobot's flow for the same job: find-port
// (lerobot-find-port), scan, setup-motors (lerobot-setup-motors: ids one motor at a time, gripper
// first), calibrate (lerobot-calibrate: half-turn homing, then ranges of motion), read, and the
// simulated bus (`sim`). src/cli only parses flags, calls these and prints. A workflow module
// above the arm driver (rcls/arm/).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rcls/arm/serial_port.hpp"
#include "rcls/arm/servo_bus.hpp"
#include "rcls/arm/sim_bus.hpp"
#include "rcls/arm/so101.hpp"
#include "rcls/arm_tools/prompter.hpp"

namespace rcls::arm_tools {

// ---- find-port ----------------------------------------------------------------------------------

/// Serial devices in `dev_dir` as LeRobot lists them on Linux (every tty*), sorted.
std::vector<std::string> list_serial_ports(const std::filesystem::path& dev_dir = "/dev");

/// The USB serial adapters among `ports` (ttyACM*, ttyUSB*, tty.usbmodem*, cu.usbmodem*).
std::vector<std::string> likely_adapters(const std::vector<std::string>& ports);

/// Ports in `before` that are not in `after`.
std::vector<std::string> vanished_ports(const std::vector<std::string>& before,
                                        const std::vector<std::string>& after);

/// lerobot-find-port: lists the ports, asks the user to unplug the arm's USB cable and press
/// Enter, waits `settle` for the device node to go, lists again and returns the one port that
/// disappeared. Throws DeviceError when none or several did.
std::string find_port(Prompter& prompter,
                      const std::filesystem::path& dev_dir = "/dev",
                      std::chrono::milliseconds settle = std::chrono::milliseconds(500));

// ---- scan ---------------------------------------------------------------------------------------

/// A servo that answered a scan.
struct ScannedServo {
    int baud_rate = 0;
    std::uint8_t id = 0;
    std::uint8_t error = 0;    ///< Error bits of its ping reply.
    std::optional<int> model;  ///< Model_Number (777: STS3215); null if it could not be read.
    std::string firmware;      ///< "3.10"; empty if it could not be read.
    std::string joint;         ///< The SO-101 joint of this id, or empty.
};

/// Broadcast-pings `port` at each of `baud_rates` (rates the adapter refuses are skipped) and reads
/// every answering servo's model and firmware. Throws DeviceError when the port cannot be opened.
std::vector<ScannedServo> scan_port(const std::string& port, std::span<const int> baud_rates);

/// A table for people: one line per servo.
std::string format_scan(const std::vector<ScannedServo>& servos, const std::string& port);

/// JSON for scripts: a list of {"id", "baud_rate", "model", "firmware", "joint", "error"}.
std::string scan_to_json(const std::vector<ScannedServo>& servos);

// ---- setup-motors -------------------------------------------------------------------------------

/// lerobot-setup-motors: for each joint, gripper first, asks the user to connect that motor alone,
/// finds it at any of LeRobot's baud rates, unlocks it and sets its id (1-6) and 1 Mbaud. Throws
/// DeviceError when no motor, several motors or a wrong model answer.
void setup_motors(arm::SerialPort& port, Prompter& prompter);

// ---- calibrate ----------------------------------------------------------------------------------

/// Options of calibrate().
struct CalibrateOptions {
    bool force = false;  ///< Calibrate again even when a calibration file exists.
};

/// lerobot-calibrate on a connected arm (ConnectOptions{.use_calibration = false}): with an
/// existing file (and not `force`), asks whether to use it and writes it to the motors; otherwise
/// torque off, "move to the middle" and half-turn homing, then records the ranges of motion until
/// Enter (wrist_roll gets 0..4095), writes them to the motors and saves LeRobot's JSON. Returns the
/// file written. Throws DeviceError (e.g. a joint that did not move) or InterruptedError.
std::filesystem::path calibrate(arm::So101Arm& arm,
                                Prompter& prompter,
                                const CalibrateOptions& options);

// ---- read ---------------------------------------------------------------------------------------

/// Present positions of an arm, raw and (when calibrated) normalised.
struct PositionsReport {
    arm::RawValues raw{};
    std::optional<arm::JointValues> values;  ///< Null for a raw read.
    arm::BusStats stats;                     ///< Retries taken, for the report.
};

/// Connects to the arm without changing anything on it, reads its present positions once.
PositionsReport read_positions(const arm::ArmOptions& options, bool raw);

/// A table for people ("shoulder_pan   12.34   (raw 2187)").
std::string format_positions(const PositionsReport& report);

/// One JSON object mapping joint names to values (raw steps, or normalised units).
std::string positions_to_json(const PositionsReport& report);

/// "12 transactions, 1 retry (1 corrupt reply, 0 timeouts)".
std::string describe_stats(const arm::BusStats& stats);

// ---- sim ----------------------------------------------------------------------------------------

/// Serves a simulated bus on a pseudo-terminal until interrupted (Ctrl-C, SIGTERM) or, with
/// `duration_s`, for that long. `on_ready` gets the path to open as soon as it is served.
arm::SimStats serve_simulated_bus(const arm::SimOptions& options,
                                  const std::optional<std::filesystem::path>& link,
                                  std::optional<double> duration_s,
                                  const std::function<void(const std::string& path)>& on_ready);

}  // namespace rcls::arm_tools
