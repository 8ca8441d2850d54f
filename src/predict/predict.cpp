// SPDX-License-Identifier: MIT
#include "rcls/predict/predict.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/core/parallel.hpp"
#include "rcls/core/stats.hpp"
#include "rcls/core/strings.hpp"
#include "rcls/dataset/dataset.hpp"
#include "rcls/dataset/frame_reader.hpp"
#include "rcls/dataset/metadata.hpp"
#include "rcls/image/pipeline.hpp"
#include "rcls/video/image_file.hpp"
#include "rcls/video/video_reader.hpp"

namespace rcls::predict {
namespace fs = std::filesystem;
namespace {

/// Brings frames of any size to the model's input size: as they are when they already fit,
/// else through the preprocessing pipeline (centre crop, Lanczos), prepared once per frame size.
class ToModelSize {
public:
    explicit ToModelSize(cv::Size model) : model_(model) {}

    /// `frame` at the model's size: itself, or the pipeline's output, which stays valid until
    /// the next call (with `fresh`, in storage of its own that later calls leave alone).
    /// `describe()` names the frame in errors; it runs only when a pipeline is prepared, not per
    /// frame.
    template <class Describe>
    const cv::Mat& operator()(const cv::Mat& frame, const Describe& describe, bool fresh = false) {
        if (frame.size() == model_) return frame;
        if (!prepared_ || prepared_->input_size() != frame.size()) {
            image::Pipeline pipeline;
            pipeline.size = model_;
            prepared_.emplace(pipeline, frame.size(), describe());
        }
        if (fresh) out_ = cv::Mat();  // the previous output is someone else's now
        prepared_->apply(frame, out_);
        return out_;
    }

private:
    cv::Size model_;
    std::optional<image::PreparedPipeline> prepared_;
    cv::Mat out_;
};

/// One moment of a dataset: its place in the scoring order, its global index, episode and frame
/// in the episode, and one frame per
/// camera at the model's size.
struct Moment {
    std::int64_t seq = 0;
    std::int64_t index = 0;
    std::int64_t episode_index = 0;
    std::int64_t frame_index = 0;
    std::vector<cv::Mat> frames;
};

/// Thrown inside the producer when the consumers have stopped.
struct Cancelled {};

/// A bounded FIFO of moments from one producer thread to the scoring threads. The producer ends
/// with finish(); cancel() stops the producer's next push and every consumer's next pop.
class MomentQueue {
public:
    explicit MomentQueue(std::size_t capacity) : capacity_(capacity) {}

    /// Waits for room; false when cancelled.
    bool push(Moment&& moment) {
        std::unique_lock lock(mutex_);
        room_.wait(lock, [&] { return cancelled_ || items_.size() < capacity_; });
        if (cancelled_) return false;
        items_.push_back(std::move(moment));
        ready_.notify_one();
        return true;
    }

    void finish() {
        const std::lock_guard lock(mutex_);
        finished_ = true;
        ready_.notify_all();
    }

    /// The next moment; false at the end or once cancelled.
    bool pop(Moment& moment) {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return cancelled_ || !items_.empty() || finished_; });
        if (cancelled_ || items_.empty()) return false;
        moment = std::move(items_.front());
        items_.pop_front();
        room_.notify_one();
        return true;
    }

    void cancel() {
        const std::lock_guard lock(mutex_);
        cancelled_ = true;
        room_.notify_all();
        ready_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable room_;
    std::condition_variable ready_;
    std::deque<Moment> items_;
    std::size_t capacity_;
    bool finished_ = false;
    bool cancelled_ = false;
};

/// Scored moments from the scoring threads back into their order, for the calling thread. An
/// error (the producer's or a scorer's) takes its place in that order: every moment before it is
/// handed out first, then it is rethrown.
class InOrder {
public:
    struct Scored {
        std::int64_t index = 0;
        std::int64_t episode_index = 0;
        std::int64_t frame_index = 0;
        model::Prediction prediction;
    };

    void put(std::int64_t seq, Scored scored) {
        const std::lock_guard lock(mutex_);
        done_.emplace(seq, scored);
        ready_.notify_one();
    }

    /// The producer pushed `count` moments and no more.
    void end(std::int64_t count) { fail(count, nullptr); }

