// SPDX-License-Identifier: MIT
//
// config.json of reward classifier checkpoints: LeRobot's files of several versions are read
// leniently, and the text written is LeRobot's (lerobot_formats.md §1.2, §1.9).
#include "rcls/model/classifier_config.hpp"

#include <gtest/gtest.h>

#include "rcls/core/error.hpp"

#include "temp_dir.hpp"

namespace rcls::model {
namespace {

using testing::TempDir;
using testing::write_text;

std::string load_error(const std::string& json) {
    TempDir dir;
    write_text(dir / "config.json", json);
    try {
        (void)load_classifier_config(dir / "config.json");
    } catch (const ModelError& e) {
        return e.what();
    }
    return "";
}

// What draccus.encode(config, RewardModelConfig) gives for a one-camera classifier, dumped by
// json.dump(indent=4): "type" first, then RewardModelConfig's fields, then the subclass's.
constexpr const char* kLeRobotText = R"({
    "type": "reward_classifier",
    "input_features": {
        "observation.images.front": {
            "type": "VISUAL",
            "shape": [
                3,
                128,
                128
            ]
        }
    },
    "output_features": {},
    "device": "cpu",
    "pretrained_path": null,
    "pretrained_revision": null,
    "push_to_hub": false,
    "repo_id": null,
    "license": null,
    "tags": null,
    "private": null,
    "name": "reward_classifier",
    "num_classes": 2,
    "hidden_dim": 256,
    "latent_dim": 256,
    "image_embedding_pooling_dim": 8,
    "dropout_rate": 0.1,
    "model_name": "helper2424/resnet10",
    "model_type": "cnn",
    "num_cameras": 1,
    "learning_rate": 0.0001,
    "weight_decay": 0.01,
    "grad_clip_norm": 1.0,
    "normalization_mapping": {
        "VISUAL": "MEAN_STD"
    }
})";

TEST(ClassifierConfig, WritesLeRobotsLayout) {
    EXPECT_EQ(classifier_config_json(ClassifierConfig{}), kLeRobotText);
}

TEST(ClassifierConfig, ReadsWhatItWrites) {
    TempDir dir;
    ClassifierConfig config;
    config.input_features = {{"observation.images.side", {"VISUAL", {3, 100, 120}}},
                             {"observation.state", {"STATE", {6}}},
                             {"observation.images.front", {"VISUAL", {3, 128, 128}}}};
    config.num_cameras = 2;
    config.dropout_rate = 0.2;
    config.hidden_dim = 64;
    write_text(dir / "config.json", classifier_config_json(config));
    const ClassifierConfig back = load_classifier_config(dir / "config.json");
    EXPECT_EQ(back.image_keys(),
              (std::vector<std::string>{"observation.images.side", "observation.images.front"}));
    EXPECT_EQ(back.input_features.size(), 3u);
    EXPECT_EQ(back.input_features[0].second.shape, (std::vector<std::int64_t>{3, 100, 120}));
    EXPECT_EQ(back.num_cameras, 2);
    EXPECT_EQ(back.dropout_rate, 0.2);
    EXPECT_EQ(back.hidden_dim, 64);
    EXPECT_EQ(classifier_config_json(back), classifier_config_json(config));
}

