// SPDX-License-Identifier: MIT
//
// Labels and a dataset: the labels a dataset holds now (its next.reward column), and writing a
// LabelSet into it as next.reward (float32, 1 inside each success span) and next.done (bool, true
// on each episode's last frame), with the statistics that depend on them.
//
// A v3.0 dataset is relabelled in place through the dataset module's crash-safe column rewrite
// (a kill at any moment leaves the old labels or the new ones). A v2.x dataset, or any dataset
// with an output folder, gives a labelled v3.0 copy: tabular data rewritten, videos copied
// without re-encoding (the copy's info.json names the codec the files really have).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "rcls/dataset/dataset.hpp"
#include "rcls/label/labels.hpp"

namespace rcls::label {

/// Every episode of `dataset` with its length, in episode order.
std::vector<EpisodeLength> episode_lengths(const dataset::Dataset& dataset);

/// The labels the dataset holds now, read from next.reward (none when the dataset has no such
/// feature). Episodes whose data cannot be read are a DataError naming the episode and file.
LabelSummary current_labels(const dataset::Dataset& dataset);

/// Per-episode next.reward and next.done, as the rewrite takes them.
struct LabelColumns {
    std::map<std::int64_t, std::vector<float>> reward;
    std::map<std::int64_t, std::vector<bool>> done;
};

/// The columns `labels` give every episode of `episodes`; an unlabelled episode keeps `keep` (its
/// current rewards, when given) or gets all zeros.
LabelColumns label_columns(const LabelSet& labels,
                           const std::vector<EpisodeLength>& episodes,
                           const std::map<std::int64_t, std::vector<float>>& keep = {});

/// The adapter to the dataset module: writes `columns` (every episode's next.reward and
/// next.done) into the v3.0 dataset at `root` in place, with stats.json, the per-episode
/// statistics and info.json's features, crash-safe (old or new labels after a kill). Throws
/// DataError naming the file when it cannot.
void rewrite_label_columns(const std::filesystem::path& root, const LabelColumns& columns);

/// How to write labels.
struct ApplyOptions {
    /// Write a labelled v3.0 copy here instead of relabelling in place (required for v2.x
    /// datasets; must not exist or be empty).
    std::filesystem::path output;
    /// Episodes without a label keep their current rewards (or get 0 when there are none).
    bool allow_unlabelled = false;
    /// Called with a short status line as work proceeds (the CLI logs it).
    std::function<void(const std::string&)> on_status;
};

/// What was written.
struct ApplyResult {
    std::filesystem::path root;  ///< The dataset that now holds the labels.
    LabelSummary summary;
    bool copied = false;  ///< A new dataset was written at options.output (or for v2.x).
    double seconds = 0.0;
};

/// Validates `labels` against `source` (ConfigError naming the episode) and writes them. Throws
/// DataError for unreadable data or when the write fails (a v3.0 dataset then still holds its
/// old labels).
ApplyResult apply_labels(const std::filesystem::path& source,
                         const LabelSet& labels,
                         const ApplyOptions& options);

/// The default output of a v2.x dataset relabelled: "<root>_labelled" beside it.
std::filesystem::path default_copy_output(const std::filesystem::path& root);

}  // namespace rcls::label
