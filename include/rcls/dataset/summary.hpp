// SPDX-License-Identifier: MIT
//
// What `rcls dataset info` reports: the reference workflow's table (episodes, total, success and
// failure frames, fps, resolution), each episode's length and first success frame, and the
// dataset's missing or damaged files.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rcls/dataset/dataset.hpp"

namespace rcls::dataset {

/// One episode's line.
struct EpisodeSummary {
    std::int64_t episode_index = 0;
    std::int64_t length = 0;
    /// First frame with next.reward >= 0.5; -1 for none; nullopt when unknown (no next.reward
    /// column, or the data file is missing and was skipped).
    std::optional<std::int64_t> success_start;
    std::int64_t success_frames = 0;  ///< Frames with next.reward >= 0.5 (0 when unknown).
};

/// The whole report.
struct DatasetSummary {
    std::string root;
    std::string codebase_version;
    std::string robot_type;
    std::int64_t episodes = 0;
    std::int64_t total_frames = 0;
    bool has_reward = false;          ///< The dataset has a next.reward feature.
    std::int64_t success_frames = 0;  ///< Over episodes whose data was read.
    std::int64_t failure_frames = 0;
    std::int64_t unlabelled_frames = 0;  ///< Frames of episodes skipped for missing data.
    double fps = 0.0;
    int width = 0;  ///< Of the first camera; 0 without cameras.
    int height = 0;
    std::string camera;                ///< Its key.
    std::vector<std::string> cameras;  ///< Every video or image feature.
    std::string codec;                 ///< The first camera's real video codec ("" if unknown).
    std::string codec_in_info;         ///< The codec info.json names for it.
    std::vector<EpisodeSummary> per_episode;
    std::vector<FileProblem> problems;  ///< Missing or damaged files found.
};

/// How much to look at.
struct SummaryOptions {
    /// Skip episodes whose data file is missing or corrupt (with a warning) instead of failing.
    bool skip_missing = false;
    /// Also read every data file and decode every frame of every video (problems then lists
    /// what is missing or damaged).
    bool check = false;
    /// Called during the check with frames decoded so far and the total (for a progress bar).
    std::function<void(std::int64_t done, std::int64_t total)> progress;
};

/// Builds the report. Throws DataError naming the episode and file when a data file needed for
/// the success counts is missing or corrupt and neither skip_missing nor check is set.
DatasetSummary summarize(const Dataset& dataset, const SummaryOptions& options = {});

/// The report as aligned text (the table, then one line per episode, then the problems).
std::string to_text(const DatasetSummary& summary);

/// The report as JSON (one object).
std::string to_json(const DatasetSummary& summary);

}  // namespace rcls::dataset
