// SPDX-License-Identifier: MIT
//
// LeRobot's motor calibration (feetech_sts3215.md §3.6-3.8): per motor a homing offset and the
// recorded range, saved as LeRobot's JSON
//
//     {
//         "shoulder_pan": {
//             "id": 1,
//             "drive_mode": 0,
//             "homing_offset": -1396,
//             "range_min": 620,
//             "range_max": 3440
//         },
//         ...
//     }
//
// (json.dump with indent=4, no final newline) under
// $HF_LEROBOT_CALIBRATION/robots/so_follower/<id>.json or .../teleoperators/so_leader/<id>.json,
// and the conversions between raw steps and normalised units with LeRobot's exact formulas.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "rcls/core/dict.hpp"

namespace rcls::arm {

/// LeRobot's MotorNormMode: the unit a motor's position is shown and commanded in.
enum class NormMode {
    kRangeM100To100,  ///< -100 .. 100 over the recorded range ("range_m100_100").
    kRange0To100,     ///< 0 .. 100 over the recorded range ("range_0_100"); the gripper.
    kDegrees,         ///< Degrees from the middle of the recorded range ("degrees"); not clamped.
};

/// One motor's calibration, with LeRobot's MotorCalibration fields in their order.
struct MotorCalibration {
    int id = 0;
    int drive_mode = 0;     ///< 1 inverts RANGE_* modes; always 0 for Feetech.
    int homing_offset = 0;  ///< Written to Homing_Offset: Present = Actual - homing_offset.
    int range_min = 0;      ///< Lowest recorded Present_Position, in steps.
    int range_max = 4095;   ///< Highest recorded Present_Position, in steps.

    bool operator==(const MotorCalibration&) const = default;
};

/// Calibration of every motor of an arm, by motor name, in file order.
using Calibration = Dict<MotorCalibration>;

/// Raw steps to normalised units, LeRobot's _normalize(). RANGE modes clamp to the range;
/// DEGREES is (raw - mid) * 360 / 4095 unclamped. Throws DeviceError when range_min == range_max.
double normalize(int raw, const MotorCalibration& calibration, NormMode mode);

/// Normalised units to raw steps, LeRobot's _unnormalize(), truncating toward zero like Python's
/// int(). RANGE modes clamp the input first; DEGREES does not clamp.
int unnormalize(double value, const MotorCalibration& calibration, NormMode mode);

/// LeRobot's half-turn homing: the offset that makes the present raw position read 2047
/// (raw - 2047).
int half_turn_homing_offset(int raw_position);

/// The calibration as LeRobot writes it: JSON with 4-space indents and no final newline.
std::string to_json(const Calibration& calibration);

/// Checks every value of `calibration` against what the servos hold, before any is written: id
/// 0-253, drive_mode 0 or 1, homing_offset -2047..2047 (11-bit sign-magnitude), range_min and
/// range_max 0..4095 with range_min <= range_max. Throws ConfigError "<source>: /<motor>/<key>:
/// ...".
void validate_calibration(const Calibration& calibration, const std::string& source);

/// Parses a calibration file's text and validates it whole (validate_calibration()). Throws
/// ConfigError naming `source` and the bad key.
Calibration calibration_from_json(std::string_view text, const std::string& source);

/// Reads a calibration file. Throws ConfigError when it is missing or invalid.
Calibration load_calibration(const std::filesystem::path& path);

/// Writes a calibration file atomically (creating folders). Throws DataError.
void save_calibration(const std::filesystem::path& path, const Calibration& calibration);

/// Which arm of the pair.
enum class ArmRole {
    kFollower,  ///< The robot ("robots/so_follower").
    kLeader,    ///< The teleoperator moved by hand ("teleoperators/so_leader").
};

/// "follower" or "leader".
std::string to_string(ArmRole role);

/// Where LeRobot (since v0.4.3) keeps the calibration of arm `id`: `calibration_dir`/<id>.json when
/// given, else $HF_LEROBOT_CALIBRATION/robots/so_follower/<id>.json (follower) or
/// .../teleoperators/so_leader/<id>.json (leader).
std::filesystem::path calibration_path(ArmRole role,
                                       const std::string& id,
                                       const std::optional<std::string>& calibration_dir = {});

/// The calibration file to read for arm `id`: calibration_path() when it exists, else one written
/// by LeRobot v0.4.2 or older under the so101_follower / so100_follower (so101_leader /
/// so100_leader) folders; nullopt when there is none.
std::optional<std::filesystem::path> find_calibration_file(
    ArmRole role, const std::string& id, const std::optional<std::string>& calibration_dir = {});

}  // namespace rcls::arm
