// SPDX-License-Identifier: MIT
//
// The workflow behind `rcls predict`: score images, videos and LeRobot datasets with a reward
// classifier checkpoint, frame by frame, and time the path from a camera frame to a probability
// (`--benchmark`). Frames that are not the model's input size go through the preprocessing pipeline
// first (centre crop, Lanczos resize), as `rcls preprocess` prepares training data. No torch here:
// the model runs behind model::Predictor.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rcls/model/predictor.hpp"

namespace rcls::predict {

/// What to score and how.
struct PredictOptions {
    std::filesystem::path checkpoint;           ///< Any folder model::load_pretrained accepts.
    std::vector<std::filesystem::path> inputs;  ///< Image and video files, in order.
    double threshold = 0.5;                     ///< success: probability > threshold.
    std::optional<std::string> camera;  ///< The camera the inputs show ("front" or a full key).
    int num_threads = 0;                ///< libtorch threads; 0: one per core.
    /// Datasets: only these episodes, in the dataset's order (empty: all). Each must exist in
    /// every dataset given.
    std::vector<std::int64_t> episodes;
    /// Datasets: moments (one frame per camera, cropped and resized) a second thread decodes
    /// ahead of the model, so that decoding overlaps the forward passes; 0: decode and score in
    /// turn on the calling thread. Results are bitwise the same either way, in the same order.
    int prefetch = 16;
    /// Datasets: decoder threads per video file; 0: FFmpeg chooses (one per core); -1: 1 with
    /// prefetch (the decoding thread is the one extra thread beside the model's), else 0.
    int decoder_threads = -1;
    /// Datasets with prefetch: threads that run the model side by side, each on whole moments
    /// with its own copy of it and one libtorch thread; 0: one per model thread (`num_threads`).
    /// 1: one copy with all `num_threads`. Results are bitwise the same either way.
    int scorers = 0;
};

/// One scored frame.
struct FrameResult {
    std::string input;  ///< The input as given.
    /// Frame index in the video (0 for an image); for a dataset its global `index`.
    std::int64_t frame = 0;
    model::Prediction prediction;
    /// Datasets: the episode the frame belongs to (the dataset's own `episode_index`) and the
    /// frame's position in it (`frame_index`); nullopt for images and videos.
    std::optional<std::int64_t> episode_index;
    std::optional<std::int64_t> frame_index;
};

/// Scores every frame of every input in order, handing each result to `on_result` as it comes.
/// A dataset's episodes go in order, all of its cameras a multi-camera checkpoint needs at once;
/// episodes whose videos are missing are skipped with a warning (an episode asked for by
/// `episodes` is an error instead). Stops at Ctrl-C
/// (InterruptedError). Throws ModelError for the checkpoint, DataError naming the input for a
/// missing, unreadable or unsupported input, UsageError when --camera names no such camera or the
/// cameras cannot be matched (a multi-camera checkpoint on an image or a video).
void run_predict(const PredictOptions& options,
                 const std::function<void(const FrameResult&)>& on_result);

/// The camera key of `predictor` that inputs feed: the only one, or the one `camera` names (a full
/// key or its last part, e.g. "front" for "observation.images.front"). Throws UsageError.
std::string select_camera(const model::Predictor& predictor,
                          const std::optional<std::string>& camera);

/// What `rcls predict --benchmark` measures.
struct BenchmarkOptions {
    int frames = 200;                                 ///< Timed frames per path.
    std::optional<std::filesystem::path> checkpoint;  ///< Default: an untrained one-camera model.
    int num_threads = 0;
};

/// Latency percentiles of one path, in milliseconds.
struct Latency {
    double p50_ms = 0.0;
    double p99_ms = 0.0;
    double mean_ms = 0.0;
};

/// The optimised path against plain libtorch eager (same threads), timed in the same run with
/// blocks of frames alternating between the two.
struct BenchmarkReport {
    int frames = 0;
    int width = 640;  ///< The camera frame.
    int height = 480;
    int model_size = 128;
    int threads = 0;  ///< libtorch intra-op threads used.
    Latency optimized;
    Latency eager;
};

/// Times `frames` single 640x480 BGR frames through preprocessing and the classifier to a
/// probability, with the optimised and the plain eager model, interleaved.
BenchmarkReport run_benchmark(const BenchmarkOptions& options);

/// The report as one JSON object: frames, input, p50_ms, p99_ms, mean_ms, eager_p50_ms, ...,
/// speedup_p50, speedup_p99.
std::string to_json(const BenchmarkReport& report);

}  // namespace rcls::predict
