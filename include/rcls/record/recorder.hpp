// SPDX-License-Identifier: MIT
//
// The recording workflow of `rcls record` (LeRobot's gym_manipulator in record mode, issue 12).
// Episode after episode, a control step at `fps` on the rig's clock: the follower's state and each
// camera's newest frame (the observation, cropped and resized as `rcls preprocess` does), the
// leader's position, the goals sent to the follower (locked joints held, max_relative_target
// applied), the operator's keys. Each step is one dataset frame: observation.images.<camera>,
// observation.state and action (float32[6]), next.reward (1 from the success key's frame on),
// next.done (the episode's last frame), the task; the observation is the one before the step, as
// LeRobot >= 0.6 records it. Between episodes a reset phase (teleoperation continues, nothing is
// recorded) while the episode is saved in the background.
//
// Files beside the dataset: <root>/meta/rcls_record_keys.json (the success key's frames, per saved
// episode; what `rcls label --from-record` starts from) and, for the simulated scene,
// <root>/rcls/sim_ground_truth.json (when the cube was really lifted).
//
// Never loses data: Ctrl-C or SIGTERM (core/interrupt) finishes the step, discards the unfinished
// episode, keeps every saved one and returns with `interrupted` set; a device or disk fault throws
// (DeviceError, DataError) after the episodes saved so far are committed. The caller's rig turns
// torque off on every path (Rig::disconnect() in its destructor).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "rcls/arm/arm.hpp"
#include "rcls/config/record_config.hpp"
#include "rcls/dataset/info.hpp"
#include "rcls/dataset/writer.hpp"
#include "rcls/record/keys.hpp"
#include "rcls/record/reward_detector.hpp"
#include "rcls/record/rig.hpp"

