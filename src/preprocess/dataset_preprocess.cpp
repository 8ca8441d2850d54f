// SPDX-License-Identifier: MIT
//
// `rcls preprocess DATASET`: a LeRobot dataset in, a new v3.0 dataset out, every camera cropped and
// resized, everything else copied.
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>

#include <spdlog/spdlog.h>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/core/paths.hpp"
#include "rcls/core/progress.hpp"
#include "rcls/core/strings.hpp"
#include "rcls/dataset/dataset.hpp"
#include "rcls/dataset/frame_reader.hpp"
#include "rcls/dataset/writer.hpp"
#include "rcls/preprocess/preprocess.hpp"

#include "frame_folder.hpp"

namespace rcls::preprocess {
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

/// "128" for a square size, else "160x120".
std::string size_name(cv::Size size) {
    return size.width == size.height
               ? std::to_string(size.width)
               : std::to_string(size.width) + "x" + std::to_string(size.height);
}

/// The input size of a camera: info.json's video info, else the feature's shape.
cv::Size camera_size(const dataset::Feature& f) {
    if (f.video && f.video->width > 0) return {f.video->width, f.video->height};
    int height = 0, width = 0, channels = 0;
    f.image_size(height, width, channels);
    return {width, height};
}

/// The processed dataset's features: cameras with their new shape, everything else as it was.
/// Without data files (`derived`), only the cameras: the other features have no values; their
/// keys go to `left_out`.
std::vector<dataset::Feature> output_features(const dataset::Dataset& d,
                                              const image::Pipeline& p,
                                              bool derived,
                                              std::vector<std::string>& left_out) {
    std::vector<dataset::Feature> out;
    for (const dataset::Feature& f : d.info().features) {
        if (dataset::is_default_feature(f.key)) continue;
        if (derived && !f.is_visual()) {
            left_out.push_back(f.key);
            continue;
        }
        if (f.dtype == "image") {
            throw DataError(d.root().string() + ": feature \"" + f.key +
                            "\" keeps images inside the Parquet files, which rcls does not read; "
                            "convert it to a video feature with LeRobot first");
        }
        if (f.dtype == "video") {
            const cv::Size size = p.output_size(camera_size(f), f.key);
            out.push_back(dataset::make_feature(f.key, "video", {3, size.height, size.width},
                                                {"channels", "height", "width"}));
        } else {
            out.push_back(f);
        }
    }
    return out;
}

/// `renumbered`: the source episode of each output episode, when they differ (--skip-missing
/// left some out); kept in the record so that labels keyed by the source's numbers can be mapped.
/// `derived`: the source had no data files, so the output's indices, timestamps and tasks were
/// derived from its metadata; kept in the record as such.
Json dataset_record(const fs::path& root,
                    const PreprocessOptions& options,
                    const std::vector<std::int64_t>& renumbered,
                    bool derived) {
    Json record = {{"source", fs::absolute(root).lexically_normal().string()},
                   {"pipeline", options.pipeline.describe()},
                   {"settings", output_settings_json(options)}};
    if (!renumbered.empty()) record["source_episodes"] = renumbered;
    if (derived) {
        record["derived_from_metadata"] = {"timestamp = frame_index / fps", "frame_index",
                                           "episode_index", "index", "task_index"};
    }
    return record;
}

/// Opens the output: new, resumed (same source and settings), or replaced with --force.
dataset::DatasetWriter open_output(const dataset::Dataset& source,
                                   const PreprocessOptions& options,
                                   const std::vector<dataset::Feature>& features,
                                   const std::vector<std::int64_t>& renumbered,
                                   bool derived) {
    const fs::path& out = options.output_dir;
    const Json record = dataset_record(source.root(), options, renumbered, derived);
    dataset::WriterOptions writer_options;
    writer_options.video = options.encoder;
    std::error_code error;
    if (fs::exists(out / "meta/info.json", error)) {
        std::optional<Json> existing;
        if (fs::exists(out / kDatasetRecordName, error)) {
            try {
                existing = Json::parse(read_file(out / kDatasetRecordName));
            } catch (const nlohmann::json::exception&) {
            }
        }
        if (existing && *existing == record && !options.force) {
            spdlog::info("{}: continuing a preprocessed dataset of the same source and settings",
                         out.string());
            return dataset::DatasetWriter::open(out, writer_options);
        }
        if (!options.force) {
            throw DataError(out.string() + ": a dataset " +
                            (existing ? "made from another source or with other settings"
                                      : "rcls did not make") +
                            " is already there; use --force to replace it, or choose another "
                            "--output");
        }
        fs::remove_all(out, error);
        if (error) throw DataError(out.string() + ": cannot remove: " + error.message());
    } else if (fs::exists(out, error) && !fs::is_empty(out, error) && !options.force) {
        throw DataError(out.string() + ": exists and is not a dataset; choose another --output");
    } else if (options.force) {
        fs::remove_all(out, error);
    }
    dataset::DatasetSpec spec;
    spec.robot_type = source.info().robot_type;
    spec.fps = source.info().fps;
    spec.features = features;
    spec.chunks_size = source.info().chunks_size;
    dataset::DatasetWriter writer = dataset::DatasetWriter::create(out, spec, writer_options);
    write_file_atomic(out / kDatasetRecordName, record.dump(2) + "\n");
    return writer;
}

}  // namespace

