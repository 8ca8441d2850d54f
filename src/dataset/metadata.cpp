// SPDX-License-Identifier: MIT
#include "rcls/dataset/metadata.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/paths.hpp"
#include "rcls/dataset/layout.hpp"
#include "rcls/parquet/reader.hpp"

namespace rcls::dataset {
namespace fs = std::filesystem;
namespace {

using Json = nlohmann::json;

std::vector<Json> read_jsonl(const fs::path& path) {
    const std::string text = read_file(path);
    std::vector<Json> lines;
    std::size_t start = 0;
    int line_number = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        ++line_number;
        const std::string line = text.substr(start, end - start);
        start = end + 1;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        try {
            lines.push_back(Json::parse(line));
        } catch (const nlohmann::json::exception& e) {
            throw DataError(path.string() + ":" + std::to_string(line_number) +
                            ": invalid JSON: " + e.what());
        }
    }
    return lines;
}

std::int64_t json_int(const Json& j, const char* key, const fs::path& path, int line) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer()) {
        throw DataError(path.string() + ":" + std::to_string(line) + ": missing integer \"" + key +
                        "\"");
    }
    return it->get<std::int64_t>();
}

/// Bounds on what an episode's metadata may say: past them a file lies (or is corrupt), and
/// using the value would index out of bounds or allocate without limit.
constexpr std::int64_t kMaxIndex = std::int64_t{1} << 40;

/// Every length, index and offset of `e` (read from `where`) checked before anything uses it.
void validate_episode(const EpisodeMeta& e, const std::string& where, bool v3) {
    const auto bad = [&](const std::string& what) {
        throw DataError(
            where + ": episode " + std::to_string(e.episode_index) + ": " + what +
            "; the episode metadata is corrupt (re-download or re-convert the dataset)");
    };
    const auto in_range = [](std::int64_t v) { return v >= 0 && v <= kMaxIndex; };
    if (!in_range(e.episode_index)) {
        throw DataError(where + ": episode_index " + std::to_string(e.episode_index) +
                        " is out of range; the episode metadata is corrupt (re-download or "
                        "re-convert the dataset)");
    }
    if (!in_range(e.length)) bad("length " + std::to_string(e.length) + " is out of range");
    if (!in_range(e.data_chunk_index) || !in_range(e.data_file_index)) {
        bad("data chunk/file index " + std::to_string(e.data_chunk_index) + "/" +
            std::to_string(e.data_file_index) + " is out of range");
    }
    if (v3) {
        if (!in_range(e.dataset_from_index) || !in_range(e.dataset_to_index) ||
            e.dataset_to_index - e.dataset_from_index != e.length) {
            bad("dataset_from_index " + std::to_string(e.dataset_from_index) +
                " and dataset_to_index " + std::to_string(e.dataset_to_index) +
                " do not span its length " + std::to_string(e.length));
        }
    }
    for (const auto& [key, ref] : e.videos) {
        if (!in_range(ref.chunk_index) || !in_range(ref.file_index) ||
            !std::isfinite(ref.from_timestamp) || !std::isfinite(ref.to_timestamp) ||
            ref.from_timestamp < 0.0 || ref.to_timestamp < ref.from_timestamp) {
            bad("video \"" + key + "\": chunk/file index or from/to timestamps out of range");
        }
    }
}

void load_v2(Metadata& meta) {
    const fs::path tasks_path = meta.root / "meta/tasks.jsonl";
    int line = 0;
    for (const Json& j : read_jsonl(tasks_path)) {
        ++line;
        const std::int64_t index = json_int(j, "task_index", tasks_path, line);
        if (index < 0 || index > 1000000) throw DataError(tasks_path.string() + ": bad task_index");
        if (meta.tasks.size() <= static_cast<std::size_t>(index)) {
            meta.tasks.resize(static_cast<std::size_t>(index) + 1);
        }
        meta.tasks[static_cast<std::size_t>(index)] = j.value("task", std::string());
    }
    const fs::path episodes_path = meta.root / "meta/episodes.jsonl";
    line = 0;
    for (const Json& j : read_jsonl(episodes_path)) {
        ++line;
        EpisodeMeta e;
        e.episode_index = json_int(j, "episode_index", episodes_path, line);
        e.length = json_int(j, "length", episodes_path, line);
        if (const auto it = j.find("tasks"); it != j.end() && it->is_array()) {
            for (const Json& t : *it) {
                if (t.is_string()) e.tasks.push_back(t.get<std::string>());
            }
        }
        validate_episode(e, episodes_path.string() + ":" + std::to_string(line), false);
        meta.episodes.push_back(std::move(e));
    }
    std::sort(meta.episodes.begin(), meta.episodes.end(),
              [](const EpisodeMeta& a, const EpisodeMeta& b) {
                  return a.episode_index < b.episode_index;
              });
    std::int64_t index = 0;
    const std::vector<std::string> video_keys = meta.info.video_keys();
    for (EpisodeMeta& e : meta.episodes) {
        e.data_chunk_index = e.episode_index / meta.info.chunks_size;
        e.dataset_from_index = index;
        index += e.length;
        e.dataset_to_index = index;
        for (const std::string& key : video_keys) {
            e.videos[key] =
                VideoRef{e.data_chunk_index, 0, 0.0, static_cast<double>(e.length) / meta.info.fps};
        }
    }
}

