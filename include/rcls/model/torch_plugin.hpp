// SPDX-License-Identifier: MIT
//
// The torch-free facade of rcls's libtorch code: what the torch side implements and the versioned
// function table through which it hands that out. Code without torch (the `rcls` binary, the
// workflows) includes this header and the facade classes over it (Predictor in predictor.hpp),
// never classifier.hpp.
//
// Where the torch side lives:
//   - the `rcls` binary links librcls.so (every non-torch module) and loads librcls_torch.so (the
//     torch code, linking the same librcls.so) the first time torch_plugin() is called, so that
//     commands which never run the model do not pay libtorch's half-second start-up;
//   - programs that link rcls::model (tests, benchmarks) have the torch side in-process.
// Either way one copy of rcls's process-wide state exists: the Ctrl-C flag (core/interrupt), the
// event sink (core/events), the logger and crash-safe file naming are the host's, so code in the
// plugin stops at Ctrl-C, reports progress and logs like any other code. The plugin checks this
// when it is loaded (TorchHost) and refuses to load otherwise.
//
// Adding a torch workflow (a Trainer, an Evaluator): an abstract backend interface and its request
// here, one entry appended to TorchPlugin (create_<name>), its torch implementation in src/model or
// its own torch module, and a torch-free facade class over the backend in its own header, as
// Predictor is over PredictorBackend. Appending an entry changes kTorchPluginAbi.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "rcls/config/train_config.hpp"
#include "rcls/core/events.hpp"
#include "rcls/model/classifier_config.hpp"
#include "rcls/model/predictor.hpp"

