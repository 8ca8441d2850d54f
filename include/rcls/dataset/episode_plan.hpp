// SPDX-License-Identifier: MIT
//
// What saving one episode changes in a v3.0 dataset, decided without touching the disk: which
// files are replaced, with what bytes (or, for videos, which files are joined), in which commit
// order (README "Crash safety"): 1. the data parquet, 2. per camera the joined mp4, 3. the episode
// metadata parquet, 4. tasks.parquet (when the episode adds a task), 5. stats.json, 6. info.json,
// the commit point. DatasetWriter gathers an EpisodeInput, asks plan_episode() for the plan,
// stages the files with core's StagedFiles and commits them in this order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "rcls/dataset/layout.hpp"
#include "rcls/dataset/metadata.hpp"
#include "rcls/dataset/stats.hpp"
#include "rcls/dataset/writer.hpp"
#include "rcls/parquet/table.hpp"
#include "rcls/video/concat.hpp"

namespace rcls::dataset {

/// What the writer knows of the committed dataset between episodes.
struct CommittedState {
    Metadata meta;
    std::vector<Stats> episode_stats;          ///< Per committed episode.
    std::vector<ChunkFile> episode_meta_file;  ///< Per committed episode.
    ChunkFile data_at;           ///< The data file the next episode goes to (if it fits).
    parquet::Table data_table;   ///< Committed rows of that file.
    std::size_t data_bytes = 0;  ///< Its size on disk.
    ChunkFile meta_at;           ///< The episode metadata file of the next episode.
    std::size_t meta_bytes = 0;
    /// Per camera: the video file the next episode joins, and its size (0: none yet).
    std::map<std::string, std::pair<ChunkFile, std::size_t>> videos;

    std::filesystem::path data_path(ChunkFile at) const;
    std::filesystem::path episodes_path(ChunkFile at) const;
    std::filesystem::path video_path(const std::string& key, ChunkFile at) const;
    /// The episode metadata table of file `at`: every committed episode stored there.
    parquet::Table episodes_table(ChunkFile at) const;
    /// meta/tasks.parquet.
    parquet::Table tasks_table() const;
    /// Statistics of the whole dataset, aggregated from the episodes'.
    Stats dataset_stats() const;
};

/// The state of a new dataset at `root` with `spec` (nothing written yet). Throws DataError for
/// a non-positive fps, a feature rcls adds itself, or a dtype rcls cannot write.
CommittedState new_dataset_state(const std::filesystem::path& root, const DatasetSpec& spec);

/// A camera's finished episode video, as measured on disk.
struct EpisodeVideo {
    std::filesystem::path path;
    std::size_t bytes = 0;
    video::VideoProbe probe;
};

/// One buffered episode.
struct EpisodeInput {
    std::span<const Frame> frames;                    ///< Values, tasks and timestamps.
    std::map<std::string, FeatureStats> image_stats;  ///< Per camera whose images came.
    std::map<std::string, EpisodeVideo> videos;       ///< Per video feature: required.
};

/// A file replaced with `bytes`.
struct PlannedFile {
    std::filesystem::path target;
    std::string bytes;
};

/// A camera's file replaced by joining `segments` (its current file, if any, and the episode's).
struct PlannedVideo {
    std::string key;
    std::filesystem::path target;
    std::vector<video::VideoSegment> segments;
};

/// The changes of one episode. plan_episode() fills everything but `metadata`, whose episode
/// video timestamps depend on where the join put the episode; plan_metadata() adds it.
struct EpisodePlan {
    std::int64_t episode_index = 0;
    parquet::Table rows;                ///< The episode's data rows.
    Stats stats;                        ///< Its statistics.
    bool adds_tasks = false;            ///< New task descriptions: tasks.parquet changes.
    PlannedFile data;                   ///< 1.
    std::vector<PlannedVideo> videos;   ///< 2, in video key order.
    std::vector<PlannedFile> metadata;  ///< 3-6: episode metadata, tasks (if new), stats, info.
    CommittedState next;                ///< The state once committed.

    /// Every target in commit order; the last is meta/info.json.
    std::vector<std::filesystem::path> commit_order() const;
};

/// Plans saving `input` as the next episode of `committed` (pure: reads no file). Throws
/// DataError naming the episode when there are no frames or a camera's video is missing or has
/// another number of frames.
EpisodePlan plan_episode(const CommittedState& committed, const EpisodeInput& input);

/// A camera's joined video, as measured once written.
struct JoinedVideo {
    double start_s = 0.0;   ///< Presentation time of the episode's first frame in it.
    std::size_t bytes = 0;  ///< Its size.
};

/// Completes `plan` once its videos are joined (`joined`: per camera).
void plan_metadata(EpisodePlan& plan, const std::map<std::string, JoinedVideo>& joined);

}  // namespace rcls::dataset
