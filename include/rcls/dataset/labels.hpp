// SPDX-License-Identifier: MIT
//
// Crash-safe rewrite of a v3.0 dataset's labels: per frame next.reward (float32) and next.done
// (bool), the columns a reward classifier learns from. The columns are added when the dataset
// lacks them (as scalar features before timestamp, like so101_reward_features()). Every file
// that holds them changes: the data parquet files (columns and their Hugging Face features
// metadata), the per-episode statistics in meta/episodes, meta/stats.json and the features of
// meta/info.json. All are staged in <root>/.rcls-staging/ and committed as one set through core's
// StagedFiles with a journal: a kill before the journal is written leaves the old labels, a kill
// after it leaves a journal that the next DatasetWriter::open(), rewrite or Dataset::open()
// completes, so a reader sees the old labels or the new ones, never a mix.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <vector>

#include "rcls/dataset/writer.hpp"

namespace rcls::dataset {

/// The new labels of one episode: one value per frame, both of the episode's length.
struct EpisodeLabels {
    std::vector<float> reward;       ///< next.reward.
    std::vector<std::uint8_t> done;  ///< next.done (0 or 1).
};

/// The journal of a label rewrite inside a dataset (present only while one commits).
std::filesystem::path label_journal_path(const std::filesystem::path& root);

/// Rewrites the labels of `labels`' episodes in the dataset at `root` (opened and locked like
/// DatasetWriter::open, which also repairs an interrupted write); other episodes keep theirs.
/// When the dataset lacks the label columns, every episode must be given. Throws DataError naming
/// the episode when it does not exist or a label list has another length than the episode, and
/// as DatasetWriter::open (another writer holds the lock, v2.x dataset, ...).
void rewrite_labels(const std::filesystem::path& root,
                    const std::map<std::int64_t, EpisodeLabels>& labels,
                    WriterOptions options = {});

/// Completes a label rewrite that committed (wrote its journal) but was killed before every file
/// was in place. Returns whether there was one. Called by DatasetWriter::open() and
/// Dataset::open(); the caller holds or waits for the dataset's lock.
bool finish_label_rewrite(const std::filesystem::path& root, bool durable = true);

}  // namespace rcls::dataset
