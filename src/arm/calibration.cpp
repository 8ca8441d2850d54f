// SPDX-License-Identifier: MIT
#include "rcls/arm/calibration.hpp"

#include <algorithm>
#include <array>

#include "rcls/arm/control_table.hpp"
#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/json_struct.hpp"
#include "rcls/core/paths.hpp"

namespace rcls::arm {
namespace fs = std::filesystem;
namespace {

constexpr double kMaxRes = kResolution - 1;  // LeRobot: max_res = 4096 - 1

void require_range(const MotorCalibration& calibration) {
    if (calibration.range_max == calibration.range_min) {
        throw DeviceError("calibration of motor id " + std::to_string(calibration.id) +
                          " has range_min == range_max (" + std::to_string(calibration.range_min) +
                          "); calibrate the arm again (`rcls arm calibrate`)");
    }
}

}  // namespace

double normalize(int raw, const MotorCalibration& calibration, NormMode mode) {
    require_range(calibration);
    const double min = calibration.range_min;
    const double max = calibration.range_max;
    const bool inverted = calibration.drive_mode != 0;
    const double bounded = std::min(max, std::max(min, static_cast<double>(raw)));
    switch (mode) {
        case NormMode::kRangeM100To100: {
            const double norm = (bounded - min) / (max - min) * 200.0 - 100.0;
            return inverted ? -norm : norm;
        }
        case NormMode::kRange0To100: {
            const double norm = (bounded - min) / (max - min) * 100.0;
            return inverted ? 100.0 - norm : norm;
        }
        case NormMode::kDegrees: {
            const double mid = (min + max) / 2.0;
            return (static_cast<double>(raw) - mid) * 360.0 / kMaxRes;
        }
    }
    return 0.0;
}

int unnormalize(double value, const MotorCalibration& calibration, NormMode mode) {
    require_range(calibration);
    const double min = calibration.range_min;
    const double max = calibration.range_max;
    const bool inverted = calibration.drive_mode != 0;
    switch (mode) {
        case NormMode::kRangeM100To100: {
            const double v = inverted ? -value : value;
            const double bounded = std::min(100.0, std::max(-100.0, v));
            return static_cast<int>((bounded + 100.0) / 200.0 * (max - min) + min);
        }
        case NormMode::kRange0To100: {
            const double v = inverted ? 100.0 - value : value;
            const double bounded = std::min(100.0, std::max(0.0, v));
            return static_cast<int>(bounded / 100.0 * (max - min) + min);
        }
        case NormMode::kDegrees: {
            const double mid = (min + max) / 2.0;
            return static_cast<int>(value * kMaxRes / 360.0 + mid);
        }
    }
    return 0;
}

int half_turn_homing_offset(int raw_position) {
    return raw_position - static_cast<int>(kMaxRes / 2);  // int(4095 / 2) = 2047
}

std::string to_json(const Calibration& calibration) {
    nlohmann::ordered_json root = nlohmann::ordered_json::object();
    for (const auto& [name, motor] : calibration) {
        nlohmann::ordered_json entry;
        entry["id"] = motor.id;
        entry["drive_mode"] = motor.drive_mode;
        entry["homing_offset"] = motor.homing_offset;
        entry["range_min"] = motor.range_min;
        entry["range_max"] = motor.range_max;
        root[name] = std::move(entry);
    }
    // Python's json.dump(indent=4) layout, which nlohmann's dump(4) reproduces for this content.
    return root.dump(4);
}

void validate_calibration(const Calibration& calibration, const std::string& source) {
    for (const auto& [name, motor] : calibration) {
        const auto check = [&](const char* key, int value, int low, int high, const char* what) {
            if (value < low || value > high) {
                throw ConfigError(source + ": " + json_struct::append_pointer("", name) + "/" +
                                  key + ": " + std::to_string(value) + " is out of range (" + what +
                                  "); fix the file or calibrate again (`rcls arm calibrate`)");
            }
        };
        check("id", motor.id, 0, 253, "0 to 253");
        check("drive_mode", motor.drive_mode, 0, 1, "0 or 1");
        check("homing_offset", motor.homing_offset, -2047, 2047, "-2047 to 2047 steps");
        check("range_min", motor.range_min, 0, 4095, "0 to 4095 steps");
        check("range_max", motor.range_max, 0, 4095, "0 to 4095 steps");
        if (motor.range_min > motor.range_max) {
            throw ConfigError(source + ": " + json_struct::append_pointer("", name) +
                              ": range_min " + std::to_string(motor.range_min) +
                              " is above range_max " + std::to_string(motor.range_max) +
                              "; calibrate again (`rcls arm calibrate`)");
        }
    }
}

Calibration calibration_from_json(std::string_view text, const std::string& source) {
    namespace js = json_struct;
    // A calibration file is rcls's (and LeRobot's) own config: every error is a ConfigError.
    const js::Json root = js::parse_text(text, source, js::ErrorKind::kConfig);
    if (!root.is_object()) throw ConfigError(source + ": a calibration file is a JSON object");
    Calibration calibration;
    for (const auto& [name, entry] : root.items()) {
        js::Reader reader(entry, js::Context(source, js::append_pointer("", name)));
        MotorCalibration motor;
        reader.required("id", motor.id);
        reader.required("drive_mode", motor.drive_mode);
        reader.required("homing_offset", motor.homing_offset);
        reader.required("range_min", motor.range_min);
        reader.required("range_max", motor.range_max);
        if (const auto unread = reader.unread_keys(); !unread.empty()) {
            js::fail(reader.context(), "unknown key \"" + unread.front() + "\"");
        }
        calibration.emplace_back(name, motor);
    }
    validate_calibration(calibration, source);
    return calibration;
}

Calibration load_calibration(const fs::path& path) {
    if (!fs::is_regular_file(path)) {
        throw ConfigError(path.string() + ": calibration file not found; run `rcls arm calibrate`");
    }
    return calibration_from_json(json_struct::read_text(path, json_struct::ErrorKind::kConfig),
                                 path.string());
}

void save_calibration(const fs::path& path, const Calibration& calibration) {
    write_file_atomic(path, to_json(calibration));
}

std::string to_string(ArmRole role) {
    return role == ArmRole::kFollower ? "follower" : "leader";
}

namespace {

fs::path role_folder(ArmRole role) {
    return role == ArmRole::kFollower ? fs::path("robots") : fs::path("teleoperators");
}

}  // namespace

fs::path calibration_path(ArmRole role,
                          const std::string& id,
                          const std::optional<std::string>& calibration_dir) {
    // The id names a file inside the calibration folder: `--id ../../x` must not write outside.
    if (id.empty() || id == "." || id == ".." || id.find('/') != std::string::npos ||
        id.find('\0') != std::string::npos) {
        throw ConfigError("--id \"" + id +
                          "\": an arm id is a file name (letters, digits, '_', '-', '.'), "
                          "without '/' and not \".\" or \"..\"");
    }
    if (calibration_dir) {
        std::error_code error;
        const fs::path dir = expand_user(*calibration_dir);
        if (fs::exists(dir, error) && !fs::is_directory(dir, error)) {
            throw ConfigError("--calibration-dir " + dir.string() +
                              ": is not a folder; give the folder of calibration files");
        }
    }
    const std::string file = id + ".json";
    if (calibration_dir) return expand_user(*calibration_dir) / file;
    const char* name = role == ArmRole::kFollower ? "so_follower" : "so_leader";
    return hf_lerobot_calibration() / role_folder(role) / name / file;
}

std::optional<fs::path> find_calibration_file(ArmRole role,
                                              const std::string& id,
                                              const std::optional<std::string>& calibration_dir) {
    const fs::path current = calibration_path(role, id, calibration_dir);
    if (fs::is_regular_file(current)) return current;
    if (calibration_dir) return std::nullopt;
    // LeRobot <= v0.4.2 named the folders after the arm type.
    const std::array<const char*, 2> legacy =
        role == ArmRole::kFollower ? std::array<const char*, 2>{"so101_follower", "so100_follower"}
                                   : std::array<const char*, 2>{"so101_leader", "so100_leader"};
    for (const char* folder : legacy) {
        const fs::path path =
            hf_lerobot_calibration() / role_folder(role) / folder / (id + ".json");
        if (fs::is_regular_file(path)) return path;
    }
    return std::nullopt;
}

}  // namespace rcls::arm
