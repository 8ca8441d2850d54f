// SPDX-License-Identifier: MIT
//
// `rcls eval --report FILE.html`: one self-contained HTML page (no scripts, no network, no external
// fonts; plots are inline SVG, thumbnails embedded PNG data URIs) that answers "is this classifier
// safe to use as an RL reward, and at which threshold?": the summary and recommendation in words
// and numbers; one timeline strip per episode (probability over time, labelled span, threshold,
// predicted onset, false positives, thumbnails at the onsets and false positives); ROC and PR
// curves, confusion matrix, reliability diagram, threshold sweep; the 16 worst frames; and the
// training curves from the run's metrics.jsonl when there is one.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "rcls/eval/eval.hpp"

namespace rcls::eval {

/// One point of a training curve (a line of <run>/metrics.jsonl).
struct TrainingPoint {
    double step = 0.0;
    std::optional<double> loss;
    std::optional<double> accuracy;
};

/// The run folder's metrics.jsonl for a pretrained_model folder (<run>/checkpoints/<step>/
/// pretrained_model), or nullopt when there is none. Lines that are not JSON objects with a
/// numeric "step" are skipped.
std::optional<std::vector<TrainingPoint>> read_training_curves(
    const std::filesystem::path& pretrained_dir);

/// How the page is made.
struct ReportOptions {
    int thumbnail_size = 96;            ///< Pixels (square: the model's centre crop).
    int false_positive_thumbnails = 4;  ///< Per episode, earliest first.
    int worst_frames = 16;
};

/// The page as a string. Reads the thumbnails' frames from the dataset (DataError on a broken
/// video).
std::string render_report(const EvalResult& result, const ReportOptions& options = {});

/// render_report() written to `path` atomically.
void write_report(const EvalResult& result,
                  const std::filesystem::path& path,
                  const ReportOptions& options = {});

/// Standard base64 of `bytes` (for data URIs).
std::string base64(const std::vector<std::uint8_t>& bytes);

}  // namespace rcls::eval
