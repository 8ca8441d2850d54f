// SPDX-License-Identifier: MIT
//
// The keys of LeRobot's own config files that rcls knows and does not use: the one list, read by
// config_file.cpp. A LeRobot file (a train_config.json as lerobot-train saves it, a
// gym_manipulator env config as LeRobot's HIL-SERL docs show it) loads with these keys named
// once as ignored; any other unknown key stays an error naming it and the file.
//
// Taken from LeRobot's source, v0.3.3 to the main branch of 2026-08
// (src/lerobot/configs/train.py TrainPipelineConfig, configs/default.py DatasetConfig,
// configs/policies.py PreTrainedConfig, configs/rewards.py RewardModelConfig,
// rewards/classifier/configuration_classifier.py (v0.3-v0.5: policies/sac/reward_model/),
// envs/configs.py HILSerlRobotEnvConfig and its processor sections, rl/gym_manipulator.py
// GymManipulatorConfig and DatasetConfig, cameras/opencv/configuration_opencv.py).
#pragma once

#include <string>
#include <vector>

namespace rcls::config {

/// JSON pointers of the LeRobot keys rcls ignores in a train config (TrainPipelineConfig), in
/// json_struct::ForeignKeys form: a whole section ("/wandb") or one key ("/dataset/revision").
const std::vector<std::string>& lerobot_train_keys_ignored();

/// The same for a gym_manipulator env config (GymManipulatorConfig: `env`, `dataset`, `mode`,
/// `device`), and for rcls's own record config (LeRobot's camera keys in `robot.cameras`).
const std::vector<std::string>& lerobot_record_keys_ignored();

}  // namespace rcls::config
