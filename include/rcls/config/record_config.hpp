// SPDX-License-Identifier: MIT
//
// `rcls record` settings: configs/reward_classifier_record_config.json. Field names follow
// LeRobot's gym_manipulator (v0.3 flat names where the reference workflow uses them).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "rcls/config/arm_config.hpp"
#include "rcls/core/dict.hpp"

namespace rcls::config {

/// `dataset` in a record config: where the recorded LeRobot dataset goes.
struct RecordDatasetConfig {
    std::string repo_id = "local/so101_reach_grasp_cube_reward";  ///< "<user>/<name>".
    /// Dataset folder; null: $HF_LEROBOT_HOME/<repo_id>.
    std::optional<std::string> root;
    std::string task = "Reach and grasp the cube";
    bool push_to_hub = false;          ///< Kept for LeRobot configs; rcls never uploads.
    std::string vcodec = "libsvtav1";  ///< "libsvtav1" (LeRobot's AV1) or "libx264"/"h264".
    std::string pix_fmt = "yuv420p";
    int g = 2;     ///< Keyframe interval (GOP size).
    int crf = 30;  ///< Constant rate factor.

    template <class V>
    void visit(V& v) {
        v.field("repo_id", repo_id, "Dataset id, <user>/<name>");
        v.field("root", root, "Dataset folder (null: $HF_LEROBOT_HOME/<repo_id>)");
        v.field("task", task, "Task description stored with every frame");
        v.field("push_to_hub", push_to_hub, "Must be false: rcls never uploads");
        v.field("vcodec", vcodec, "Video codec", {"libsvtav1", "av1", "libx264", "h264"});
        v.field("pix_fmt", pix_fmt, "Video pixel format", {"yuv420p"});
        v.field("g", g, "Keyframe interval of the videos");
        v.field("crf", crf, "Constant rate factor of the videos");
        v.require("repo_id",
                  repo_id.find('/') != std::string::npos && repo_id.front() != '/' &&
                      repo_id.back() != '/',
                  "must look like <user>/<name>");
        v.require("push_to_hub", !push_to_hub,
                  "rcls does not upload; set it to false and upload with `huggingface-cli upload`");
        v.require("g", g > 0, "must be positive");
        v.require("crf", crf >= 0 && crf <= 63, "must be between 0 and 63");
    }
};

/// The whole record config.
struct RecordConfig {
    int fps = 10;                  ///< Control and recording rate.
    int num_episodes = 20;         ///< Episodes to record.
    double control_time_s = 15.0;  ///< Length of one episode.
    double reset_time_s = 5.0;     ///< Pause between episodes to reset the scene.
    /// Images cropped (top, left, height, width) per camera key before resizing; null: no crop.
    std::optional<Dict<std::array<int, 4>>> crop_params_dict;
    std::optional<std::array<int, 2>> resize_size;  ///< (height, width) stored; null: native.
    std::vector<std::string> locked_joints;         ///< Joints held still while the others follow.
    /// Where locked joints are held: degrees (body joints with use_degrees) or 0..100 (gripper).
    Dict<double> locked_joint_positions;
    std::optional<std::string> reward_classifier_pretrained_path;  ///< Live classifier; null: none.
    /// Live classifier: success at p >= threshold for k consecutive frames; null: the checkpoint's
    /// rcls_eval.json recommendation (`rcls eval`), else 0.5 and 1. rcls's own fields.
    std::optional<double> reward_classifier_threshold;
    std::optional<int> reward_classifier_k;
    bool play_sounds = true;            ///< Spoken cues ("Resetting. 5 seconds.").
    bool display_cameras = false;       ///< Show the camera images while recording.
    bool terminate_on_success = false;  ///< End the episode at the first success event.
    RobotConfig robot;
    TeleopConfig teleop;
    RecordDatasetConfig dataset;

    template <class V>
    void visit(V& v) {
        v.field("fps", fps, "Recording rate in frames per second");
        v.field("num_episodes", num_episodes, "Number of episodes to record");
        v.field("control_time_s", control_time_s, "Seconds per episode");
        v.field("reset_time_s", reset_time_s, "Seconds of reset between episodes");
        v.field("crop_params_dict", crop_params_dict,
                "Crop per camera key as [top, left, height, width] (null: none)");
        v.field("resize_size", resize_size, "Stored image size [height, width] (null: native)");
        v.field("locked_joints", locked_joints, "Joints held still during teleoperation");
        v.field("locked_joint_positions", locked_joint_positions,
                "Positions of locked joints in degrees");
        v.field("reward_classifier_pretrained_path", reward_classifier_pretrained_path,
                "Checkpoint used to label frames live (null: none)");
        v.field("reward_classifier_threshold", reward_classifier_threshold,
                "Live classifier: success probability threshold (null: the checkpoint's "
                "rcls_eval.json recommendation, else 0.5)");
        v.field("reward_classifier_k", reward_classifier_k,
                "Live classifier: consecutive frames at or above the threshold (null: "
                "rcls_eval.json's, else 1)");
        v.field("play_sounds", play_sounds, "Speak the episode and reset cues");
        v.field("display_cameras", display_cameras, "Show the camera images");
        v.field("terminate_on_success", terminate_on_success,
                "End an episode at its first success");
        v.field("robot", robot, "Follower arm");
        v.field("teleop", teleop, "Leader arm");
        v.field("dataset", dataset, "Output dataset");
        v.require("fps", fps > 0 && fps <= 1000, "must be between 1 and 1000");
        v.require("num_episodes", num_episodes > 0, "must be positive");
        v.require("reward_classifier_threshold",
                  !reward_classifier_threshold ||
                      (*reward_classifier_threshold >= 0.0 && *reward_classifier_threshold <= 1.0),
                  "must be between 0 and 1 (or null: the checkpoint's recommendation)");
        v.require("reward_classifier_k", !reward_classifier_k || *reward_classifier_k >= 1,
                  "must be at least 1 (or null: the checkpoint's recommendation)");
        v.require("control_time_s", control_time_s > 0.0, "must be positive");
        v.require("reset_time_s", reset_time_s >= 0.0, "must not be negative");
        v.require("resize_size",
                  !resize_size || ((*resize_size)[0] > 0 && (*resize_size)[1] > 0 &&
                                   (*resize_size)[0] <= 16384 && (*resize_size)[1] <= 16384),
                  "sizes must be 1 to 16384 pixels");
        v.require("locked_joints", known_joints(locked_joints),
                  "joints are shoulder_pan, shoulder_lift, elbow_flex, wrist_flex, wrist_roll, "
                  "gripper");
        v.require("locked_joint_positions", locked_positions_valid(),
                  "keys must be joints listed in locked_joints");
    }

private:
    static bool known_joints(const std::vector<std::string>& joints);
    bool locked_positions_valid() const;
};

}  // namespace rcls::config
