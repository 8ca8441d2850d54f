// SPDX-License-Identifier: MIT
//
// Internal to rcls::dataset: the Parquet tables and JSON texts of a v3.0 dataset as rcls writes
// them (data rows, episode metadata, tasks, stats.json), shared by the episode plan, the writer's
// repair and the label rewrite.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rcls/dataset/info.hpp"
#include "rcls/dataset/layout.hpp"
#include "rcls/dataset/stats.hpp"
#include "rcls/parquet/table.hpp"
#include "rcls/video/concat.hpp"

namespace rcls::dataset::tables {

/// The Parquet value type of an info.json dtype rcls writes, if any.
std::optional<parquet::ValueType> value_type_of(const std::string& dtype);
/// A feature stored in the data parquet: a scalar column for shape (1,), else a list.
bool is_scalar(const Feature& f);
/// The `huggingface` key-value metadata `datasets` writes: the features in its own schema.
std::string hf_features_json(const std::vector<Feature>& features);
/// A column with no rows (a list column when `list`, of `fixed` values per row when not 0).
parquet::Column empty_column(const std::string& name,
                             parquet::ValueType type,
                             bool list,
                             std::int32_t fixed);
/// Appends one value to a scalar or list column (closing no list).
void push_number(parquet::Column& c, double v);
/// A list<double> (or list<int64>) column with one list per episode, for stats columns; camera
/// stats are lists of (3, 1, 1), as LeRobot stores them.
parquet::Column stats_column(const std::string& name, bool integer, bool image = false);
/// Appends one list to a stats column.
void push_list(parquet::Column& c, const std::vector<double>& values);
/// features[key]["info"] for a video stream, as LeRobot writes it.
std::string video_info_json(const video::VideoProbe& probe);
/// Features stored in the data parquet, in info.json order.
std::vector<const Feature*> tabular_features(const DatasetInfo& info);
bool has_stats(const Feature& f);
bool is_integer_dtype(const std::string& dtype);
/// Features with statistics (in stats.json and the episode metadata), in info.json order.
std::vector<const Feature*> stat_features(const DatasetInfo& info);
/// meta/stats.json text of `stats` for a dataset with `info`'s features.
std::string stats_json(const DatasetInfo& info, const Stats& stats);
/// A data table with no rows: one column per tabular feature and the Hugging Face features
/// metadata. Every tabular feature must have a value type rcls writes.
parquet::Table empty_data_table(const DatasetInfo& info);
/// The pandas metadata of tasks.parquet ("task" is the DataFrame index).
std::string pandas_tasks_metadata();
/// The statistics of the episode in row `row` of an episode metadata table (stats/<key>/<stat>
/// columns), for every feature of `info` with statistics there.
Stats read_episode_stats(const parquet::Table& t, std::size_t row, const DatasetInfo& info);
/// The (chunk, file) of a path ".../chunk-CCC/file-FFF.parquet", if it is one.
std::optional<ChunkFile> parse_chunk_file(const std::filesystem::path& path);
/// True when `a` comes before `b`.
bool before(ChunkFile a, ChunkFile b);
/// Files "<dir>/chunk-*/file-*<extension>" with their positions, sorted.
std::vector<std::pair<ChunkFile, std::filesystem::path>> chunk_files(
    const std::filesystem::path& dir, const std::string& extension);

}  // namespace rcls::dataset::tables
