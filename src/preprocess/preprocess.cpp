// SPDX-License-Identifier: MIT
#include "rcls/preprocess/preprocess.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <exception>
#include <map>
#include <mutex>
#include <optional>

#include <spdlog/spdlog.h>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/core/parallel.hpp"
#include "rcls/core/progress.hpp"
#include "rcls/core/strings.hpp"
#include "rcls/dataset/metadata.hpp"
#include "rcls/video/encoder_check.hpp"
#include "rcls/video/image_file.hpp"
#include "rcls/video/video_reader.hpp"

#include "frame_folder.hpp"
#include "manifest.hpp"

namespace rcls::preprocess {
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

/// The last component of a folder path, also for "frames/" and ".".
std::string folder_name(const fs::path& folder) {
    const fs::path normal = fs::absolute(folder).lexically_normal();
    const std::string name = normal.filename().string();
    return name.empty() ? normal.parent_path().filename().string() : name;
}

/// The names an item writes in the output folder ("x/" marks a folder).
std::vector<std::string> output_names(const WorkItem& item, bool frames) {
    switch (item.kind) {
        case InputKind::kVideo: {
            std::vector<std::string> names{item.name};
            if (frames) names.push_back(fs::path(item.name).stem().string() + "/");
            return names;
        }
        case InputKind::kFrames:
            return {item.name + "/"};
        case InputKind::kImage:
            return {item.name};
    }
    return {};
}

fs::path output_path(const fs::path& dir, const std::string& name) {
    return dir / (name.back() == '/' ? name.substr(0, name.size() - 1) : name);
}

/// Throws UsageError when two items would write the same name.
void check_unique_names(const std::vector<WorkItem>& items, bool frames) {
    std::map<std::string, const WorkItem*> owners;
    for (const WorkItem& item : items) {
        for (std::string name : output_names(item, frames)) {
            if (name.back() == '/') name.pop_back();
            const auto [it, inserted] = owners.emplace(name, &item);
            if (!inserted) {
                throw UsageError(
                    "inputs " + it->second->input.string() + " and " + item.input.string() +
                    " would both write \"" + name +
                    "\" in the output folder; process them into different --output folders");
            }
        }
    }
}

std::string frames_text(std::int64_t n) {
    return std::to_string(n) + (n == 1 ? " frame" : " frames");
}

/// One planned item.
struct Task {
    const WorkItem* item = nullptr;
    std::vector<std::string> names;  // output names
    Fingerprint fingerprint;
    std::int64_t frames_expected = 0;
    bool skip = false;
};

/// The run's shared state; process() is called from worker threads.
class Job {
public:
    Job(const PreprocessOptions& options, std::size_t items)
        : options_(options),
          manifest_(options.output_dir / kManifestName),
          settings_(output_settings_json(options)) {
        const unsigned workers = std::max<unsigned>(
            1, std::min<unsigned>(resolve_thread_option(options.jobs, "--jobs"),
                                  static_cast<unsigned>(std::max<std::size_t>(items, 1))));
        jobs_ = workers;
        // Spare cores (fewer files than cores) go to the decoders.
        decoder_threads_ = std::max(1u, hardware_threads() / workers);
    }

    unsigned jobs() const { return jobs_; }

    /// Decides whether `task` is up to date; throws DataError for foreign files in the way.
    void plan(Task& task) const {
        const WorkItem& item = *task.item;
        task.fingerprint = fingerprint_of(item.input);
        const std::optional<Json> entry = manifest_.find(item.name);
        if (options_.force) return;
        if (entry) {
            const bool all_exist = std::all_of(
                task.names.begin(), task.names.end(),
                [&](const auto& n) { return fs::exists(output_path(options_.output_dir, n)); });
            const bool same_input =
                entry->value("input", "") == fs::absolute(item.input).string() &&
                entry->value("input_bytes", std::uintmax_t{0}) == task.fingerprint.bytes &&
                entry->value("input_mtime_ns", std::int64_t{0}) == task.fingerprint.mtime_ns;
            const bool same_settings = entry->value("settings", Json()) == settings_;
            if (entry->value("state", "") == "done" && all_exist && same_input && same_settings) {
                task.skip = true;
                task.frames_expected = entry->value("frames", std::int64_t{0});
                return;
            }
            spdlog::info("{}: {}; redoing it", item.name,
                         !same_settings ? "made with other settings"
                         : !same_input  ? "its input changed"
                         : !all_exist   ? "some outputs are missing"
                                        : "unfinished");
            return;
        }
        for (const std::string& name : task.names) {
            const fs::path path = output_path(options_.output_dir, name);
            if (fs::exists(path)) {
                throw DataError(path.string() + " already exists and is not listed in " +
                                manifest_.path().string() +
                                "; use --force to replace it, or choose another --output");
            }
        }
    }

