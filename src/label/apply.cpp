// SPDX-License-Identifier: MIT
//
// Reading and writing a dataset's labels (apply.hpp).
#include "rcls/label/apply.hpp"

#include <chrono>
#include <cmath>

#include <spdlog/spdlog.h>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/dataset/writer.hpp"
#include "rcls/video/concat.hpp"

namespace rcls::label {
namespace fs = std::filesystem;

namespace {

constexpr const char* kReward = "next.reward";
constexpr const char* kDone = "next.done";

/// Row `row` of a scalar or one-element list column as a number.
double scalar_at(const parquet::Column& column, std::size_t row) {
    if (column.list_depth() == 0) return column.number(row);
    const std::vector<double> values = column.numbers(row);
    return values.empty() ? 0.0 : values.front();
}

void status(const ApplyOptions& options, const std::string& line) {
    spdlog::debug("label: {}", line);
    if (options.on_status) options.on_status(line);
}

/// The labelled copy's features: the source's (cameras unchanged), with next.reward float32[1]
/// and next.done bool[1] added or replaced.
std::vector<dataset::Feature> copy_features(const dataset::Dataset& source) {
    std::vector<dataset::Feature> out;
    for (const dataset::Feature& f : source.info().features) {
        if (dataset::is_default_feature(f.key) || f.key == kReward || f.key == kDone) continue;
        if (f.dtype == "image") {
            throw DataError(source.root().string() + ": feature \"" + f.key +
                            "\" keeps images inside the Parquet files, which rcls does not read; "
                            "convert it to a video feature with LeRobot first");
        }
        out.push_back(f);
    }
    out.push_back(dataset::make_feature(kReward, "float32", {1}));
    out.push_back(dataset::make_feature(kDone, "bool", {1}));
    return out;
}

/// Writes a labelled v3.0 copy of `source` at `output` through the dataset writer: tabular values
/// copied row by row with the new labels, each camera's episode video copied by packets.
void write_copy(const dataset::Dataset& source,
                const fs::path& output,
                const LabelColumns& columns,
                const ApplyOptions& options) {
    const std::vector<dataset::Feature> features = copy_features(source);
    dataset::DatasetSpec spec;
    spec.robot_type = source.info().robot_type;
    spec.fps = source.info().fps;
    spec.features = features;
    spec.chunks_size = source.info().chunks_size;
    spec.data_files_size_in_mb = source.info().data_files_size_in_mb;
    spec.video_files_size_in_mb = source.info().video_files_size_in_mb;
    dataset::DatasetWriter writer = dataset::DatasetWriter::create(output, spec);
    const std::vector<std::string> cameras = source.info().video_keys();
    const double fps = source.info().fps;
    std::vector<dataset::Feature> copied;  // read from the source; the labels come from `columns`
    for (const dataset::Feature& f : features) {
        if (f.key != kReward && f.key != kDone) copied.push_back(f);
    }
    for (const dataset::EpisodeMeta& e : source.meta().episodes) {
        throw_if_interrupted();
        status(options, "copying episode " + std::to_string(e.episode_index));
        const parquet::Table table = source.read_episode(e.episode_index);
        const std::vector<float>& reward = columns.reward.at(e.episode_index);
        const std::vector<bool>& done = columns.done.at(e.episode_index);
        for (std::int64_t t = 0; t < e.length; ++t) {
            const auto row = static_cast<std::size_t>(t);
            dataset::Frame frame =
                dataset::frame_from_row(source, table, e.episode_index, t, copied);
            frame.values[kReward] = {static_cast<double>(reward[row])};
            frame.values[kDone] = {done[row] ? 1.0 : 0.0};
            writer.add_frame(frame);
        }
        for (const std::string& key : cameras) {
            const fs::path video = source.meta().find_video_file(e, key);
            const auto ref = e.videos.find(key);
            const double from = ref == e.videos.end() ? 0.0 : ref->second.from_timestamp;
            if (from > 0.5 / fps) {
                // v3.0 files hold many episodes; a packet copy can cut only a file's end.
                throw DataError("episode " + std::to_string(e.episode_index) + ": " +
                                video.string() + ": the episode starts " + std::to_string(from) +
                                " s into the file, which a packet copy cannot cut out");
            }
            const video::VideoProbe probe = video::probe_video(video);
            video::VideoSegment segment{video};
            if (probe.frames != e.length) {
                segment.keep_s = (static_cast<double>(e.length) - 0.5) / fps;
            }
            video::concatenate_videos({segment}, writer.episode_video_path(key));
        }
        writer.save_episode();
    }
}

/// Copies the files of a v3.0 dataset (not rcls's staging folder or stale temporaries).
void copy_tree(const fs::path& from, const fs::path& to) {
    std::error_code error;
    for (auto it = fs::recursive_directory_iterator(from, error);
         !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
        const fs::path relative = it->path().lexically_relative(from);
        const std::string first = relative.begin()->string();
        if (first == ".rcls-staging" || it->path().filename().string().starts_with(".")) {
            if (it->is_directory()) it.disable_recursion_pending();
            continue;
        }
        if (it->is_directory()) {
            fs::create_directories(to / relative, error);
        } else if (it->is_regular_file()) {
            fs::create_directories((to / relative).parent_path(), error);
            if (!error) fs::copy_file(it->path(), to / relative, error);
        }
        if (error) {
            throw DataError((to / relative).string() + ": cannot copy: " + error.message());
        }
    }
    if (error) throw DataError(from.string() + ": cannot read: " + error.message());
}

}  // namespace

std::vector<EpisodeLength> episode_lengths(const dataset::Dataset& d) {
    std::vector<EpisodeLength> out;
    out.reserve(d.meta().episodes.size());
    for (const dataset::EpisodeMeta& e : d.meta().episodes) {
        out.push_back({e.episode_index, e.length});
    }
    return out;
}

LabelSummary current_labels(const dataset::Dataset& d) {
    LabelSummary summary;
    const bool has_reward = d.info().feature(kReward) != nullptr;
    for (const dataset::EpisodeMeta& e : d.meta().episodes) {
        EpisodeResult result;
        result.episode_index = e.episode_index;
        result.length = e.length;
        summary.frames += e.length;
        if (has_reward) {
            const parquet::Table table = d.read_episode(e.episode_index);
            const parquet::Column& column = table.column(kReward);
            std::vector<float> values(static_cast<std::size_t>(table.num_rows));
            for (std::size_t row = 0; row < static_cast<std::size_t>(table.num_rows); ++row) {
                values[row] = static_cast<float>(scalar_at(column, row));
            }
            result.label = label_from_rewards(values, &result.contiguous);
            for (const float v : values)
                result.success += v >= 0.5f ? 1 : 0;
            summary.success += result.success;
            summary.failure += e.length - result.success;
        } else {
            summary.unlabelled += e.length;
        }
        summary.episodes.push_back(result);
    }
    return summary;
}

LabelColumns label_columns(const LabelSet& labels,
                           const std::vector<EpisodeLength>& episodes,
                           const std::map<std::int64_t, std::vector<float>>& keep) {
    LabelColumns columns;
    for (const EpisodeLength& e : episodes) {
        if (const auto it = labels.episodes.find(e.episode_index); it != labels.episodes.end()) {
            columns.reward[e.episode_index] = rewards(it->second, e.length);
        } else if (const auto kept = keep.find(e.episode_index);
                   kept != keep.end() &&
                   kept->second.size() == static_cast<std::size_t>(e.length)) {
            columns.reward[e.episode_index] = kept->second;
        } else {
            columns.reward[e.episode_index] =
                std::vector<float>(static_cast<std::size_t>(e.length), 0.0f);
        }
        columns.done[e.episode_index] = dones(e.length);
    }
    return columns;
}

fs::path default_copy_output(const fs::path& root) {
    fs::path clean = root.lexically_normal();
    if (clean.filename().empty()) clean = clean.parent_path();
    return clean.parent_path() / (clean.filename().string() + "_labelled");
}

ApplyResult apply_labels(const fs::path& source_root,
                         const LabelSet& labels,
                         const ApplyOptions& options) {
    const auto start = std::chrono::steady_clock::now();
    const dataset::Dataset source = dataset::Dataset::open(source_root);
    const std::vector<EpisodeLength> episodes = episode_lengths(source);
    validate(labels, episodes, options.allow_unlabelled);

    // Unlabelled episodes (--allow-unlabelled) keep what the dataset says.
    std::map<std::int64_t, std::vector<float>> keep;
    if (source.info().feature(kReward) != nullptr) {
        for (const EpisodeLength& e : episodes) {
            if (labels.episodes.count(e.episode_index) > 0) continue;
            const parquet::Table table = source.read_episode(e.episode_index);
            const parquet::Column& column = table.column(kReward);
            std::vector<float>& values = keep[e.episode_index];
            values.resize(static_cast<std::size_t>(table.num_rows));
            for (std::size_t row = 0; row < static_cast<std::size_t>(table.num_rows); ++row) {
                values[row] = static_cast<float>(scalar_at(column, row));
            }
        }
    }
    const LabelColumns columns = label_columns(labels, episodes, keep);

    ApplyResult result;
    const bool copy = !options.output.empty() || !source.info().is_v3();
    if (copy) {
        const fs::path output =
            options.output.empty() ? default_copy_output(source.root()) : options.output;
        if (fs::absolute(output).lexically_normal() ==
            fs::absolute(source.root()).lexically_normal()) {
            throw UsageError(
                "label: --output must not be the dataset itself (leave it out to "
                "relabel a v3.0 dataset in place)");
        }
        std::error_code error;
        if (fs::exists(output, error) && !fs::is_empty(output, error)) {
            throw DataError(output.string() +
                            ": exists and is not empty; choose another --output "
                            "or remove it");
        }
        // The copy appears under its name only when complete.
        AtomicOutput staged(output, OutputKind::kDirectory);
        if (source.info().is_v3()) {
            status(options, "copying " + source.root().string());
            copy_tree(source.root(), staged.temp_path());
            rewrite_label_columns(staged.temp_path(), columns);
        } else {
            write_copy(source, staged.temp_path(), columns, options);
        }
        staged.commit();
        result.root = output;
        result.copied = true;
    } else {
        status(options, "rewriting labels of " + source.root().string());
        rewrite_label_columns(source.root(), columns);
        result.root = source.root();
    }
    result.summary = summarize(labels, episodes);
    // Episodes that kept their rewards count as they are.
    for (EpisodeResult& r : result.summary.episodes) {
        const auto kept = keep.find(r.episode_index);
        if (r.label || kept == keep.end()) continue;
        r.label = label_from_rewards(kept->second, &r.contiguous);
        for (const float v : kept->second)
            r.success += v >= 0.5f ? 1 : 0;
        result.summary.unlabelled -= r.length;
        result.summary.success += r.success;
        result.summary.failure += r.length - r.success;
    }
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

}  // namespace rcls::label
