// SPDX-License-Identifier: MIT
#include "rcls/arm_tools/arm_tools.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/core/progress.hpp"
#include "rcls/core/strings.hpp"

namespace rcls::arm_tools {
using namespace rcls::arm;  // the driver this workflow drives
namespace fs = std::filesystem;
namespace {

std::string format(const char* pattern, auto... args) {
    char buffer[256];
    std::snprintf(buffer, sizeof buffer, pattern, args...);
    return buffer;
}

std::string joint_of(std::uint8_t id) {
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        if (kJointIds[i] == id) return std::string(kJointNames[i]);
    }
    return "";
}

const std::vector<std::uint8_t>& all_ids() {
    static const std::vector<std::uint8_t> ids(kJointIds.begin(), kJointIds.end());
    return ids;
}

/// Retries of the reads that follow a person's movements (LeRobot's record_ranges_of_motion).
constexpr int kRangeReadRetries = 5;

}  // namespace

// ---- find-port ----------------------------------------------------------------------------------

std::vector<std::string> list_serial_ports(const fs::path& dev_dir) {
    std::vector<std::string> ports;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(dev_dir, error)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("tty", 0) == 0 || name.rfind("cu.", 0) == 0) {
            ports.push_back(entry.path().string());
        }
    }
    std::sort(ports.begin(), ports.end());
    return ports;
}

std::vector<std::string> likely_adapters(const std::vector<std::string>& ports) {
    std::vector<std::string> adapters;
    for (const std::string& port : ports) {
        const std::string name = fs::path(port).filename().string();
        for (const char* prefix :
             {"ttyACM", "ttyUSB", "tty.usbmodem", "cu.usbmodem", "tty.usbserial"}) {
            if (name.rfind(prefix, 0) == 0) {
                adapters.push_back(port);
                break;
            }
        }
    }
    return adapters;
}

std::vector<std::string> vanished_ports(const std::vector<std::string>& before,
                                        const std::vector<std::string>& after) {
    const std::set<std::string> remaining(after.begin(), after.end());
    std::vector<std::string> gone;
    for (const std::string& port : before) {
        if (remaining.count(port) == 0) gone.push_back(port);
    }
    return gone;
}

std::string find_port(Prompter& prompter,
                      const fs::path& dev_dir,
                      std::chrono::milliseconds settle) {
    prompter.say("Finding all available ports for the MotorsBus.");
    const std::vector<std::string> before = list_serial_ports(dev_dir);
    const std::vector<std::string> adapters = likely_adapters(before);
    prompter.say("Serial adapters now: " +
                 (adapters.empty() ? std::string("none") : join(adapters, ", ")));
    prompter.ask("Remove the USB cable from your MotorsBus and press Enter when done.");
    std::this_thread::sleep_for(settle);  // let udev remove the device node
    const std::vector<std::string> gone = vanished_ports(before, list_serial_ports(dev_dir));
    if (gone.size() == 1) {
        prompter.say("The port of this MotorsBus is '" + gone.front() + "'");
        prompter.say("Reconnect the USB cable.");
        return gone.front();
    }
    if (gone.empty()) {
        throw DeviceError(
            "could not detect the port: no port disappeared after unplugging; "
            "was the arm's USB cable plugged in when the command started?");
    }
    throw DeviceError("could not detect the port: more than one port disappeared (" +
                      join(gone, ", ") + "); unplug only the arm's USB cable");
}

// ---- scan ---------------------------------------------------------------------------------------