    /// Opens a video to count its frames and check that the crop fits (errors surface before any
    /// work starts).
    void probe(Task& task) const {
        if (task.item->kind == InputKind::kFrames) {
            task.frames_expected = static_cast<std::int64_t>(task.item->frame_files.size());
            return;
        }
        if (task.item->kind == InputKind::kImage) {
            task.frames_expected = 1;
            return;
        }
        const video::VideoReader reader(task.item->input, {image::ChannelOrder::kRgb, 1});
        const video::StreamInfo& info = reader.info();
        options_.pipeline.output_size({info.width, info.height}, task.item->input.string());
        task.frames_expected = info.frame_count;
    }

    ItemResult process(const Task& task, Progress& progress) {
        const WorkItem& item = *task.item;
        progress.set_note(item.name);
        ItemResult result;
        result.input = item.input;
        for (const std::string& name : task.names) {
            result.outputs.push_back(output_path(options_.output_dir, name));
        }
        Json entry = {{"input", fs::absolute(item.input).string()},
                      {"input_bytes", task.fingerprint.bytes},
                      {"input_mtime_ns", task.fingerprint.mtime_ns},
                      {"settings", settings_},
                      {"outputs", task.names},
                      {"state", "writing"}};
        // Recorded before the outputs are replaced: a kill between the rename and the final record
        // leaves an entry that marks these files as ours, to be redone.
        manifest_.record(item.name, entry);
        const auto start = std::chrono::steady_clock::now();
        switch (item.kind) {
            case InputKind::kVideo:
                result.frames = process_video(item, progress);
                break;
            case InputKind::kFrames:
                result.frames = process_frames(item, progress);
                break;
            case InputKind::kImage:
                result.frames = process_image(item, progress);
                break;
        }
        entry["frames"] = result.frames;
        entry["state"] = "done";
        manifest_.record(item.name, entry);
        spdlog::debug(
            "{}: {} in {:.2f} s", item.name, frames_text(result.frames),
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        return result;
    }

private:
    std::int64_t process_video(const WorkItem& item, Progress& progress) {
        video::VideoReader reader(item.input,
                                  {image::ChannelOrder::kRgb, static_cast<int>(decoder_threads_)});
        const video::StreamInfo& info = reader.info();
        const cv::Size input_size(info.width, info.height);
        // Without PNG frames, 4:2:0 video is cropped and resized plane by plane, as ffmpeg's
        // scale filter does: no RGB round trip. PNG frames come from the RGB pipeline, whose
        // chroma has the full output resolution.
        if (!options_.frames && options_.encoder.pixel_format == "yuv420p" &&
            reader.yuv420_available()) {
            if (auto planar = image::PreparedYuv420Pipeline::make(options_.pipeline, input_size,
                                                                  item.input.string())) {
                return process_video_yuv420(item, reader, *planar, progress);
            }
        }
        image::PreparedPipeline pipeline(options_.pipeline, input_size, item.input.string());
        video::VideoWriter writer = make_writer(item, pipeline.output_size(), info.fps);
        std::optional<FrameFolder> frames;
        if (options_.frames) frames.emplace(options_.output_dir / fs::path(item.name).stem());
        video::Frame frame;
        cv::Mat processed;
        std::int64_t count = 0;
        while (reader.read(frame)) {
            throw_if_interrupted();
            pipeline.apply(frame.image, processed);
            writer.write(processed);
            if (frames) frames->write(count, processed, image::ChannelOrder::kRgb);
            ++count;
            progress.advance();
        }
        writer.finish();
        if (frames) frames->commit();
        return count;
    }

    std::int64_t process_video_yuv420(const WorkItem& item,
                                      video::VideoReader& reader,
                                      image::PreparedYuv420Pipeline& pipeline,
                                      Progress& progress) {
        video::VideoWriter writer = make_writer(item, pipeline.output_size(), reader.info().fps);
        video::Yuv420Frame frame;
        image::Yuv420Planes processed;
        std::int64_t count = 0;
        while (reader.read_yuv420(frame)) {
            throw_if_interrupted();
            pipeline.apply(frame.planes, processed);
            writer.write_yuv420(processed);
            ++count;
            progress.advance();
        }
        writer.finish();
        return count;
    }

    /// The writer of a video item's output (frames are given in RGB).
    video::VideoWriter make_writer(const WorkItem& item, cv::Size size, double fps) const {
        return video::VideoWriter(options_.output_dir / item.name, size.width, size.height, fps,
                                  image::ChannelOrder::kRgb, options_.encoder);
    }

    std::int64_t process_frames(const WorkItem& item, Progress& progress) {
        AtomicOutput folder(options_.output_dir / item.name, OutputKind::kDirectory);
        std::map<std::pair<int, int>, image::PreparedPipeline> pipelines;  // by input size
        cv::Mat processed;
        for (const fs::path& file : item.frame_files) {
            throw_if_interrupted();
            const cv::Mat bgr = read_image(file);
            auto it = pipelines.find({bgr.cols, bgr.rows});
            if (it == pipelines.end()) {
                it = pipelines
                         .emplace(
                             std::pair{bgr.cols, bgr.rows},
                             image::PreparedPipeline(options_.pipeline, bgr.size(), file.string()))
                         .first;
            }
            it->second.apply(bgr, processed);
            write_staged_image(folder.temp_path() / file.filename(), processed,
                               image::ChannelOrder::kBgr,
                               video::image_format_for(file).value_or(video::ImageFormat::kPng));
            progress.advance();
        }
        folder.commit();
        return static_cast<std::int64_t>(item.frame_files.size());
    }

    std::int64_t process_image(const WorkItem& item, Progress& progress) {
        const cv::Mat bgr = read_image(item.input);
        image::PreparedPipeline pipeline(options_.pipeline, bgr.size(), item.input.string());
        cv::Mat processed;
        pipeline.apply(bgr, processed);
        video::write_image(options_.output_dir / item.name, processed, image::ChannelOrder::kBgr);
        progress.advance();
        return 1;
    }

    static cv::Mat read_image(const fs::path& file) {
        return video::read_image(file, image::ChannelOrder::kBgr);
    }

    const PreprocessOptions& options_;
    Manifest manifest_;
    Json settings_;
    unsigned jobs_ = 1;
    unsigned decoder_threads_ = 1;
};

/// Failures of a parallel phase, by item.
class Failures {
public:
    explicit Failures(std::size_t items, bool log_each) : errors_(items), log_each_(log_each) {}

