// SPDX-License-Identifier: MIT
#include "rcls/record/reward_detector.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"
#include "rcls/core/parallel.hpp"
#include "rcls/eval/eval.hpp"
#include "rcls/image/channel_order.hpp"
#include "rcls/image/pipeline.hpp"
#include "rcls/model/checkpoint.hpp"
#include "rcls/model/predictor.hpp"

namespace rcls::record {
namespace fs = std::filesystem;

namespace {

double checked_threshold(double threshold) {
    if (!std::isfinite(threshold) || threshold < 0.0 || threshold > 1.0) {
        throw ConfigError(std::string(kThresholdField) +
                          ": expected a probability in [0, 1], got " + std::to_string(threshold));
    }
    return threshold;
}

int checked_k(int k) {
    if (k < 1) {
        throw ConfigError(std::string(kKField) + ": expected at least 1 consecutive frame, got " +
                          std::to_string(k));
    }
    return k;
}

}  // namespace

ConsecutiveSuccess::ConsecutiveSuccess(double threshold, int k)
    : threshold_(checked_threshold(threshold)), k_(checked_k(k)) {}

bool ConsecutiveSuccess::update(double probability) {
    run_ = probability >= threshold_ ? run_ + 1 : 0;
    const bool fires = run_ >= k_;
    reached_ = reached_ || fires;
    return fires;
}

void ConsecutiveSuccess::reset() {
    run_ = 0;
    reached_ = false;
}

/// Forward passes on a blank frame before recording (TorchScript's profiling executor optimises
/// on the second run).
constexpr int kWarmUpPasses = 3;

struct RewardDetector::Impl {
    struct Pending {
        std::int64_t frame = -1;
        std::uint64_t episode = 0;
        std::vector<cv::Mat> images;
    };

    Impl(const fs::path& checkpoint, int threads)
        : predictor(
              checkpoint,
              model::PredictorOptions{.threshold = 0.5, .num_threads = threads, .optimized = true}),
          cameras(predictor.cameras()),
          model_size(predictor.image_width(), predictor.image_height()) {}

    void run();
    /// `images` (RGB, any size) as the model's BGR frames.
    std::vector<cv::Mat> to_model(const std::vector<cv::Mat>& images);
    void rethrow_locked() {
        if (error) {
            std::exception_ptr e = error;
            error = nullptr;
            std::rethrow_exception(e);
        }
    }

    model::Predictor predictor;
    std::vector<std::string> cameras;
    cv::Size model_size;
    std::string threshold_source;
    std::string k_source;
    std::vector<std::optional<image::PreparedPipeline>> pipelines;  // worker only

    mutable std::mutex mutex;
    std::condition_variable wake;
    std::optional<ConsecutiveSuccess> rule;
    std::optional<Pending> slot;
    std::vector<std::vector<cv::Mat>> spare;  // image buffers of scored frames, for new ones
    std::uint64_t episode = 0;
    std::vector<RewardDecision> decisions;
    std::exception_ptr error;
    // Read without the mutex: the control thread never waits for the worker.
    std::atomic<std::int64_t> dropped{0};
    std::atomic<std::int64_t> scored{0};
    std::atomic<bool> reached{false};
    bool stop = false;
    std::thread worker;
};

std::vector<cv::Mat> RewardDetector::Impl::to_model(const std::vector<cv::Mat>& images) {
    pipelines.resize(images.size());
    std::vector<cv::Mat> out(images.size());
    for (std::size_t i = 0; i < images.size(); ++i) {
        cv::Mat sized = images[i];
        if (sized.size() != model_size) {
            // As `rcls predict`: centre crop and Lanczos resize, prepared once per frame size.
            auto& prepared = pipelines[i];
            if (!prepared || prepared->input_size() != images[i].size()) {
                image::Pipeline pipeline;
                pipeline.size = model_size;
                prepared.emplace(pipeline, images[i].size(), cameras[i]);
            }
            prepared->apply(images[i], sized);
        }
        out[i] = image::convert_channel_order(sized, image::ChannelOrder::kRgb,
                                              image::ChannelOrder::kBgr);
    }
    return out;
}

void RewardDetector::Impl::run() {
    // Scoring is background work beside the control loop, which gets the CPU first when both want
    // it (libtorch's threads, started from here, inherit this).
    make_this_thread_background();
    std::unique_lock lock(mutex);
    for (;;) {
        wake.wait(lock, [this] { return stop || slot.has_value(); });
        if (stop) return;
        Pending job = std::move(*slot);
        slot.reset();
        lock.unlock();
        std::optional<double> probability;
        std::exception_ptr failure;
        try {
            const std::vector<cv::Mat> frames = to_model(job.images);
            probability = predictor.predict(frames).probability;
        } catch (const InterruptedError&) {
            // Ctrl-C: the recording loop sees it too and ends; this frame is not scored.
        } catch (...) {
            failure = std::current_exception();
        }
        lock.lock();
        if (spare.size() < 2) spare.push_back(std::move(job.images));  // for the next frames
        if (failure && !error) error = failure;
        if (probability && job.episode == episode) {
            ++scored;
            const bool fires = rule->update(*probability);
            reached.store(rule->reached());
            decisions.push_back({job.frame, *probability, fires});
        }
    }
}

RewardDetector::RewardDetector(const fs::path& checkpoint,
                               std::optional<double> threshold,
                               std::optional<int> k,
                               int threads) {
    // The values are checked before the (slow) model load, the file's after the checkpoint
    // proved usable.
    if (threshold) checked_threshold(*threshold);
    if (k) checked_k(*k);
    if (threads < 0) {
        throw ConfigError("reward classifier threads: expected 0 (one per core) or more, got " +
                          std::to_string(threads));
    }
    impl_ = std::make_unique<Impl>(checkpoint, threads);
    const std::optional<eval::SavedRecommendation> saved =
        eval::read_recommendation(model::resolve_pretrained_dir(checkpoint));
    impl_->threshold_source = threshold ? "config" : saved ? eval::kEvalFile : "default";
    impl_->k_source = k ? "config" : saved ? eval::kEvalFile : "default";
    impl_->rule.emplace(threshold.value_or(saved ? saved->threshold : 0.5),
                        k.value_or(saved ? saved->k : 1));
    spdlog::info(
        "live reward classifier: {} camera(s) at {}x{}, success when p >= {} ({}) for {} "
        "consecutive frame(s) ({})",
        impl_->cameras.size(), impl_->model_size.width, impl_->model_size.height,
        impl_->rule->threshold(), impl_->threshold_source, impl_->rule->k(), impl_->k_source);
    // Warm-up before the recording starts: libtorch's first forward passes allocate its buffers
    // and optimise the graph (much more CPU than a later pass), which would otherwise compete
    // with the control loop on the recording's first scored frames.
    const auto warm_start = std::chrono::steady_clock::now();
    const std::vector<cv::Mat> blank(impl_->cameras.size(),
                                     cv::Mat::zeros(impl_->model_size, CV_8UC3));
    for (int pass = 0; pass < kWarmUpPasses; ++pass)
        impl_->predictor.predict(blank);
    spdlog::debug(
        "live reward classifier warmed up in {:.0f} ms",
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - warm_start)
            .count());
    Impl* impl = impl_.get();
    impl_->worker = std::thread([impl] { impl->run(); });
}

