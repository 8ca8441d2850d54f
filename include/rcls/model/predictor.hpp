// SPDX-License-Identifier: MIT
//
// The reward classifier behind a torch-free interface, for code that only needs predictions
// (`rcls predict`, eval loops): load a checkpoint, hand it 8-bit BGR frames of the model's input
// size (one per camera), get the logit, the probability and the decision. Normalisation
// (x/255 - mean) / (std + 1e-8) with the checkpoint's statistics happens inside, fused with the
// conversion to a channels-last float tensor.
//
// A facade over the torch side (rcls/model/torch_plugin.hpp): link rcls::model to run the model
// in-process, or librcls.so (rcls::runtime, as the `rcls` binary does) to load it from the
// librcls_torch plugin when the first Predictor is made.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "rcls/model/classifier_config.hpp"

namespace rcls::model {

/// One frame's result.
struct Prediction {
    double logit = 0.0;
    double probability = 0.0;  ///< sigmoid(logit).
    bool success = false;      ///< probability > threshold (strictly, as LeRobot's predict_reward).
};

/// How a Predictor runs.
struct PredictorOptions {
    double threshold = 0.5;  ///< Decision threshold on the probability.
    int num_threads = 0;     ///< libtorch intra-op threads; 0: one per core.
    bool optimized = true;   ///< false: plain libtorch eager (the benchmarks' baseline).
};

/// A binary reward classifier ready for inference. Not thread-safe: one call at a time.
class Predictor {
public:
    /// Loads a checkpoint (any folder load_pretrained accepts). Throws ModelError when it is
    /// missing, corrupt, incompatible, or not a binary classifier (num_classes 2).
    explicit Predictor(const std::filesystem::path& checkpoint, PredictorOptions options = {});

    /// An untrained classifier with weights drawn from `seed` and ImageNet statistics: for
    /// benchmarks, where only the cost matters.
    static Predictor untrained(const ClassifierConfig& config,
                               std::uint64_t seed,
                               PredictorOptions options = {});

    ~Predictor();
    Predictor(Predictor&&) noexcept;
    Predictor& operator=(Predictor&&) noexcept;

    const ClassifierConfig& config() const;

    /// The camera feature keys, in the order predict() takes frames.
    std::vector<std::string> cameras() const;

    /// The input size every frame must have.
    int image_height() const;
    int image_width() const;

    /// Where the normalisation statistics came from (a file, or "ImageNet ...").
    const std::string& stats_from() const;

    double threshold() const;

    /// The libtorch intra-op threads inference uses.
    int num_threads() const;

    /// Scores one moment: `frames` holds one CV_8UC3 BGR image per camera, in cameras() order,
    /// each image_height() x image_width(). Throws DataError naming the camera on a wrong frame,
    /// InterruptedError once Ctrl-C was pressed.
    Prediction predict(std::span<const cv::Mat> frames);

    /// Scores several moments at once: `batch[i]` holds moment i's frames as for predict(). Runs
    /// them in chunks of at most kMaxChunk moments (memory stays bounded) and stops with
    /// InterruptedError at Ctrl-C, checked before each chunk.
    std::vector<Prediction> predict_batch(const std::vector<std::vector<cv::Mat>>& batch);

    /// The most moments one forward pass takes in predict_batch().
    static constexpr std::size_t kMaxChunk = 32;

    struct Impl;  ///< Opaque.

private:
    explicit Predictor(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

/// Prepares this process for fast inference; call it first thing in a command that will run the
/// model, before any output. For speed only (results are the same without it): OpenMP (libgomp)
/// reads OMP_WAIT_POLICY once, when it is loaded, and its default, spinning idle threads, makes a
/// forward pass 2-4x slower on a machine shared with other busy processes, while waiting
/// passively costs under a millisecond on an idle one. So when the variable is unset it is set to
/// PASSIVE, and if libgomp is already loaded (FFmpeg's dependencies load it at start-up) the
/// program restarts itself once, with the same arguments, to apply it. A user's own
/// OMP_WAIT_POLICY is left alone. The only place rcls does this (src/model/process_setup.cpp);
/// `rcls predict` calls it.
void prepare_process_for_inference();

}  // namespace rcls::model