    /// Runs `body`, recording (and logging) what it throws. InterruptedError passes through.
    template <class F>
    bool run(std::size_t index, F&& body) {
        try {
            body();
            return true;
        } catch (const InterruptedError&) {
            throw;
        } catch (const std::exception& e) {
            std::lock_guard lock(mutex_);
            errors_[index] = std::current_exception();
            if (log_each_) spdlog::error("{}", e.what());
            return false;
        }
    }
    bool failed(std::size_t index) const { return errors_[index] != nullptr; }
    std::size_t count() const {
        return static_cast<std::size_t>(std::count_if(errors_.begin(), errors_.end(),
                                                      [](const auto& e) { return e != nullptr; }));
    }

    /// With one input, rethrows its failure; with more (whose failures were logged as they
    /// happened), throws a summary carrying the first failure's exit code.
    void throw_if_any() const {
        const std::size_t n = count();
        if (n == 0) return;
        std::size_t first = 0;
        while (errors_[first] == nullptr) {
            ++first;
        }
        if (!log_each_) std::rethrow_exception(errors_[first]);
        ExitCode code = ExitCode::kInternal;
        try {
            std::rethrow_exception(errors_[first]);
        } catch (const Error& e) {
            code = e.code();
        } catch (const std::exception&) {
        }
        throw Error(code, std::to_string(n) + " of " + std::to_string(errors_.size()) +
                              " inputs failed (see the errors above); the others are done");
    }

private:
    std::vector<std::exception_ptr> errors_;
    bool log_each_;
    std::mutex mutex_;
};

}  // namespace

video::EncoderSettings default_encoder(video::Codec codec) {
    video::EncoderSettings settings;
    settings.codec = codec;
    switch (codec) {
        case video::Codec::kH264:
            settings.crf = 19;
            settings.preset = "veryfast";
            break;
        case video::Codec::kAv1:
            settings = video::lerobot_encoder_settings();
            break;
        case video::Codec::kMpeg4:
            settings.crf = 4;
            break;
    }
    return settings;
}

std::vector<WorkItem> collect_work(const std::vector<fs::path>& inputs) {
    std::vector<WorkItem> items;
    for (const fs::path& input : inputs) {
        std::error_code error;
        const fs::file_status status = fs::status(input, error);
        if (!fs::exists(status)) throw DataError(input.string() + ": no such file or folder");
        if (!fs::is_directory(status)) {
            const bool image = video::image_format_for(input).has_value();
            items.push_back({image ? InputKind::kImage : InputKind::kVideo,
                             input,
                             input.filename().string(),
                             {}});
            continue;
        }
        std::vector<fs::path> videos;
        std::vector<fs::path> images;
        for (const auto& entry : fs::directory_iterator(input, error)) {
            if (!entry.is_regular_file(error) ||
                is_temporary_name(entry.path().filename().string())) {
                continue;
            }
            if (video::has_video_extension(entry.path())) videos.push_back(entry.path());
            if (video::image_format_for(entry.path()).has_value()) images.push_back(entry.path());
        }
        if (error) throw DataError(input.string() + ": cannot list the folder: " + error.message());
        std::sort(videos.begin(), videos.end());
        std::sort(images.begin(), images.end());
        if (!videos.empty()) {
            if (!images.empty()) {
                spdlog::warn(
                    "{}: ignoring {} image file(s) beside its videos; pass a folder of frames "
                    "on its own",
                    input.string(), images.size());
            }
            for (const fs::path& video : videos) {
                items.push_back({InputKind::kVideo, video, video.filename().string(), {}});
            }
        } else if (!images.empty()) {
            items.push_back({InputKind::kFrames, input, folder_name(input), std::move(images)});
        } else {
            std::string message = input.string() + ": holds no videos and no image frames";
            if (dataset::is_dataset_root(input)) {
                message += " (it looks like a LeRobot dataset: pass the video files under videos/)";
            }
            throw DataError(message);
        }
    }
    check_unique_names(items, false);
    return items;
}

Json output_settings_json(const PreprocessOptions& options) {
    const image::Pipeline& p = options.pipeline;
    const video::EncoderSettings& e = options.encoder;
    return {{"crop", p.crop ? p.crop->to_string() : "none"},
            {"size", p.size ? Json(image::to_string(*p.size)) : Json(nullptr)},
            {"filter", std::string(image::to_string(p.filter))},
            {"frames", options.frames},
            {"video",
             {{"codec", std::string(video::to_string(e.codec))},
              {"crf", e.crf ? Json(*e.crf) : Json(nullptr)},
              {"gop", e.gop ? Json(*e.gop) : Json(nullptr)},
              {"preset", e.preset},
              {"pixel_format", e.pixel_format}}}};
}

Json options_json(const PreprocessOptions& options) {
    Json inputs = Json::array();
    for (const fs::path& input : options.inputs) {
        inputs.push_back(input.string());
    }
    return {{"inputs", inputs},
            {"output", options.output_dir.string()},
            {"settings", output_settings_json(options)},
            {"jobs", options.jobs == 0 ? hardware_threads() : options.jobs},
            {"force", options.force}};
}

Json summary_json(const PreprocessSummary& summary) {
    Json items = Json::array();
    for (const ItemResult& item : summary.items) {
        Json outputs = Json::array();
        for (const fs::path& output : item.outputs) {
            outputs.push_back(output.string());
        }
        items.push_back({{"input", item.input.string()},
                         {"outputs", outputs},
                         {"frames", item.frames},
                         {"skipped", item.skipped}});
    }
    return {{"processed", summary.processed},
            {"skipped", summary.skipped},
            {"frames", summary.frames},
            {"seconds", summary.seconds},
            {"items", items}};
}

PreprocessSummary run_preprocess(const PreprocessOptions& options) {
    const auto start = std::chrono::steady_clock::now();
    resolve_thread_option(options.jobs, "--jobs");  // checked before any input is looked at
    video::check_encoder_settings(options.encoder, options.pipeline.size);  // likewise
    const bool any_dataset =
        std::any_of(options.inputs.begin(), options.inputs.end(),
                    [](const fs::path& p) { return dataset::is_dataset_root(p); });
    if (any_dataset) {
        if (options.inputs.size() != 1) {
            throw UsageError("preprocess: a dataset must be the only input (got " +
                             std::to_string(options.inputs.size()) + ")");
        }
        return preprocess_dataset(options.inputs.front(), options);
    }
    if (options.output_dir.empty()) throw UsageError("preprocess: no --output folder given");
    const std::vector<WorkItem> items = collect_work(options.inputs);
    check_unique_names(items, options.frames);
    std::error_code error;
    fs::create_directories(options.output_dir, error);
    if (error) {
        throw DataError(options.output_dir.string() +
                        ": cannot create the output folder: " + error.message());
    }
    remove_stale_temporaries(options.output_dir);

    Job job(options, items.size());
    std::vector<Task> tasks(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        tasks[i].item = &items[i];
        tasks[i].names = output_names(items[i], options.frames);
    }
    Failures failures(items.size(), items.size() > 1);
    // Plan and probe every input first, so that bad inputs and crops fail before any work.
    parallel_for(tasks.size(), job.jobs(), [&](std::size_t i) {
        failures.run(i, [&] {
            job.plan(tasks[i]);
            if (!tasks[i].skip) job.probe(tasks[i]);
        });
    });
    throw_if_interrupted();

    std::uint64_t total = 0;
    std::size_t skipped = 0;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (failures.failed(i)) continue;
        if (tasks[i].skip) {
            ++skipped;
        } else {
            total +=
                static_cast<std::uint64_t>(std::max<std::int64_t>(tasks[i].frames_expected, 0));
        }
    }
    if (skipped > 0) {
        spdlog::info("{} of {} inputs are up to date in {} (--force redoes them)", skipped,
                     items.size(), options.output_dir.string());
    }