    /// Moment `seq` (or, for the producer, the end at `seq`) failed with `error`; the earliest
    /// failure wins.
    void fail(std::int64_t seq, std::exception_ptr error) {
        const std::lock_guard lock(mutex_);
        if (seq < stop_at_) {
            stop_at_ = seq;
            error_ = std::move(error);
        }
        ready_.notify_one();
    }

    /// The next moment in order; false at the end. Rethrows an error in its place.
    bool next(Scored& scored) {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return next_ == stop_at_ || done_.count(next_) != 0; });
        if (next_ == stop_at_) {
            if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
            return false;
        }
        auto it = done_.find(next_);
        scored = it->second;
        done_.erase(it);
        ++next_;
        return true;
    }

private:
    std::mutex mutex_;
    std::condition_variable ready_;
    std::map<std::int64_t, Scored> done_;
    std::int64_t next_ = 0;
    std::int64_t stop_at_ = std::numeric_limits<std::int64_t>::max();
    std::exception_ptr error_;
};

std::string short_name(const std::string& key) {
    const std::size_t dot = key.rfind('.');
    return dot == std::string::npos ? key : key.substr(dot + 1);
}

Latency summarize(const std::vector<double>& times_ms) {
    Latency out;
    out.p50_ms = percentile(times_ms, 50);
    out.p99_ms = percentile(times_ms, 99);
    for (const double t : times_ms) {
        out.mean_ms += t / static_cast<double>(times_ms.size());
    }
    return out;
}

}  // namespace

std::string select_camera(const model::Predictor& predictor,
                          const std::optional<std::string>& camera) {
    const std::vector<std::string> cameras = predictor.cameras();
    if (camera && std::none_of(cameras.begin(), cameras.end(), [&](const std::string& key) {
            return key == *camera || short_name(key) == *camera;
        })) {
        throw UsageError("--camera " + *camera + ": the checkpoint's cameras are " +
                         join(cameras, ", "));
    }
    if (cameras.size() != 1) {
        throw UsageError("the checkpoint takes " + std::to_string(cameras.size()) +
                         " cameras at once (" + join(cameras, ", ") +
                         "); an image or a video shows one");
    }
    return cameras.front();
}