namespace rcls::model {

// ---- Predictor ----------------------------------------------------------------------------------

/// What a Predictor is built from: a checkpoint, or a config for an untrained model.
struct PredictorRequest {
    std::filesystem::path checkpoint;  ///< Used when `untrained` is empty.
    std::optional<ClassifierConfig> untrained;
    std::uint64_t seed = 0;
    PredictorOptions options;
};

/// The model behind a Predictor. Implementations throw rcls::Error subclasses.
class PredictorBackend {
public:
    virtual ~PredictorBackend() = default;
    virtual const ClassifierConfig& config() const = 0;
    virtual const std::string& stats_from() const = 0;
    virtual int num_threads() const = 0;
    /// Scores `batch` (moments of one frame per camera); see Predictor::predict_batch.
    virtual std::vector<Prediction> run(const std::vector<std::vector<cv::Mat>>& batch) = 0;
};

// ---- Trainer ------------------------------------------------------------------------------------

/// Frames of one split, decoded and at the model's input size: RGB, 8 bits, HWC, row after row,
/// in memory (`rgb`) or, streamed, in a raw file (`file`) that the trainer reads a batch at a time
/// with pread.
struct TrainFrames {
    int size = 0;                   ///< Square side in pixels.
    std::vector<std::uint8_t> rgb;  ///< count() x size x size x 3; empty when `file` is set.
    /// Non-empty: the frames are in this file instead, frame i at byte i x size x size x 3.
    std::filesystem::path file;
    std::vector<float> labels;           ///< next.reward per frame (0 or 1).
    std::vector<std::int64_t> episodes;  ///< Episode index per frame; an episode's frames in order.
    std::size_t count() const { return labels.size(); }
};

/// One log line's figures, averaged over the steps since the last one (LeRobot's MetricsTracker).
struct TrainStepLog {
    std::int64_t step = 0;
    std::int64_t samples = 0;  ///< Frames seen so far.
    double epoch = 0.0;        ///< samples / training frames.
    double loss = 0.0;
    double grad_norm = 0.0;  ///< Before clipping.
    double lr = 0.0;
    double accuracy = 0.0;  ///< Training batches, percent.
    double update_s = 0.0;  ///< Forward, backward and optimizer step, per step.
    double data_s = 0.0;    ///< Batch assembly and augmentation, per step.
};

/// Figures on the held-out episodes.
struct TrainEvalLog {
    std::int64_t step = 0;
    double loss = 0.0;
    double accuracy = 0.0;                     ///< Percent of frames, threshold 0.5.
    std::optional<double> median_onset_error;  ///< Median |onset error| in frames over episodes
                                               ///< with a labelled onset.
    std::size_t episodes = 0;
    std::size_t frames = 0;
};

/// What a Trainer runs.
struct TrainerRequest {
    config::TrainConfig config;
    ClassifierConfig model;  ///< The network (input_features at the frames' size).
    NormStats stats;         ///< Normalisation per camera; empty: ImageNet's.
    TrainFrames train;
    TrainFrames val;  ///< Empty: no validation.
    std::filesystem::path output_dir;
    /// Continue from this checkpoint step folder (model, optimizer, RNG, step); empty: fresh.
    std::filesystem::path resume_from;
    /// Initial weights: a checkpoint (LeRobot's or rcls's) to train on; empty: none.
    std::filesystem::path init_from;
    std::string train_config_json;  ///< pretrained_model/train_config.json (LeRobot's).
    std::string rcls_train_json;    ///< pretrained_model/rcls_train.json (rcls's own).
    /// Non-empty: the feature pool (head/serl with feature_cache) is written to a file in this
    /// folder as it is computed and read back a batch at a time (the owner removes the folder).
    std::filesystem::path scratch_dir;
    std::function<void(const TrainStepLog&)> on_log;    ///< Every log_freq steps.
    std::function<void(const TrainEvalLog&)> on_eval;   ///< Every eval_freq steps and at the end.
    std::function<void(std::int64_t step)> on_step;     ///< After every step (progress).
    std::function<void(const std::string&)> on_notice;  ///< One-line notes for the log.
};

/// What a finished run reports.
struct TrainResult {
    std::int64_t start_step = 0;             ///< 0, or the step resumed from.
    std::int64_t steps = 0;                  ///< Last step done.
    double final_loss = 0.0;                 ///< Training loss of the last log window.
    std::optional<TrainEvalLog> validation;  ///< The last one.
    std::filesystem::path checkpoint;        ///< The last checkpoint's step folder.
    bool interrupted = false;  ///< Ctrl-C: a checkpoint of the step reached was saved.
};

/// The torch side of a Trainer. Implementations throw rcls::Error subclasses.
class TrainerBackend {
public:
    virtual ~TrainerBackend() = default;
    /// Trains to config.steps; see model::Trainer.
    virtual TrainResult run() = 0;
};

// ---- the function table -------------------------------------------------------------------------

/// The version of TorchHost and TorchPlugin; both sides must agree. 3: TrainConfig gained
/// cache_pool (the layout of the config the trainer gets changed). 4: TrainConfig gained
/// memory_budget_mb, TrainFrames `file` and TrainerRequest `scratch_dir` (streaming).
inline constexpr std::uint32_t kTorchPluginAbi = 4;

/// What the torch side offers. Entries are only ever appended.
struct TorchPlugin {
    std::uint32_t abi = kTorchPluginAbi;
    /// A Predictor's model. Throws ModelError for a bad checkpoint.
    std::unique_ptr<PredictorBackend> (*create_predictor)(const PredictorRequest& request) =
        nullptr;
    /// A Trainer's torch side (ABI 2). Throws ConfigError/ModelError for a bad request.
    std::unique_ptr<TrainerBackend> (*create_trainer)(TrainerRequest request) = nullptr;
};

/// What the host tells the plugin when loading it: its ABI and rcls version, and the identity of
/// its process-wide state, which the plugin compares with its own to prove they are one.
struct TorchHost {
    std::uint32_t abi = kTorchPluginAbi;
    const char* version = nullptr;  ///< rcls::kVersion.
    bool (*interrupted)() noexcept = nullptr;
    EventSink& (*event_sink)() = nullptr;
};

/// The plugin's C entry point: the table, or null with `*error` set to why it cannot serve this
/// host. The loader looks it up with dlsym.
using TorchPluginEntry = const TorchPlugin* (*)(const TorchHost* host, const char** error);
inline constexpr const char* kTorchPluginEntry = "rcls_torch_plugin";

/// The torch side for this process: the in-process table when rcls::model is linked, otherwise
/// the plugin's, loaded on the first call (ModelError naming where it looked when it is missing,
/// cannot be loaded, or does not match this rcls). Thread-safe.
const TorchPlugin& torch_plugin();

/// The TorchHost that describes this process.
TorchHost this_torch_host();

}  // namespace rcls::model
