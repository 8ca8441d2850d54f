// SPDX-License-Identifier: MIT
//
// Episode-level figures for a classifier used as an RL reward, and the recommended threshold.
//
// The reward detector fires at frame t when the probabilities of the k frames t-k+1 .. t are all
// >= the threshold (k consecutive frames); the *predicted onset* is the first frame at which it
// fires, i.e. the moment a policy would receive the reward. The *labelled onset* is the first
// frame with label 1. Compared per episode:
//   onset error      predicted - labelled onset, in frames and seconds (positive: late);
//   false positives  frames before the labelled onset (the whole episode for a failure episode)
//                    at which the detector fires: each one would teach the policy to fake success;
//   flicker          1 -> 0 transitions of the detector from the labelled onset on;
//   missed           a success episode the detector never fires in;
//   false alarm      a failure episode (no label 1) it fires in.
// Pure functions; no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rcls::eval {

/// One episode's scores.
struct EpisodeScores {
    std::int64_t episode_index = 0;
    std::int64_t first_index = 0;  ///< Global dataset index of frame 0.
    double fps = 10.0;
    std::vector<double> probability;  ///< Per frame.
    std::vector<int> label;           ///< Per frame, 0 or 1.
};

/// The detector's behaviour in one episode at one (threshold, k).
struct EpisodeOutcome {
    std::int64_t episode_index = 0;
    std::int64_t length = 0;
    std::optional<std::int64_t> labelled_onset;      ///< First frame labelled 1.
    std::optional<std::int64_t> predicted_onset;     ///< First frame the detector fires.
    std::optional<std::int64_t> onset_error_frames;  ///< Both onsets known: predicted - labelled.
    std::optional<double> onset_error_s;
    std::int64_t false_positives_before_onset = 0;  ///< Frames.
    std::optional<std::int64_t> first_false_positive;
    std::int64_t flicker_after_onset = 0;
    bool missed = false;       ///< Success episode, never detected.
    bool false_alarm = false;  ///< Failure episode, detected.
};

/// The first frame labelled 1, if any.
std::optional<std::int64_t> labelled_onset(const std::vector<int>& label);

/// Per frame: does the detector fire (k consecutive probabilities >= threshold, ending here)?
std::vector<bool> detector_states(const std::vector<double>& probability, double threshold, int k);

/// The outcome of `episode` at (threshold, k); k >= 1 (else std::invalid_argument).
EpisodeOutcome analyse_episode(const EpisodeScores& episode, double threshold, int k);

/// Totals over episodes at one (threshold, k).
struct GridPoint {
    double threshold = 0.5;
    int k = 1;
    std::int64_t success_episodes = 0;  ///< Episodes with a labelled onset.
    std::int64_t failure_episodes = 0;
    std::int64_t detected_success_episodes = 0;
    std::int64_t episodes_with_false_positives = 0;  ///< Success or failure episodes.
    std::int64_t false_positive_frames = 0;
    std::int64_t missed_success_episodes = 0;
    std::int64_t false_alarm_episodes = 0;
    std::int64_t flicker = 0;
    /// Median over success episodes of the onset error in frames, a missed episode counting as
    /// infinitely late; nullopt without success episodes. +inf when over half are missed.
    std::optional<double> median_onset_error_frames;
    std::optional<double> mean_detected_onset_error_frames;  ///< Over detected success episodes.
    /// detected / success episodes; nullopt without success episodes.
    std::optional<double> episode_recall;
};

GridPoint summarise(const std::vector<EpisodeScores>& episodes, double threshold, int k);

/// Every (threshold, k) of `thresholds` x `ks`, thresholds outermost.
std::vector<GridPoint> search_grid(const std::vector<EpisodeScores>& episodes,
                                   const std::vector<double>& thresholds,
                                   const std::vector<int>& ks);

/// The recommended (threshold, k): among grid points without any false positive before an onset
/// (nor any detected failure episode) that detect over half of the success episodes, the smallest
/// median onset error; ties go to the higher episode recall, then the smaller mean onset error of
/// the detected episodes, then the higher threshold (a safety margin), then the smaller k.
struct Recommendation {
    bool found = false;
    GridPoint point;     ///< Valid when found.
    std::string reason;  ///< Why none was found (when !found).
};

Recommendation recommend(const std::vector<GridPoint>& grid);

/// ks 1..5.
std::vector<int> default_ks();

}  // namespace rcls::eval
