// SPDX-License-Identifier: MIT
#include "rcls/train/train.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <random>
#include <set>

#include <spdlog/spdlog.h>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/events.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/core/paths.hpp"
#include "rcls/core/scratch_file.hpp"
#include "rcls/dataset/dataset.hpp"
#include "rcls/dataset/samples.hpp"
#include "rcls/image/pipeline.hpp"
#include "rcls/model/checkpoint.hpp"
#include "rcls/model/trainer.hpp"

namespace rcls::train {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string format(const char* pattern, double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, pattern, value);
    return buffer;
}

fs::path default_output_dir(const std::string& job_name) {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    char date[32];
    char time[32];
    std::strftime(date, sizeof date, "%Y-%m-%d", &local);
    std::strftime(time, sizeof time, "%H-%M-%S", &local);
    return fs::path("outputs") / "train" / date / (std::string(time) + "_" + job_name);
}

std::vector<std::int64_t> as_int64(const std::vector<int>& values) {
    return {values.begin(), values.end()};
}

/// Decodes the frames of `episodes` at `size` x `size` (crop + Lanczos when they differ), into
/// memory, or with `file` into that raw file as they are decoded (frame i at byte i x size x size
/// x 3; one frame in memory at a time).
model::TrainFrames decode(const dataset::Dataset& data,
                          const std::string& camera,
                          const std::vector<std::int64_t>& episodes,
                          int size,
                          const char* what,
                          const fs::path& file) {
    model::TrainFrames frames;
    frames.size = size;
    if (episodes.empty()) return frames;
    std::optional<ScratchFile> out;
    if (!file.empty()) {
        out.emplace(file, ScratchFile::Mode::kCreate);
        frames.file = file;
    }
    dataset::SampleOptions options;
    options.episodes = episodes;
    options.camera = camera;
    options.order = image::ChannelOrder::kRgb;
    dataset::Samples samples(data, options);
    if (!samples.has_labels()) {
        throw DataError(
            data.root().string() +
            ": the dataset has no next.reward labels; label it first with `rcls label`");
    }
    const auto total = static_cast<std::size_t>(samples.size());
    const std::size_t bytes = static_cast<std::size_t>(size) * size * 3;
    if (!out) frames.rgb.resize(total * bytes);
    frames.labels.reserve(total);
    frames.episodes.reserve(total);
    std::optional<image::PreparedPipeline> pipeline;
    const image::Pipeline settings{image::CropSpec::center(), cv::Size(size, size),
                                   image::Filter::kLanczos};
    ProgressEvent progress;
    progress.id = next_progress_id();
    progress.label = std::string("decode ") + what;
    progress.unit = "frames";
    progress.total = total;
    const auto start = Clock::now();
    cv::Mat resized;
    cv::Mat streamed(size, size, CV_8UC3);
    for (std::size_t i = 0; i < total; ++i) {
        throw_if_interrupted();
        dataset::Sample sample = samples.at(static_cast<std::int64_t>(i));
        const cv::Mat* frame = &sample.image;
        if (sample.image.cols != size || sample.image.rows != size) {
            if (!pipeline || pipeline->input_size() != sample.image.size()) {
                pipeline.emplace(settings, sample.image.size(), camera);
                spdlog::info("{} frames are {}x{}: {} to the model's {}x{}, as rcls preprocess",
                             camera, sample.image.cols, sample.image.rows, settings.describe(),
                             size, size);
            }
            pipeline->apply(sample.image, resized);
            frame = &resized;
        }
        if (out) {
            frame->copyTo(streamed);  // continuous, as the file's layout
            out->write_at(static_cast<std::uint64_t>(i) * bytes, streamed.data, bytes);
        } else {
            cv::Mat target(size, size, CV_8UC3, frames.rgb.data() + i * bytes);
            frame->copyTo(target);
        }
        frames.labels.push_back(sample.label.value_or(0.0f) > 0.5f ? 1.0f : 0.0f);
        frames.episodes.push_back(sample.episode_index);
        if ((i + 1) % 64 == 0 || i + 1 == total) {
            progress.done = i + 1;
            progress.elapsed_s = seconds_since(start);
            progress.finished = i + 1 == total;
            emit(progress);
        }
    }
    return frames;
}

/// Appends one JSON line to metrics.jsonl (the run's own log; a crash loses at most a line).
class MetricsFile {
public:
    explicit MetricsFile(const fs::path& path) : out_(path, std::ios::app) {
        if (!out_) throw DataError(path.string() + ": cannot open for writing");
    }
    void write(const Json& line) {
        out_ << line.dump() << '\n';
        out_.flush();
    }

private:
    std::ofstream out_;
};

