// SPDX-License-Identifier: MIT
//
// `rcls train`: the reward classifier trained on a labelled LeRobot dataset, without torch here
// (the loop runs on the torch side through model::Trainer). This module picks the episodes
// (training, and held-out validation episodes given or drawn with the seed), decodes the frames
// (through the crop + Lanczos pipeline of `rcls preprocess` when they are not at image_size),
// writes the run folder (LeRobot's checkpoint layout, rcls_train.json beside it, metrics.jsonl)
// and reports progress through events.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rcls/config/train_config.hpp"
#include "rcls/model/classifier_config.hpp"
#include "rcls/model/torch_plugin.hpp"

namespace rcls::train {

/// What a run did.
struct TrainSummary {
    std::filesystem::path output_dir;
    std::filesystem::path dataset_root;
    std::string camera;
    std::vector<std::int64_t> train_episodes;
    std::vector<std::int64_t> val_episodes;
    std::size_t train_frames = 0;
    std::size_t val_frames = 0;
    model::TrainResult result;
    double wall_s = 0.0;
    double decode_s = 0.0;
    /// Frames and feature pool were streamed from scratch files (above memory_budget_mb).
    bool streamed = false;
};

/// The scratch folder of a streamed run, in its output_dir: the frames (<split>_frames.u8, raw
/// RGB at image_size) and the feature pool (feature_pool.f32). Removed when the run ends, fails
/// or is interrupted.
inline constexpr const char* kScratchDirName = ".scratch";

/// Bytes the run's frames (training and held-out, uint8 at image_size) and feature pool (head/
/// serl with feature_cache: the frozen prefix's float outputs, the variants the steps draw from
/// and those the producer computes ahead) take in memory. Above memory_budget_mb they stream.
std::uint64_t in_memory_bytes(const config::TrainConfig& config,
                              std::size_t train_frames,
                              std::size_t val_frames);

/// Runs `config`. Throws ConfigError (bad settings, an existing output_dir without resume),
/// DataError (dataset, labels, frames), ModelError (weights), DeviceError, and InterruptedError at
/// Ctrl-C after a checkpoint of the step reached was saved.
TrainSummary run_train(const config::TrainConfig& config);

/// The summary `rcls train --json` prints.
nlohmann::ordered_json summary_json(const TrainSummary& summary);

/// Held-out episodes for `config` among `episodes` (sorted): val_episodes when given (each must be
/// among them; ConfigError otherwise), else round(val_fraction x count) episodes drawn with
/// `seed` (at least one when the fraction is positive, never all).
std::vector<std::int64_t> choose_val_episodes(const config::TrainConfig& config,
                                              const std::vector<std::int64_t>& episodes);

/// LeRobot's TrainPipelineConfig for this run, as pretrained_model/train_config.json (draccus
/// JSON, indent 4): only keys LeRobot's TrainPipelineConfig has; rcls's own settings are in
/// rcls_train.json.
std::string lerobot_train_config_json(const config::TrainConfig& config,
                                      const model::ClassifierConfig& model,
                                      const std::filesystem::path& output_dir);

/// The reward classifier config for frames of `image_size` from `camera`.
model::ClassifierConfig classifier_config_for(const config::TrainConfig& config,
                                              const std::string& camera);

}  // namespace rcls::train