std::vector<fs::path> sorted_parquet_files(const fs::path& dir) {
    std::vector<fs::path> files;
    std::error_code error;
    if (!fs::is_directory(dir, error)) return files;
    for (const auto& chunk : fs::directory_iterator(dir, error)) {
        if (!chunk.is_directory()) continue;
        for (const auto& file : fs::directory_iterator(chunk.path(), error)) {
            const std::string name = file.path().filename().string();
            if (file.path().extension() == ".parquet" && !is_temporary_name(name)) {
                files.push_back(file.path());
            }
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

void load_v3(Metadata& meta) {
    const fs::path tasks_path = meta.root / "meta/tasks.parquet";
    std::error_code error;
    if (meta.info.total_episodes == 0 && !fs::exists(tasks_path, error)) return;  // just created
    const parquet::Table tasks = parquet::read_table(tasks_path);
    const parquet::Column* names = tasks.find("task");
    if (names == nullptr) names = tasks.find("__index_level_0__");
    const parquet::Column* indices = tasks.find("task_index");
    if (names == nullptr || indices == nullptr || names->type != parquet::ValueType::kString) {
        throw DataError(tasks_path.string() + ": expected columns \"task\" and \"task_index\"");
    }
    for (std::size_t r = 0; r < static_cast<std::size_t>(tasks.num_rows); ++r) {
        const std::int64_t index = indices->integer(r);
        if (index < 0 || index > 1000000) throw DataError(tasks_path.string() + ": bad task_index");
        if (meta.tasks.size() <= static_cast<std::size_t>(index)) {
            meta.tasks.resize(static_cast<std::size_t>(index) + 1);
        }
        meta.tasks[static_cast<std::size_t>(index)] = names->as<std::string>()[r];
    }

    const std::vector<fs::path> files = sorted_parquet_files(meta.root / "meta/episodes");
    if (files.empty()) {
        throw DataError((meta.root / "meta/episodes").string() +
                        ": no episode metadata (expected chunk-000/file-000.parquet)");
    }
    const std::vector<std::string> video_keys = meta.info.video_keys();
    for (const fs::path& file : files) {
        const parquet::Table t = parquet::read_table(file);
        const auto column = [&](const std::string& name) -> const parquet::Column& {
            const parquet::Column* c = t.find(name);
            if (c == nullptr) throw DataError(file.string() + ": column \"" + name + "\" missing");
            return *c;
        };
        const parquet::Column& episode_index = column("episode_index");
        const parquet::Column& length = column("length");
        const parquet::Column* task_lists = t.find("tasks");
        if (t.num_rows == 0) continue;
        // Columns are found once per file, not per row (the table has 100+ stats columns).
        const parquet::Column& data_chunk = column("data/chunk_index");
        const parquet::Column& data_file = column("data/file_index");
        const parquet::Column& from_index = column("dataset_from_index");
        const parquet::Column& to_index = column("dataset_to_index");
        struct VideoColumns {
            const std::string* key;
            const parquet::Column *chunk, *file, *from, *to;
        };
        std::vector<VideoColumns> videos;
        for (const std::string& key : video_keys) {
            const std::string prefix = "videos/" + key + "/";
            if (t.find(prefix + "chunk_index") == nullptr) continue;
            videos.push_back({&key, &column(prefix + "chunk_index"), &column(prefix + "file_index"),
                              &column(prefix + "from_timestamp"),
                              &column(prefix + "to_timestamp")});
        }
        for (std::size_t r = 0; r < static_cast<std::size_t>(t.num_rows); ++r) {
            EpisodeMeta e;
            e.episode_index = episode_index.integer(r);
            e.length = length.integer(r);
            e.data_chunk_index = data_chunk.integer(r);
            e.data_file_index = data_file.integer(r);
            e.dataset_from_index = from_index.integer(r);
            e.dataset_to_index = to_index.integer(r);
            if (task_lists != nullptr && task_lists->type == parquet::ValueType::kString &&
                task_lists->list_depth() == 1) {
                const auto [begin, end] = task_lists->list_range(r);
                for (std::size_t k = begin; k < end; ++k) {
                    e.tasks.push_back(task_lists->as<std::string>()[k]);
                }
            }
            for (const VideoColumns& v : videos) {
                e.videos[*v.key] = VideoRef{v.chunk->integer(r), v.file->integer(r),
                                            v.from->number(r), v.to->number(r)};
            }
            validate_episode(e, file.string() + ": row " + std::to_string(r), true);
            meta.episodes.push_back(std::move(e));
        }
    }
    std::sort(meta.episodes.begin(), meta.episodes.end(),
              [](const EpisodeMeta& a, const EpisodeMeta& b) {
                  return a.episode_index < b.episode_index;
              });
}

}  // namespace

const EpisodeMeta* Metadata::find_episode(std::int64_t episode_index) const {
    const auto it =
        std::lower_bound(episodes.begin(), episodes.end(), episode_index,
                         [](const EpisodeMeta& e, std::int64_t i) { return e.episode_index < i; });
    return it != episodes.end() && it->episode_index == episode_index ? &*it : nullptr;
}

fs::path Metadata::data_file(std::int64_t chunk, std::int64_t file) const {
    PathFields fields;
    fields.ints = {{"chunk_index", chunk},
                   {"file_index", file},
                   {"episode_chunk", chunk},
                   {"episode_index", file}};
    return root / format_path(info.data_path, fields);
}

fs::path Metadata::data_file(const EpisodeMeta& e) const {
    if (info.is_v3()) return data_file(e.data_chunk_index, e.data_file_index);
    return data_file(e.data_chunk_index, e.episode_index);
}

fs::path Metadata::video_file(const EpisodeMeta& e, const std::string& video_key) const {
    if (!info.video_path) {
        throw DataError(root.string() + ": info.json has no video_path, but video \"" + video_key +
                        "\" was asked for");
    }
    PathFields fields;
    fields.strings = {{"video_key", video_key}};
    const auto ref = e.videos.find(video_key);
    const std::int64_t chunk = ref != e.videos.end() ? ref->second.chunk_index : e.data_chunk_index;
    const std::int64_t file = ref != e.videos.end() ? ref->second.file_index : 0;
    fields.ints = {{"chunk_index", chunk},
                   {"file_index", file},
                   {"episode_chunk", chunk},
                   {"episode_index", e.episode_index}};
    return root / format_path(*info.video_path, fields);
}

fs::path Metadata::find_video_file(const EpisodeMeta& e, const std::string& video_key) const {
    const fs::path path = video_file(e, video_key);
    std::error_code error;
    if (fs::exists(path, error)) return path;
    // Real datasets deviate from their own template, e.g. video/<key>/... (lingzu open_50).
    const fs::path relative = path.lexically_relative(root);
    auto it = relative.begin();
    if (it != relative.end() && it->string() == "videos") {
        fs::path alternative = root / "video";
        for (++it; it != relative.end(); ++it) {
            alternative /= *it;
        }
        if (fs::exists(alternative, error)) return alternative;
    }
    return path;
}

fs::path default_root(const std::string& repo_id) {
    return hf_lerobot_home() / repo_id;
}

bool is_dataset_root(const fs::path& path) {
    std::error_code error;
    return fs::is_regular_file(path / "meta" / "info.json", error);
}

fs::path resolve_root(const std::string& root_or_repo_id) {
    std::error_code error;
    const fs::path given = expand_user(root_or_repo_id);
    if (fs::is_directory(given, error)) return given;
    const bool repo_like = !root_or_repo_id.empty() && root_or_repo_id.front() != '/' &&
                           root_or_repo_id.front() != '.' &&
                           std::count(root_or_repo_id.begin(), root_or_repo_id.end(), '/') == 1;
    if (repo_like && fs::is_directory(default_root(root_or_repo_id), error)) {
        return default_root(root_or_repo_id);
    }
    return given;
}

Metadata load_metadata(const fs::path& root) {
    const fs::path info_path = root / "meta/info.json";
    std::error_code error;
    if (!fs::exists(info_path, error)) {
        if (!fs::exists(root, error)) throw DataError(root.string() + ": dataset folder not found");
        throw DataError(info_path.string() + ": not found; " + root.string() +
                        " is not a LeRobot dataset");
    }
    Metadata meta;
    meta.root = root;
    meta.info = load_info(info_path);
    if (meta.info.is_v3()) {
        load_v3(meta);
    } else {
        load_v2(meta);
    }
    // info.json is the commit point: drop episodes it does not count yet.
    const std::int64_t committed = meta.info.total_episodes;
    const auto uncommitted =
        std::find_if(meta.episodes.begin(), meta.episodes.end(),
                     [&](const EpisodeMeta& e) { return e.episode_index >= committed; });
    if (uncommitted != meta.episodes.end()) {
        spdlog::debug("{}: ignoring {} episodes past total_episodes {} (an unfinished write)",
                      root.string(), meta.episodes.end() - uncommitted, committed);
        meta.episodes.erase(uncommitted, meta.episodes.end());
    }
    if (meta.episodes.size() < static_cast<std::size_t>(committed)) {
        spdlog::warn("{}: info.json counts {} episodes, the episode metadata lists {}",
                     root.string(), committed, meta.episodes.size());
    }
    const fs::path stats_path = root / "meta/stats.json";
    if (fs::exists(stats_path, error)) meta.stats_json = read_file(stats_path);
    return meta;
}

}  // namespace rcls::dataset