fs::path default_dataset_output(const fs::path& root, const image::Pipeline& pipeline) {
    fs::path clean = fs::absolute(root).lexically_normal();
    if (clean.filename().empty()) clean = clean.parent_path();
    const cv::Size size = pipeline.size.value_or(cv::Size(0, 0));
    const std::string suffix = pipeline.size ? size_name(size) : "preprocessed";
    // Where a LeRobot user looks for datasets: $HF_LEROBOT_HOME/<repo_id>, the repo id being the
    // source's "<user>/<name>" (its last two folders) with the size appended to the name. Not
    // beside the source, which may be a read-only shared folder.
    const fs::path user = clean.parent_path().filename();
    const fs::path name = clean.filename().string() + "_" + suffix;
    return user.empty() ? hf_lerobot_home() / name : hf_lerobot_home() / user / name;
}

PreprocessSummary preprocess_dataset(const fs::path& root, const PreprocessOptions& given) {
    const auto start = std::chrono::steady_clock::now();
    PreprocessOptions options = given;
    if (options.output_dir.empty()) {
        options.output_dir = default_dataset_output(root, options.pipeline);
    }
    const dataset::Dataset source = dataset::Dataset::open(root);
    if (fs::absolute(options.output_dir).lexically_normal() ==
        fs::absolute(root).lexically_normal()) {
        throw UsageError("preprocess: the output must not be the input dataset");
    }
    // A dataset shared without its parquet files (meta/ and videos only, as the real SO-101 wrist
    // recording): read as `rcls predict` reads it. Its frames come from the videos, each frame t
    // at t / fps (FrameReader); the indices, timestamps and tasks are derived from meta/, and the
    // other columns, which have no values anywhere, are left out of the output.
    const bool derived = !source.has_any_data() && !source.meta().episodes.empty();
    std::vector<std::string> left_out;
    const std::vector<dataset::Feature> features =
        output_features(source, options.pipeline, derived, left_out);
    const std::vector<std::string> cameras = source.info().video_keys();
    if (derived) {
        if (cameras.empty()) {
            throw DataError(root.string() +
                            ": no data files (parquet) and no cameras: nothing to preprocess");
        }
        spdlog::warn(
            "{}: no data files (parquet); reading its videos and meta/ as rcls predict does: "
            "timestamps derived as frame_index / fps, frame_index, episode_index, index and "
            "task_index from meta/ (each episode's first task); left out of the output (no "
            "values): {}",
            root.string(), left_out.empty() ? std::string("nothing") : join(left_out, ", "));
        for (const dataset::EpisodeMeta& e : source.meta().episodes) {
            if (e.tasks.size() > 1) {
                spdlog::warn(
                    "{}: episode {} has {} tasks; without data files every frame gets "
                    "the first, \"{}\"",
                    root.string(), e.episode_index, e.tasks.size(), e.tasks.front());
            }
        }
    }
    // Which source episodes are there; resuming continues after the committed ones.
    std::vector<const dataset::EpisodeMeta*> episodes;
    std::vector<std::string> skipped;
    std::int64_t total = 0;
    std::map<std::int64_t, fs::path> first_missing;  // by episode: its data file, then cameras
    // With --skip-missing, damaged files (a data file that does not parse, a video that ends
    // early or does not open) are left out as missing ones are.
    for (const dataset::FileProblem& problem : source.find_problems(options.skip_missing)) {
        if (derived && problem.episode_index >= 0 &&
            problem.path == source.meta().data_file(source.episode(problem.episode_index))) {
            continue;  // no data file is expected: see `derived`
        }
        if (problem.episode_index >= 0) {
            first_missing.try_emplace(problem.episode_index, problem.path);
        }
    }
    for (const dataset::EpisodeMeta& e : source.meta().episodes) {
        if (const auto it = first_missing.find(e.episode_index); it != first_missing.end()) {
            const std::string missing = it->second.string();
            if (!options.skip_missing) {
                throw DataError("episode " + std::to_string(e.episode_index) + ": " + missing +
                                ": missing (--skip-missing leaves such episodes out)");
            }
            spdlog::debug("episode {}: {}: missing; skipped", e.episode_index, missing);
            skipped.push_back(std::to_string(e.episode_index));
            continue;
        }
        episodes.push_back(&e);
        total += e.length;
    }
    if (!skipped.empty()) {  // one line, not one per episode: real datasets miss dozens
        spdlog::warn(
            "{}: {} episodes skipped for missing data or video files (-v lists the files): {}",
            root.string(), skipped.size(), join(skipped, ", "));
    }
    if (episodes.empty()) {
        throw DataError(root.string() +
                        ": no episode has its data and videos; nothing to preprocess");
    }
    // The output numbers its episodes 0, 1, 2, ...: say so, and keep the mapping, when that is
    // not the source's numbering.
    std::vector<std::int64_t> renumbered;
    for (std::size_t i = 0; i < episodes.size(); ++i) {
        if (episodes[i]->episode_index != static_cast<std::int64_t>(i)) {
            for (const dataset::EpisodeMeta* e : episodes) {
                renumbered.push_back(e->episode_index);
            }
            break;
        }
    }
    if (!renumbered.empty()) {
        std::vector<std::string> pairs;
        for (std::size_t i = 0; i < renumbered.size(); ++i) {
            if (renumbered[i] != static_cast<std::int64_t>(i)) {
                pairs.push_back(std::to_string(renumbered[i]) + "->" + std::to_string(i));
            }
        }
        spdlog::warn("{}: episodes renumbered in the output (source->output; kept in {}): {}",
                     root.string(), kDatasetRecordName, join(pairs, ", "));
    }
    std::error_code exists_error;
    const bool fresh =
        !fs::exists(options.output_dir / "meta/info.json", exists_error) || options.force;
    std::optional<dataset::DatasetWriter> writer_holder(
        open_output(source, options, features, renumbered, derived));
    dataset::DatasetWriter& writer = *writer_holder;
    const auto done = static_cast<std::size_t>(writer.meta().info.total_episodes);
    if (done > episodes.size()) {
        throw DataError(options.output_dir.string() + ": holds more episodes than " +
                        root.string() + " has to give; use --force to start again");
    }

    dataset::FrameReader reader(source, image::ChannelOrder::kRgb, 0);
    std::map<std::string, image::PreparedPipeline> pipelines;
    for (const std::string& key : cameras) {
        const dataset::Feature* f = source.info().feature(key);
        pipelines.emplace(key, image::PreparedPipeline(options.pipeline, camera_size(*f), key));
    }
    const std::string frames_dir =
        cameras.empty() ? "" : "frames_" + size_name(pipelines.at(cameras.front()).output_size());

    PreprocessSummary summary;
    std::int64_t skipped_frames = 0;
    for (std::size_t i = 0; i < done; ++i) {
        skipped_frames += episodes[i]->length;
    }
    Progress progress("preprocess", static_cast<std::uint64_t>(total - skipped_frames), "frames");
    // A run that fails before its first episode is saved leaves no empty dataset behind.
    struct RemoveIfEmpty {
        std::optional<dataset::DatasetWriter>& writer;
        const fs::path& root;
        bool fresh;
        ~RemoveIfEmpty() {
            if (!fresh || !writer || writer->meta().info.total_episodes > 0) return;
            writer.reset();  // its lock and files closed first
            std::error_code error;
            fs::remove_all(root, error);
        }
    } remove_if_empty{writer_holder, options.output_dir, fresh};
    for (std::size_t i = done; i < episodes.size(); ++i) {
        const dataset::EpisodeMeta& e = *episodes[i];
        progress.set_note("episode " + std::to_string(e.episode_index));
        const std::optional<parquet::Table> table =
            derived ? std::nullopt : std::optional(source.read_episode(e.episode_index));
        std::optional<FrameFolder> frames;
        char folder[32];
        std::snprintf(folder, sizeof folder, "episode_%06zu", i);
        if (options.frames && !cameras.empty()) {
            frames.emplace(options.output_dir / frames_dir / folder);
        }
        for (std::int64_t t = 0; t < e.length; ++t) {
            throw_if_interrupted();
            dataset::Frame frame =
                table ? dataset::frame_from_row(source, *table, e.episode_index, t, features)
                      : dataset::frame_from_metadata(source, e.episode_index, t);
            for (const std::string& key : cameras) {  // each camera's own Mat: no copies
                cv::Mat& processed = frame.images[key];
                pipelines.at(key).apply(reader.frame(e.episode_index, key, t), processed);
                if (frames && key == cameras.front()) {
                    frames->write(t, processed, image::ChannelOrder::kRgb);
                }
            }
            writer.add_frame(frame);
            progress.advance();
        }
        if (frames) frames->commit();
        writer.save_episode();
        summary.frames += e.length;
    }
    progress.finish();
    ItemResult result;
    result.input = root;
    result.outputs.push_back(options.output_dir);
    result.frames = summary.frames;
    result.skipped = done == episodes.size();
    summary.items.push_back(result);
    summary.processed = result.skipped ? 0 : 1;
    summary.skipped = result.skipped ? 1 : 0;
    summary.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    spdlog::info("preprocess: {} episodes of {} written to {} ({})", episodes.size(), root.string(),
                 options.output_dir.string(), options.pipeline.describe());
    return summary;
}

}  // namespace rcls::preprocess