namespace rcls::record {

/// One recorded frame, as a test or a display sees it after it was handed to the writer.
struct RecordedFrame {
    std::int64_t episode_index = 0;  ///< The dataset's index of the episode being recorded.
    std::int64_t frame_index = 0;
    arm::JointValues state{};   ///< observation.state: the follower read at the step's start.
    arm::JointValues leader{};  ///< The leader read in the step.
    arm::JointValues action{};  ///< action: the goals sent (locks and clamping applied).
    float reward = 0;
    bool done = false;
    std::vector<std::uint64_t> camera_sequences;  ///< Frame::sequence per camera.
};

/// Settings of record() beyond the config.
struct RecordOptions {
    std::filesystem::path root;     ///< The dataset folder (resolved: config root or HF home).
    bool resume = false;            ///< Append to an existing dataset (LeRobot's `resume`).
    dataset::WriterOptions writer;  ///< Encoder queue, durability, fault-injection hooks.
    /// The operator's keys (terminal, script); null: none. The rig's own keys (the simulated
    /// person) are polled as well.
    KeySource* keys = nullptr;
    /// The live classifier (reward_classifier_pretrained_path), or null: every frame's stored
    /// images are submitted to it; its success counts as a success key press on the frame being
    /// recorded when the decision arrives (terminate_on_success ends the episode).
    RewardDetector* classifier = nullptr;
    /// How often the live StatusEvent is emitted, seconds of the rig's clock.
    double status_interval_s = 0.5;
    /// Called after every recorded frame (tests).
    std::function<void(const RecordedFrame&)> on_frame;
    /// Called in the control thread after every recorded frame with its stored images (RGB,
    /// cropped and resized; cv::Mat handles sharing the pixels, which nobody writes afterwards),
    /// one per camera in Rig::camera_names() order: what `display_cameras` shows. It must return
    /// at once (hand the images to another thread); src/cli's CameraWindow::post() does.
    std::function<void(const std::vector<cv::Mat>&)> on_images;
};

/// How an episode ended.
enum class EpisodeEnd {
    kTime,     ///< control_time_s elapsed.
    kSuccess,  ///< terminate_on_success after a success.
    kFailure,  ///< `f`.
    kEarly,    ///< space / right arrow.
    kStop,     ///< `q` / Esc: saved, then recording stopped.
};

/// "time", "success", "failure", "early", "stop".
std::string to_string(EpisodeEnd end);

/// One saved episode.
struct EpisodeSummary {
    std::int64_t episode_index = 0;
    std::int64_t frames = 0;
    std::optional<std::int64_t> success_frame;  ///< First reward-1 frame (key or classifier).
    /// The last reward-1 frame when a second success key press ended the success (the cube
    /// slipped), the frame of that press; later frames get reward 0.
    std::optional<std::int64_t> success_end_frame;
    std::optional<std::int64_t> key_frame;  ///< The success key's first press (the keys file).
    /// The live classifier: the frame it fired on (the frame recorded when it did: success_frame
    /// when no key came first) and the scored frame that made it fire.
    std::optional<std::int64_t> classifier_frame;
    std::optional<std::int64_t> classifier_scored_frame;
    std::int64_t classifier_scored = 0;  ///< Frames the classifier scored in this episode.
    std::int64_t success_frames = 0;     ///< Frames with next.reward 1.
    EpisodeEnd end = EpisodeEnd::kTime;
    /// Simulation: the first frame the cube was really lifted 2 cm, and the outcome.
    std::optional<std::int64_t> truth_onset_frame;
    std::optional<std::string> truth_outcome;
    // Timing and faults of the episode's control loop.
    double period_p50_ms = 0;
    double period_p99_ms = 0;
    double period_max_ms = 0;
    double work_p99_ms = 0;
    std::size_t late_steps = 0;
    std::uint64_t stale_frames = 0;  ///< Steps whose camera image was not new (per camera, summed).
    std::uint64_t bus_retries = 0;   ///< Leader and follower bus retries.
    std::uint64_t clamped_goals = 0;  ///< Goals limited by max_relative_target.
};

/// What record() did.
struct RecordSummary {
    std::filesystem::path root;
    std::vector<EpisodeSummary> episodes;  ///< Saved in this run, in order.
    std::int64_t dataset_episodes = 0;     ///< Episodes in the dataset at the end.
    std::int64_t frames = 0;               ///< Frames saved in this run.
    std::int64_t success_frames = 0;
    int rerecorded = 0;                 ///< Episodes discarded by `r` and recorded again.
    bool stopped = false;               ///< `q` / Esc ended the recording early.
    bool interrupted = false;           ///< Ctrl-C / SIGTERM: the unfinished episode was discarded.
    std::int64_t discarded_frames = 0;  ///< Frames of discarded episodes (r, Ctrl-C).
    std::uint64_t bus_retries = 0;
    std::uint64_t stale_frames = 0;
    std::size_t late_steps = 0;
    double wall_s = 0;  ///< Wall-clock seconds of the whole run.
};

/// The dataset features a recording with `config` makes: cameras (video, their stored size)
/// then observation.state, action, next.reward, next.done. `camera_names` in config order.
std::vector<dataset::Feature> record_features(const config::RecordConfig& config);

/// Compares the features of an existing dataset with the recording's; returns the first
/// difference as a sentence ("observation.images.front is 3x480x640 there, 3x128x128 here") or
/// nullopt when they agree.
std::optional<std::string> feature_difference(const std::vector<dataset::Feature>& existing,
                                              const std::vector<dataset::Feature>& wanted);

/// The success key presses of saved episodes: <root>/meta/rcls_record_keys.json, written
/// atomically; episodes already in the file are kept (resume).
void write_record_keys(const std::filesystem::path& root,
                       const std::vector<EpisodeSummary>& episodes);

/// Records config.num_episodes episodes into options.root from `rig` (connected here). Returns the
/// summary (also after a `q` or Ctrl-C). Throws ConfigError, DeviceError, DataError.
RecordSummary record(const config::RecordConfig& config, Rig& rig, const RecordOptions& options);

/// The summary as one JSON object (the --json output).
std::string summary_json(const RecordSummary& summary);

/// "20 episodes, 3000 frames (1234 success) in 312.4 s; late steps 0, stale frames 0, bus
/// retries 2".
std::string describe(const RecordSummary& summary);

}  // namespace rcls::record