namespace {

/// The dataset folder `input` names (a folder holding meta/info.json, or a repo id under
/// $HF_LEROBOT_HOME), or nullopt.
std::optional<fs::path> dataset_root(const fs::path& input) {
    const fs::path root = dataset::resolve_root(input.string());
    if (dataset::is_dataset_root(root)) return root;
    return std::nullopt;
}

/// For each checkpoint camera, the dataset camera whose frames feed it.
std::vector<std::string> dataset_cameras(const model::Predictor& predictor,
                                         const dataset::Dataset& data,
                                         const std::optional<std::string>& camera) {
    const std::vector<std::string> wanted = predictor.cameras();
    const std::vector<std::string> have = data.info().video_keys();
    const std::string where = data.root().string();
    const auto has = [&](const std::string& key) {
        return std::find(have.begin(), have.end(), key) != have.end();
    };
    if (wanted.size() > 1) {
        if (camera) {
            throw UsageError("--camera applies to one-camera checkpoints; this one takes " +
                             join(wanted, ", "));
        }
        for (const std::string& key : wanted) {
            if (!has(key)) {
                throw UsageError(where + ": no camera " + key + " (the checkpoint needs " +
                                 join(wanted, ", ") + "; the dataset has " +
                                 (have.empty() ? "none" : join(have, ", ")) + ")");
            }
        }
        return wanted;
    }
    if (camera) {
        for (const std::string& key : have) {
            if (key == *camera || short_name(key) == *camera) return {key};
        }
        throw UsageError("--camera " + *camera + ": the cameras of " + where + " are " +
                         (have.empty() ? "none" : join(have, ", ")));
    }
    if (has(wanted.front())) return wanted;
    if (have.size() == 1) return have;
    throw UsageError(where + ": which camera does the checkpoint's " + wanted.front() +
                     " see? The dataset has " + (have.empty() ? "none" : join(have, ", ")) +
                     "; name one with --camera");
}

/// Scores every frame of every complete episode of the dataset at `root`.
/// The episodes of `data` to score: all, or those `wanted` names (UsageError for one it lacks).
std::set<std::int64_t> episodes_to_score(const dataset::Dataset& data,
                                         const std::string& name,
                                         const std::vector<std::int64_t>& wanted) {
    std::set<std::int64_t> present;
    for (const dataset::EpisodeMeta& episode : data.meta().episodes) {
        present.insert(episode.episode_index);
    }
    if (wanted.empty()) return present;
    for (const std::int64_t index : wanted) {
        if (present.count(index) == 0) {
            throw UsageError("--episodes " + std::to_string(index) + ": " + name + " has " +
                             std::to_string(present.size()) + " episodes" +
                             (present.empty() ? std::string()
                                              : " (" + std::to_string(*present.begin()) + " to " +
                                                    std::to_string(*present.rbegin()) + ")"));
        }
    }
    return {wanted.begin(), wanted.end()};
}

void predict_dataset(model::Predictor& predictor,
                     const std::function<model::Predictor()>& make_scorer,
                     int workers,
                     const fs::path& root,
                     const std::string& name,
                     const PredictOptions& options,
                     const std::function<void(const FrameResult&)>& on_result) {
    const dataset::Dataset data = dataset::Dataset::open(root);
    const std::vector<std::string> keys = dataset_cameras(predictor, data, options.camera);
    const std::set<std::int64_t> wanted = episodes_to_score(data, name, options.episodes);
    // Real recordings have holes: episodes whose videos for these cameras are missing are
    // skipped with a warning (the tabular data is not needed).
    std::set<std::int64_t> skipped;
    for (const dataset::FileProblem& problem : data.find_problems()) {
        const dataset::EpisodeMeta& episode = data.episode(problem.episode_index);
        const bool needed = std::any_of(keys.begin(), keys.end(), [&](const std::string& key) {
            return data.meta().find_video_file(episode, key) == problem.path;
        });
        if (!needed || wanted.count(problem.episode_index) == 0) continue;
        if (!options.episodes.empty()) {  // asked for by name: not something to skip quietly
            throw DataError(name + ": episode " + std::to_string(problem.episode_index) + ": " +
                            problem.path.string() + " is " + problem.what +
                            " (leave the episode out of --episodes)");
        }
        if (skipped.insert(problem.episode_index).second) {
            spdlog::warn("{}: skipping episode {}: {} is {}", name, problem.episode_index,
                         problem.path.string(), problem.what);
        }
    }
    const cv::Size model_size(predictor.image_width(), predictor.image_height());
    const int decoder_threads =
        options.decoder_threads >= 0 ? options.decoder_threads : (options.prefetch > 0 ? 1 : 0);
    std::vector<ToModelSize> to_model_size(keys.size(), ToModelSize(model_size));
    dataset::FrameReader reader(data, image::ChannelOrder::kBgr, decoder_threads);
    // Every moment of the wanted episodes, in order, each camera's frame at the model's size.
    // With `fresh`, each frame gets storage of its own (it outlives the next call).
    const auto produce = [&](bool fresh, const std::function<void(Moment &&)>& sink) {
        for (const dataset::EpisodeMeta& episode : data.meta().episodes) {
            if (skipped.count(episode.episode_index) != 0 ||
                wanted.count(episode.episode_index) == 0) {
                continue;
            }
            for (std::int64_t t = 0; t < episode.length; ++t) {
                throw_if_interrupted();
                Moment moment;
                moment.index = episode.dataset_from_index + t;
                moment.episode_index = episode.episode_index;
                moment.frame_index = t;
                moment.frames.resize(keys.size());
                for (std::size_t c = 0; c < keys.size(); ++c) {
                    // Without `fresh`, no copy: each camera has its own converter, whose output
                    // is overwritten only after predict() has used it.
                    moment.frames[c] = to_model_size[c](
                        reader.frame(episode.episode_index, keys[c], t),
                        [&] { return name + " episode " + std::to_string(episode.episode_index); },
                        fresh);
                }
                sink(std::move(moment));
            }
        }
    };
    const auto score = [&](const Moment& moment) {
        throw_if_interrupted();
        on_result({name, moment.index, predictor.predict(moment.frames), moment.episode_index,
                   moment.frame_index});
    };
    if (options.prefetch <= 0) {
        produce(false, score);
        return;
    }
    // A second thread decodes, crops and resizes up to `prefetch` moments ahead while scoring
    // threads run the model, each its own copy with one libtorch thread when there are several
    // (whole frames side by side scale better than one frame's layers split across cores), and
    // this thread hands the results on in order: the same work, so the same results.
    std::vector<model::Predictor> copies;
    std::vector<model::Predictor*> scorers{&predictor};
    if (workers > 1) {
        scorers.clear();
        for (int i = 0; i < workers; ++i) {
            copies.push_back(make_scorer());
        }
        for (model::Predictor& copy : copies) {
            scorers.push_back(&copy);
        }
    }
    MomentQueue queue(static_cast<std::size_t>(options.prefetch));
    InOrder in_order;
    std::vector<std::thread> threads;
    // Whatever ends this thread's loop (on_result, Ctrl-C, an error in any thread), the other
    // threads stop at their next moment and are joined before anything leaves this scope.
    struct Join {
        MomentQueue& queue;
        std::vector<std::thread>& threads;
        ~Join() {
            queue.cancel();
            for (std::thread& thread : threads) {
                thread.join();
            }
        }
    } join{queue, threads};
    threads.emplace_back([&] {
        std::int64_t pushed = 0;
        try {
            produce(true, [&](Moment&& moment) {
                moment.seq = pushed;
                if (!queue.push(std::move(moment))) throw Cancelled{};
                ++pushed;
            });
            in_order.end(pushed);
        } catch (const Cancelled&) {
            in_order.end(pushed);
        } catch (...) {
            in_order.fail(pushed, std::current_exception());
        }
        queue.finish();
    });
    for (model::Predictor* scorer : scorers) {
        threads.emplace_back([&queue, &in_order, scorer] {
            Moment moment;
            while (queue.pop(moment)) {
                try {
                    throw_if_interrupted();
                    in_order.put(moment.seq, {moment.index, moment.episode_index,
                                              moment.frame_index, scorer->predict(moment.frames)});
                } catch (...) {
                    in_order.fail(moment.seq, std::current_exception());
                    queue.cancel();
                    return;
                }
            }
        });
    }
    InOrder::Scored scored;
    while (in_order.next(scored)) {
        throw_if_interrupted();
        on_result(
            {name, scored.index, scored.prediction, scored.episode_index, scored.frame_index});
    }
}

}  // namespace

