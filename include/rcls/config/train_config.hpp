// SPDX-License-Identifier: MIT
//
// `rcls train` settings: configs/reward_classifier_train_config.json. The layout follows LeRobot's
// TrainPipelineConfig: `dataset` (with LeRobot's `image_transforms`), `reward_model` (LeRobot
// >= 0.6; the older name `policy` is accepted) and the loop settings at the top level.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "rcls/config/augment_config.hpp"
#include "rcls/config/reward_classifier.hpp"
#include "rcls/core/dict.hpp"

namespace rcls::config {

/// One entry of `dataset.image_transforms.tfs`, as LeRobot's ImageTransformConfig.
struct ImageTransformConfig {
    double weight = 1.0;               ///< Relative chance of being drawn among the transforms.
    std::string type = "ColorJitter";  ///< "ColorJitter", "SharpnessJitter" or "RandomAffine".
    /// Arguments as LeRobot writes them, each a [min, max] range, e.g. {"brightness": [0.8, 1.2]}.
    Dict<std::vector<double>> kwargs;

    template <class V>
    void visit(V& v) {
        v.field("weight", weight, "Relative chance of this transform");
        v.field("type", type, "Transform type", {"ColorJitter", "SharpnessJitter", "RandomAffine"});
        v.field("kwargs", kwargs, "Transform arguments, e.g. {\"brightness\": [0.8, 1.2]}");
        v.require("weight", weight >= 0.0, "must not be negative");
        v.require("kwargs", kwargs_valid(),
                  "each argument must be a [min, max] range with min <= max");
    }

    bool kwargs_valid() const {
        for (const auto& [name, range] : kwargs) {
            if (range.size() != 2 || range[0] > range[1]) return false;
        }
        return true;
    }
};

/// `dataset.image_transforms`, as LeRobot's ImageTransformsConfig.
struct ImageTransformsConfig {
    bool enable = true;
    int max_num_transforms = 3;  ///< Transforms drawn per image (without replacement).
    bool random_order = false;   ///< false: drawn transforms run in the order of `tfs`.
    Dict<ImageTransformConfig> tfs = {
        {"brightness", {1.0, "ColorJitter", {{"brightness", {0.8, 1.2}}}}},
        {"contrast", {1.0, "ColorJitter", {{"contrast", {0.8, 1.2}}}}},
        {"saturation", {1.0, "ColorJitter", {{"saturation", {0.5, 1.5}}}}},
        {"hue", {1.0, "ColorJitter", {{"hue", {-0.05, 0.05}}}}},
    };

    template <class V>
    void visit(V& v) {
        v.field("enable", enable, "Apply image augmentation while training");
        v.field("max_num_transforms", max_num_transforms, "Transforms applied per image");
        v.field("random_order", random_order, "Apply the drawn transforms in random order");
        v.field("tfs", tfs, "Available transforms by name");
        v.require("max_num_transforms", max_num_transforms >= 1, "must be at least 1");
    }
};

/// Whether training augments its images: rcls's geometric augmentation, or LeRobot's transforms
/// enabled with at least one of positive weight (LeRobot drops the others). The one rule for
/// model::ImageTransforms::active() and for the memory estimate of rcls train.
inline bool augments(const ImageTransformsConfig& lerobot,
                     const GeometricAugmentConfig& geometric) {
    if (geometric.enable) return true;
    if (!lerobot.enable) return false;
    for (const auto& [name, tf] : lerobot.tfs) {
        if (tf.weight > 0.0) return true;
    }
    return false;
}

/// `dataset` in a train config.
struct TrainDatasetConfig {
    std::string repo_id = "local/so101_reach_grasp_cube_reward_128";
    /// Dataset folder; null: $HF_LEROBOT_HOME/<repo_id>.
    std::optional<std::string> root;
    std::optional<std::vector<int>> episodes;  ///< Episodes to train on; null: all.
    ImageTransformsConfig image_transforms;
    bool use_imagenet_stats = true;  ///< Normalise images with ImageNet mean and std.

