// SPDX-License-Identifier: MIT
#include "tables.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

namespace rcls::dataset::tables {
namespace fs = std::filesystem;
using parquet::Column;
using parquet::Table;
using parquet::ValueType;

namespace {

nlohmann::ordered_json hf_value(const std::string& dtype) {
    return nlohmann::ordered_json{{"dtype", dtype}, {"_type", "Value"}};
}

}  // namespace

std::optional<ValueType> value_type_of(const std::string& dtype) {
    if (dtype == "float32") return ValueType::kFloat;
    if (dtype == "float64") return ValueType::kDouble;
    if (dtype == "int64") return ValueType::kInt64;
    if (dtype == "int32") return ValueType::kInt32;
    if (dtype == "bool") return ValueType::kBool;
    if (dtype == "string") return ValueType::kString;
    return std::nullopt;
}

/// A feature stored in the data parquet: a scalar column for shape (1,), else a list.
bool is_scalar(const Feature& f) {
    return f.shape.size() == 1 && f.shape[0] == 1;
}

/// The `huggingface` key-value metadata `datasets` writes: the features in its own schema.
std::string hf_features_json(const std::vector<Feature>& features) {
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    for (const Feature& f : features) {
        if (f.is_visual()) continue;
        if (is_scalar(f)) {
            out[f.key] = hf_value(f.dtype);
        } else {
            out[f.key] = nlohmann::ordered_json{
                {"feature", hf_value(f.dtype)}, {"length", f.size()}, {"_type", "Sequence"}};
        }
    }
    return nlohmann::ordered_json{{"info", {{"features", out}}}}.dump();
}

Column empty_column(const std::string& name, ValueType type, bool list, std::int32_t fixed) {
    Column c;
    c.name = name;
    c.type = type;
    c.fixed_size = fixed;
    if (list) c.offsets.push_back({0});
    switch (type) {
        case ValueType::kBool:
            c.values = std::vector<std::uint8_t>();
            break;
        case ValueType::kInt32:
            c.values = std::vector<std::int32_t>();
            break;
        case ValueType::kInt64:
            c.values = std::vector<std::int64_t>();
            break;
        case ValueType::kFloat:
            c.values = std::vector<float>();
            break;
        case ValueType::kDouble:
            c.values = std::vector<double>();
            break;
        case ValueType::kString:
            c.values = std::vector<std::string>();
            break;
    }
    return c;
}

void push_number(Column& c, double v) {
    std::visit(
        [&](auto& values) {
            using T = typename std::decay_t<decltype(values)>::value_type;
            if constexpr (std::is_same_v<T, std::string>) {
                values.push_back(std::to_string(v));
            } else if constexpr (std::is_same_v<T, std::uint8_t>) {
                values.push_back(v != 0.0 ? 1 : 0);
            } else {
                values.push_back(static_cast<T>(v));
            }
        },
        c.values);
}

/// A list<double> (or list<int64>) column with one list per episode, for stats columns; camera
/// stats are lists of (3, 1, 1), as LeRobot stores them.
Column stats_column(const std::string& name, bool integer, bool image) {
    Column c = empty_column(name, integer ? ValueType::kInt64 : ValueType::kDouble, true, 0);
    if (image) c.offsets = {{0}, {0}, {0}};
    return c;
}

void push_list(Column& c, const std::vector<double>& values) {
    for (double v : values) {
        push_number(c, v);
        if (c.list_depth() == 3) {  // [v] inside [[v]]
            c.offsets[2].push_back(static_cast<std::int64_t>(c.num_values()));
            c.offsets[1].push_back(static_cast<std::int64_t>(c.offsets[2].size() - 1));
        }
    }
    const auto& inner = c.list_depth() == 3 ? c.offsets[1] : c.offsets[0];
    const auto end = c.list_depth() == 3 ? static_cast<std::int64_t>(inner.size() - 1)
                                         : static_cast<std::int64_t>(c.num_values());
    c.offsets[0].push_back(end);
}

/// features[key]["info"] for a video stream, as LeRobot writes it.
std::string video_info_json(const video::VideoProbe& probe) {
    nlohmann::ordered_json j;
    j["video.height"] = probe.height;
    j["video.width"] = probe.width;
    j["video.codec"] = probe.codec;
    j["video.pix_fmt"] = probe.pixel_format;
    j["video.is_depth_map"] = false;
    if (probe.fps == std::round(probe.fps)) {
        j["video.fps"] = static_cast<std::int64_t>(std::round(probe.fps));
    } else {
        j["video.fps"] = probe.fps;
    }
    j["video.channels"] = 3;
    j["has_audio"] = false;
    return j.dump();
}

/// Features stored in the data parquet, in info.json order.
std::vector<const Feature*> tabular_features(const DatasetInfo& info) {
    std::vector<const Feature*> out;
    for (const Feature& f : info.features) {
        if (!f.is_visual()) out.push_back(&f);
    }
    return out;
}

bool has_stats(const Feature& f) {
    return f.dtype == "video" || (!f.is_visual() && f.dtype != "string");
}
bool is_integer_dtype(const std::string& dtype) {
    return dtype == "int64" || dtype == "int32";
}

/// Features with statistics (in stats.json and the episode metadata), in info.json order.
std::vector<const Feature*> stat_features(const DatasetInfo& info) {
    std::vector<const Feature*> out;
    for (const Feature& f : info.features) {
        if (has_stats(f)) out.push_back(&f);
    }
    return out;
}

/// meta/stats.json text of `stats` for a dataset with `info`'s features.
std::string stats_json(const DatasetInfo& info, const Stats& stats) {
    std::vector<std::string> integer_keys;
    for (const Feature& f : info.features) {
        if (is_integer_dtype(f.dtype)) integer_keys.push_back(f.key);
    }
    return stats_to_json(stats, integer_keys, info.video_keys());
}

/// A data table with no rows: one column per tabular feature and the Hugging Face features
/// metadata. Every tabular feature must have a value type rcls writes.
Table empty_data_table(const DatasetInfo& info) {
    Table t;
    for (const Feature* f : tabular_features(info)) {
        const bool list = !is_scalar(*f);
        t.columns.push_back(empty_column(f->key, *value_type_of(f->dtype), list,
                                         list ? static_cast<std::int32_t>(f->size()) : 0));
    }
    t.metadata = {{"huggingface", hf_features_json(info.features)}};
    return t;
}

std::string pandas_tasks_metadata() {
    // pandas reads "task" back as the DataFrame index (how LeRobot's tasks.parquet is written).
    nlohmann::ordered_json j;
    j["index_columns"] = {"task"};
    j["column_indexes"] = nlohmann::ordered_json::array({{{"name", nullptr},
                                                          {"field_name", nullptr},
                                                          {"pandas_type", "unicode"},
                                                          {"numpy_type", "object"},
                                                          {"metadata", {{"encoding", "UTF-8"}}}}});
    j["columns"] = nlohmann::ordered_json::array({{{"name", "task_index"},
                                                   {"field_name", "task_index"},
                                                   {"pandas_type", "int64"},
                                                   {"numpy_type", "int64"},
                                                   {"metadata", nullptr}},
                                                  {{"name", "task"},
                                                   {"field_name", "task"},
                                                   {"pandas_type", "unicode"},
                                                   {"numpy_type", "object"},
                                                   {"metadata", nullptr}}});
    j["attributes"] = nlohmann::ordered_json::object();
    j["creator"] = {{"library", "rcls"}, {"version", "0"}};
    j["pandas_version"] = "2.2.3";
    return j.dump();
}

Stats read_episode_stats(const Table& t, std::size_t r, const DatasetInfo& info) {
    Stats stats;
    for (const Feature* f : stat_features(info)) {
        const std::string prefix = "stats/" + f->key + "/";
        if (t.find(prefix + "mean") == nullptr) continue;
        FeatureStats fs_;
        fs_.min = t.column(prefix + "min").numbers(r);
        fs_.max = t.column(prefix + "max").numbers(r);
        fs_.mean = t.column(prefix + "mean").numbers(r);
        fs_.std = t.column(prefix + "std").numbers(r);
        const std::vector<double> count = t.column(prefix + "count").numbers(r);
        fs_.count = count.empty() ? 0 : static_cast<std::int64_t>(count[0]);
        for (std::size_t q = 0; q < kQuantileNames.size(); ++q) {
            const Column* c = t.find(prefix + kQuantileNames[q]);
            fs_.quantiles[q] = c ? c->numbers(r) : fs_.mean;
        }
        stats.emplace_back(f->key, std::move(fs_));
    }
    return stats;
}

/// The (chunk, file) of a path ".../chunk-CCC/file-FFF.parquet", if it is one.
std::optional<ChunkFile> parse_chunk_file(const fs::path& path) {
    const std::string file = path.filename().string();
    const std::string chunk = path.parent_path().filename().string();
    if (file.rfind("file-", 0) != 0 || chunk.rfind("chunk-", 0) != 0) return std::nullopt;
    try {
        return ChunkFile{std::stoll(chunk.substr(6)), std::stoll(file.substr(5))};
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

bool before(ChunkFile a, ChunkFile b) {
    return a.chunk != b.chunk ? a.chunk < b.chunk : a.file < b.file;
}

/// Files "<dir>/chunk-*/file-*<extension>" with their positions, sorted.
std::vector<std::pair<ChunkFile, fs::path>> chunk_files(const fs::path& dir,
                                                        const std::string& extension) {
    std::vector<std::pair<ChunkFile, fs::path>> out;
    std::error_code error;
    if (!fs::is_directory(dir, error)) return out;
    for (const auto& chunk : fs::directory_iterator(dir, error)) {
        if (!chunk.is_directory()) continue;
        for (const auto& file : fs::directory_iterator(chunk.path(), error)) {
            if (file.path().extension() != extension) continue;
            if (const auto at = parse_chunk_file(file.path())) out.emplace_back(*at, file.path());
        }
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return before(a.first, b.first); });
    return out;
}

}  // namespace rcls::dataset::tables
