// SPDX-License-Identifier: MIT
//
// LeRobot's checkpoint folder layout (lerobot_formats.md §3.5), without torch:
//
//   <output_dir>/checkpoints/<step, zero-padded to max(6, digits of total steps)>/
//       pretrained_model/   config.json, model.safetensors, train_config.json, processor files
//       training_state/     optimizer_state.safetensors, optimizer_param_groups.json,
//                           rng_state.safetensors, training_step.json
//   <output_dir>/checkpoints/last -> <step>     (a relative symbolic link)
//
// A step folder is filled under a temporary name and renamed into place in one step, and `last`
// is replaced by renaming a new link over it, so a kill at any moment leaves every checkpoint
// that was complete before it intact and `last` pointing at a complete one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace rcls::model {

/// File and folder names of LeRobot's checkpoint layout (above).
inline constexpr const char* kCheckpointsDir = "checkpoints";
inline constexpr const char* kLastLink = "last";
inline constexpr const char* kPretrainedModelDir = "pretrained_model";
inline constexpr const char* kTrainingStateDir = "training_state";
inline constexpr const char* kConfigFile = "config.json";
inline constexpr const char* kModelFile = "model.safetensors";
inline constexpr const char* kTrainConfigFile = "train_config.json";
inline constexpr const char* kPreprocessorFile = "classifier_preprocessor.json";
inline constexpr const char* kPostprocessorFile = "classifier_postprocessor.json";
inline constexpr const char* kNormalizerStateFile =
    "classifier_preprocessor_step_0_normalizer_processor.safetensors";
inline constexpr const char* kTargetNormalizerStateFile =
    "classifier_preprocessor_step_1_normalizer_processor.safetensors";
inline constexpr const char* kOptimizerStateFile = "optimizer_state.safetensors";
inline constexpr const char* kOptimizerParamGroupsFile = "optimizer_param_groups.json";
inline constexpr const char* kRngStateFile = "rng_state.safetensors";
inline constexpr const char* kTrainingStepFile = "training_step.json";
/// rcls's own training settings beside LeRobot's files in pretrained_model/ (never parsed by
/// LeRobot): {"train_episodes", "val_episodes", "dataset_root", "image_size", "train_mode", ...}.
inline constexpr const char* kRclsTrainFile = "rcls_train.json";

/// "005000": `step` zero-padded to max(6, number of digits of `total_steps`).
std::string step_name(std::int64_t step, std::int64_t total_steps);

/// <output_dir>/checkpoints/<step_name(step, total_steps)>.
std::filesystem::path step_dir(const std::filesystem::path& output_dir,
                               std::int64_t step,
                               std::int64_t total_steps);

/// Writes the checkpoint of `step`: `fill` writes the folder's contents (pretrained_model/ and
/// training_state/) into the directory it is given, which is then renamed to its final name
/// (replacing an older checkpoint of the same step), and `last` is pointed at it. Returns the
/// final folder. Throws DataError on I/O errors; whatever `fill` throws leaves no trace.
std::filesystem::path write_checkpoint(
    const std::filesystem::path& output_dir,
    std::int64_t step,
    std::int64_t total_steps,
    const std::function<void(const std::filesystem::path&)>& fill);

/// Points <checkpoints>/last at `checkpoint_dir` (a relative link, replaced atomically).
void update_last_link(const std::filesystem::path& checkpoint_dir);

/// The steps of the complete checkpoints under <output_dir>/checkpoints, ascending.
std::vector<std::int64_t> list_checkpoint_steps(const std::filesystem::path& output_dir);

/// The pretrained_model folder meant by `path`: the folder itself (it holds config.json), a step
/// folder, `checkpoints/last`, a `checkpoints` folder (its last link, else its highest step) or a
/// training run folder. Throws ModelError naming the path when none fits.
std::filesystem::path resolve_pretrained_dir(const std::filesystem::path& path);

}  // namespace rcls::model