RewardDetector::~RewardDetector() {
    {
        const std::lock_guard lock(impl_->mutex);
        impl_->stop = true;
    }
    impl_->wake.notify_all();
    impl_->worker.join();
}

void RewardDetector::submit(std::int64_t frame, const std::vector<cv::Mat>& images_rgb) {
    if (images_rgb.size() != impl_->cameras.size()) {
        throw DataError("reward classifier: frame " + std::to_string(frame) + " has " +
                        std::to_string(images_rgb.size()) + " camera image(s), the checkpoint " +
                        "takes " + std::to_string(impl_->cameras.size()) +
                        " (its cameras, in order: " +
                        [&] {
                            std::string names;
                            for (const std::string& c : impl_->cameras)
                                names += (names.empty() ? "" : ", ") + c;
                            return names;
                        }() +
                        ")");
    }
    for (std::size_t i = 0; i < images_rgb.size(); ++i) {
        if (images_rgb[i].type() != CV_8UC3 || images_rgb[i].empty()) {
            throw DataError("reward classifier: frame " + std::to_string(frame) + ", camera " +
                            impl_->cameras[i] + ": expected an 8-bit RGB image");
        }
    }
    {
        // The worker holds the mutex only for moments, but a worker descheduled in one of them
        // (a busy machine) must not hold the control loop up: the frame is dropped instead.
        const std::unique_lock lock(impl_->mutex, std::try_to_lock);
        if (!lock.owns_lock()) {
            ++impl_->dropped;
            return;
        }
        impl_->rethrow_locked();
        if (impl_->slot) {
            ++impl_->dropped;  // replaced by this newer frame
        } else {
            impl_->slot.emplace();
            if (!impl_->spare.empty()) {
                impl_->slot->images = std::move(impl_->spare.back());
                impl_->spare.pop_back();
            }
        }
        Impl::Pending& job = *impl_->slot;
        job.frame = frame;
        job.episode = impl_->episode;
        job.images.resize(images_rgb.size());
        // A copy (the caller may reuse its buffers) into buffers of earlier frames: no allocation
        // once the sizes settled.
        for (std::size_t i = 0; i < images_rgb.size(); ++i)
            images_rgb[i].copyTo(job.images[i]);
    }
    impl_->wake.notify_one();
}

std::vector<RewardDecision> RewardDetector::poll() {
    std::vector<RewardDecision> out;
    const std::unique_lock lock(impl_->mutex, std::try_to_lock);
    if (!lock.owns_lock()) return out;  // the worker is storing one: it comes with the next poll
    impl_->rethrow_locked();
    out.swap(impl_->decisions);
    return out;
}

bool RewardDetector::success() const {
    return impl_->reached.load();
}

void RewardDetector::reset_episode() {
    const std::lock_guard lock(impl_->mutex);
    ++impl_->episode;
    impl_->slot.reset();
    impl_->decisions.clear();
    impl_->rule->reset();
    impl_->reached.store(false);
}

double RewardDetector::threshold() const {
    return impl_->rule->threshold();
}

int RewardDetector::k() const {
    return impl_->rule->k();
}

std::int64_t RewardDetector::dropped() const {
    return impl_->dropped.load();
}

std::int64_t RewardDetector::scored() const {
    return impl_->scored.load();
}

const std::vector<std::string>& RewardDetector::cameras() const {
    return impl_->cameras;
}

const std::string& RewardDetector::threshold_source() const {
    return impl_->threshold_source;
}

const std::string& RewardDetector::k_source() const {
    return impl_->k_source;
}

}  // namespace rcls::record
