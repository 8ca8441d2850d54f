// SPDX-License-Identifier: MIT
//
// The follower arm (robot) and the leader arm (teleoperator), with LeRobot's SOFollowerConfig and
// SOLeaderConfig field names.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "rcls/config/camera_config.hpp"
#include "rcls/core/dict.hpp"

namespace rcls::config {

/// The SO-101 joint names, in servo id order (ids 1..6), as LeRobot names its motors.
inline constexpr std::array<std::string_view, 6> kSo101JointNames = {
    "shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"};

/// `robot` in a record config: the SO-101 follower arm and the cameras that watch its scene.
struct RobotConfig {
    /// "so101_follower" or "so100_follower"; "so101_follower_sim": the simulated arm in-process.
    std::string type = "so101_follower";
    std::string port = "/dev/ttyACM0";  ///< Serial port of the servo bus adapter.
    std::string id = "follower";        ///< Calibration file name: <calibration_dir>/<id>.json.
    /// Folder of calibration files; null: $HF_LEROBOT_CALIBRATION/robots/so_follower.
    std::optional<std::string> calibration_dir;
    bool disable_torque_on_disconnect = true;
    /// Largest change of a goal position per step, in normalised units (degrees); null: no limit.
    std::optional<double> max_relative_target;
    bool use_degrees = true;          ///< Body joints in degrees (true) or -100..100 (false).
    int num_read_retries = 2;         ///< Retries of a failed position read (LeRobot #4207).
    int position_p_coefficient = 16;  ///< Servo position-loop gains written on connect.
    int position_i_coefficient = 0;
    int position_d_coefficient = 32;
    Dict<CameraConfig> cameras = {{"front", CameraConfig{}}};

    template <class V>
    void visit(V& v) {
        v.field("type", type, "Robot type",
                {"so101_follower", "so100_follower", "so101_follower_sim"});
        v.field("port", port, "Serial port of the follower arm's servo bus");
        v.field("id", id, "Calibration id of the follower arm");
        v.field("calibration_dir", calibration_dir, "Folder of calibration files");
        v.field("disable_torque_on_disconnect", disable_torque_on_disconnect,
                "Turn torque off when the command ends");
        v.field("max_relative_target", max_relative_target,
                "Largest goal change per step in degrees (null: none)");
        v.field("use_degrees", use_degrees, "Body joints in degrees instead of -100..100");
        v.field("num_read_retries", num_read_retries, "Retries of a failed position read");
        v.field("position_p_coefficient", position_p_coefficient,
                "Servo position-loop P gain written on connect (factory 32)");
        v.field("position_i_coefficient", position_i_coefficient, "Servo position-loop I gain");
        v.field("position_d_coefficient", position_d_coefficient, "Servo position-loop D gain");
        v.field("cameras", cameras, "Cameras by name");
        v.require("port", !port.empty(), "must not be empty");
        v.require("id", !id.empty(), "must not be empty");
        v.require("max_relative_target", !max_relative_target || *max_relative_target > 0.0,
                  "must be positive or null");
        v.require("num_read_retries", num_read_retries >= 0 && num_read_retries <= 100,
                  "must be between 0 and 100");
        v.require("position_p_coefficient",
                  position_p_coefficient >= 0 && position_p_coefficient <= 254,
                  "must be between 0 and 254");
        v.require("position_i_coefficient",
                  position_i_coefficient >= 0 && position_i_coefficient <= 254,
                  "must be between 0 and 254");
        v.require("position_d_coefficient",
                  position_d_coefficient >= 0 && position_d_coefficient <= 254,
                  "must be between 0 and 254");
    }
};

/// `teleop` in a record config: the SO-101 leader arm moved by hand.
struct TeleopConfig {
    /// "so101_leader" or "so100_leader"; "so101_leader_sim": the simulated arm in-process.
    std::string type = "so101_leader";
    std::string port = "/dev/ttyACM1";
    std::string id = "leader";
    /// Folder of calibration files; null: $HF_LEROBOT_CALIBRATION/teleoperators/so_leader.
    std::optional<std::string> calibration_dir;
    bool use_degrees = true;
    int num_read_retries = 2;  ///< Retries of a failed position read (LeRobot #4207).

    template <class V>
    void visit(V& v) {
        v.field("type", type, "Teleoperator type",
                {"so101_leader", "so100_leader", "so101_leader_sim"});
        v.field("port", port, "Serial port of the leader arm's servo bus");
        v.field("id", id, "Calibration id of the leader arm");
        v.field("calibration_dir", calibration_dir, "Folder of calibration files");
        v.field("use_degrees", use_degrees, "Body joints in degrees instead of -100..100");
        v.field("num_read_retries", num_read_retries, "Retries of a failed position read");
        v.require("port", !port.empty(), "must not be empty");
        v.require("id", !id.empty(), "must not be empty");
        v.require("num_read_retries", num_read_retries >= 0 && num_read_retries <= 100,
                  "must be between 0 and 100");
    }
};

}  // namespace rcls::config