    template <class V>
    void visit(V& v) {
        v.field("repo_id", repo_id, "Dataset id, <user>/<name>");
        v.field("root", root, "Dataset folder (null: $HF_LEROBOT_HOME/<repo_id>)");
        v.field("episodes", episodes, "Episode indices to use (null: all)");
        v.field("image_transforms", image_transforms, "Augmentation");
        v.field("use_imagenet_stats", use_imagenet_stats, "Normalise with ImageNet statistics");
        v.require("repo_id", !repo_id.empty(), "must not be empty");
    }
};

/// `reward_model`: LeRobot's RewardClassifierConfig fields (defaults from
/// RewardClassifierParams), plus rcls's `type` and `image_size`.
struct RewardModelConfig : RewardClassifierParams {
    /// The reference run (README, configs/reward_classifier_train_config.json) trains with
    /// dropout 0.2, LeRobot's default is 0.1: the only default that departs from LeRobot's.
    static constexpr double kReferenceDropoutRate = 0.2;

    RewardModelConfig() { dropout_rate = kReferenceDropoutRate; }

    std::string type = "reward_classifier";
    int image_size = 128;  ///< Square input size in pixels; images are resized to it.

    template <class V>
    void visit(V& v) {
        v.field("type", type, "Model type", {"reward_classifier"});
        v.field("model_name", model_name,
                "Encoder: Hugging Face id or folder of model.safetensors");
        v.field("model_type", model_type, "Encoder kind", {"cnn"});
        v.field("num_classes", num_classes, "Number of classes (2: binary)");
        v.field("hidden_dim", hidden_dim, "Width of the classifier head");
        v.field("latent_dim", latent_dim, "Width of each camera's embedding");
        v.field("image_embedding_pooling_dim", image_embedding_pooling_dim,
                "Spatial learned embedding features");
        v.field("dropout_rate", dropout_rate, "Dropout probability");
        v.field("learning_rate", learning_rate, "AdamW learning rate");
        v.field("weight_decay", weight_decay, "AdamW weight decay");
        v.field("grad_clip_norm", grad_clip_norm, "Gradient clipping norm (0: off)");
        v.field("image_size", image_size, "Input image size in pixels (square)");
        v.field("device", device, "Compute device: cpu, cuda or cuda:N");
        v.field("pretrained_path", pretrained_path, "Checkpoint to start from (null: none)");
        v.require("num_classes", num_classes >= 2, "must be at least 2");
        v.require("hidden_dim", hidden_dim > 0, "must be positive");
        v.require("latent_dim", latent_dim > 0, "must be positive");
        v.require("image_embedding_pooling_dim", image_embedding_pooling_dim > 0,
                  "must be positive");
        v.require("dropout_rate", dropout_rate >= 0.0 && dropout_rate < 1.0, "must be in [0, 1)");
        v.require("learning_rate", learning_rate > 0.0, "must be positive");
        v.require("weight_decay", weight_decay >= 0.0, "must not be negative");
        v.require("grad_clip_norm", grad_clip_norm >= 0.0, "must not be negative");
        v.require("image_size", image_size >= 33 && image_size <= 128,
                  "must be between 33 and 128 (a 2x2 to 4x4 ResNet10 feature map; LeRobot itself "
                  "loads only 97..128, its spatial embedding being fixed at 4x4)");
        v.require("device", device == "cpu" || device == "cuda" || device.rfind("cuda:", 0) == 0,
                  "must be cpu, cuda or cuda:N");
    }
};

/// The whole train config.
struct TrainConfig {
    static constexpr int kMaxMemoryBudgetMb = 1 << 20;  ///< memory_budget_mb's bound: 1 TiB.

    TrainDatasetConfig dataset;
    RewardModelConfig reward_model;
    /// Run folder; null: outputs/train/<date>/<time>_<job_name>.
    std::optional<std::string> output_dir;
    std::string job_name = "reward_classifier";
    int seed = 1000;
    int batch_size = 32;
    int steps = 3000;
    int log_freq = 100;
    int save_freq = 1000;  ///< Also saved at the last step.
    bool save_checkpoint = true;
    int num_workers = 2;  ///< Threads decoding and augmenting frames.
    bool resume = false;

