// SPDX-License-Identifier: MIT
//
// Reward classifier checkpoints for tests that must not need libtorch: written from the file
// formats alone (config.json and model.safetensors, LeRobot's tensor names and shapes), so they
// also show that a checkpoint from another writer loads.
#pragma once

#include <filesystem>

#include "rcls/model/classifier_config.hpp"

namespace rcls::testing {

/// A classifier config with one camera per key in `cameras` (e.g. {"front"}), images of `size` px.
model::ClassifierConfig classifier_config(const std::vector<std::string>& cameras, int size = 128);

/// Writes config.json and model.safetensors for `config` into `dir` (a pretrained_model folder):
/// seeded random weights scaled by 1/sqrt(fan-in), unit norms, the shared encoder stored once as
/// "encoder.*" with its aliases in the metadata. No statistics: ImageNet's apply.
void write_random_checkpoint(const std::filesystem::path& dir,
                             const model::ClassifierConfig& config,
                             unsigned seed = 1);

}  // namespace rcls::testing