    std::vector<std::optional<ItemResult>> results(items.size());
    if (skipped + failures.count() < items.size()) {
        Progress progress("preprocess", total, "frames");
        try {
            parallel_for(tasks.size(), job.jobs(), [&](std::size_t i) {
                if (failures.failed(i) || tasks[i].skip) return;
                failures.run(i, [&] { results[i] = job.process(tasks[i], progress); });
            });
        } catch (const InterruptedError&) {
        }
    }

    PreprocessSummary summary;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (tasks[i].skip) {
            ItemResult result;
            result.input = items[i].input;
            for (const std::string& name : tasks[i].names) {
                result.outputs.push_back(output_path(options.output_dir, name));
            }
            result.frames = tasks[i].frames_expected;
            result.skipped = true;
            summary.items.push_back(std::move(result));
            ++summary.skipped;
        } else if (results[i]) {
            summary.frames += results[i]->frames;
            summary.items.push_back(std::move(*results[i]));
            ++summary.processed;
        }
    }
    summary.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (interrupted()) {
        throw InterruptedError(
            "interrupted: " + std::to_string(summary.processed + summary.skipped) + " of " +
            std::to_string(items.size()) +
            " inputs are done and kept; rerun the same command to do the rest");
    }
    failures.throw_if_any();
    return summary;
}

}  // namespace rcls::preprocess
