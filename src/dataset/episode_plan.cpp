// SPDX-License-Identifier: MIT
#include "rcls/dataset/episode_plan.hpp"

#include <algorithm>
#include <type_traits>
#include <variant>

#include "rcls/core/error.hpp"
#include "rcls/parquet/writer.hpp"

#include "tables.hpp"

namespace rcls::dataset {
namespace fs = std::filesystem;
using parquet::Column;
using parquet::Table;
using parquet::ValueType;
using namespace tables;

namespace {

/// The data rows of `frames` as episode `episode_index` starting at global `first_index`.
Table make_episode_table(const DatasetInfo& info,
                         std::span<const Frame> buffer,
                         std::int64_t episode_index,
                         std::int64_t first_index,
                         const std::vector<std::int64_t>& task_indices) {
    Table t;
    t.num_rows = static_cast<std::int64_t>(buffer.size());
    t.metadata = {{"huggingface", hf_features_json(info.features)}};
    for (const Feature* f : tabular_features(info)) {
        const ValueType type = *value_type_of(f->dtype);
        const bool list = !is_scalar(*f);
        Column c =
            empty_column(f->key, type, list, list ? static_cast<std::int32_t>(f->size()) : 0);
        for (std::size_t i = 0; i < buffer.size(); ++i) {
            const auto frame_index = static_cast<std::int64_t>(i);
            if (f->key == "timestamp") {
                push_number(c, buffer[i].timestamp.value_or(static_cast<double>(i) / info.fps));
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

/// Per-episode statistics of every numeric feature; cameras from the images as they came (a
/// video given as a file has none).
Stats episode_stats(const DatasetInfo& info,
                    const Table& episode,
                    const std::map<std::string, FeatureStats>& image_stats) {
    Stats stats;
    for (const Feature& f : info.features) {
        if (!has_stats(f)) continue;
        if (f.dtype == "video") {
            if (const auto it = image_stats.find(f.key); it != image_stats.end()) {
                stats.emplace_back(f.key, it->second);
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
    return stats;
}

}  // namespace

fs::path CommittedState::data_path(ChunkFile at) const {
    PathFields fields;
    fields.ints = {{"chunk_index", at.chunk}, {"file_index", at.file}};
    return meta.root / format_path(kDataPathV3, fields);
}

fs::path CommittedState::episodes_path(ChunkFile at) const {
    PathFields fields;
    fields.ints = {{"chunk_index", at.chunk}, {"file_index", at.file}};
    return meta.root / format_path(kEpisodesPathV3, fields);
}

fs::path CommittedState::video_path(const std::string& key, ChunkFile at) const {
    PathFields fields;
    fields.ints = {{"chunk_index", at.chunk}, {"file_index", at.file}};
    fields.strings = {{"video_key", key}};
    return meta.root / format_path(kVideoPathV3, fields);
}

Table CommittedState::episodes_table(ChunkFile file) const {
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

Table CommittedState::tasks_table() const {
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

Stats CommittedState::dataset_stats() const {
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
CommittedState new_dataset_state(const fs::path& root, const DatasetSpec& spec) {
    if (!(spec.fps > 0.0)) throw DataError(root.string() + ": fps must be positive");
    CommittedState state;
    Metadata& meta = state.meta;
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
    state.data_table = empty_data_table(info);
    return state;
}

std::vector<fs::path> EpisodePlan::commit_order() const {
    std::vector<fs::path> out{data.target};
    for (const PlannedVideo& v : videos)
        out.push_back(v.target);
    for (const PlannedFile& f : metadata)
        out.push_back(f.target);
    return out;
}

EpisodePlan plan_episode(const CommittedState& committed, const EpisodeInput& input) {
    EpisodePlan plan;
    plan.next = committed;
    CommittedState& next = plan.next;
    DatasetInfo& info = next.meta.info;
    const std::int64_t episode_index = info.total_episodes;
    const std::int64_t first_index = info.total_frames;
    plan.episode_index = episode_index;
    const std::string episode = "episode " + std::to_string(episode_index);
    if (input.frames.empty()) {
        throw DataError(committed.meta.root.string() + ": no frames to save");
    }
    // Tasks: new descriptions get the next task_index.
    std::vector<std::int64_t> task_indices;
    std::vector<std::string> episode_tasks;
    std::vector<std::string>& tasks = next.meta.tasks;
    for (const Frame& frame : input.frames) {
        auto it = std::find(tasks.begin(), tasks.end(), frame.task);
        if (it == tasks.end()) {
            tasks.push_back(frame.task);
            it = tasks.end() - 1;
        }
        task_indices.push_back(it - tasks.begin());
        if (std::find(episode_tasks.begin(), episode_tasks.end(), frame.task) ==
            episode_tasks.end()) {
            episode_tasks.push_back(frame.task);
        }
    }
    plan.adds_tasks = tasks.size() != committed.meta.tasks.size();
    plan.rows = make_episode_table(info, input.frames, episode_index, first_index, task_indices);
    const std::int64_t length = plan.rows.num_rows;
    const std::vector<std::string> video_keys = info.video_keys();
    for (const std::string& key : video_keys) {
        const auto it = input.videos.find(key);
        if (it == input.videos.end()) {
            throw DataError(episode + ": video of \"" + key +
                            "\" missing (encode the episode's frames before saving it)");
        }
        if (it->second.probe.frames != length) {
            throw DataError(episode + ": video of \"" + key + "\" has " +
                            std::to_string(it->second.probe.frames) + " frames, the episode " +
                            std::to_string(length));
        }
    }
    plan.stats = episode_stats(info, plan.rows, input.image_stats);

    // 1. The data file: append to the current one, or roll over like LeRobot does by size.
    const double limit = info.data_files_size_in_mb * 1024.0 * 1024.0;
    const std::size_t episode_bytes = parquet::encode_table(plan.rows).size();
    if (next.data_table.num_rows > 0 &&
        static_cast<double>(next.data_bytes + episode_bytes) >= limit) {
        next.data_at = next_chunk_file(next.data_at, info.chunks_size);
        next.data_table = next.data_table.slice(0, 0);
    }
    for (std::size_t c = 0; c < next.data_table.columns.size(); ++c) {
        next.data_table.columns[c].append_rows(plan.rows.columns[c], 0,
                                               static_cast<std::size_t>(length));
    }
    next.data_table.num_rows += length;
    next.data_table.metadata = plan.rows.metadata;
    plan.data = {next.data_path(next.data_at), parquet::encode_table(next.data_table)};
    next.data_bytes = plan.data.bytes.size();

    EpisodeMeta m;
    m.episode_index = episode_index;
    m.tasks = episode_tasks;
    m.length = length;
    m.data_chunk_index = next.data_at.chunk;
    m.data_file_index = next.data_at.file;
    m.dataset_from_index = first_index;
    m.dataset_to_index = first_index + length;
    next.meta.episodes.push_back(m);
    info.total_episodes = episode_index + 1;
    info.total_frames = first_index + length;
    info.total_tasks = static_cast<std::int64_t>(tasks.size());

    // Episode metadata file: rolls over by the data size limit too.
    if (next.meta_bytes > 0 && static_cast<double>(next.meta_bytes) >= limit) {
        next.meta_at = next_chunk_file(next.meta_at, info.chunks_size);
    }
    next.episode_stats.push_back(plan.stats);
    next.episode_meta_file.push_back(next.meta_at);

    // 2. Videos: each camera's current file joined with the episode (or a new file).
    const double video_limit = info.video_files_size_in_mb * 1024.0 * 1024.0;
    for (const std::string& key : video_keys) {
        const EpisodeVideo& video = input.videos.at(key);
        auto& [at, bytes] = next.videos[key];
        if (bytes > 0 && static_cast<double>(bytes + video.bytes) >= video_limit) {
            at = next_chunk_file(at, info.chunks_size);
            bytes = 0;
        }
        PlannedVideo planned{key, next.video_path(key, at), {}};
        if (bytes > 0) planned.segments.push_back({planned.target});
        planned.segments.push_back({video.path});
        plan.videos.push_back(std::move(planned));
        for (Feature& f : info.features) {
            if (f.key == key && f.info_json.empty()) f.info_json = video_info_json(video.probe);
        }
    }
    return plan;
}

void plan_metadata(EpisodePlan& plan, const std::map<std::string, JoinedVideo>& joined) {
    CommittedState& next = plan.next;
    DatasetInfo& info = next.meta.info;
    EpisodeMeta& m = next.meta.episodes.back();
    for (const PlannedVideo& v : plan.videos) {
        const auto start = joined.find(v.key);
        if (start == joined.end()) {
            throw DataError(v.target.string() +
                            ": the episode's place in the joined video is unknown");
        }
        const double from = start->second.start_s;
        next.videos.at(v.key).second = start->second.bytes;
        m.videos[v.key] =
            VideoRef{next.videos.at(v.key).first.chunk, next.videos.at(v.key).first.file, from,
                     from + static_cast<double>(m.length) / info.fps};
    }
    plan.metadata.clear();
    plan.metadata.push_back({next.episodes_path(next.meta_at),
                             parquet::encode_table(next.episodes_table(next.meta_at))});
    next.meta_bytes = plan.metadata.back().bytes.size();
    if (plan.adds_tasks) {
        plan.metadata.push_back(
            {next.meta.root / "meta/tasks.parquet", parquet::encode_table(next.tasks_table())});
    }
    next.meta.stats_json = stats_json(info, next.dataset_stats());
    plan.metadata.push_back({next.meta.root / "meta/stats.json", next.meta.stats_json});
    plan.metadata.push_back({next.meta.root / "meta/info.json", dump_info(info)});
}

}  // namespace rcls::dataset
