// SPDX-License-Identifier: MIT
#include "rcls/dataset/dataset.hpp"

#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>

#include "rcls/core/error.hpp"
#include "rcls/dataset/labels.hpp"
#include "rcls/dataset/lock.hpp"
#include "rcls/dataset/writer.hpp"
#include "rcls/parquet/reader.hpp"
#include "rcls/video/concat.hpp"

#include "tables.hpp"

namespace rcls::dataset {
namespace fs = std::filesystem;

Dataset::Dataset(Metadata meta) : meta_(std::move(meta)) {}

Dataset Dataset::open(const fs::path& root) {
    std::error_code error;
    if (fs::exists(label_journal_path(root), error)) {
        // A label rewrite committed but its files are not all in place: wait for its writer, or
        // complete it when that writer was killed, so that no mix of old and new labels is read.
        const DatasetLock lock = DatasetLock::wait(root, "completing a label rewrite");
        finish_label_rewrite(root);
    }
    return Dataset(load_metadata(root));
}

const EpisodeMeta& Dataset::episode(std::int64_t episode_index) const {
    const EpisodeMeta* e = meta_.find_episode(episode_index);
    if (e == nullptr) {
        throw DataError(meta_.root.string() + ": episode " + std::to_string(episode_index) +
                        " does not exist (the dataset has " +
                        std::to_string(meta_.episodes.size()) + " episodes)");
    }
    return *e;
}

bool Dataset::has_data(std::int64_t episode_index) const {
    std::error_code error;
    return fs::exists(meta_.data_file(episode(episode_index)), error);
}

bool Dataset::has_any_data() const {
    std::error_code error;
    for (const EpisodeMeta& e : meta_.episodes) {
        if (fs::exists(meta_.data_file(e), error)) return true;
    }
    return false;
}

parquet::Table Dataset::read_episode(std::int64_t episode_index) const {
    const EpisodeMeta& e = episode(episode_index);
    const fs::path path = meta_.data_file(e);
    const std::string where = "episode " + std::to_string(episode_index) + ": " + path.string();
    std::error_code error;
    if (!fs::exists(path, error)) throw DataError(where + ": data file missing");
    if (path != cached_path_ || !cached_table_) {
        try {
            cached_table_ = std::make_shared<const parquet::Table>(parquet::read_table(path));
        } catch (const DataError& err) {
            throw DataError("episode " + std::to_string(episode_index) + ": " + err.what());
        }
        cached_path_ = path;
        cached_runs_.clear();
        // Episodes are contiguous runs of rows; rows past the committed ones are ignored.
        if (const parquet::Column* episodes = cached_table_->find("episode_index")) {
            const auto rows = static_cast<std::size_t>(cached_table_->num_rows);
            for (std::size_t begin = 0, end = 0; begin < rows; begin = end) {
                const std::int64_t index = episodes->integer(begin);
                for (end = begin + 1; end < rows && episodes->integer(end) == index;) {
                    ++end;
                }
                cached_runs_.try_emplace(index, begin, end);  // the first run counts
            }
        }
    }
    const parquet::Table& table = *cached_table_;
    if (table.find("episode_index") == nullptr) {
        throw DataError(where + ": column \"episode_index\" missing");
    }
    const auto rows = static_cast<std::size_t>(table.num_rows);
    const auto run = cached_runs_.find(episode_index);
    const auto [begin, end] =
        run != cached_runs_.end() ? run->second : std::pair<std::size_t, std::size_t>{rows, rows};
    if (static_cast<std::int64_t>(end - begin) < e.length) {
        throw DataError(where + ": holds " + std::to_string(end - begin) +
                        " rows of the episode, its metadata says " + std::to_string(e.length));
    }
    return table.slice(begin, begin + static_cast<std::size_t>(e.length));
}

namespace {

/// `what` without the "episode N: " and "<path>: " it may start with (the caller prints both).
std::string without_prefix(std::string what, std::int64_t episode_index, const fs::path& path) {
    for (const std::string& prefix :
         {"episode " + std::to_string(episode_index) + ": ", path.string() + ": "}) {
        while (what.rfind(prefix, 0) == 0) {
            what.erase(0, prefix.size());
        }
    }
    return what;
}

/// What is wrong with the data rows of an episode against info.json's features: a column
/// missing, of another type than its dtype, or rows whose value count is not the shape's.
std::string feature_mismatch(const parquet::Table& table, const DatasetInfo& info) {
    for (const Feature& f : info.features) {
        if (f.is_visual()) continue;
        const parquet::Column* column = table.find(f.key);
        if (column == nullptr) return "column \"" + f.key + "\" (a feature in info.json) missing";
        const std::optional<parquet::ValueType> type = tables::value_type_of(f.dtype);
        if (type && column->type != *type) {
            return "column \"" + f.key + "\" holds " + parquet::to_string(column->type) +
                   " values, info.json says dtype " + f.dtype;
        }
        if (column->list_depth() != 1) continue;  // scalars and nested (image-like) lists
        for (std::size_t r = 0; r < static_cast<std::size_t>(table.num_rows); ++r) {
            const auto [begin, end] = column->list_range(r);
            if (static_cast<std::int64_t>(end - begin) != f.size()) {
                return "column \"" + f.key + "\" row " + std::to_string(r) + " holds " +
                       std::to_string(end - begin) + " values, info.json's shape says " +
                       std::to_string(f.size());
            }
        }
    }
    return "";
}

}  // namespace

std::vector<FileProblem> Dataset::find_problems(bool read_data) const {
    std::vector<FileProblem> problems;
    std::error_code error;
    std::map<fs::path, video::VideoProbe> probed;
    std::map<fs::path, std::string> unreadable;
    if (read_data && !meta_.stats_json.empty()) {
        // A truncated or corrupt stats.json would only fail when training normalises with it.
        try {
            const nlohmann::json stats = nlohmann::json::parse(meta_.stats_json);
            (void)stats;
        } catch (const nlohmann::json::exception& err) {
            problems.push_back(
                {-1, meta_.root / "meta/stats.json", std::string("invalid JSON: ") + err.what()});
        }
    }
    for (const EpisodeMeta& e : meta_.episodes) {
        const fs::path data = meta_.data_file(e);
        if (!fs::exists(data, error)) {
            problems.push_back({e.episode_index, data, "missing"});
        } else if (read_data) {
            try {
                const std::string mismatch =
                    feature_mismatch(read_episode(e.episode_index), meta_.info);
                if (!mismatch.empty()) problems.push_back({e.episode_index, data, mismatch});
            } catch (const DataError& err) {
                problems.push_back(
                    {e.episode_index, data, without_prefix(err.what(), e.episode_index, data)});
            }
        }
        for (const std::string& key : meta_.info.video_keys()) {
            const fs::path video = meta_.find_video_file(e, key);
            if (!fs::exists(video, error)) {
                problems.push_back({e.episode_index, video, "missing"});
                continue;
            }
            if (!read_data) continue;
            // Read the container's packets (no decoding): truncated or corrupt files fail here,
            // and a file too short for the episode shows in its end time.
            if (!probed.count(video) && !unreadable.count(video)) {
                try {
                    probed[video] = video::probe_video(video);
                } catch (const DataError& err) {
                    unreadable[video] = without_prefix(err.what(), e.episode_index, video);
                }
            }
            if (const auto bad = unreadable.find(video); bad != unreadable.end()) {
                problems.push_back({e.episode_index, video, bad->second});
                continue;
            }
            const video::VideoProbe& probe = probed[video];
            const auto ref = e.videos.find(key);
            const double needed = ref != e.videos.end() ? ref->second.to_timestamp : 0.0;
            const double frame_s = probe.fps > 0.0 ? 1.0 / probe.fps : 0.0;
            if (probe.end_s + 0.5 * frame_s < needed) {
                char what[160];
                std::snprintf(what, sizeof(what),
                              "ends at %.3f s, episode %lld needs frames up to %.3f s (truncated?)",
                              probe.end_s, static_cast<long long>(e.episode_index), needed);
                problems.push_back({e.episode_index, video, what});
            }
        }
    }
    return problems;
}

std::map<std::string, std::string> Dataset::video_codecs() const {
    std::map<std::string, std::string> codecs;
    std::error_code error;
    for (const std::string& key : meta_.info.video_keys()) {
        for (const EpisodeMeta& e : meta_.episodes) {
            const fs::path video = meta_.find_video_file(e, key);
            if (!fs::exists(video, error)) continue;
            try {
                codecs[key] = video::probe_video(video).codec;
                break;
            } catch (const DataError&) {
                continue;  // damaged: try the next episode's file
            }
        }
    }
    return codecs;
}

Frame frame_from_row(const Dataset& source,
                     const parquet::Table& table,
                     std::int64_t episode_index,
                     std::int64_t t,
                     const std::vector<Feature>& features) {
    const auto row = static_cast<std::size_t>(t);
    Frame frame;
    for (const Feature& f : features) {
        if (f.is_visual()) continue;
        const parquet::Column& column = table.column(f.key);
        frame.values[f.key] = column.list_depth() == 0 ? std::vector<double>{column.number(row)}
                                                       : column.numbers(row);
    }
    const std::int64_t task_index = table.column("task_index").integer(row);
    if (task_index < 0 || static_cast<std::size_t>(task_index) >= source.meta().tasks.size()) {
        throw DataError("episode " + std::to_string(episode_index) + ", frame " +
                        std::to_string(t) + ": task_index " + std::to_string(task_index) +
                        " has no task");
    }
    frame.task = source.meta().tasks[static_cast<std::size_t>(task_index)];
    if (const parquet::Column* ts = table.find("timestamp")) frame.timestamp = ts->number(row);
    return frame;
}

Frame frame_from_metadata(const Dataset& source, std::int64_t episode_index, std::int64_t t) {
    const EpisodeMeta& e = source.episode(episode_index);
    Frame frame;
    if (!e.tasks.empty()) {
        frame.task = e.tasks.front();
    } else if (!source.meta().tasks.empty()) {
        frame.task = source.meta().tasks.front();
    } else {
        throw DataError(source.root().string() + ": episode " + std::to_string(episode_index) +
                        ": no task in meta/ (neither the episode's tasks nor meta/tasks)");
    }
    // No timestamp column to read: LeRobot records frame t at t / fps.
    frame.timestamp = static_cast<double>(t) / source.info().fps;
    return frame;
}

}  // namespace rcls::dataset