TEST(ClassifierConfig, ReadsLeRobot03ConfigWithExtraFields) {
    // LeRobot 0.3 (PreTrainedConfig): n_obs_steps, use_amp, private ... and no pretrained_revision.
    TempDir dir;
    write_text(dir / "config.json", R"({
    "type": "reward_classifier",
    "n_obs_steps": 1,
    "normalization_mapping": {"VISUAL": "MEAN_STD"},
    "input_features": {
        "observation.images.front": {"type": "VISUAL", "shape": [3, 128, 128]},
        "observation.images.side": {"type": "VISUAL", "shape": [3, 128, 128]},
        "observation.state": {"type": "STATE", "shape": [18]}
    },
    "output_features": {"action": {"type": "ACTION", "shape": [4]}},
    "device": "cuda",
    "use_amp": true,
    "push_to_hub": true,
    "repo_id": "someone/reward",
    "private": null,
    "tags": null,
    "license": null,
    "name": "reward_classifier",
    "num_classes": 2,
    "hidden_dim": 256,
    "latent_dim": 256,
    "image_embedding_pooling_dim": 8,
    "dropout_rate": 0.1,
    "model_name": "helper2424/resnet10",
    "model_type": "cnn",
    "num_cameras": 2,
    "learning_rate": 0.0001,
    "weight_decay": 0.01,
    "grad_clip_norm": 1.0
})");
    const ClassifierConfig config = load_classifier_config(dir / "config.json");
    EXPECT_EQ(config.image_keys(),
              (std::vector<std::string>{"observation.images.front", "observation.images.side"}));
    EXPECT_EQ(config.device, "cuda");
    EXPECT_EQ(config.repo_id, "someone/reward");
    EXPECT_EQ(config.output_features.size(), 1u);
    EXPECT_EQ(config.num_logits(), 1);
}

TEST(ClassifierConfig, MissingNumCamerasDefaultsToTheImageCount) {
    TempDir dir;
    write_text(
        dir / "config.json",
        R"({"type": "reward_classifier", "input_features": {"observation.image": {"type": "VISUAL", "shape": [3, 97, 97]}}})");
    EXPECT_EQ(load_classifier_config(dir / "config.json").num_cameras, 1);
}

TEST(ClassifierConfig, RejectsWhatCannotBeBuilt) {
    const std::string features =
        R"("input_features": {"observation.images.front": {"type": "VISUAL", "shape": [3, 128, 128]}})";
    EXPECT_NE(load_error(R"({"type": "act", )" + features + "}").find("a \"act\" checkpoint"),
              std::string::npos);
    EXPECT_NE(load_error(R"({"type": "reward_classifier", "num_cameras": 2, )" + features + "}")
                  .find("num_cameras is 2 but input_features has 1 image features"),
              std::string::npos);
    EXPECT_NE(load_error(R"({"type": "reward_classifier", "model_type": "transformer", )" +
                         features + "}")
                  .find("model_type \"transformer\""),
              std::string::npos);
    EXPECT_NE(load_error(R"({"type": "reward_classifier", "hidden_dim": "big", )" + features + "}")
                  .find("/hidden_dim: expected integer, got string \"big\""),
              std::string::npos);
    EXPECT_NE(
        load_error(
            R"({"type": "reward_classifier", "input_features": {"observation.images.front": {"type": "VISUAL", "shape": [3, 480, 640]}}})")
            .find("image size 480x640 is not supported"),
        std::string::npos);
    EXPECT_NE(
        load_error(
            R"({"type": "reward_classifier", "input_features": {"observation.state": {"type": "STATE", "shape": [6]}}})")
            .find("no image feature"),
        std::string::npos);
    EXPECT_NE(load_error("{not json").find("invalid JSON"), std::string::npos);
    EXPECT_NE(load_error("").find("config.json"), std::string::npos);
}

TEST(ClassifierConfig, MissingFileSaysWhatACheckpointHolds) {
    try {
        (void)load_classifier_config("/nonexistent/pretrained_model/config.json");
        FAIL();
    } catch (const ModelError& e) {
        EXPECT_NE(std::string(e.what()).find("config.json and model.safetensors"),
                  std::string::npos)
            << e.what();
    }
}

TEST(ClassifierConfig, ModuleKeysAndImageNetStats) {
    EXPECT_EQ(module_key("observation.images.front"), "observation_images_front");
    const ImageStats stats = imagenet_stats();
    EXPECT_EQ(stats.mean, (std::array<float, 3>{0.485f, 0.456f, 0.406f}));
    EXPECT_EQ(stats.std, (std::array<float, 3>{0.229f, 0.224f, 0.225f}));
}

}  // namespace
}  // namespace rcls::model
