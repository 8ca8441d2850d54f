// SPDX-License-Identifier: MIT
//
// LeRobot's file layout: the path templates of info.json ("data/chunk-{chunk_index:03d}/
// file-{file_index:03d}.parquet"), formatted the way Python's str.format does for the fields
// LeRobot uses, and the chunk/file rollover of v3.0.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace rcls::dataset {

/// v3.0 templates (lerobot_formats.md §5.2).
inline constexpr const char* kDataPathV3 =
    "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet";
inline constexpr const char* kVideoPathV3 =
    "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4";
inline constexpr const char* kEpisodesPathV3 =
    "meta/episodes/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet";

/// Values for a template's fields: integers (formatted with the field's spec) or strings.
struct PathFields {
    std::map<std::string, std::int64_t> ints;
    std::map<std::string, std::string> strings;
};

/// Formats `pattern` like Python's str.format for "{name}" and "{name:0Nd}" fields. Throws
/// DataError naming the template for unknown fields or unsupported format specs.
std::string format_path(const std::string& pattern, const PathFields& fields);

/// A (chunk, file) position of a v3.0 file.
struct ChunkFile {
    std::int64_t chunk = 0;
    std::int64_t file = 0;
    bool operator==(const ChunkFile&) const = default;
};

/// The position after `at`: the next file, or file 0 of the next chunk once a chunk holds
/// `chunks_size` files (LeRobot's update_chunk_file_indices).
ChunkFile next_chunk_file(ChunkFile at, std::int64_t chunks_size);

}  // namespace rcls::dataset