std::vector<ScannedServo> scan_port(const std::string& port_path, std::span<const int> baud_rates) {
    auto port = open_serial_port(port_path);
    ServoBus bus(*port);
    std::vector<ScannedServo> found;
    // Several speeds take seconds (a timeout each): progress per speed.
    std::optional<Progress> progress;
    if (baud_rates.size() > 1) progress.emplace("scan", baud_rates.size(), "speeds");
    for (const int baud : baud_rates) {
        if (progress) progress->set_note(std::to_string(baud) + " baud");
        throw_if_interrupted();
        if (!port->set_baud_rate(baud)) {
            spdlog::info("{}: the adapter refuses {} baud; skipped", port_path, baud);
            continue;
        }
        spdlog::debug("{}: broadcast ping at {} baud", port_path, baud);
        for (const PingedServo& servo : bus.broadcast_ping()) {
            ScannedServo entry{baud, servo.id, servo.error, std::nullopt, "", joint_of(servo.id)};
            try {
                entry.model = bus.read("Model_Number", servo.id, 2);
                entry.firmware = std::to_string(bus.read("Firmware_Major_Version", servo.id, 2)) +
                                 "." +
                                 std::to_string(bus.read("Firmware_Minor_Version", servo.id, 2));
            } catch (const DeviceError& e) {
                // Reported per servo in the table rather than ending the scan.
                spdlog::warn("{}", e.what());
            }
            found.push_back(entry);
        }
        if (progress) progress->advance();
    }
    if (progress) progress->finish();
    return found;
}

std::string format_scan(const std::vector<ScannedServo>& servos, const std::string& port) {
    if (servos.empty()) {
        return "no servo answered on " + port +
               " (is the board powered? try --all-bauds for motors at another speed)\n";
    }
    std::string text = format("%-4s %-9s %-7s %-9s %-14s %s\n", "id", "baud", "model", "firmware",
                              "joint", "status");
    for (const ScannedServo& s : servos) {
        const std::string model = s.model ? std::to_string(*s.model) : "?";
        std::string status = s.error == 0 ? "ok" : protocol::error_text(s.error);
        if (s.model && *s.model != kSts3215ModelNumber) status = "not an STS3215";
        text += format("%-4d %-9d %-7s %-9s %-14s %s\n", s.id, s.baud_rate, model.c_str(),
                       s.firmware.empty() ? "?" : s.firmware.c_str(),
                       s.joint.empty() ? "-" : s.joint.c_str(), status.c_str());
    }
    return text;
}

std::string scan_to_json(const std::vector<ScannedServo>& servos) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const ScannedServo& s : servos) {
        nlohmann::ordered_json entry;
        entry["id"] = s.id;
        entry["baud_rate"] = s.baud_rate;
        entry["model"] = s.model ? nlohmann::ordered_json(*s.model) : nlohmann::ordered_json();
        entry["firmware"] =
            s.firmware.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(s.firmware);
        entry["joint"] =
            s.joint.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(s.joint);
        entry["error"] = s.error == 0 ? nlohmann::ordered_json()
                                      : nlohmann::ordered_json(protocol::error_text(s.error));
        list.push_back(std::move(entry));
    }
    return list.dump(2);
}

// ---- setup-motors -------------------------------------------------------------------------------

void setup_motors(SerialPort& port, Prompter& prompter) {
    ServoBus bus(port);
    constexpr int kRetries = 2;
    for (std::size_t index = kNumJoints; index-- > 0;) {
        const std::string joint(kJointNames[index]);
        const std::uint8_t target_id = kJointIds[index];
        prompter.ask("Connect the controller board to the '" + joint +
                     "' motor only and press ENTER.");
        std::optional<PingedServo> found;
        int found_baud = 0;
        for (const BaudCode& entry : kBaudRateTable) {
            throw_if_interrupted();
            if (!port.set_baud_rate(entry.baud_rate)) continue;  // LeRobot PR #4512
            const std::vector<PingedServo> servos = bus.broadcast_ping();
            if (servos.size() > 1) {
                std::vector<std::string> ids;
                for (const PingedServo& s : servos)
                    ids.push_back(std::to_string(s.id));
                throw DeviceError("several motors answer on " + port.name() + " at " +
                                  std::to_string(entry.baud_rate) + " baud (ids " +
                                  join(ids, ", ") + "); connect the '" + joint +
                                  "' motor alone and run setup-motors again");
            }
            if (servos.size() == 1) {
                found = servos.front();
                found_baud = entry.baud_rate;
                break;
            }
        }
        if (!found) {
            port.set_baud_rate(kDefaultBaudRate);
            throw DeviceError("motor '" + joint + "' was not found on " + port.name() +
                              " at any baud rate; connect it alone to the board, check that the "
                              "board is powered, and run setup-motors again");
        }
        const int model = bus.read("Model_Number", found->id, kRetries);
        if (model != kSts3215ModelNumber) {
            throw DeviceError("the motor connected for '" + joint + "' on " + port.name() +
                              " is model " + std::to_string(model) + ", not an STS3215 (" +
                              std::to_string(kSts3215ModelNumber) + ")");
        }
        spdlog::debug("{}: '{}' answers as id {} at {} baud", port.name(), joint, found->id,
                      found_baud);
        const std::uint8_t ids[] = {found->id};
        bus.disable_torque(ids, kRetries);
        bus.write("ID", found->id, target_id, kRetries);
        bus.write("Baud_Rate", target_id, *code_for_baud_rate(kDefaultBaudRate), kRetries);
        port.set_baud_rate(kDefaultBaudRate);
        prompter.say("'" + joint + "' motor id set to " + std::to_string(target_id));
    }
}

