// SPDX-License-Identifier: MIT
//
// The workflow behind `rcls eval`: score the frames of a labelled LeRobot dataset with a reward
// classifier checkpoint (through the predict module's dataset path) and work out whether the
// classifier is safe to use as an RL reward, and at which threshold and k (rcls/eval/episodes.hpp).
//
// Files beside the checkpoint (its pretrained_model folder):
//   rcls_train.json  written by `rcls train`: {"train_episodes": [...], "val_episodes": [...],
//                    "dataset_root": "..."}; eval reads it to default to the held-out episodes and
//                    to tell whether the evaluated episodes were used in training.
//   rcls_eval.json   written by `rcls eval`: the recommended {"threshold", "k", "episodes",
//                    "dataset", "date", ...}, which `rcls record` uses by default.
// No torch here: the model runs behind model::Predictor.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "rcls/eval/episodes.hpp"
#include "rcls/eval/metrics.hpp"

namespace rcls::eval {

inline constexpr const char* kTrainInfoFile = "rcls_train.json";
inline constexpr const char* kEvalFile = "rcls_eval.json";

/// What to evaluate.
struct EvalOptions {
    std::filesystem::path checkpoint;    ///< Any folder model::resolve_pretrained_dir accepts.
    std::string dataset;                 ///< A dataset folder or a repo id under $HF_LEROBOT_HOME.
    std::vector<std::int64_t> episodes;  ///< Empty: the held-out ones, else all.
    double threshold = 0.5;  ///< For the frame and episode figures (the grid is searched anyway).
    int k = 1;               ///< Consecutive frames for the episode figures.
    std::optional<std::string> camera;  ///< The dataset camera a one-camera checkpoint scores.
    int num_threads = 0;
};

/// Whether the evaluated episodes were seen in training.
enum class TrainingStatus {
    kHeldOut,      ///< All in rcls_train.json's val_episodes (none in train_episodes).
    kTrainingSet,  ///< At least one is in train_episodes.
    kUnknown,      ///< No rcls_train.json, another dataset, or episodes in neither list.
};

/// "held-out", "training-set", "unknown".
const char* to_string(TrainingStatus status);

/// rcls_train.json's contents.
struct TrainInfo {
    std::vector<std::int64_t> train_episodes;
    std::vector<std::int64_t> val_episodes;
    std::string dataset_root;
};

/// Reads <pretrained_dir>/rcls_train.json; nullopt when absent. A malformed file is a ModelError
/// naming it.
std::optional<TrainInfo> read_train_info(const std::filesystem::path& pretrained_dir);

/// One row of the frame-level threshold sweep is a ThresholdMetrics.

/// Everything `rcls eval` reports.
struct EvalResult {
    std::filesystem::path checkpoint;  ///< The pretrained_model folder.
    std::filesystem::path dataset_root;
    std::vector<std::string> cameras;  ///< The dataset cameras scored.
    double fps = 10.0;
    TrainingStatus status = TrainingStatus::kUnknown;
    std::string status_note;  ///< Why (for logs and the report).
    double threshold = 0.5;
    int k = 1;

    std::vector<EpisodeScores> episodes;
    std::int64_t frames = 0;
    double scoring_seconds = 0.0;  ///< Decode, crop, resize and forward of all frames.

    // Frame level.
    ThresholdMetrics at_threshold;
    double roc_auc = 0.0;
    double average_precision = 0.0;
    double log_loss = 0.0;
    double brier = 0.0;
    double ece = 0.0;
    std::vector<ReliabilityBin> reliability;
    std::vector<CurvePoint> roc;
    std::vector<CurvePoint> pr;
    std::vector<ThresholdMetrics> sweep;

    // Episode level at (threshold, k).
    std::vector<EpisodeOutcome> outcomes;
    GridPoint summary;

    // The recommendation.
    std::vector<GridPoint> grid;
    Recommendation recommendation;
    std::optional<double> recommendation_frame_recall;  ///< Frame recall at its threshold.
};

/// Scores and evaluates. Throws UsageError (unknown episode, camera mismatch, bad threshold or k),
/// DataError (no dataset, no next.reward: label it first), ModelError (checkpoint), or
/// InterruptedError.
EvalResult run_eval(const EvalOptions& options);

/// Computes every figure of `result` from its episodes, threshold and k (run_eval calls it; tests
/// call it on constructed episodes).
void compute_figures(EvalResult& result);

/// Every figure as one JSON object with self-explaining keys.
std::string to_json(const EvalResult& result);

/// The readable table `rcls eval` prints.
std::string to_text(const EvalResult& result);

/// "Based on N episodes (M frames) of unknown training status": how much data the figures rest on.
std::string data_sentence(const EvalResult& result);

/// Writes the recommendation to <checkpoint>/rcls_eval.json (atomically). Returns an empty string
/// when written, else why not (no recommendation, evaluated on training episodes, folder not
/// writable), for a warning.
std::string save_recommendation(const EvalResult& result);

/// What rcls_eval.json recommends: the detector's threshold and k.
struct SavedRecommendation {
    double threshold = 0.5;
    int k = 1;
};

/// Reads <pretrained_dir>/rcls_eval.json (save_recommendation's file); nullopt when absent. A
/// malformed file, or a threshold outside [0, 1] or a k below 1, is a ModelError naming the file
/// and the field.
std::optional<SavedRecommendation> read_recommendation(const std::filesystem::path& pretrained_dir);

/// The frames of `result` with the highest per-frame loss, worst first: (episode position in
/// result.episodes, frame).
std::vector<std::pair<std::size_t, std::int64_t>> worst_frames(const EvalResult& result,
                                                               std::size_t count);

}  // namespace rcls::eval
