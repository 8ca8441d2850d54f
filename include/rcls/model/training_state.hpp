// SPDX-License-Identifier: MIT
//
// A checkpoint's training_state/ folder, as LeRobot writes it (lerobot_formats.md §3.5), so a run
// resumes where it stopped:
//
//   optimizer_state.safetensors   "state/<i>/step" (F32 scalar), "state/<i>/exp_avg",
//                                 "state/<i>/exp_avg_sq": AdamW's state per parameter index i of
//                                 Classifier::unique_parameters() (only parameters that trained)
//   optimizer_param_groups.json   [{"lr", "betas", "eps", "weight_decay", "amsgrad", ...,
//   "params"}] rng_state.safetensors         torch_rng_state, plus the data-order generator (an
//   mt19937) in
//                                 both Python's (py_rng_*) and NumPy's (np_rng_*) layout
//   training_step.json            {"step": N}
//
// Includes libtorch.
#pragma once

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <torch/optim/adamw.h>

#include "rcls/model/classifier.hpp"
#include "rcls/model/classifier_config.hpp"

namespace rcls::model {

/// Random generator states of a training run.
struct RngState {
    std::vector<std::uint8_t>
        torch_state;  ///< torch's default CPU generator (torch.get_rng_state()).
    std::vector<std::uint32_t> mt_words;  ///< The 624 state words of the data-order mt19937.
    std::uint32_t mt_index = 624;         ///< Its position (624: the next draw regenerates).
};

/// The current state of torch's default CPU generator and of `data_order`.
RngState capture_rng_state(const std::mt19937& data_order);

/// Restores torch's default CPU generator and `data_order` from `state`.
void restore_rng_state(const RngState& state, std::mt19937& data_order);

/// Writes the four training_state files into `dir` (created if needed), each atomically.
/// `params` are the optimizer's parameters in LeRobot's order (Classifier::unique_parameters()).
void save_training_state(const std::filesystem::path& dir,
                         std::int64_t step,
                         const torch::optim::AdamW& optimizer,
                         const std::vector<torch::Tensor>& params,
                         const RngState& rng);

/// What load_training_state read besides the optimizer state.
struct TrainingProgress {
    std::int64_t step = 0;
    RngState rng;
};

/// Restores `optimizer` (state and hyper-parameters) from `dir` and returns the step and RNG
/// state. Throws ModelError naming the file when it is missing or does not fit `params`.
TrainingProgress load_training_state(const std::filesystem::path& dir,
                                     torch::optim::AdamW& optimizer,
                                     const std::vector<torch::Tensor>& params);

/// LeRobot's save_checkpoint: writes <output_dir>/checkpoints/<step>/pretrained_model (config,
/// weights, processor files with `stats`, and `train_config_json` as train_config.json unless it
/// is empty) and training_state/ (the optimizer over model->unique_parameters(), `rng`, the step),
/// all under a temporary name renamed into place, then points `last` at it. Returns the step
/// folder. Throws DataError on I/O errors.
std::filesystem::path save_checkpoint(const std::filesystem::path& output_dir,
                                      std::int64_t step,
                                      std::int64_t total_steps,
                                      Classifier& model,
                                      const NormStats& stats,
                                      const torch::optim::AdamW& optimizer,
                                      const RngState& rng,
                                      const std::string& train_config_json);

}  // namespace rcls::model