// ---- calibrate ----------------------------------------------------------------------------------

namespace {

std::string range_table(const RawValues& mins, const RawValues& positions, const RawValues& maxes) {
    std::string text = format("%-14s | %6s | %6s | %6s\n", "NAME", "MIN", "POS", "MAX");
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        if (i == kWristRoll) continue;
        text += format("%-14s | %6d | %6d | %6d\n", std::string(kJointNames[i]).c_str(), mins[i],
                       positions[i], maxes[i]);
    }
    return text;
}

}  // namespace

fs::path calibrate(So101Arm& arm, Prompter& prompter, const CalibrateOptions& options) {
    const ArmOptions& arm_options = arm.options();
    const std::string who = to_string(arm_options.role) + " '" + arm_options.id + "'";
    const fs::path target = arm.calibration_file();
    const auto existing =
        find_calibration_file(arm_options.role, arm_options.id, arm_options.calibration_dir);
    if (existing && !options.force) {
        const std::string answer =
            prompter.ask("Press ENTER to use the calibration file " + existing->string() + " of " +
                         who + ", or type 'c' and press ENTER to run a new calibration: ");
        if (answer != "c" && answer != "C") {
            const Calibration calibration = load_calibration(*existing);
            arm.apply_calibration(calibration);
            if (*existing != target) save_calibration(target, calibration);  // LeRobot >= 0.4.3
            prompter.say("Wrote the calibration of " + existing->string() + " to the motors.");
            return target;
        }
    }

    prompter.say("Running calibration of " + who + " on " + arm.bus().port_name());
    arm.set_torque(false);
    for (const std::uint8_t id : kJointIds) {
        arm.bus().write("Operating_Mode", id, 0, kHandshakeRetries);
    }
    prompter.ask("Move the " + to_string(arm_options.role) +
                 " arm to the middle of its range of motion and press ENTER....");

    // LeRobot's set_half_turn_homings(): reset, read, offset = position - 2047.
    ServoBus& bus = arm.bus();
    for (const std::uint8_t id : kJointIds) {
        bus.write("Homing_Offset", id, 0, kHandshakeRetries);
        bus.write("Min_Position_Limit", id, 0, kHandshakeRetries);
        bus.write("Max_Position_Limit", id, kResolution - 1, kHandshakeRetries);
    }
    const Register& present = find_register("Present_Position");
    const std::vector<int> middle = bus.sync_read(present, all_ids(), kRangeReadRetries);
    std::array<int, kNumJoints> offsets{};
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        offsets[i] = half_turn_homing_offset(middle[i]);
        if (std::abs(offsets[i]) > 2047) {
            throw DeviceError(std::string(kJointNames[i]) + " of " + who + " reads " +
                              std::to_string(middle[i]) +
                              ", at the end of the encoder's turn, so its homing offset " +
                              std::to_string(offsets[i]) +
                              " exceeds 2047; turn the joint a little and calibrate again");
        }
        bus.write("Homing_Offset", kJointIds[i], offsets[i], kHandshakeRetries);
    }

    // LeRobot's record_ranges_of_motion() for every joint but wrist_roll (a full turn).
    std::vector<std::uint8_t> ids;
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        if (i != kWristRoll) ids.push_back(kJointIds[i]);
    }
    prompter.begin_until_enter(
        "Move all joints except 'wrist_roll' sequentially through their entire ranges of motion.\n"
        "Recording positions. Press ENTER to stop...");
    RawValues mins{};
    RawValues maxes{};
    RawValues positions{};
    bool first = true;
    SerialPort& port = bus.port();
    while (true) {
        const std::vector<int> values = bus.sync_read(present, ids, kRangeReadRetries);
        for (std::size_t k = 0, i = 0; i < kNumJoints; ++i) {
            if (i == kWristRoll) continue;
            positions[i] = values[k++];
            mins[i] = first ? positions[i] : std::min(mins[i], positions[i]);
            maxes[i] = first ? positions[i] : std::max(maxes[i], positions[i]);
        }
        first = false;
        prompter.show_status(range_table(mins, positions, maxes));
        if (prompter.stop_requested()) break;
        port.sleep_until(port.now() + std::chrono::milliseconds(20));
    }
    prompter.say(range_table(mins, positions, maxes));
    std::vector<std::string> still;
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        if (i != kWristRoll && mins[i] == maxes[i]) still.push_back(std::string(kJointNames[i]));
    }
    if (!still.empty()) {
        throw DeviceError("calibration of " + who + ": " + join(still, ", ") +
                          " did not move (min == max); move every joint but wrist_roll through "
                          "its whole range before pressing ENTER");
    }
    mins[kWristRoll] = 0;
    maxes[kWristRoll] = kResolution - 1;

    Calibration calibration;
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        calibration.emplace_back(std::string(kJointNames[i]),
                                 MotorCalibration{kJointIds[i], 0, offsets[i], mins[i], maxes[i]});
    }
    arm.apply_calibration(calibration);
    save_calibration(target, calibration);
    prompter.say("Calibration saved to " + target.string());
    return target;
}

