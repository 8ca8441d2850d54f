// SPDX-License-Identifier: MIT
//
// `pretrained_model/config.json` of a reward classifier checkpoint: LeRobot's
// RewardClassifierConfig (lerobot_formats.md §1.2, §1.9). This is LeRobot's checkpoint schema, not
// an rcls config: reading is lenient (LeRobot's config.json differs across versions and carries
// fields rcls does not use; unknown keys are ignored), while a known key of the wrong type is a
// ModelError naming the file and key. Writing produces LeRobot's current layout (draccus field
// order, "type" first, indent 4). No torch here.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rcls/config/reward_classifier.hpp"
#include "rcls/core/dict.hpp"

namespace rcls::model {

/// One entry of input_features / output_features, as LeRobot's PolicyFeature.
struct Feature {
    std::string type = "VISUAL";      ///< "VISUAL", "STATE", "ACTION", "REWARD", ...
    std::vector<std::int64_t> shape;  ///< Channels first for images: [3, H, W].
};

/// The reward classifier's config.json. The settings LeRobot's RewardClassifierConfig shares
/// with the train config's reward_model section, and their defaults, are in the base.
struct ClassifierConfig : config::RewardClassifierParams {
    /// Model inputs in order; the image features (keys starting with "observation.image") are the
    /// cameras, concatenated in this order before the classifier head.
    Dict<Feature> input_features = {{"observation.images.front", {"VISUAL", {3, 128, 128}}}};
    Dict<Feature> output_features;           ///< Kept as read; unused by the model.
    std::optional<std::string> repo_id;      ///< Hugging Face repository, if pushed.
    std::string name = "reward_classifier";  ///< LeRobot's config name.
    int num_cameras = 1;                     ///< Must equal the number of image features.
    /// Feature type -> "MEAN_STD" or "IDENTITY" (images: MEAN_STD).
    Dict<std::string> normalization_mapping = {{"VISUAL", "MEAN_STD"}};

    /// The image feature keys, in input_features order.
    std::vector<std::string> image_keys() const;

    /// Outputs of the last layer: 1 for a binary classifier, num_classes otherwise.
    int num_logits() const { return num_classes == 2 ? 1 : num_classes; }

    /// Throws ModelError "<source>: ..." unless the config describes a model rcls can build:
    /// type cnn, at least one camera, num_cameras equal to the camera count, 3-channel images of
    /// 33..128 px (a 2x2 to 4x4 encoder output; LeRobot loads 97..128 only), positive sizes.
    void validate(const std::string& source) const;
};

/// The name LeRobot gives a camera's sub-module: the feature key with '.' replaced by '_'
/// ("observation.images.front" -> "observation_images_front").
std::string module_key(std::string_view feature_key);

/// Reads a config.json written by LeRobot (v0.3 to v0.6) or rcls, leniently. Throws ModelError
/// naming the file when it is missing, not JSON, not a reward_classifier, or invalid.
ClassifierConfig load_classifier_config(const std::filesystem::path& path);

/// The config.json text LeRobot writes for this config (indent 4).
std::string classifier_config_json(const ClassifierConfig& config);

/// Per-channel RGB statistics of one camera, for inputs in [0, 1].
struct ImageStats {
    std::array<float, 3> mean{};  ///< R, G, B.
    std::array<float, 3> std{};   ///< R, G, B; the formula adds 1e-8.
};

/// ImageNet's mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225): LeRobot's default.
ImageStats imagenet_stats();

/// Normalisation statistics per image feature key, in camera order.
using NormStats = Dict<ImageStats>;

/// ImageNet statistics for every camera of `config`.
NormStats imagenet_norm_stats(const ClassifierConfig& config);

}  // namespace rcls::model