void run_predict(const PredictOptions& options,
                 const std::function<void(const FrameResult&)>& on_result) {
    for (const fs::path& input : options.inputs) {
        if (dataset_root(input)) continue;
        std::error_code ec;
        if (!fs::exists(input, ec)) throw DataError(input.string() + ": no such file");
        if (!video::has_image_extension(input) && !video::has_video_extension(input)) {
            throw DataError(
                input.string() +
                ": not an image, a video (by its extension) or a dataset (meta/info.json)");
        }
    }
    model::Predictor predictor(
        options.checkpoint,
        {.threshold = options.threshold,
         .num_threads = static_cast<int>(resolve_thread_option(options.num_threads, "--threads")),
         .optimized = true});
    spdlog::info("{}: cameras {}, {}x{} input, normalisation from {}", options.checkpoint.string(),
                 join(predictor.cameras(), ", "), predictor.image_width(), predictor.image_height(),
                 predictor.stats_from());
    const cv::Size model_size(predictor.image_width(), predictor.image_height());
    ToModelSize to_model_size(model_size);
    // Datasets with prefetch: one scoring thread per model thread, each with its own copy.
    const int scorers = options.scorers > 0    ? options.scorers
                        : options.prefetch > 0 ? predictor.num_threads()
                                               : 1;
    const auto make_scorer = [&] {
        return model::Predictor(
            options.checkpoint,
            {.threshold = options.threshold, .num_threads = 1, .optimized = true});
    };

    for (const fs::path& input : options.inputs) {
        const std::string name = input.string();
        if (const std::optional<fs::path> root = dataset_root(input)) {
            predict_dataset(predictor, make_scorer, scorers, *root, name, options, on_result);
            continue;
        }
        select_camera(predictor, options.camera);
        if (video::has_image_extension(input)) {
            throw_if_interrupted();
            const cv::Mat image = video::read_image(input, image::ChannelOrder::kBgr);
            const cv::Mat frame[] = {to_model_size(image, [&] { return name; })};
            on_result({.input = name,
                       .frame = 0,
                       .prediction = predictor.predict(frame),
                       .episode_index = std::nullopt,
                       .frame_index = std::nullopt});
            continue;
        }
        video::VideoReader reader(input, {.order = image::ChannelOrder::kBgr, .threads = 0});
        video::Frame decoded;
        while (reader.read(decoded)) {
            throw_if_interrupted();
            const cv::Mat frame[] = {to_model_size(
                decoded.image, [&] { return name + " frame " + std::to_string(decoded.index); })};
            on_result({.input = name,
                       .frame = decoded.index,
                       .prediction = predictor.predict(frame),
                       .episode_index = std::nullopt,
                       .frame_index = std::nullopt});
        }
    }
}

