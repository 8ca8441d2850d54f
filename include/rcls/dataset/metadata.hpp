// SPDX-License-Identifier: MIT
//
// The meta/ folder of a LeRobotDataset, v2.x and v3.0 alike: info.json, the tasks
// (tasks.parquet or tasks.jsonl), one EpisodeMeta per episode (meta/episodes/*/*.parquet or
// episodes.jsonl) and stats.json. info.json is the commit point of rcls's writer: episodes past
// info.json's total_episodes (left by a writer killed before it committed) are ignored.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "rcls/dataset/info.hpp"

namespace rcls::dataset {

/// Where an episode's frames sit in a camera's video file.
struct VideoRef {
    std::int64_t chunk_index = 0;
    std::int64_t file_index = 0;
    double from_timestamp = 0.0;  ///< Frame t is at from_timestamp + its timestamp (FrameReader).
    double to_timestamp = 0.0;
};

/// One episode's metadata.
struct EpisodeMeta {
    std::int64_t episode_index = 0;
    std::vector<std::string> tasks;
    std::int64_t length = 0;  ///< Frames.
    std::int64_t data_chunk_index = 0;
    std::int64_t data_file_index = 0;
    std::int64_t dataset_from_index = 0;     ///< Global `index` of its first frame.
    std::int64_t dataset_to_index = 0;       ///< One past its last frame.
    std::map<std::string, VideoRef> videos;  ///< Per video key.
};

/// The loaded meta/ folder.
struct Metadata {
    std::filesystem::path root;
    DatasetInfo info;
    std::vector<std::string> tasks;     ///< Indexed by task_index.
    std::vector<EpisodeMeta> episodes;  ///< Sorted by episode_index.
    std::string stats_json;             ///< meta/stats.json text; empty when absent.

    /// The episode with `episode_index`, or nullptr.
    const EpisodeMeta* find_episode(std::int64_t episode_index) const;
    /// Its data parquet (info.json's data_path template).
    std::filesystem::path data_file(const EpisodeMeta& episode) const;
    /// The data parquet at a v3.0 (chunk, file) position.
    std::filesystem::path data_file(std::int64_t chunk, std::int64_t file) const;
    /// Its video for `video_key` as the template names it.
    std::filesystem::path video_file(const EpisodeMeta& episode,
                                     const std::string& video_key) const;
    /// video_file(), or where the file really is when the dataset deviates from its template
    /// (e.g. `video/` instead of `videos/`); the template path when neither exists.
    std::filesystem::path find_video_file(const EpisodeMeta& episode,
                                          const std::string& video_key) const;
};

/// LeRobot's default dataset folder for `repo_id` ("<user>/<name>"): $HF_LEROBOT_HOME/<repo_id>,
/// i.e. ~/.cache/huggingface/lerobot/<repo_id>.
std::filesystem::path default_root(const std::string& repo_id);

/// `root_or_repo_id` when it names an existing folder; otherwise, when it looks like a repo id and
/// default_root() of it exists, that folder; otherwise `root_or_repo_id` unchanged (opening it
/// then reports what is missing).
std::filesystem::path resolve_root(const std::string& root_or_repo_id);

/// True when `path` is a LeRobot dataset folder (it holds meta/info.json).
bool is_dataset_root(const std::filesystem::path& path);

/// Loads the meta/ folder of the dataset at `root`. Throws DataError naming the file for a
/// missing or corrupt info.json, tasks or episodes file.
Metadata load_metadata(const std::filesystem::path& root);

}  // namespace rcls::dataset