Json eval_json(const model::TrainEvalLog& e) {
    Json j;
    j["step"] = e.step;
    j["val_loss"] = e.loss;
    j["val_accuracy"] = e.accuracy;
    j["val_median_onset_error"] =
        e.median_onset_error ? Json(*e.median_onset_error) : Json(nullptr);
    j["val_episodes"] = e.episodes;
    j["val_frames"] = e.frames;
    return j;
}

/// The split a resumed run keeps: the one in its checkpoint's rcls_train.json.
std::optional<std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>>> saved_split(
    const fs::path& pretrained) {
    const fs::path file = pretrained / model::kRclsTrainFile;
    std::error_code ec;
    if (!fs::exists(file, ec)) return std::nullopt;
    const Json doc = Json::parse(read_file(file), nullptr, false);
    if (!doc.is_object() || !doc.contains("train_episodes") || !doc.contains("val_episodes")) {
        throw ModelError(file.string() + ": not an rcls_train.json (train_episodes, val_episodes)");
    }
    return std::make_pair(doc.at("train_episodes").get<std::vector<std::int64_t>>(),
                          doc.at("val_episodes").get<std::vector<std::int64_t>>());
}

/// Frames of `episodes` (their metadata's lengths).
std::size_t frame_count(const dataset::Dataset& data, const std::vector<std::int64_t>& episodes) {
    std::size_t n = 0;
    for (const std::int64_t e : episodes)
        n += static_cast<std::size_t>(data.episode(e).length);
    return n;
}

}  // namespace

std::uint64_t in_memory_bytes(const config::TrainConfig& config,
                              std::size_t train_frames,
                              std::size_t val_frames) {
    const auto size = static_cast<std::uint64_t>(config.reward_model.image_size);
    const std::uint64_t frames = (train_frames + val_frames) * size * size * 3;
    if (config.train_mode == "full" || !config.feature_cache || train_frames == 0) return frames;
    // Floats per frame of the frozen prefix's output: ResNet10's 512 channels, through the
    // spatial embedding (head: 512 x image_embedding_pooling_dim) or its feature map (serl:
    // 512 x ceil(size / 32)^2), as the torch side's feature pool holds them.
    const std::uint64_t cells = (size + 31) / 32;
    const std::uint64_t floats =
        512 * (config.train_mode == "head"
                   ? static_cast<std::uint64_t>(config.reward_model.image_embedding_pooling_dim)
                   : cells * cells);
    const bool augmented = config::augments(config.dataset.image_transforms, config.augment);
    std::uint64_t variants = 1;
    std::uint64_t queued = 0;
    if (augmented) {
        const std::uint64_t cap =
            std::max<std::uint64_t>(1, (static_cast<std::uint64_t>(config.steps) *
                                            static_cast<std::uint64_t>(config.batch_size) +
                                        train_frames - 1) /
                                           train_frames);
        variants = std::min<std::uint64_t>(static_cast<std::uint64_t>(config.cache_variants), cap);
        queued = std::min<std::uint64_t>(2, variants - 1);  // the producer's lead, in variants
    }
    const std::uint64_t slots =
        config.cache_pool > 0
            ? std::min<std::uint64_t>(static_cast<std::uint64_t>(config.cache_pool), variants)
            : variants;
    return frames + (slots + queued) * train_frames * floats * sizeof(float);
}

std::vector<std::int64_t> choose_val_episodes(const config::TrainConfig& config,
                                              const std::vector<std::int64_t>& episodes) {
    if (config.val_episodes) {
        const std::set<std::int64_t> have(episodes.begin(), episodes.end());
        std::vector<std::int64_t> val;
        for (const int e : *config.val_episodes) {
            if (!have.count(e)) {
                throw ConfigError("val_episodes: episode " + std::to_string(e) +
                                  " is not among the dataset's chosen episodes");
            }
            val.push_back(e);
        }
        std::sort(val.begin(), val.end());
        val.erase(std::unique(val.begin(), val.end()), val.end());
        if (val.size() >= episodes.size()) {
            throw ConfigError("val_episodes: every episode is held out; none is left to train on");
        }
        return val;
    }
    if (config.val_fraction <= 0.0 || episodes.size() < 2) return {};
    auto count = static_cast<std::size_t>(
        std::lround(config.val_fraction * static_cast<double>(episodes.size())));
    count = std::clamp<std::size_t>(count, 1, episodes.size() - 1);
    std::vector<std::int64_t> shuffled = episodes;
    std::mt19937 gen(static_cast<std::uint32_t>(config.seed));
    std::shuffle(shuffled.begin(), shuffled.end(), gen);
    shuffled.resize(count);
    std::sort(shuffled.begin(), shuffled.end());
    return shuffled;
}

