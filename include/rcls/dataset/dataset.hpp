// SPDX-License-Identifier: MIT
//
// Read access to a LeRobotDataset (v2.x or v3.0): its metadata and each episode's tabular
// columns (state, action, next.reward, next.done, timestamp, frame_index, episode_index, index,
// task_index, ...). Missing or corrupt files are DataErrors naming the episode and the path;
// find_problems() lists them all for commands that can skip them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rcls/dataset/metadata.hpp"
#include "rcls/parquet/table.hpp"

namespace rcls::dataset {

/// A file an episode needs that is missing or unreadable.
struct FileProblem {
    std::int64_t episode_index = 0;
    std::filesystem::path path;
    std::string what;  ///< "missing" or the reader's error message.
};

/// An opened dataset. Reading is const but caches the last data file read, so one Dataset must
/// not be used from several threads at once.
class Dataset {
public:
    /// Opens the dataset at `root` (its meta/ folder). Throws DataError naming the file when the
    /// metadata is missing or corrupt. When a label rewrite committed but was killed before its
    /// files were all in place (rcls/dataset/labels.hpp), completes it first (waiting for the
    /// dataset's lock), which needs write access.
    static Dataset open(const std::filesystem::path& root);

    const Metadata& meta() const { return meta_; }
    const DatasetInfo& info() const { return meta_.info; }
    const std::filesystem::path& root() const { return meta_.root; }

    /// The episode with `episode_index`; throws DataError when the dataset has none.
    const EpisodeMeta& episode(std::int64_t episode_index) const;

    /// The tabular rows of one episode, in frame order. Throws DataError naming the episode and
    /// the data file when the file is missing, corrupt or holds another number of rows.
    parquet::Table read_episode(std::int64_t episode_index) const;

    /// True when read_episode() can be attempted: the data file exists.
    bool has_data(std::int64_t episode_index) const;

    /// False when not one episode's data file exists: a dataset shared as meta/ and videos only
    /// (e.g. a v2.1 recording published without its parquet files). Its camera frames can still
    /// be read (FrameReader then places frame t at t / fps) and its per-frame indices, timestamps
    /// and tasks derived from the metadata (frame_from_metadata()); its other columns have no
    /// values anywhere.
    bool has_any_data() const;

    /// Missing data and video files, one entry per episode and file. With `read_data`, also data
    /// files that do not parse and videos whose container cannot be read or ends before the
    /// episode's frames.
    std::vector<FileProblem> find_problems(bool read_data = false) const;

    /// The codec each camera's videos really use (FFmpeg's name, from the first readable file),
    /// which may differ from what info.json says. Cameras without a readable file are left out.
    std::map<std::string, std::string> video_codecs() const;

private:
    explicit Dataset(Metadata meta);

    Metadata meta_;
    mutable std::filesystem::path cached_path_;
    mutable std::shared_ptr<const parquet::Table> cached_table_;
    /// Rows [begin, end) of each episode's first contiguous run in the cached table, so that
    /// reading every episode of a file scans it once.
    mutable std::map<std::int64_t, std::pair<std::size_t, std::size_t>> cached_runs_;
};

}  // namespace rcls::dataset
