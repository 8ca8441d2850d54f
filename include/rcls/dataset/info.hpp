// SPDX-License-Identifier: MIT
//
// meta/info.json of a LeRobotDataset (lerobot_formats.md §5): the version, totals, fps, path
// templates and the features. rcls reads codebase versions v2.0, v2.1 and v3.0 and writes v3.0.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rcls::dataset {

/// The version rcls writes.
inline constexpr const char* kCodebaseVersion = "v3.0";

/// The features every LeRobotDataset frame carries (LeRobot's DEFAULT_FEATURES), in info.json
/// order: timestamp (float32), then the int64 indices.
inline constexpr std::array<std::string_view, 5> kDefaultFeatureKeys{
    "timestamp", "frame_index", "episode_index", "index", "task_index"};

/// True for one of kDefaultFeatureKeys.
inline bool is_default_feature(std::string_view key) {
    return std::find(kDefaultFeatureKeys.begin(), kDefaultFeatureKeys.end(), key) !=
           kDefaultFeatureKeys.end();
}

/// features[key]["info"] of a video feature.
struct VideoInfo {
    int height = 0;
    int width = 0;
    std::string codec;  ///< As info.json says ("av1", "h264"); real files may differ.
    std::string pix_fmt = "yuv420p";
    double fps = 0.0;
    int channels = 3;
    bool has_audio = false;
    /// LeRobot's is_depth_map(): info["is_depth_map"] (current), or the legacy
    /// "video.is_depth_map" in "info" or in the feature's separate "video_info".
    bool is_depth_map = false;
};

/// One entry of info.json "features".
struct Feature {
    std::string key;    ///< e.g. "observation.state".
    std::string dtype;  ///< "float32", "int64", "bool", "string", "video", "image", ...
    std::vector<std::int64_t> shape;  ///< e.g. {6}, {1}, {3, 128, 128}.
    std::vector<std::string>
        names;  ///< Flattened names (a names dict gives its keys); may be empty.
    std::string names_json = "null";  ///< "names" exactly as stored (list, dict or null), as JSON.
    std::optional<VideoInfo> video;   ///< For dtype "video" with an "info" object.
    std::string info_json;            ///< "info" exactly as stored, as JSON; empty when absent.

    /// True for "video" and "image" features (not stored in the data parquet).
    bool is_visual() const { return dtype == "video" || dtype == "image"; }
    /// Number of values per frame (product of the shape).
    std::int64_t size() const;
    /// Image height, width and channel count from the shape and its names (CHW or HWC).
    void image_size(int& height, int& width, int& channels) const;
};

/// The parsed info.json.
struct DatasetInfo {
    std::string codebase_version = kCodebaseVersion;
    std::string robot_type;
    std::int64_t total_episodes = 0;
    std::int64_t total_frames = 0;
    std::int64_t total_tasks = 0;
    std::int64_t total_videos = 0;  ///< v2.1 only.
    std::int64_t total_chunks = 0;  ///< v2.1 only.
    std::int64_t chunks_size = 1000;
    double data_files_size_in_mb = 100.0;   ///< v3.0.
    double video_files_size_in_mb = 200.0;  ///< v3.0.
    double fps = 30.0;
    std::string data_path;
    std::optional<std::string> video_path;  ///< null when the dataset has no videos.
    std::vector<Feature> features;

    /// True for v3.0 (concatenated files), false for v2.x (one file per episode).
    bool is_v3() const { return codebase_version == "v3.0"; }
    /// The feature called `key`, or nullptr.
    const Feature* feature(std::string_view key) const;
    /// The keys of the "video" features, in order.
    std::vector<std::string> video_keys() const;
};

/// Parses info.json text; `name` (the path) is used in messages. Throws DataError naming the
/// file and key for invalid JSON, missing or mistyped keys, and unsupported codebase versions.
DatasetInfo parse_info(std::string_view text, const std::string& name);

/// Loads `path` (meta/info.json). Throws DataError as parse_info, or when the file is missing.
DatasetInfo load_info(const std::filesystem::path& path);

/// info.json text for `info` (LeRobot's key order, 4-space indent).
std::string dump_info(const DatasetInfo& info);

}  // namespace rcls::dataset