// ---- read ---------------------------------------------------------------------------------------

PositionsReport read_positions(const ArmOptions& options, bool raw) {
    So101Arm arm(options);
    arm.connect(ConnectOptions{.use_calibration = !raw, .configure = false});
    PositionsReport report;
    report.raw = arm.read_raw_positions();
    if (!raw) report.values = arm.normalize_positions(report.raw);
    report.stats = arm.bus().stats();
    arm.disconnect();
    return report;
}

std::string format_positions(const PositionsReport& report) {
    std::string text;
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        const std::string name(kJointNames[i]);
        if (report.values) {
            text += format("%-14s %9.2f   (raw %d)\n", name.c_str(), (*report.values)[i],
                           report.raw[i]);
        } else {
            text += format("%-14s %5d\n", name.c_str(), report.raw[i]);
        }
    }
    return text;
}

std::string positions_to_json(const PositionsReport& report) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        const std::string name(kJointNames[i]);
        if (report.values) {
            object[name] = (*report.values)[i];
        } else {
            object[name] = report.raw[i];
        }
    }
    return object.dump();
}

std::string describe_stats(const BusStats& stats) {
    auto count = [](std::uint64_t n, const char* one, const char* many) {
        return std::to_string(n) + " " + (n == 1 ? one : many);
    };
    return count(stats.transactions, "transaction", "transactions") + ", " +
           count(stats.retries, "retry", "retries") + " (" +
           count(stats.corrupt, "corrupt reply", "corrupt replies") + ", " +
           count(stats.timeouts, "timeout", "timeouts") + ")";
}

// ---- sim ----------------------------------------------------------------------------------------

SimStats serve_simulated_bus(const SimOptions& options,
                             const std::optional<fs::path>& link,
                             std::optional<double> duration_s,
                             const std::function<void(const std::string& path)>& on_ready) {
    Clock& clock = steady_clock();  // a served bus runs on real time
    const auto start = clock.now();
    SimOptions served = options;
    served.log_requests = false;  // serves until stopped: keep no history
    auto bus = std::make_shared<SimBus>(served, start);
    PtySimServer server(bus, link);
    on_ready(server.path());
    server.serve([&] {
        if (interrupted()) return false;
        return !duration_s || seconds_between(start, clock.now()) < *duration_s;
    });
    return bus->stats();
}

}  // namespace rcls::arm_tools
