// SPDX-License-Identifier: MIT
//
// LeRobot's RewardClassifierConfig settings with LeRobot's defaults (lerobot_formats.md §1.2):
// the one place these defaults are written. Both structs that carry them derive from it:
// model::ClassifierConfig (a checkpoint's config.json) and config::RewardModelConfig (the train
// config's `reward_model` section, which departs from LeRobot in one value, and says so there).
#pragma once

#include <optional>
#include <string>

namespace rcls::config {

struct RewardClassifierParams {
    std::string model_name = "helper2424/resnet10";  ///< Encoder weights: Hub id or local path.
    std::string model_type = "cnn";                  ///< Only "cnn" (ResNet10) is supported.
    int num_classes = 2;                             ///< 2: one logit and a sigmoid.
    int hidden_dim = 256;                            ///< Width of the classifier head.
    int latent_dim = 256;                            ///< Width of each camera's embedding.
    int image_embedding_pooling_dim = 8;  ///< SpatialLearnedEmbeddings features per channel.
    double dropout_rate = 0.1;            ///< Both dropouts (camera and head).
    double learning_rate = 1e-4;          ///< AdamW settings LeRobot trains with.
    double weight_decay = 0.01;
    double grad_clip_norm = 1.0;
    std::string device = "cpu";                  ///< "cpu", "cuda" or "cuda:N".
    std::optional<std::string> pretrained_path;  ///< Start from (or came from) this checkpoint.
};

}  // namespace rcls::config
