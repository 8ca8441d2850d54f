// SPDX-License-Identifier: MIT
#include "rcls/dataset/writer.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/dataset/layout.hpp"
#include "rcls/dataset/stats.hpp"
#include "rcls/parquet/reader.hpp"
#include "rcls/parquet/writer.hpp"
#include "rcls/video/concat.hpp"

namespace rcls::dataset {
namespace fs = std::filesystem;
using parquet::Column;
using parquet::Table;
using parquet::ValueType;

namespace {

constexpr const char* kStagingDir = ".rcls-staging";
constexpr std::size_t kWriteBlock = 64 * 1024;

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

nlohmann::ordered_json hf_value(const std::string& dtype) {
    return nlohmann::ordered_json{{"dtype", dtype}, {"_type", "Value"}};
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
Column stats_column(const std::string& name, bool integer, bool image = false) {
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

/// A fresh name in the staging folder (created if needed) for a file that will become `target`.
fs::path staging_temp(const fs::path& root, const fs::path& target) {
    std::error_code error;
    fs::create_directories(root / kStagingDir, error);
    return temporary_path(target, root / kStagingDir);
}

/// Renames the finished `temp` to `target` (creating its folder) and, when durable, fsyncs the
/// folder. Removes `temp` and throws DataError when the rename fails.
void move_into_place(const fs::path& temp, const fs::path& target, const WriterOptions& options) {
    std::error_code error;
    fs::create_directories(target.parent_path(), error);
    fs::rename(temp, target, error);
    if (error) {
        fs::remove(temp, error);
        throw DataError(target.string() + ": cannot move the finished file into place");
    }
    if (options.durable) sync_path(target.parent_path());
}

/// Writes `bytes` to `target` via the staging folder: blocks, fsync, rename, fsync of the folder.
void commit_file(const fs::path& root,
                 const fs::path& target,
                 std::string_view bytes,
                 const WriterOptions& options) {
    const auto step = [&](std::string_view what) {
        if (options.on_step) options.on_step(what);
    };
    const fs::path temp = staging_temp(root, target);
    std::error_code error;
    fs::create_directories(target.parent_path(), error);
    if (error) {
        throw DataError(target.parent_path().string() +
                        ": cannot create folder: " + error.message());
    }
    step("create");
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw DataError(target.string() + ": cannot create " + temp.string(), errno);
    std::size_t done = 0;
    while (done < bytes.size()) {
        step("write");
        const std::size_t n = std::min(kWriteBlock, bytes.size() - done);
        const ssize_t written = ::write(fd, bytes.data() + done, n);
        if (written < 0) {
            if (errno == EINTR) continue;
            const int saved = errno;
            ::close(fd);
            fs::remove(temp, error);
            throw DataError(target.string() + ": write failed", saved);
        }
        done += static_cast<std::size_t>(written);
    }
    step("fsync");
    if (options.durable) ::fsync(fd);
    ::close(fd);
    step("rename");
    move_into_place(temp, target, options);
}

/// Joins `segments` into `target` through a staging file and a rename.
std::vector<video::SegmentSpan> commit_video(const fs::path& root,
                                             const fs::path& target,
                                             const std::vector<video::VideoSegment>& segments,
                                             const WriterOptions& options) {
    const fs::path temp = staging_temp(root, target);
    if (options.on_step) options.on_step("create");
    std::vector<video::SegmentSpan> spans;
    try {
        spans = video::concatenate_videos(segments, temp);
    } catch (...) {
        std::error_code ignored;
        fs::remove(temp, ignored);
        throw;
    }
    if (options.durable) sync_path(temp);
    if (options.on_step) options.on_step("rename");
    move_into_place(temp, target, options);
    return spans;
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

}  // namespace

Feature make_feature(std::string key,
                     std::string dtype,
                     std::vector<std::int64_t> shape,
                     std::vector<std::string> names) {
    Feature f;
    f.key = std::move(key);
    f.dtype = std::move(dtype);
    f.shape = std::move(shape);
    f.names = std::move(names);
    f.names_json = f.names.empty() ? "null" : nlohmann::json(f.names).dump();
    return f;
}

std::vector<Feature> so101_reward_features() {
    const std::vector<std::string> joints{"shoulder_pan.pos", "shoulder_lift.pos", "elbow_flex.pos",
                                          "wrist_flex.pos",   "wrist_roll.pos",    "gripper.pos"};
    return {make_feature("observation.state", "float32", {6}, joints),
            make_feature("action", "float32", {6}, joints),
            make_feature("next.reward", "float32", {1}), make_feature("next.done", "bool", {1})};
}

/// Everything the writer keeps between episodes.
struct DatasetWriter::State {
    WriterOptions options;
    Metadata meta;                             ///< Committed state.
    std::vector<Stats> episode_stats;          ///< Per committed episode.
    std::vector<ChunkFile> episode_meta_file;  ///< Per committed episode.
    ChunkFile data_at;           ///< The data file the next episode goes to (if it fits).
    Table data_table;            ///< Committed rows of that file.
    std::size_t data_bytes = 0;  ///< Its size on disk.
    ChunkFile meta_at;           ///< The episode metadata file of the next episode.
    std::size_t meta_bytes = 0;
    /// Per camera: the video file the next episode joins, and its size (0: none yet).
    std::map<std::string, std::pair<ChunkFile, std::size_t>> videos;
    video::EncoderSettings encoder;  ///< For camera images.
    /// Per camera: the encoder of the current episode's images (while they come).
    std::map<std::string, std::unique_ptr<video::VideoWriter>> encoders;
    /// Per camera: statistics of the current episode's images.
    std::map<std::string, ImageStatsAccumulator> image_stats;
    std::vector<Frame> buffer;

    fs::path video_at(const std::string& key, ChunkFile at) const {
        PathFields fields;
        fields.ints = {{"chunk_index", at.chunk}, {"file_index", at.file}};
        fields.strings = {{"video_key", key}};
        return meta.root / format_path(kVideoPathV3, fields);
    }
    fs::path episode_video(const std::string& key) const {
        return meta.root / kStagingDir / ("episode-" + key + ".mp4");
    }

    /// Deletes the current episode's own video files (encoded, then joined or abandoned).
    void remove_episode_videos() const {
        for (const std::string& key : meta.info.video_keys()) {
            std::error_code ignored;
            fs::remove(episode_video(key), ignored);
        }
    }

    fs::path path_at(const char* pattern, ChunkFile at) const {
        PathFields fields;
        fields.ints = {{"chunk_index", at.chunk}, {"file_index", at.file}};
        return meta.root / format_path(pattern, fields);
    }

    Table make_episode_table(std::int64_t episode_index,
                             std::int64_t first_index,
                             const std::vector<std::int64_t>& task_indices) const;
    Table make_episodes_meta(ChunkFile file) const;
    Table make_tasks_table() const;
    Stats dataset_stats() const;
    void repair();
};

Table DatasetWriter::State::make_episode_table(
    std::int64_t episode_index,
    std::int64_t first_index,
    const std::vector<std::int64_t>& task_indices) const {
    Table t;
    t.num_rows = static_cast<std::int64_t>(buffer.size());
    t.metadata = {{"huggingface", hf_features_json(meta.info.features)}};
    for (const Feature* f : tabular_features(meta.info)) {
        const ValueType type = *value_type_of(f->dtype);
        const bool list = !is_scalar(*f);
        Column c =
            empty_column(f->key, type, list, list ? static_cast<std::int32_t>(f->size()) : 0);
        for (std::size_t i = 0; i < buffer.size(); ++i) {
            const auto frame_index = static_cast<std::int64_t>(i);
            if (f->key == "timestamp") {
                push_number(c,
                            buffer[i].timestamp.value_or(static_cast<double>(i) / meta.info.fps));
            } else if (f->key == "frame_index") {
                push_number(c, static_cast<double>(frame_index));
            } else if (f->key == "episode_index") {
                push_number(c, static_cast<double>(episode_index));
            } else if (f->key == "index") {
                push_number(c, static_cast<double>(first_index + frame_index));
            } else if (f->key == "task_index") {
                push_number(c, static_cast<double>(task_indices[i]));
            } else {
                const std::vector<double>& v = buffer[i].values.at(f->key);
                for (double x : v) {
                    push_number(c, x);
                }
                if (list) c.offsets[0].push_back(static_cast<std::int64_t>(c.num_values()));
            }
        }
        t.columns.push_back(std::move(c));
    }
    return t;
}

Table DatasetWriter::State::make_episodes_meta(ChunkFile file) const {
    Table t;
    std::vector<Column> columns;
    columns.push_back(empty_column("episode_index", ValueType::kInt64, false, 0));
    columns.push_back(empty_column("tasks", ValueType::kString, true, 0));
    for (const char* name : {"length", "data/chunk_index", "data/file_index", "dataset_from_index",
                             "dataset_to_index"}) {
        columns.push_back(empty_column(name, ValueType::kInt64, false, 0));
    }
    const std::vector<std::string> video_keys = meta.info.video_keys();
    const std::size_t first_video = columns.size();
    for (const std::string& key : video_keys) {
        columns.push_back(
            empty_column("videos/" + key + "/chunk_index", ValueType::kInt64, false, 0));
        columns.push_back(
            empty_column("videos/" + key + "/file_index", ValueType::kInt64, false, 0));
        columns.push_back(
            empty_column("videos/" + key + "/from_timestamp", ValueType::kDouble, false, 0));
        columns.push_back(
            empty_column("videos/" + key + "/to_timestamp", ValueType::kDouble, false, 0));
    }
    const std::vector<const Feature*> with_stats = stat_features(meta.info);
    const std::size_t first_stats = columns.size();
    for (const Feature* f : with_stats) {
        const bool integer = is_integer_dtype(f->dtype);
        const bool image = f->dtype == "video";
        columns.push_back(stats_column("stats/" + f->key + "/min", integer, image));
        columns.push_back(stats_column("stats/" + f->key + "/max", integer, image));
        columns.push_back(stats_column("stats/" + f->key + "/mean", false, image));
        columns.push_back(stats_column("stats/" + f->key + "/std", false, image));
        columns.push_back(stats_column("stats/" + f->key + "/count", true));
        for (const char* q : kQuantileNames) {
            columns.push_back(stats_column("stats/" + f->key + "/" + q, false, image));
        }
    }
    columns.push_back(empty_column("meta/episodes/chunk_index", ValueType::kInt64, false, 0));
    columns.push_back(empty_column("meta/episodes/file_index", ValueType::kInt64, false, 0));
    for (std::size_t e = 0; e < meta.episodes.size(); ++e) {
        if (!(episode_meta_file[e] == file)) continue;
        const EpisodeMeta& m = meta.episodes[e];
        ++t.num_rows;
        push_number(columns[0], static_cast<double>(m.episode_index));
        for (const std::string& task : m.tasks) {
            std::get<std::vector<std::string>>(columns[1].values).push_back(task);
        }
        columns[1].offsets[0].push_back(static_cast<std::int64_t>(columns[1].num_values()));
        const std::int64_t ints[] = {m.length, m.data_chunk_index, m.data_file_index,
                                     m.dataset_from_index, m.dataset_to_index};
        for (std::size_t k = 0; k < 5; ++k) {
            push_number(columns[2 + k], static_cast<double>(ints[k]));
        }
        std::size_t col = first_video;
        for (const std::string& key : video_keys) {
            const auto ref = m.videos.find(key);
            const VideoRef v = ref != m.videos.end() ? ref->second : VideoRef{};
            push_number(columns[col++], static_cast<double>(v.chunk_index));
            push_number(columns[col++], static_cast<double>(v.file_index));
            push_number(columns[col++], v.from_timestamp);
            push_number(columns[col++], v.to_timestamp);
        }
        col = first_stats;
        for (const Feature* f : with_stats) {
            const auto it = std::find_if(episode_stats[e].begin(), episode_stats[e].end(),
                                         [&](const auto& kv) { return kv.first == f->key; });
            const FeatureStats empty;
            const FeatureStats& s = it != episode_stats[e].end() ? it->second : empty;
            push_list(columns[col++], s.min);
            push_list(columns[col++], s.max);
            push_list(columns[col++], s.mean);
            push_list(columns[col++], s.std);
            push_list(columns[col++], {static_cast<double>(s.count)});
            for (const auto& q : s.quantiles) {
                push_list(columns[col++], q);
            }
        }
        push_number(columns[col++], static_cast<double>(file.chunk));
        push_number(columns[col++], static_cast<double>(file.file));
    }
    t.columns = std::move(columns);
    return t;
}

Table DatasetWriter::State::make_tasks_table() const {
    Table t;
    t.num_rows = static_cast<std::int64_t>(meta.tasks.size());
    std::vector<std::int64_t> indices;
    for (std::size_t i = 0; i < meta.tasks.size(); ++i) {
        indices.push_back(static_cast<std::int64_t>(i));
    }
    t.columns.push_back(parquet::make_column("task_index", ValueType::kInt64, indices));
    t.columns.push_back(parquet::make_column("task", ValueType::kString, meta.tasks));
    t.metadata = {{"pandas", pandas_tasks_metadata()}};
    return t;
}

Stats DatasetWriter::State::dataset_stats() const {
    Stats out;
    for (const Feature* f : stat_features(meta.info)) {
        std::vector<const FeatureStats*> parts;
        for (const Stats& s : episode_stats) {
            for (const auto& [key, value] : s) {
                if (key == f->key) parts.push_back(&value);
            }
        }
        out.emplace_back(f->key, aggregate_stats(parts));
    }
    return out;
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

void remove_file(const fs::path& path, const WriterOptions& options) {
    if (options.on_step) options.on_step("remove");
    std::error_code error;
    fs::remove(path, error);
    if (error) throw DataError(path.string() + ": cannot remove: " + error.message());
    spdlog::info("{}: removed (left by an interrupted write)", path.string());
}

/// Rows [0, rows) of `table` when it has more; returns whether it trimmed.
bool trim_rows(Table& table, std::int64_t rows) {
    if (table.num_rows <= rows) return false;
    table = table.slice(0, static_cast<std::size_t>(rows));
    return true;
}

/// How many leading rows of `table` belong to episodes below `committed`.
std::int64_t committed_rows(const Table& table, std::int64_t committed, const fs::path& path) {
    const Column* episodes = table.find("episode_index");
    if (episodes == nullptr) throw DataError(path.string() + ": column \"episode_index\" missing");
    std::int64_t n = 0;
    while (n < table.num_rows && episodes->integer(static_cast<std::size_t>(n)) < committed) {
        ++n;
    }
    return n;
}

void DatasetWriter::State::repair() {
    const fs::path& root = meta.root;
    WriterOptions quiet;  // repairs are not fault-injection points
    quiet.durable = options.durable;
    std::error_code error;
    fs::remove_all(root / kStagingDir, error);
    const std::int64_t committed = meta.info.total_episodes;

    // Episode metadata: positions and statistics of the committed episodes; trim the rest.
    episode_stats.assign(meta.episodes.size(), {});
    episode_meta_file.assign(meta.episodes.size(), ChunkFile{});
    const std::vector<const Feature*> with_stats = stat_features(meta.info);
    bool rewrite_meta = false;
    for (const auto& [at, path] : chunk_files(root / "meta/episodes", ".parquet")) {
        const Table t = parquet::read_table(path);
        const std::int64_t keep = committed_rows(t, committed, path);
        if (keep == 0) {
            remove_file(path, quiet);
            continue;
        }
        rewrite_meta |= keep < t.num_rows;
        for (std::size_t r = 0; r < static_cast<std::size_t>(keep); ++r) {
            const auto e = static_cast<std::size_t>(t.column("episode_index").integer(r));
            if (e >= meta.episodes.size()) continue;
            episode_meta_file[e] = at;
            Stats stats;
            for (const Feature* f : with_stats) {
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
            episode_stats[e] = std::move(stats);
        }
        meta_at = at;
        meta_bytes = static_cast<std::size_t>(fs::file_size(path, error));
    }
    if (rewrite_meta) {
        const std::string bytes = parquet::encode_table(make_episodes_meta(meta_at));
        commit_file(root, path_at(kEpisodesPathV3, meta_at), bytes, quiet);
        meta_bytes = bytes.size();
        spdlog::info("{}: dropped episode metadata of an interrupted write", root.string());
    }

    // Data: keep the committed rows of the last file in use; later files are leftovers.
    data_at = meta.episodes.empty() ? ChunkFile{}
                                    : ChunkFile{meta.episodes.back().data_chunk_index,
                                                meta.episodes.back().data_file_index};
    for (const auto& [at, path] : chunk_files(root / "data", ".parquet")) {
        if (meta.episodes.empty() || before(data_at, at)) remove_file(path, quiet);
    }
    if (!meta.episodes.empty()) {
        const fs::path path = path_at(kDataPathV3, data_at);
        data_table = parquet::read_table(path);
        if (trim_rows(data_table, committed_rows(data_table, committed, path))) {
            const std::string bytes = parquet::encode_table(data_table);
            commit_file(root, path, bytes, quiet);
            spdlog::info("{}: dropped rows of an interrupted write", path.string());
        }
        data_bytes = static_cast<std::size_t>(fs::file_size(path, error));
    }

    // Videos: per camera, trim the file of the last committed episode, delete later files.
    for (const std::string& key : meta.info.video_keys()) {
        const fs::path dir = root / "videos" / key;
        if (meta.episodes.empty()) {
            for (const auto& [at, path] : chunk_files(dir, ".mp4")) {
                remove_file(path, quiet);
            }
            continue;
        }
        const EpisodeMeta& last = meta.episodes.back();
        const auto ref = last.videos.find(key);
        if (ref == last.videos.end()) {
            throw DataError(root.string() + ": episode " + std::to_string(last.episode_index) +
                            " has no video reference for \"" + key + "\"");
        }
        const ChunkFile at{ref->second.chunk_index, ref->second.file_index};
        for (const auto& [other, path] : chunk_files(dir, ".mp4")) {
            if (before(at, other)) remove_file(path, quiet);
        }
        const fs::path path = video_at(key, at);
        const video::VideoProbe probe = video::probe_video(path);
        const double frame_s = probe.fps > 0.0 ? 1.0 / probe.fps : 0.0;
        if (probe.end_s > ref->second.to_timestamp + 0.5 * frame_s) {
            commit_video(root, path, {{path, ref->second.to_timestamp}}, quiet);
            spdlog::info("{}: dropped frames of an interrupted write", path.string());
        }
        videos[key] = {at, static_cast<std::size_t>(fs::file_size(path, error))};
    }

    // Tasks added by an uncommitted episode, and statistics that counted it.
    if (static_cast<std::int64_t>(meta.tasks.size()) > meta.info.total_tasks) {
        meta.tasks.resize(static_cast<std::size_t>(meta.info.total_tasks));
        commit_file(root, root / "meta/tasks.parquet", parquet::encode_table(make_tasks_table()),
                    quiet);
    }
    if (!meta.episodes.empty()) {
        const std::string stats = stats_json(meta.info, dataset_stats());
        if (stats != meta.stats_json) {
            commit_file(root, root / "meta/stats.json", stats, quiet);
            meta.stats_json = stats;
        }
    }
}

DatasetWriter::DatasetWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
DatasetWriter::DatasetWriter(DatasetWriter&&) noexcept = default;
DatasetWriter& DatasetWriter::operator=(DatasetWriter&&) noexcept = default;
DatasetWriter::~DatasetWriter() = default;

DatasetWriter DatasetWriter::create(const fs::path& root,
                                    const DatasetSpec& spec,
                                    WriterOptions options) {
    std::error_code error;
    if (fs::exists(root, error)) {
        // Allowed: an empty folder, or what a create() killed before its first commit left
        // (the staging folder and an empty meta/).
        for (const auto& entry : fs::directory_iterator(root, error)) {
            const std::string name = entry.path().filename().string();
            const bool leftover =
                name == kStagingDir || (name == "meta" && fs::is_empty(entry.path(), error));
            if (!leftover) {
                throw DataError(root.string() +
                                ": already exists and is not empty; choose a new "
                                "dataset folder or append to it");
            }
        }
        fs::remove_all(root / kStagingDir, error);
    }
    if (!(spec.fps > 0.0)) throw DataError(root.string() + ": fps must be positive");
    auto state = std::make_unique<State>();
    state->options = std::move(options);
    state->encoder = state->options.video.value_or(video::lerobot_encoder_settings());
    Metadata& meta = state->meta;
    meta.root = root;
    DatasetInfo& info = meta.info;
    info.codebase_version = kCodebaseVersion;
    info.robot_type = spec.robot_type;
    info.fps = spec.fps;
    info.chunks_size = spec.chunks_size;
    info.data_files_size_in_mb = spec.data_files_size_in_mb;
    info.video_files_size_in_mb = spec.video_files_size_in_mb;
    info.data_path = kDataPathV3;
    for (const Feature& f : spec.features) {
        if (is_default_feature(f.key)) {
            throw DataError("feature \"" + f.key + "\" is added by rcls itself; remove it");
        }
        if (!f.is_visual() && !value_type_of(f.dtype)) {
            throw DataError("feature \"" + f.key + "\": unsupported dtype \"" + f.dtype + "\"");
        }
        if (f.dtype == "video") info.video_path = kVideoPathV3;
        info.features.push_back(f);
    }
    for (const std::string_view key : kDefaultFeatureKeys) {
        info.features.push_back(
            make_feature(std::string(key), key == "timestamp" ? "float32" : "int64", {1}));
    }
    fs::create_directories(root / "meta", error);
    if (error) throw DataError(root.string() + ": cannot create folder: " + error.message());
    commit_file(root, root / "meta/info.json", dump_info(info), state->options);
    state->data_table = empty_data_table(info);
    return DatasetWriter(std::move(state));
}

DatasetWriter DatasetWriter::open(const fs::path& root, WriterOptions options) {
    auto state = std::make_unique<State>();
    state->options = std::move(options);
    state->meta = load_metadata(root);
    state->encoder = video::lerobot_encoder_settings();
    for (const Feature& f : state->meta.info.features) {
        if (f.video && !f.video->codec.empty() && f.video->codec != "av1") {
            state->encoder.codec = video::parse_codec(f.video->codec);
            state->encoder.crf.reset();
            break;
        }
    }
    if (state->options.video) state->encoder = *state->options.video;
    if (!state->meta.info.is_v3()) {
        throw DataError(root.string() + ": a " + state->meta.info.codebase_version +
                        " dataset; rcls appends only to v3.0 datasets (write a new one)");
    }
    for (const Feature* f : tabular_features(state->meta.info)) {
        if (!value_type_of(f->dtype)) {
            throw DataError(root.string() + ": feature \"" + f->key + "\" has dtype \"" + f->dtype +
                            "\", which rcls cannot append");
        }
    }
    state->data_table = empty_data_table(state->meta.info);
    state->repair();
    return DatasetWriter(std::move(state));
}

void DatasetWriter::add_frame(const Frame& frame) {
    const Metadata& meta = state_->meta;
    const std::string where = "frame " + std::to_string(state_->buffer.size()) + " of episode " +
                              std::to_string(meta.info.total_episodes);
    for (const Feature* f : tabular_features(meta.info)) {
        if (is_default_feature(f->key)) continue;
        const auto it = frame.values.find(f->key);
        if (it == frame.values.end()) {
            throw DataError(where + ": feature \"" + f->key + "\" missing");
        }
        if (static_cast<std::int64_t>(it->second.size()) != f->size()) {
            throw DataError(where + ": feature \"" + f->key + "\" has " +
                            std::to_string(it->second.size()) + " values, expected " +
                            std::to_string(f->size()));
        }
    }
    for (const auto& [key, values] : frame.values) {
        const Feature* f = meta.info.feature(key);
        if (f == nullptr || f->is_visual() || is_default_feature(key)) {
            throw DataError(where + ": \"" + key + "\" is not a feature of this dataset");
        }
    }
    State& s = *state_;
    for (const auto& [key, image] : frame.images) {
        const Feature* f = meta.info.feature(key);
        if (f == nullptr || f->dtype != "video") {
            throw DataError(where + ": \"" + key + "\" is not a video feature of this dataset");
        }
        int height = 0, width = 0, channels = 0;
        f->image_size(height, width, channels);
        if (image.rows != height || image.cols != width || image.type() != CV_8UC3) {
            throw DataError(where + ": image of \"" + key + "\" is " + std::to_string(image.cols) +
                            "x" + std::to_string(image.rows) + " with " +
                            std::to_string(image.channels()) + " channels, the feature is " +
                            std::to_string(width) + "x" + std::to_string(height) + " 8-bit RGB");
        }
    }
    for (const std::string& key : meta.info.video_keys()) {
        const bool encoding = s.encoders.count(key) > 0;
        const bool given = frame.images.count(key) > 0;
        if (encoding != given && !(s.buffer.empty() && given)) {
            throw DataError(where + ": image of \"" + key +
                            "\" missing (every frame of an "
                            "episode needs one once its first has)");
        }
    }
    for (const auto& [key, image] : frame.images) {
        auto& encoder = s.encoders[key];
        if (!encoder) {
            encoder = std::make_unique<video::VideoWriter>(episode_video_path(key), image.cols,
                                                           image.rows, meta.info.fps,
                                                           image::ChannelOrder::kRgb, s.encoder);
        }
        encoder->write(image);
        s.image_stats[key].add(image.data, image.rows, image.cols, image.step);
    }
    Frame values_only = frame;
    values_only.images.clear();  // encoded already; the buffer keeps only table values
    s.buffer.push_back(std::move(values_only));
}

void DatasetWriter::clear_episode() {
    state_->buffer.clear();
    state_->encoders.clear();  // their temporary files go with them
    state_->image_stats.clear();
    state_->remove_episode_videos();
}

std::int64_t DatasetWriter::buffered_frames() const {
    return static_cast<std::int64_t>(state_->buffer.size());
}

const Metadata& DatasetWriter::meta() const {
    return state_->meta;
}

fs::path DatasetWriter::episode_video_path(const std::string& video_key) const {
    const Feature* f = state_->meta.info.feature(video_key);
    if (f == nullptr || f->dtype != "video") {
        throw DataError(state_->meta.root.string() + ": \"" + video_key +
                        "\" is not a video feature");
    }
    std::error_code error;
    fs::create_directories(state_->meta.root / kStagingDir, error);
    return state_->episode_video(video_key);
}

std::int64_t DatasetWriter::save_episode() {
    State& s = *state_;
    if (s.buffer.empty()) throw DataError(s.meta.root.string() + ": no frames to save");
    // Images encoded while they came: finish each camera's episode video.
    for (auto& [key, encoder] : s.encoders) {
        encoder->finish();
    }
    s.encoders.clear();
    Metadata next = s.meta;
    const std::int64_t episode_index = next.info.total_episodes;
    const std::int64_t first_index = next.info.total_frames;
    // Tasks: new descriptions get the next task_index.
    std::vector<std::int64_t> task_indices;
    std::vector<std::string> episode_tasks;
    for (const Frame& frame : s.buffer) {
        auto it = std::find(next.tasks.begin(), next.tasks.end(), frame.task);
        if (it == next.tasks.end()) {
            next.tasks.push_back(frame.task);
            it = next.tasks.end() - 1;
        }
        task_indices.push_back(it - next.tasks.begin());
        if (std::find(episode_tasks.begin(), episode_tasks.end(), frame.task) ==
            episode_tasks.end()) {
            episode_tasks.push_back(frame.task);
        }
    }
    const bool new_tasks = next.tasks.size() != s.meta.tasks.size();
    const Table episode = s.make_episode_table(episode_index, first_index, task_indices);
    const std::vector<std::string> video_keys = next.info.video_keys();
    std::map<std::string, video::VideoProbe> probes;
    for (const std::string& key : video_keys) {
        const fs::path path = s.episode_video(key);
        std::error_code error;
        if (!fs::exists(path, error)) {
            throw DataError("episode " + std::to_string(episode_index) + ": video of \"" + key +
                            "\" missing at " + path.string() +
                            " (encode the episode's frames there before saving it)");
        }
        probes[key] = video::probe_video(path);
        if (probes[key].frames != episode.num_rows) {
            throw DataError("episode " + std::to_string(episode_index) + ": video of \"" + key +
                            "\" has " + std::to_string(probes[key].frames) +
                            " frames, the episode " + std::to_string(episode.num_rows));
        }
    }

    // Per-episode statistics of every numeric feature.
    Stats stats;
    for (const Feature& f : next.info.features) {
        if (!has_stats(f)) continue;
        if (f.dtype == "video") {
            // From the images as they came; a video given as a file has no image statistics.
            if (const auto it = s.image_stats.find(f.key); it != s.image_stats.end()) {
                stats.emplace_back(f.key, it->second.stats());
            }
            continue;
        }
        const Column& c = episode.column(f.key);
        std::vector<double> values;
        values.reserve(c.num_values());
        for (std::size_t i = 0; i < c.num_values(); ++i) {
            std::visit(
                [&](const auto& v) {
                    using T = typename std::decay_t<decltype(v)>::value_type;
                    if constexpr (!std::is_same_v<T, std::string>) {
                        values.push_back(static_cast<double>(v[i]));
                    }
                },
                c.values);
        }
        stats.emplace_back(f.key, compute_stats(values, static_cast<std::size_t>(f.size())));
    }

    // 1. The data file: append to the current one, or roll over like LeRobot does by size.
    const double limit = next.info.data_files_size_in_mb * 1024.0 * 1024.0;
    const std::size_t episode_bytes = parquet::encode_table(episode).size();
    ChunkFile data_at = s.data_at;
    Table data_table = s.data_table;
    if (data_table.num_rows > 0 && static_cast<double>(s.data_bytes + episode_bytes) >= limit) {
        data_at = next_chunk_file(data_at, next.info.chunks_size);
        data_table = s.data_table.slice(0, 0);
    }
    for (std::size_t c = 0; c < data_table.columns.size(); ++c) {
        data_table.columns[c].append_rows(episode.columns[c], 0,
                                          static_cast<std::size_t>(episode.num_rows));
    }
    data_table.num_rows += episode.num_rows;
    data_table.metadata = episode.metadata;
    const std::string data_bytes = parquet::encode_table(data_table);

    EpisodeMeta m;
    m.episode_index = episode_index;
    m.tasks = episode_tasks;
    m.length = episode.num_rows;
    m.data_chunk_index = data_at.chunk;
    m.data_file_index = data_at.file;
    m.dataset_from_index = first_index;
    m.dataset_to_index = first_index + episode.num_rows;
    next.episodes.push_back(m);
    next.info.total_episodes = episode_index + 1;
    next.info.total_frames = first_index + episode.num_rows;
    next.info.total_tasks = static_cast<std::int64_t>(next.tasks.size());

    // Episode metadata file: roll over by size too.
    ChunkFile meta_at = s.meta_at;
    if (s.meta_bytes > 0 && static_cast<double>(s.meta_bytes) >= limit) {
        meta_at = next_chunk_file(meta_at, next.info.chunks_size);
    }

    // 1. Data, 2. videos: each camera's current file joined with the episode (or a new file).
    commit_file(next.root, s.path_at(kDataPathV3, data_at), data_bytes, s.options);
    auto videos = s.videos;
    const double video_limit = next.info.video_files_size_in_mb * 1024.0 * 1024.0;
    for (const std::string& key : video_keys) {
        auto& [at, bytes] = videos[key];
        const fs::path episode_video = s.episode_video(key);
        std::error_code error;
        const auto episode_size = static_cast<std::size_t>(fs::file_size(episode_video, error));
        if (bytes > 0 && static_cast<double>(bytes + episode_size) >= video_limit) {
            at = next_chunk_file(at, next.info.chunks_size);
            bytes = 0;
        }
        const fs::path target = s.video_at(key, at);
        std::vector<video::VideoSegment> segments;
        if (bytes > 0) segments.push_back({target});
        segments.push_back({episode_video});
        const std::vector<video::SegmentSpan> spans =
            commit_video(next.root, target, segments, s.options);
        bytes = static_cast<std::size_t>(fs::file_size(target, error));
        const double from = spans.back().start_s;
        next.episodes.back().videos[key] = VideoRef{
            at.chunk, at.file, from, from + static_cast<double>(episode.num_rows) / next.info.fps};
        for (Feature& f : next.info.features) {
            if (f.key == key && f.info_json.empty()) f.info_json = video_info_json(probes[key]);
        }
    }

    // 3. Episode metadata, 4. tasks, 5. stats, 6. info.json: the commit.
    State trial;
    trial.options = s.options;
    trial.meta = next;
    trial.episode_stats = s.episode_stats;
    trial.episode_stats.push_back(stats);
    trial.episode_meta_file = s.episode_meta_file;
    trial.episode_meta_file.push_back(meta_at);
    const std::string meta_bytes = parquet::encode_table(trial.make_episodes_meta(meta_at));
    commit_file(next.root, s.path_at(kEpisodesPathV3, meta_at), meta_bytes, s.options);
    if (new_tasks) {
        commit_file(next.root, next.root / "meta/tasks.parquet",
                    parquet::encode_table(trial.make_tasks_table()), s.options);
    }
    next.stats_json = stats_json(next.info, trial.dataset_stats());
    commit_file(next.root, next.root / "meta/stats.json", next.stats_json, s.options);
    commit_file(next.root, next.root / "meta/info.json", dump_info(next.info), s.options);

    // Committed.
    s.meta = std::move(next);
    s.episode_stats = std::move(trial.episode_stats);
    s.episode_meta_file = std::move(trial.episode_meta_file);
    s.data_at = data_at;
    s.data_table = std::move(data_table);
    s.data_bytes = data_bytes.size();
    s.meta_at = meta_at;
    s.meta_bytes = meta_bytes.size();
    s.videos = std::move(videos);
    s.image_stats.clear();
    s.buffer.clear();
    s.remove_episode_videos();
    return episode_index;
}

}  // namespace rcls::dataset
