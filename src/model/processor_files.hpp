// SPDX-License-Identifier: MIT
//
// LeRobot's classifier pre- and postprocessor files (lerobot_formats.md §1.7, §1.9): the pipeline
// JSON files and the normaliser state files holding "<feature>.mean" / "<feature>.std", plus
// LeRobot 0.3's statistics inside model.safetensors. No torch.
#pragma once

#include <filesystem>
#include <optional>

#include "rcls/model/classifier_config.hpp"
#include "rcls/safetensors/safetensors.hpp"

namespace rcls::model::detail {

/// Writes classifier_preprocessor.json with its two normaliser state files (LeRobot writes the
/// same statistics for the input and the output normaliser) and classifier_postprocessor.json.
void save_processor_files(const std::filesystem::path& dir,
                          const ClassifierConfig& config,
                          const NormStats& stats);

/// The statistics of every camera of `config` from the preprocessor state in `dir` (LeRobot >=
/// 0.4), or nullopt when `dir` has no preprocessor. Throws ModelError when the state file lacks a
/// camera or holds unusable values.
std::optional<NormStats> load_processor_stats(const std::filesystem::path& dir,
                                              const ClassifierConfig& config);

/// The statistics from LeRobot 0.3's "normalize_inputs.buffer_<camera>.mean/std" tensors, or
/// nullopt when the model file has none.
std::optional<NormStats> load_v03_stats(const safetensors::File& model,
                                        const ClassifierConfig& config);

/// True for tensor names of LeRobot 0.3's normalisation modules.
bool is_v03_normalization_key(std::string_view name);

}  // namespace rcls::model::detail
