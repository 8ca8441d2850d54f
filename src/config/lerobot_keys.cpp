// SPDX-License-Identifier: MIT
#include "rcls/config/lerobot_keys.hpp"

namespace rcls::config {
namespace {

/// `prefix` + each of `keys`.
void add(std::vector<std::string>& out,
         const std::string& prefix,
         const std::vector<std::string>& keys) {
    for (const std::string& key : keys) {
        out.push_back(prefix + "/" + key);
    }
}

/// What LeRobot's SOFollowerConfig / OpenCVCameraConfig hold beyond rcls's robot section.
void add_robot(std::vector<std::string>& out, const std::string& robot) {
    add(out, robot + "/cameras/*", {"backend"});
}

}  // namespace

const std::vector<std::string>& lerobot_train_keys_ignored() {
    static const std::vector<std::string> keys = [] {
        std::vector<std::string> out;
        // TrainPipelineConfig, every version since v0.3.3 ("eval_freq" of v0.3-v0.5 is rcls's
        // validation interval; "policy" is read as "reward_model").
        add(out, "",
            {"env",
             "cudnn_deterministic",
             "prefetch_factor",
             "persistent_workers",
             "dataloader_multiprocessing_context",
             "env_eval_freq",
             "eval_steps",
             "max_eval_samples",
             "tolerance_s",
             "checkpoint_format",
             "use_policy_training_preset",
             "optimizer",
             "scheduler",
             "parallelism",
             "accelerator",
             "eval",
             "ema",
             "wandb",
             "peft",
             "job",
             "save_checkpoint_to_hub",
             "sample_weighting",
             "rename_map",
             "checkpoint_path",
             "use_rabc",
             "rabc_progress_path",
             "rabc_kappa",
             "rabc_epsilon",
             "rabc_head_mode"});
        // DatasetConfig.
        add(out, "/dataset",
            {"repo_type", "exclude_episodes", "revision", "video_backend", "return_uint8",
             "depth_output_unit", "streaming", "eval_split"});
        // RewardModelConfig / PreTrainedConfig and RewardClassifierConfig.
        add(out, "/reward_model",
            {"name", "num_cameras", "normalization_mapping", "input_features", "output_features",
             "pretrained_revision", "push_to_hub", "repo_id", "license", "tags", "private",
             "n_obs_steps", "use_amp", "use_peft"});
        return out;
    }();
    return keys;
}

const std::vector<std::string>& lerobot_record_keys_ignored() {
    static const std::vector<std::string> keys = [] {
        std::vector<std::string> out;
        // rcls's own record config holds LeRobot's robot section.
        add_robot(out, "/robot");
        // GymManipulatorConfig and its DatasetConfig.
        add(out, "", {"device"});
        add(out, "/dataset", {"replay_episode", "push_to_hub"});
        // HILSerlRobotEnvConfig (and EnvConfig).
        add(out, "/env",
            {"name", "task", "features", "features_map", "max_parallel_tasks",
             "disable_env_checker"});
        add_robot(out, "/env/robot");
        // HILSerlProcessorConfig.
        add(out, "/env/processor",
            {"control_mode", "gripper", "inverse_kinematics", "max_gripper_pos"});
        add(out, "/env/processor/observation",
            {"add_joint_velocity_to_observation", "add_current_to_observation",
             "add_ee_pose_to_observation"});
        add(out, "/env/processor/reset", {"fixed_reset_joint_positions"});
        add(out, "/env/processor/reward_classifier", {"success_threshold", "success_reward"});
        return out;
    }();
    return keys;
}

}  // namespace rcls::config
