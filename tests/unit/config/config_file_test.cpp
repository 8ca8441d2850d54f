// SPDX-License-Identifier: MIT
#include "rcls/config/config_file.hpp"

#include <gtest/gtest.h>

#include "rcls/core/error.hpp"

#include "temp_dir.hpp"

namespace rcls::config {
namespace {
namespace fs = std::filesystem;
using rcls::testing::source_dir;
using rcls::testing::TempDir;
using rcls::testing::write_text;

std::string config_error(const std::function<void()>& body) {
    try {
        body();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "no error";
}

TEST(ConfigFiles, ShippedRecordConfigHoldsTheReferenceSettings) {
    const RecordConfig config =
        load_record_config(source_dir() / "configs/reward_classifier_record_config.json");
    EXPECT_EQ(config.num_episodes, 20);
    EXPECT_EQ(config.fps, 10);
    EXPECT_EQ(config.control_time_s, 15.0);
    EXPECT_EQ(config.reset_time_s, 5.0);
    EXPECT_FALSE(config.resize_size.has_value());
    EXPECT_TRUE(config.locked_joints.empty());
    EXPECT_TRUE(config.locked_joint_positions.empty());
    EXPECT_FALSE(config.reward_classifier_pretrained_path.has_value());
    ASSERT_EQ(config.robot.cameras.size(), 1u);
    EXPECT_EQ(config.robot.cameras[0].second.width, 640);
    EXPECT_EQ(config.robot.cameras[0].second.height, 480);
}

TEST(ConfigFiles, ShippedTrainConfigHoldsTheReferenceSettings) {
    const TrainConfig config =
        load_train_config(source_dir() / "configs/reward_classifier_train_config.json");
    EXPECT_EQ(config.reward_model.model_name, "helper2424/resnet10");
    EXPECT_EQ(config.reward_model.image_size, 128);
    EXPECT_EQ(config.batch_size, 32);
    EXPECT_EQ(config.steps, 3000);
    EXPECT_EQ(config.reward_model.learning_rate, 1e-4);
    EXPECT_EQ(config.reward_model.dropout_rate, 0.2);
    EXPECT_EQ(config.reward_model.weight_decay, 0.01);
    EXPECT_TRUE(config.dataset.image_transforms.enable);
    ASSERT_EQ(config.dataset.image_transforms.tfs.size(), 4u);
    EXPECT_EQ(config.dataset.image_transforms.tfs[3].first, "hue");
}

TEST(ConfigFiles, ShippedFilesEqualTheDocumentedDefaults) {
    // configs/*.json are `rcls config show <kind>` output: a default change must update them.
    EXPECT_EQ(dump_config(load_record_config(source_dir() /
                                             "configs/reward_classifier_record_config.json")),
              dump_config(RecordConfig{}));
    EXPECT_EQ(dump_config(
                  load_train_config(source_dir() / "configs/reward_classifier_train_config.json")),
              dump_config(TrainConfig{}));
}

// One source per default: reward_model takes LeRobot's RewardClassifierConfig defaults (shared
// with a checkpoint's config.json) except the reference run's dropout.
TEST(ConfigFiles, RewardModelDefaultsAreLeRobotsExceptTheReferenceDropout) {
    const RewardClassifierParams lerobot;
    const RewardModelConfig reward_model;
    EXPECT_EQ(lerobot.dropout_rate, 0.1);  // lerobot_formats.md §1.2
    EXPECT_EQ(reward_model.dropout_rate, 0.2);
    EXPECT_EQ(reward_model.dropout_rate, RewardModelConfig::kReferenceDropoutRate);
    EXPECT_EQ(reward_model.model_name, lerobot.model_name);
    EXPECT_EQ(reward_model.model_type, lerobot.model_type);
    EXPECT_EQ(reward_model.num_classes, lerobot.num_classes);
    EXPECT_EQ(reward_model.hidden_dim, lerobot.hidden_dim);
    EXPECT_EQ(reward_model.latent_dim, lerobot.latent_dim);
    EXPECT_EQ(reward_model.image_embedding_pooling_dim, lerobot.image_embedding_pooling_dim);
    EXPECT_EQ(reward_model.learning_rate, lerobot.learning_rate);
    EXPECT_EQ(reward_model.weight_decay, lerobot.weight_decay);
    EXPECT_EQ(reward_model.grad_clip_norm, lerobot.grad_clip_norm);
    EXPECT_EQ(reward_model.device, lerobot.device);
    // A train config that sets nothing gets the reference dropout, not LeRobot's.
    TempDir dir;
    write_text(dir / "t.json", R"({"reward_model": {"type": "reward_classifier"}})");
    EXPECT_EQ(load_train_config(dir / "t.json").reward_model.dropout_rate, 0.2);
}

TEST(LoadConfig, UnknownKeyNamesFilePointerAndNearestKey) {
    TempDir dir;
    write_text(dir / "r.json", R"({"num_episode": 3})");
    EXPECT_EQ(config_error([&] { load_record_config(dir / "r.json"); }),
              (dir / "r.json").string() +
                  ": /num_episode: unknown key \"num_episode\" (did you mean \"num_episodes\"?)");
}

TEST(LoadConfig, WrongTypeNamesPointerAndExpectedType) {
    TempDir dir;
    write_text(dir / "r.json", R"({"robot": {"cameras": {"front": {"width": "640"}}}})");
    EXPECT_EQ(config_error([&] { load_record_config(dir / "r.json"); }),
              (dir / "r.json").string() +
                  ": /robot/cameras/front/width: expected integer, got string \"640\"");
}

TEST(LoadConfig, MissingFileIsAConfigError) {
    EXPECT_EQ(config_error([] { load_train_config(fs::path("/nonexistent/t.json")); }),
              "/nonexistent/t.json: config file not found");
}

TEST(LoadConfig, CrossFieldChecksApply) {
    TempDir dir;
    write_text(dir / "r.json", R"({"locked_joints": ["wrist_roll"],
                                   "locked_joint_positions": {"gripper": 5}})");
    EXPECT_EQ(config_error([&] { load_record_config(dir / "r.json"); }),
              (dir / "r.json").string() +
                  ": /locked_joint_positions: keys must be joints listed in locked_joints");
    write_text(dir / "r.json", R"({"locked_joints": ["wrist_rol"]})");
    EXPECT_NE(config_error([&] { load_record_config(dir / "r.json"); }).find("/locked_joints:"),
              std::string::npos);
}

TEST(LoadConfig, LeRobotPolicySectionNameIsAccepted) {
    TempDir dir;
    write_text(dir / "t.json", R"({"policy": {"type": "reward_classifier", "dropout_rate": 0.3}})");
    EXPECT_EQ(load_train_config(dir / "t.json").reward_model.dropout_rate, 0.3);
}

TEST(Overrides, ApplyAfterTheFileInOrder) {
    TempDir dir;
    write_text(dir / "r.json", R"({"fps": 15, "dataset": {"repo_id": "me/a"}})");
    const RecordConfig config =
        load_record_config(dir / "r.json", {{"--fps", "/fps", "30"},
                                            {"--dataset.repo_id", "/dataset/repo_id", "\"me/b\""},
                                            {"--fps", "/fps", "20"}});
    EXPECT_EQ(config.fps, 20);
    EXPECT_EQ(config.dataset.repo_id, "me/b");
}

TEST(Overrides, BadValueNamesTheFlag) {
    EXPECT_EQ(config_error([] {
                  load_record_config(std::nullopt, {{"--fps", "/fps", "\"x\""}});
              }),
              "option --fps: /fps: expected integer, got string \"x\"");
    EXPECT_EQ(config_error([] {
                  load_record_config(std::nullopt, {{"--fps", "/fps", "0"}});
              }),
              "option --fps: /fps: must be between 1 and 1000");
}

TEST(DetectKind, TellsRecordFromTrainByKeys) {
    TempDir dir;
    write_text(dir / "r.json", R"({"fps": 10, "dataset": {}})");
    write_text(dir / "t.json", R"({"steps": 10, "dataset": {}})");
    write_text(dir / "x.json", R"({"dataset": {}})");
    EXPECT_EQ(detect_kind(dir / "r.json"), ConfigKind::kRecord);
    EXPECT_EQ(detect_kind(dir / "t.json"), ConfigKind::kTrain);
    EXPECT_NE(config_error([&] { detect_kind(dir / "x.json"); }).find("pass --kind"),
              std::string::npos);
}

TEST(CheckConfig, ReturnsTheEffectiveConfig) {
    TempDir dir;
    write_text(dir / "t.json", R"({"steps": 10})");
    ConfigKind kind{};
    const std::string effective = check_config(dir / "t.json", std::nullopt, &kind);
    EXPECT_EQ(kind, ConfigKind::kTrain);
    EXPECT_NE(effective.find("\"steps\": 10"), std::string::npos);
    EXPECT_NE(effective.find("\"batch_size\": 32"), std::string::npos);
}

}  // namespace
}  // namespace rcls::config