BenchmarkReport run_benchmark(const BenchmarkOptions& options) {
    const auto make = [&](bool optimized) {
        const model::PredictorOptions predictor_options{
            .threshold = 0.5,
            .num_threads =
                static_cast<int>(resolve_thread_option(options.num_threads, "--threads")),
            .optimized = optimized};
        return options.checkpoint
                   ? model::Predictor(*options.checkpoint, predictor_options)
                   : model::Predictor::untrained(model::ClassifierConfig{}, 0, predictor_options);
    };
    model::Predictor fast = make(true);
    model::Predictor eager = make(false);
    select_camera(fast, std::nullopt);

    BenchmarkReport report;
    report.frames = options.frames;
    report.model_size = fast.image_width();
    // A fixed pseudo-random camera frame: the work does not depend on the pixels.
    cv::Mat camera(report.height, report.width, CV_8UC3);
    cv::theRNG().state = 1234;
    cv::randu(camera, 0, 256);
    ToModelSize to_model_size(cv::Size(fast.image_width(), fast.image_height()));

    const auto time_one = [&](model::Predictor& predictor) {
        const auto start = std::chrono::steady_clock::now();
        const cv::Mat frame[] = {
            to_model_size(camera, [] { return std::string("benchmark frame"); })};
        const model::Prediction p = predictor.predict(frame);
        const auto end = std::chrono::steady_clock::now();
        if (!std::isfinite(p.probability)) {
            throw ModelError("benchmark: the model produced a non-finite probability");
        }
        return std::chrono::duration<double, std::milli>(end - start).count();
    };
    for (int i = 0; i < 5; ++i) {  // warm-up: weight packing, allocations, caches
        time_one(fast);
        time_one(eager);
    }
    // Blocks of frames alternate between the paths, so both see the same machine load while
    // each runs with its own weights in the caches, as a single model would.
    constexpr int kBlock = 10;
    std::vector<double> fast_ms, eager_ms;
    while (static_cast<int>(fast_ms.size()) < options.frames) {
        throw_if_interrupted();
        const int block = std::min(kBlock, options.frames - static_cast<int>(fast_ms.size()));
        for (int i = 0; i < block; ++i) {
            fast_ms.push_back(time_one(fast));
        }
        for (int i = 0; i < block; ++i) {
            eager_ms.push_back(time_one(eager));
        }
    }
    report.threads = fast.num_threads();
    report.optimized = summarize(fast_ms);
    report.eager = summarize(eager_ms);
    return report;
}

std::string to_json(const BenchmarkReport& report) {
    const auto round3 = [](double v) { return std::round(v * 1000.0) / 1000.0; };
    nlohmann::ordered_json json;
    json["frames"] = report.frames;
    json["input"] = std::to_string(report.width) + "x" + std::to_string(report.height) + " BGR";
    json["model_input"] =
        std::to_string(report.model_size) + "x" + std::to_string(report.model_size);
    json["threads"] = report.threads;
    json["p50_ms"] = round3(report.optimized.p50_ms);
    json["p99_ms"] = round3(report.optimized.p99_ms);
    json["mean_ms"] = round3(report.optimized.mean_ms);
    json["eager_p50_ms"] = round3(report.eager.p50_ms);
    json["eager_p99_ms"] = round3(report.eager.p99_ms);
    json["eager_mean_ms"] = round3(report.eager.mean_ms);
    json["speedup_p50"] = round3(report.eager.p50_ms / report.optimized.p50_ms);
    json["speedup_p99"] = round3(report.eager.p99_ms / report.optimized.p99_ms);
    return json.dump();
}

}  // namespace rcls::predict
