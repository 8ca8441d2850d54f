// SPDX-License-Identifier: MIT
//
// The live reward classifier while recording (issue 12, "Classifier while recording"): frames go
// to a worker thread that scores them with the checkpoint (model::Predictor; frames that are not
// the model's size are centre-cropped and Lanczos-resized first, as `rcls predict` does), and the
// recording loop polls the decisions. The control thread never waits: submit() hands a frame to
// the worker's one-frame slot and returns; a frame still waiting there when the next one comes is
// replaced (counted in dropped()), so the worker always scores the newest frame. No call from the
// control thread waits for the worker: submit() and poll() only try the lock the worker takes for
// moments (a frame is then dropped, decisions come with the next poll).
//
// Success follows eval's detector (rcls/eval/episodes.hpp): p >= threshold for k consecutive
// scored frames. threshold and k default to the checkpoint's rcls_eval.json (`rcls eval`'s
// recommendation) when it has one, else 0.5 and 1.
//
// For speed on a shared machine call model::prepare_process_for_inference() first thing in the
// command (OpenMP's idle threads then sleep instead of spinning against the control loop).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

namespace rcls::record {

/// The config fields ConfigErrors about threshold and k name.
inline constexpr const char* kThresholdField = "reward_classifier_threshold";
inline constexpr const char* kKField = "reward_classifier_k";

/// One scored frame.
struct RewardDecision {
    std::int64_t frame = -1;  ///< As given to submit().
    double probability = 0;   ///< The classifier's p(success).
    bool success = false;     ///< The detector fires at this frame (k consecutive p >= threshold).
};

/// The success rule, one scored frame at a time: fires once the last k probabilities were all
/// >= threshold (eval::detector_states over a whole sequence gives the same states).
class ConsecutiveSuccess {
public:
    /// Throws ConfigError naming kThresholdField (not within [0, 1]) or kKField (below 1).
    ConsecutiveSuccess(double threshold, int k);

    /// Adds the next scored frame's probability; returns whether the detector fires at it.
    bool update(double probability);
    /// Whether it has fired since the last reset().
    bool reached() const { return reached_; }
    /// Consecutive probabilities >= threshold up to the last update.
    int run() const { return run_; }
    void reset();

    double threshold() const { return threshold_; }
    int k() const { return k_; }

private:
    double threshold_;
    int k_;
    int run_ = 0;
    bool reached_ = false;
};

class RewardDetector {  // scores frames off the control thread; never blocks the caller
public:
    /// Loads `checkpoint` (any folder model::resolve_pretrained_dir accepts; ModelError when it
    /// cannot be used) and starts the worker with `threads` libtorch threads (0: one per core).
    /// `threshold` and `k` default to rcls_eval.json's, else 0.5 and 1; out-of-range values are
    /// ConfigErrors naming kThresholdField / kKField (a malformed rcls_eval.json: ModelError).
    RewardDetector(const std::filesystem::path& checkpoint,
                   std::optional<double> threshold,
                   std::optional<int> k,
                   int threads);
    ~RewardDetector();
    RewardDetector(const RewardDetector&) = delete;
    RewardDetector& operator=(const RewardDetector&) = delete;

    /// Hands frame `frame` to the worker: one 8-bit 3-channel RGB image per camera, in cameras()
    /// order, of any size (cropped and resized on the worker). The images are copied. Replaces a
    /// frame still waiting (counted in dropped()); dropped too, in the rare moment the worker
    /// holds the lock. Throws DataError for a wrong number or type
    /// of images; rethrows an error the worker met.
    void submit(std::int64_t frame, const std::vector<cv::Mat>& images_rgb);
    /// Decisions completed since the last poll, in scoring order (empty, and kept for the next
    /// poll, in the rare moment the worker holds the lock). Rethrows an error the worker met
    /// (once).
    std::vector<RewardDecision> poll();
    /// Whether the detector has fired in this episode.
    bool success() const;
    /// Starts a new episode: forgets the run of high probabilities, the success, the frame
    /// waiting and any decision not polled yet (a frame being scored is not reported).
    void reset_episode();

    double threshold() const;
    int k() const;
    /// Frames not scored (replaced before the worker got to them), since construction.
    std::int64_t dropped() const;
    /// Frames scored since construction.
    std::int64_t scored() const;
    /// The checkpoint's camera keys, in the order submit() takes images.
    const std::vector<std::string>& cameras() const;
    /// Where threshold and k came from: "config", "rcls_eval.json" or "default".
    const std::string& threshold_source() const;
    const std::string& k_source() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace rcls::record
