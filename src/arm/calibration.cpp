// SPDX-License-Identifier: MIT
#include "rcls/arm/calibration.hpp"

#include <algorithm>
#include <array>

#include <nlohmann/json.hpp>

#include "rcls/arm/control_table.hpp"
#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
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

Calibration calibration_from_json(std::string_view text, const std::string& source) {
    nlohmann::ordered_json root;
    try {
        root = nlohmann::ordered_json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw ConfigError(source + ": invalid JSON in calibration file (" + e.what() + ")");
    }
    if (!root.is_object()) throw ConfigError(source + ": a calibration file is a JSON object");
    static constexpr std::array<const char*, 5> kFields = {"id", "drive_mode", "homing_offset",
                                                           "range_min", "range_max"};
    Calibration calibration;
    for (const auto& [name, entry] : root.items()) {
        const std::string where = source + ": /" + name;
        if (!entry.is_object()) throw ConfigError(where + ": expected an object");
        for (const auto& [key, value] : entry.items()) {
            if (std::find(kFields.begin(), kFields.end(), key) == kFields.end()) {
                throw ConfigError(where + ": unknown key \"" + key + "\"");
            }
            if (!value.is_number_integer()) {
                throw ConfigError(where + "/" + key + ": expected integer");
            }
        }
        for (const char* field : kFields) {
            if (!entry.contains(field)) {
                throw ConfigError(where + ": missing \"" + std::string(field) + "\"");
            }
        }
        MotorCalibration motor;
        motor.id = entry["id"].get<int>();
        motor.drive_mode = entry["drive_mode"].get<int>();
        motor.homing_offset = entry["homing_offset"].get<int>();
        motor.range_min = entry["range_min"].get<int>();
        motor.range_max = entry["range_max"].get<int>();
        calibration.emplace_back(name, motor);
    }
    return calibration;
}

Calibration load_calibration(const fs::path& path) {
    if (!fs::is_regular_file(path)) {
        throw ConfigError(path.string() + ": calibration file not found; run `rcls arm calibrate`");
    }
    std::string text;
    try {
        text = read_file(path);
    } catch (const DataError& e) {
        throw ConfigError(e.what());
    }
    return calibration_from_json(text, path.string());
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