model::ClassifierConfig classifier_config_for(const config::TrainConfig& config,
                                              const std::string& camera) {
    model::ClassifierConfig out;
    static_cast<config::RewardClassifierParams&>(out) = config.reward_model;
    const std::int64_t size = config.reward_model.image_size;
    out.input_features = {{camera, {"VISUAL", {3, size, size}}}};
    out.num_cameras = 1;
    return out;
}

std::string lerobot_train_config_json(const config::TrainConfig& config,
                                      const model::ClassifierConfig& model,
                                      const fs::path& output_dir) {
    Json j;
    Json dataset;
    dataset["repo_id"] = config.dataset.repo_id;
    dataset["root"] = config.dataset.root ? Json(*config.dataset.root) : Json(nullptr);
    dataset["episodes"] = config.dataset.episodes ? Json(*config.dataset.episodes) : Json(nullptr);
    Json transforms;
    transforms["enable"] = config.dataset.image_transforms.enable;
    transforms["max_num_transforms"] = config.dataset.image_transforms.max_num_transforms;
    transforms["random_order"] = config.dataset.image_transforms.random_order;
    Json tfs = Json::object();
    for (const auto& [name, tf] : config.dataset.image_transforms.tfs) {
        Json kwargs = Json::object();
        for (const auto& [key, range] : tf.kwargs)
            kwargs[key] = range;
        tfs[name] = Json{{"weight", tf.weight}, {"type", tf.type}, {"kwargs", kwargs}};
    }
    transforms["tfs"] = tfs;
    dataset["image_transforms"] = transforms;
    dataset["use_imagenet_stats"] = config.dataset.use_imagenet_stats;
    j["dataset"] = dataset;
    j["env"] = nullptr;
    j["policy"] = nullptr;
    j["reward_model"] = Json::parse(model::classifier_config_json(model));
    j["output_dir"] = output_dir.string();
    j["job_name"] = config.job_name;
    j["resume"] = false;
    j["seed"] = config.seed;
    j["num_workers"] = config.num_workers;
    j["batch_size"] = config.batch_size;
    j["steps"] = config.steps;
    j["log_freq"] = config.log_freq;
    j["save_checkpoint"] = config.save_checkpoint;
    j["save_freq"] = config.save_freq;
    j["use_policy_training_preset"] = true;
    j["optimizer"] = Json{{"type", "adamw"},
                          {"lr", config.reward_model.learning_rate},
                          {"weight_decay", config.reward_model.weight_decay},
                          {"grad_clip_norm", config.reward_model.grad_clip_norm},
                          {"betas", {0.9, 0.999}},
                          {"eps", 1e-8}};
    j["scheduler"] = nullptr;
    j["wandb"] = Json{{"enable", false},   {"disable_artifact", false}, {"project", "lerobot"},
                      {"entity", nullptr}, {"notes", nullptr},          {"run_id", nullptr},
                      {"mode", nullptr}};
    j["rename_map"] = Json::object();
    return j.dump(4);
}