    // ---- rcls's own settings (kept in rcls_train.json beside a checkpoint, never in the files
    // LeRobot parses) ----
    /// What learns: "head" (LeRobot exactly: encoder and spatial embedding run without
    /// gradients), "serl" (spatial embedding, bottleneck and head on a frozen encoder), "full".
    std::string train_mode = "full";
    /// Start from model_name's pretrained encoder weights; false: random weights (logged).
    bool pretrained_encoder = true;
    config::GeometricAugmentConfig augment;        ///< rcls's geometric + colour augmentation.
    std::optional<std::vector<int>> val_episodes;  ///< Held-out episodes; null: val_fraction.
    double val_fraction = 0.15;  ///< Seeded fraction of episodes held out when none are given.
    int eval_freq = 500;         ///< Validate every this many steps (and at the last step).
    std::string lr_scheduler = "none";  ///< "none" (LeRobot's preset) or "cosine".
    int warmup_steps = 0;               ///< Linear warm-up steps before the scheduler.
    int num_threads = 0;                ///< libtorch threads; 0: one per core.
    bool feature_cache = true;  ///< head mode: compute the frozen part once per frame (or variant).
    /// head/serl with augmentation: augmented variants computed per frame over the run (the
    /// first before step 1, the others by a background producer while steps train).
    int cache_variants = 4;
    /// head/serl with augmentation: variants per frame the steps draw from at a time; a newer
    /// variant replaces the oldest (0: all of them, the pool only grows).
    int cache_pool = 0;
    /// Frames (training and held-out) plus the feature pool are held in memory when they fit in
    /// this many MiB, else streamed from scratch files in <output_dir>/.scratch (0: always).
    int memory_budget_mb = 1024;

    template <class V>
    void visit(V& v) {
        v.alias("policy", "reward_model");
        v.field("dataset", dataset, "Training dataset");
        v.field("reward_model", reward_model, "Reward classifier");
        v.field("output_dir", output_dir,
                "Run folder (null: outputs/train/<date>/<time>_<job_name>)");
        v.field("job_name", job_name, "Name of the run");
        v.field("seed", seed, "Random seed");
        v.field("batch_size", batch_size, "Frames per optimisation step");
        v.field("steps", steps, "Optimisation steps");
        v.field("log_freq", log_freq, "Log every this many steps");
        v.field("save_freq", save_freq, "Save a checkpoint every this many steps");
        v.field("save_checkpoint", save_checkpoint, "Write checkpoints");
        v.field("num_workers", num_workers, "Data loading threads");
        v.field("resume", resume, "Continue the run in output_dir from its last checkpoint");
        v.field("train_mode", train_mode,
                "What learns: head (LeRobot), serl (all but the encoder) or full",
                {"head", "serl", "full"});
        v.field("pretrained_encoder", pretrained_encoder,
                "Start from model_name's pretrained encoder (false: random weights)");
        v.field("augment", augment, "rcls's geometric + colour augmentation");
        v.field("val_episodes", val_episodes, "Held-out validation episodes (null: val_fraction)");
        v.field("val_fraction", val_fraction, "Seeded fraction of episodes held out");
        v.field("eval_freq", eval_freq, "Validate every this many steps (0: only at the end)");
        v.field("lr_scheduler", lr_scheduler, "Learning-rate schedule", {"none", "cosine"});
        v.field("warmup_steps", warmup_steps, "Linear learning-rate warm-up steps");
        v.field("num_threads", num_threads, "libtorch threads (0: one per core)");
        v.field("feature_cache", feature_cache, "head mode: cache the frozen part's outputs");
        v.field("cache_variants", cache_variants,
                "head mode with augmentation: augmented variants cached per frame");
        v.field("cache_pool", cache_pool,
                "head mode with augmentation: variants per frame drawn from at a time (0: all)");
        v.field("memory_budget_mb", memory_budget_mb,
                "MiB of frames + feature pool held in memory; above it they are streamed from "
                "<output_dir>/.scratch (0: always stream)");
        v.require("val_fraction", val_fraction >= 0.0 && val_fraction < 1.0, "must be in [0, 1)");
        v.require("eval_freq", eval_freq >= 0, "must not be negative");
        v.require("warmup_steps", warmup_steps >= 0, "must not be negative");
        v.require("num_threads", num_threads >= 0, "must not be negative");
        v.require("cache_variants", cache_variants >= 1, "must be at least 1");
        v.require("cache_pool", cache_pool >= 0, "must not be negative");
        v.require("memory_budget_mb",
                  memory_budget_mb >= 0 && memory_budget_mb <= kMaxMemoryBudgetMb,
                  "must be between 0 and 1048576 (MiB; 0: always stream from disk)");
        v.require("job_name", !job_name.empty(), "must not be empty");
        v.require("batch_size", batch_size > 0, "must be positive");
        v.require("steps", steps > 0, "must be positive");
        v.require("log_freq", log_freq > 0, "must be positive");
        v.require("save_freq", save_freq > 0, "must be positive");
        v.require("num_workers", num_workers >= 0, "must not be negative");
    }
};

}  // namespace rcls::config