TrainSummary run_train(const config::TrainConfig& config_in) {
    const auto start = Clock::now();
    config::TrainConfig config = config_in;
    TrainSummary summary;
    summary.output_dir =
        config.output_dir ? expand_user(*config.output_dir) : default_output_dir(config.job_name);
    std::error_code ec;
    fs::path resume_from;
    if (config.resume) {
        const fs::path last = summary.output_dir / model::kCheckpointsDir / model::kLastLink;
        if (!fs::exists(last, ec)) {
            throw ConfigError("resume: " + summary.output_dir.string() +
                              " has no checkpoint (checkpoints/last); give the run folder with "
                              "--output_dir, or start a new run without --resume");
        }
        resume_from = fs::canonical(last);
    } else if (fs::exists(summary.output_dir, ec) && !fs::is_empty(summary.output_dir, ec)) {
        throw ConfigError("output_dir: " + summary.output_dir.string() +
                          " already exists; continue it with --resume true or choose another "
                          "--output_dir");
    }
    if (config.dataset.use_imagenet_stats == false) {
        throw ConfigError(
            "dataset.use_imagenet_stats: false (the dataset's own statistics) is not "
            "supported by rcls train; use true (LeRobot's default)");
    }

    summary.dataset_root = config.dataset.root ? expand_user(*config.dataset.root)
                                               : hf_lerobot_home() / config.dataset.repo_id;
    const dataset::Dataset data = dataset::Dataset::open(summary.dataset_root);
    const std::vector<std::string> cameras = data.info().video_keys();
    if (cameras.empty()) {
        throw DataError(summary.dataset_root.string() + ": the dataset has no camera");
    }
    summary.camera = cameras.front();
    if (cameras.size() > 1) {
        spdlog::info("training on camera {} (the dataset's first of {})", summary.camera,
                     cameras.size());
    }
    std::vector<std::int64_t> episodes;
    if (config.dataset.episodes) {
        episodes = as_int64(*config.dataset.episodes);
        for (const std::int64_t e : episodes)
            (void)data.episode(e);  // DataError naming it when missing
    } else {
        for (const auto& e : data.meta().episodes)
            episodes.push_back(e.episode_index);
    }
    std::sort(episodes.begin(), episodes.end());
    episodes.erase(std::unique(episodes.begin(), episodes.end()), episodes.end());

    const auto saved =
        resume_from.empty() ? std::nullopt : saved_split(resume_from / model::kPretrainedModelDir);
    if (saved) {
        summary.train_episodes = saved->first;
        summary.val_episodes = saved->second;
    } else {
        summary.val_episodes = choose_val_episodes(config, episodes);
        const std::set<std::int64_t> val(summary.val_episodes.begin(), summary.val_episodes.end());
        for (const std::int64_t e : episodes) {
            if (!val.count(e)) summary.train_episodes.push_back(e);
        }
    }
    if (summary.train_episodes.empty()) throw ConfigError("no episode left to train on");
    spdlog::info("train episodes {}, held-out episodes {}", Json(summary.train_episodes).dump(),
                 Json(summary.val_episodes).dump());

    // Frames and feature pool in memory when they fit in memory_budget_mb, else streamed: written
    // to scratch files as they are decoded or computed and read back a batch at a time.
    const std::uint64_t in_memory = in_memory_bytes(
        config, frame_count(data, summary.train_episodes), frame_count(data, summary.val_episodes));
    std::optional<ScratchDir> scratch;
    fs::path train_file, val_file;
    if (in_memory > static_cast<std::uint64_t>(config.memory_budget_mb) << 20) {
        scratch.emplace(summary.output_dir / kScratchDirName);
        train_file = scratch->path() / "train_frames.u8";
        val_file = scratch->path() / "val_frames.u8";
        summary.streamed = true;
        spdlog::info(
            "frames and feature cache: {} MiB in memory, above memory_budget_mb {}: streamed from "
            "scratch files in {} (removed at the end)",
            in_memory >> 20, config.memory_budget_mb, scratch->path().string());
    }
    const auto decode_start = Clock::now();
    const int size = config.reward_model.image_size;
    model::TrainerRequest request;
    request.train = decode(data, summary.camera, summary.train_episodes, size, "train", train_file);
    request.val = decode(data, summary.camera, summary.val_episodes, size, "val", val_file);
    if (scratch) request.scratch_dir = scratch->path();
    summary.decode_s = seconds_since(decode_start);
    summary.train_frames = request.train.count();
    summary.val_frames = request.val.count();
    spdlog::info("{} training frames, {} held-out frames, decoded in {:.1f} s",
                 summary.train_frames, summary.val_frames, summary.decode_s);

    request.config = config;
    request.model = classifier_config_for(config, summary.camera);
    request.stats = model::imagenet_norm_stats(request.model);
    request.output_dir = summary.output_dir;
    request.resume_from = resume_from;
    if (config.reward_model.pretrained_path) {
        request.init_from = expand_user(*config.reward_model.pretrained_path);
    }
    request.train_config_json =
        lerobot_train_config_json(config, request.model, summary.output_dir);
    Json rcls;
    rcls["train_episodes"] = summary.train_episodes;
    rcls["val_episodes"] = summary.val_episodes;
    rcls["dataset_root"] = fs::absolute(summary.dataset_root).lexically_normal().string();
    rcls["camera"] = summary.camera;
    rcls["image_size"] = size;
    rcls["train_mode"] = config.train_mode;
    rcls["pretrained_encoder"] = config.pretrained_encoder;
    {
        Json augment;
        const auto& a = config.augment;
        augment = Json{{"enable", a.enable},
                       {"crop_area_min", a.crop_area_min},
                       {"crop_area_max", a.crop_area_max},
                       {"aspect_min", a.aspect_min},
                       {"aspect_max", a.aspect_max},
                       {"translate", a.translate},
                       {"brightness", a.brightness},
                       {"contrast", a.contrast},
                       {"saturation", a.saturation},
                       {"gain", a.gain}};
        rcls["augment"] = augment;
    }
    rcls["lr_scheduler"] = config.lr_scheduler;
    rcls["warmup_steps"] = config.warmup_steps;
    rcls["feature_cache"] = config.feature_cache;
    request.rcls_train_json = rcls.dump(4);

    fs::create_directories(summary.output_dir, ec);
    if (ec) {
        throw DataError(summary.output_dir.string() + ": cannot create directory: " + ec.message());
    }
    auto metrics = std::make_shared<MetricsFile>(summary.output_dir / "metrics.jsonl");
    const double episodes_per_frame =
        static_cast<double>(summary.train_episodes.size()) /
        static_cast<double>(std::max<std::size_t>(summary.train_frames, 1));
    request.on_notice = [](const std::string& text) { spdlog::info("{}", text); };
    request.on_log = [metrics, episodes_per_frame](const model::TrainStepLog& s) {
        spdlog::info(
            "step:{} smpl:{} ep:{} epch:{} loss:{} grdn:{} lr:{} updt_s:{} data_s:{} accuracy:{}",
            s.step, s.samples,
            static_cast<std::int64_t>(static_cast<double>(s.samples) * episodes_per_frame),
            format("%.2f", s.epoch), format("%.3f", s.loss), format("%.3f", s.grad_norm),
            format("%0.1e", s.lr), format("%.3f", s.update_s), format("%.3f", s.data_s),
            format("%.3f", s.accuracy));
        Json j;
        j["step"] = s.step;
        j["samples"] = s.samples;
        j["epoch"] = s.epoch;
        j["loss"] = s.loss;
        j["grad_norm"] = s.grad_norm;
        j["lr"] = s.lr;
        j["accuracy"] = s.accuracy;
        j["update_s"] = s.update_s;
        j["data_s"] = s.data_s;
        metrics->write(j);
    };
    request.on_eval = [metrics](const model::TrainEvalLog& e) {
        spdlog::info(
            "step:{} held-out ({} episodes, {} frames): loss:{} accuracy:{}% median "
            "|onset error|:{}",
            e.step, e.episodes, e.frames, format("%.3f", e.loss), format("%.1f", e.accuracy),
            e.median_onset_error ? format("%.1f", *e.median_onset_error) + " frames"
                                 : std::string("n/a"));
        metrics->write(eval_json(e));
    };
    ProgressEvent progress;
    progress.id = next_progress_id();
    progress.label = "train";
    progress.unit = "steps";
    progress.total = static_cast<std::uint64_t>(config.steps);
    const auto train_start = Clock::now();
    request.on_step = [&progress, train_start, &config](std::int64_t step) {
        progress.done = static_cast<std::uint64_t>(step);
        progress.elapsed_s = seconds_since(train_start);
        progress.finished = step == config.steps;
        emit(progress);
    };
    spdlog::info(
        "training {} ({}), {} steps of {} frames at {}x{}, lr {}, output {}", config.train_mode,
        config.train_mode == "head"   ? "LeRobot: only the classifier head learns"
        : config.train_mode == "serl" ? "spatial embedding, bottleneck and head on a frozen encoder"
                                      : "every layer learns",
        config.steps, config.batch_size, size, size, config.reward_model.learning_rate,
        summary.output_dir.string());

    model::Trainer trainer(std::move(request));
    summary.result = trainer.run();
    summary.wall_s = seconds_since(start);
    if (summary.result.interrupted) {
        throw InterruptedError(
            "interrupted at step " + std::to_string(summary.result.steps) +
            (summary.result.checkpoint.empty()
                 ? std::string("; no new checkpoint")
                 : "; checkpoint saved in " + summary.result.checkpoint.string()) +
            "; continue with --resume true --output_dir " + summary.output_dir.string());
    }
    return summary;
}

Json summary_json(const TrainSummary& s) {
    Json j;
    j["output_dir"] = s.output_dir.string();
    j["checkpoint"] = s.result.checkpoint.empty()
                          ? Json(nullptr)
                          : Json((s.result.checkpoint / model::kPretrainedModelDir).string());
    j["dataset"] = s.dataset_root.string();
    j["camera"] = s.camera;
    j["train_episodes"] = s.train_episodes;
    j["val_episodes"] = s.val_episodes;
    j["train_frames"] = s.train_frames;
    j["val_frames"] = s.val_frames;
    j["start_step"] = s.result.start_step;
    j["steps"] = s.result.steps;
    j["final_loss"] = s.result.final_loss;
    j["validation"] = s.result.validation ? eval_json(*s.result.validation) : Json(nullptr);
    j["decode_s"] = s.decode_s;
    j["wall_s"] = s.wall_s;
    j["streamed"] = s.streamed;
    return j;
}

}  // namespace rcls::train
