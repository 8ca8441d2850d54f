// SPDX-License-Identifier: MIT
//
// The libtorch TrainerBackend: LeRobot's training loop for the reward classifier
// (lerobot_formats.md §3.3) with rcls's training modes, validation and feature cache.
//
// Randomness: the model's initialisation, dropout, uncached augmentation and the choice of cached
// variants draw from torch's default CPU generator, seeded with `seed` and saved in
// training_state/ (rng_state.safetensors); the data order of epoch e is a permutation drawn from
// std::mt19937(seed + e), so any step's batch follows from the step alone. A run resumed from a
// checkpoint therefore continues exactly as the straight run would (same thread count).
//
// The feature pool (head/serl with feature_cache and augmentation): the frozen prefix's outputs
// of `cache_variants` augmented variants of every training frame, computed in units of one chunk
// of frames of one variant. Unit (v, c) augments with its own generator, seeded from (seed, v, c),
// and is published (made visible to the steps) at a step fixed in advance (publish_step): variant
// 0 before step 1, the others spread over the run, computed ahead by a background producer
// thread. A step waits for a unit that is due and not computed yet, and never sees one before
// it is due, so what a step trains on depends on the step alone, not on the threads' timing: the
// pool keeps byte-identical determinism (same seed and thread count) and resume.
//
// Streaming (a request with frame files and a scratch_dir, above memory_budget_mb): the frames
// are read from their raw files and the pool is written to and read from feature_pool.f32 with
// pread/pwrite, a chunk or a batch at a time, the same bytes as in memory, so a streamed run is
// byte-identical to the in-memory one. The producer then computes at most kStreamAhead units
// ahead, so memory stays bounded whatever the frame count.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <numeric>
#include <optional>
#include <random>
#include <thread>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>
#include <torch/torch.h>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/core/scratch_file.hpp"
#include "rcls/model/checkpoint.hpp"
#include "rcls/model/classifier.hpp"
#include "rcls/model/fast_classifier.hpp"
#include "rcls/model/image_transforms.hpp"
#include "rcls/model/optimizer.hpp"
#include "rcls/model/training_state.hpp"
#include "rcls/model/weights.hpp"

#include "predictor_backend.hpp"

namespace rcls::model {

std::unique_ptr<torch::optim::AdamW> make_adamw(const std::vector<torch::Tensor>& params,
                                                double lr,
                                                double weight_decay) {
    return std::make_unique<torch::optim::AdamW>(
        params,
        torch::optim::AdamWOptions(lr).betas({0.9, 0.999}).eps(1e-8).weight_decay(weight_decay));
}

double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm) {
    std::vector<torch::Tensor> with_grad;
    for (const torch::Tensor& p : params) {
        if (p.grad().defined()) with_grad.push_back(p);
    }
    if (with_grad.empty()) return 0.0;
    if (max_norm > 0.0) return torch::nn::utils::clip_grad_norm_(with_grad, max_norm, 2.0);
    std::vector<torch::Tensor> norms;
    for (const torch::Tensor& p : with_grad)
        norms.push_back(p.grad().norm(2));
    return torch::stack(norms).norm(2).item<double>();
}

}  // namespace rcls::model

namespace rcls::model::detail {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;
using torch::Tensor;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

enum class Mode { kHead, kSerl, kFull };

Mode parse_mode(const std::string& mode) {
    if (mode == "head") return Mode::kHead;
    if (mode == "serl") return Mode::kSerl;
    if (mode == "full") return Mode::kFull;
    throw ConfigError("train_mode: \"" + mode + "\" is not one of head, serl, full");
}

/// Frames per unit of the feature pool (and per forward pass when caching or validating).
constexpr std::int64_t kChunk = 64;

/// Streaming: units the pool's producer computes ahead of the steps (a unit is 1 MiB in head
/// mode at 128 px, 2 MiB in serl), instead of two variants' worth.
constexpr std::size_t kStreamAhead = 16;

/// splitmix64: the seed of the feature pool's unit (variant, chunk) from the run's seed.
std::uint64_t unit_seed(std::int64_t seed, std::int64_t variant, std::int64_t chunk) {
    std::uint64_t z = static_cast<std::uint64_t>(seed) * 0x9E3779B97F4A7C15ull +
                      static_cast<std::uint64_t>(variant) * 0xD1B54A32D192ED03ull +
                      static_cast<std::uint64_t>(chunk) + 1;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/// libtorch's thread count on the calling thread for a scope (libtorch keeps it per thread with
/// OpenMP), restored at its end.
class ScopedTorchThreads {
public:
    explicit ScopedTorchThreads(int threads) : before_(at::get_num_threads()) {
        if (threads != before_) at::set_num_threads(threads);
    }
    ~ScopedTorchThreads() {
        if (at::get_num_threads() != before_) at::set_num_threads(before_);
    }
    ScopedTorchThreads(const ScopedTorchThreads&) = delete;
    ScopedTorchThreads& operator=(const ScopedTorchThreads&) = delete;

private:
    int before_;
};

/// The frames' uint8 tensor [N, S, S, 3] (a view of `frames.rgb`).
Tensor frames_tensor(const TrainFrames& frames) {
    const auto n = static_cast<std::int64_t>(frames.count());
    return torch::from_blob(const_cast<std::uint8_t*>(frames.rgb.data()),
                            {n, frames.size, frames.size, 3}, torch::kUInt8);
}

/// The frames of one split as uint8 tensors [k, S, S, 3], from memory or, streamed, from their
/// raw file (pread into a fresh tensor). Reads may come from several threads.
class FrameSource {
public:
    explicit FrameSource(const TrainFrames& frames)
        : size_(frames.size), bytes_(static_cast<std::uint64_t>(frames.size) * frames.size * 3) {
        if (frames.file.empty()) {
            images_ = frames_tensor(frames);
        } else {
            file_.emplace(frames.file, ScratchFile::Mode::kRead);
        }
    }

    /// Frames [first, last).
    Tensor slice(std::int64_t first, std::int64_t last) const {
        if (!file_) return images_.slice(0, first, last);
        Tensor out = torch::empty({last - first, size_, size_, 3}, torch::kUInt8);
        file_->read_at(static_cast<std::uint64_t>(first) * bytes_, out.data_ptr<std::uint8_t>(),
                       static_cast<std::size_t>(last - first) * bytes_);
        return out;
    }

    /// The frames `index` names (int64, 1-D), in its order.
    Tensor gather(const Tensor& index) const {
        if (!file_) return images_.index_select(0, index);
        const auto ia = index.accessor<std::int64_t, 1>();
        Tensor out = torch::empty({index.size(0), size_, size_, 3}, torch::kUInt8);
        std::uint8_t* dst = out.data_ptr<std::uint8_t>();
        for (std::int64_t i = 0; i < index.size(0); ++i) {
            file_->read_at(static_cast<std::uint64_t>(ia[i]) * bytes_,
                           dst + static_cast<std::uint64_t>(i) * bytes_, bytes_);
        }
        return out;
    }

    bool streamed() const { return file_.has_value(); }

private:
    std::int64_t size_;
    std::uint64_t bytes_;
    Tensor images_;                    ///< In memory: a view of TrainFrames::rgb.
    std::optional<ScratchFile> file_;  ///< Streamed.
};

/// Computes the feature pool's units [first, last) in order on a thread of its own, at most
/// `ahead` units before the one the steps take next; take() hands them over in order, waiting
/// when the next one is not ready. An exception on the thread comes out of take(). The destructor
/// stops the thread (after the unit in progress).
class PoolProducer {
public:
    using Compute = std::function<Tensor(std::int64_t unit)>;

    PoolProducer(
        Compute compute, std::int64_t first, std::int64_t last, std::size_t ahead, int threads)
        : compute_(std::move(compute)),
          next_(first),
          last_(last),
          ahead_(ahead),
          threads_(threads) {
        thread_ = std::thread([this] { loop(); });
    }
    ~PoolProducer() {
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        changed_.notify_all();
        thread_.join();
    }
    PoolProducer(const PoolProducer&) = delete;
    PoolProducer& operator=(const PoolProducer&) = delete;

    /// The next unit's output (units come in order); blocks until it is computed.
    Tensor take() {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return !ready_.empty() || error_; });
        if (ready_.empty()) std::rethrow_exception(error_);
        Tensor out = std::move(ready_.front());
        ready_.pop_front();
        changed_.notify_all();
        return out;
    }

private:
    void loop() {
        at::init_num_threads();  // this thread's OpenMP team: the run's thread count
        if (threads_ > 0) at::set_num_threads(threads_);
        try {
            for (std::int64_t unit = next_; unit < last_; ++unit) {
                {
                    std::unique_lock<std::mutex> lock(mutex_);
                    changed_.wait(lock, [&] { return stop_ || ready_.size() < ahead_; });
                    if (stop_) return;
                }
                Tensor out = compute_(unit);
                const std::lock_guard<std::mutex> lock(mutex_);
                ready_.push_back(std::move(out));
                changed_.notify_all();
            }
        } catch (...) {
            const std::lock_guard<std::mutex> lock(mutex_);
            error_ = std::current_exception();
            changed_.notify_all();
        }
    }

    Compute compute_;
    std::int64_t next_, last_;
    std::size_t ahead_;
    int threads_;  ///< libtorch threads on the producer's thread (0: the process default).
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Tensor> ready_;
    std::exception_ptr error_;
    bool stop_ = false;
    std::thread thread_;
};

class TorchTrainer final : public TrainerBackend {
public:
    explicit TorchTrainer(TrainerRequest request) : r_(std::move(request)), cfg_(r_.config) {
        mode_ = parse_mode(cfg_.train_mode);
        const std::string& device = cfg_.reward_model.device;
        if (device != "cpu") {
            if (!torch::cuda::is_available()) {
                throw DeviceError("reward_model.device \"" + device +
                                  "\": this rcls is built against a libtorch without CUDA (or no "
                                  "GPU is visible); use --reward_model.device cpu or rebuild "
                                  "against a CUDA libtorch (README, \"Training\")");
            }
            device_ = torch::Device(device);
        }
        if (r_.model.num_classes != 2) {
            throw ConfigError(
                "reward_model.num_classes: rcls train supports binary classifiers "
                "(2) only");
        }
        if (r_.train.count() == 0) throw DataError("no training frames");
        const auto expected = static_cast<std::size_t>(r_.train.size) * r_.train.size * 3;
        const auto stored = [](const TrainFrames& frames) -> std::size_t {
            if (frames.file.empty()) return frames.rgb.size();
            return static_cast<std::size_t>(
                ScratchFile(frames.file, ScratchFile::Mode::kRead).size());
        };
        if (stored(r_.train) != expected * r_.train.count() ||
            (r_.val.count() > 0 && stored(r_.val) != expected * r_.val.count())) {
            throw std::logic_error("TrainFrames: rgb size does not match the frame count");
        }
        set_num_threads(cfg_.num_threads);
        torch::manual_seed(static_cast<std::uint64_t>(cfg_.seed));
        model_ = Classifier(r_.model);
        if (!r_.resume_from.empty()) {
            // weights come from the checkpoint below
        } else if (!r_.init_from.empty()) {
            const fs::path dir = resolve_pretrained_dir(r_.init_from);
            load_model_safetensors(dir / kModelFile, model_);
            notice("starting from the weights of " + dir.string());
        } else if (cfg_.pretrained_encoder) {
            const fs::path weights = find_encoder_weights(r_.model.model_name);
            load_encoder_weights(model_->encoder, weights);
            notice("pretrained encoder: " + weights.string());
        } else {
            notice("pretrained_encoder false: the encoder starts from random weights (seed " +
                   std::to_string(cfg_.seed) + ")");
        }
        if (mode_ == Mode::kFull) {
            for (Tensor& p : model_->encoder->parameters())
                p.requires_grad_(true);
        }
        model_->to(device_);
        if (device_.is_cpu()) fast_encoder_.emplace(model_->encoder);
        params_ = model_->unique_parameters();
        optimizer_ =
            make_adamw(params_, cfg_.reward_model.learning_rate, cfg_.reward_model.weight_decay);
        if (!r_.resume_from.empty()) {
            load_model_safetensors(r_.resume_from / kPretrainedModelDir / kModelFile, model_);
            const TrainingProgress progress =
                load_training_state(r_.resume_from / kTrainingStateDir, *optimizer_, params_);
            start_step_ = progress.step;
            std::mt19937 unused;
            restore_rng_state(progress.rng, unused);
            notice("resuming from " + r_.resume_from.string() + " at step " +
                   std::to_string(start_step_));
        }
        transforms_ =
            std::make_unique<ImageTransforms>(cfg_.dataset.image_transforms, cfg_.augment);
        if (transforms_->active()) notice("augmentation: " + transforms_->describe());
        const auto stats = r_.stats.empty() ? imagenet_norm_stats(r_.model) : r_.stats;
        const ImageStats& s = stats.begin()->second;
        mean_ = torch::tensor({s.mean[0], s.mean[1], s.mean[2]}).view({1, 3, 1, 1}).to(device_);
        std_ =
            (torch::tensor({s.std[0], s.std[1], s.std[2]}).view({1, 3, 1, 1}) + 1e-8).to(device_);
        stats_ = stats;
        train_images_.emplace(r_.train);
        if (r_.val.count() > 0) val_images_.emplace(r_.val);
        if (!r_.scratch_dir.empty()) pool_path_ = r_.scratch_dir / "feature_pool.f32";
        train_labels_ =
            torch::from_blob(const_cast<float*>(r_.train.labels.data()),
                             {static_cast<std::int64_t>(r_.train.count())}, torch::kFloat32)
                .clone();
    }

    TrainResult run() override {
        TrainResult result;
        result.start_step = start_step_;
        result.steps = start_step_;
        const std::int64_t total = cfg_.steps;
        if (start_step_ >= total) {
            notice("the run is already at step " + std::to_string(start_step_) + " of " +
                   std::to_string(total) + "; nothing to do");
            return result;
        }
        build_cache();
        // head on the feature cache: a step is a [32, 4096] x [4096, 256] product without
        // gradients and the small classifier head, too little work to split. Waking a second
        // thread for each op cost more than it saved (3000 steps on the reference-size data:
        // 9 s on 2 threads, 5 s on 1, measured on the 2-core machine), so steps run on one;
        // validation (encoder passes) keeps the run's threads.
        const int run_threads = at::get_num_threads();
        const ScopedTorchThreads step_threads(one_thread_steps() ? 1 : run_threads);
        const auto n = static_cast<std::int64_t>(r_.train.count());
        const std::int64_t batch = cfg_.batch_size;
        const std::int64_t per_epoch = (n + batch - 1) / batch;
        samples_ = (start_step_ / per_epoch) * n + std::min(n, (start_step_ % per_epoch) * batch);
        Window window;
        std::int64_t cached_epoch = -1;
        std::vector<std::int64_t> order;
        for (std::int64_t step = start_step_; step < total; ++step) {
            if (rcls::interrupted()) {
                result.interrupted = true;
                if (cfg_.save_checkpoint && step > start_step_) {
                    result.checkpoint = save(step);
                    notice("interrupted: saved the checkpoint of step " + std::to_string(step));
                }
                return result;
            }
            const auto data_start = Clock::now();
            publish_due_units(step);
            const std::int64_t epoch = step / per_epoch;
            if (epoch != cached_epoch) {
                order.resize(static_cast<std::size_t>(n));
                std::iota(order.begin(), order.end(), 0);
                std::mt19937 gen(static_cast<std::uint32_t>(cfg_.seed + epoch));
                std::shuffle(order.begin(), order.end(), gen);
                cached_epoch = epoch;
            }
            const std::int64_t first = (step % per_epoch) * batch;
            const std::int64_t last = std::min(n, first + batch);
            const Tensor index = torch::tensor(
                std::vector<std::int64_t>(order.begin() + first, order.begin() + last),
                torch::kInt64);
            const Tensor labels = train_labels_.index_select(0, index).to(device_);
            Tensor input = batch_input(index);
            const double data_s = seconds_since(data_start);

            const auto update_start = Clock::now();
            const double lr = lr_at(step + 1);
            for (auto& group : optimizer_->param_groups()) {
                static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
            }
            model_->train();
            const Tensor logits = forward_train(input);
            const Tensor loss = torch::binary_cross_entropy_with_logits(logits, labels);
            optimizer_->zero_grad();
            loss.backward();
            const double grad_norm = clip_gradients();
            optimizer_->step();
            const double update_s = seconds_since(update_start);

            const std::int64_t done = step + 1;
            window.add(loss.item<double>(),
                       ((torch::sigmoid(logits.detach()) > 0.5).to(torch::kFloat32) == labels)
                               .to(torch::kFloat32)
                               .mean()
                               .item<double>() *
                           100.0,
                       grad_norm, update_s, data_s, last - first);
            samples_ += last - first;
            if (r_.on_step) r_.on_step(done);
            if (done % cfg_.log_freq == 0 || done == total) {
                result.final_loss = window.loss / window.steps;
                if (r_.on_log) r_.on_log(window.log(done, samples_, n, lr));
                window = Window{};
            }
            if (r_.val.count() > 0 &&
                ((cfg_.eval_freq > 0 && done % cfg_.eval_freq == 0) || done == total)) {
                const ScopedTorchThreads validation_threads(run_threads);
                result.validation = validate(done);
                if (r_.on_eval) r_.on_eval(*result.validation);
            }
            if (cfg_.save_checkpoint && (done % cfg_.save_freq == 0 || done == total)) {
                result.checkpoint = save(done);
            }
            result.steps = done;
        }
        return result;
    }

private:
    /// Figures averaged over a log window.
    struct Window {
        std::int64_t steps = 0;
        double loss = 0, accuracy = 0, grad_norm = 0, update_s = 0, data_s = 0;
        void add(double l, double a, double g, double u, double d, std::int64_t) {
            ++steps;
            loss += l;
            accuracy += a;
            grad_norm += g;
            update_s += u;
            data_s += d;
        }
        TrainStepLog log(std::int64_t step, std::int64_t samples, std::int64_t n, double lr) const {
            const double k = std::max<std::int64_t>(steps, 1);
            TrainStepLog out;
            out.step = step;
            out.samples = samples;
            out.epoch = static_cast<double>(samples) / static_cast<double>(n);
            out.loss = loss / k;
            out.grad_norm = grad_norm / k;
            out.lr = lr;
            out.accuracy = accuracy / k;
            out.update_s = update_s / k;
            out.data_s = data_s / k;
            return out;
        }
    };

    void notice(const std::string& text) const {
        if (r_.on_notice) r_.on_notice(text);
    }

    /// Whether steps run on one libtorch thread: head on the feature cache (see run()).
    bool one_thread_steps() const {
        return mode_ == Mode::kHead && cfg_.feature_cache && device_.is_cpu();
    }

    /// LeRobot has no scheduler (constant lr); rcls adds a linear warm-up and cosine decay.
    double lr_at(std::int64_t step) const {
        const double base = cfg_.reward_model.learning_rate;
        const std::int64_t warmup = cfg_.warmup_steps;
        if (warmup > 0 && step <= warmup) {
            return base * static_cast<double>(step) / static_cast<double>(warmup);
        }
        if (cfg_.lr_scheduler == "cosine") {
            const double span = static_cast<double>(std::max<std::int64_t>(1, cfg_.steps - warmup));
            const double progress = static_cast<double>(step - warmup) / span;
            return base * 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, progress)));
        }
        return base;
    }

    /// uint8 HWC frames -> float NCHW in [0, 1].
    Tensor to_float(const Tensor& frames_u8) const {
        return frames_u8.to(device_).permute({0, 3, 1, 2}).to(torch::kFloat32).div(255.0);
    }

    Tensor normalize(const Tensor& x) const { return (x - mean_) / std_; }

    /// The encoder's output for normalised images without gradients, through `fast` (the
    /// inference path, FastResNet10) when given, kBatch frames at a time: at 128 px the stem's
    /// output for 64 frames is 67 MB, above glibc's largest mmap threshold (32 MB), so every
    /// call mapped fresh pages and page faults were a fifth of the feature pool's CPU time.
    Tensor encode(const Tensor& x, FastResNet10* fast) {
        torch::NoGradGuard no_grad;
        if (fast == nullptr) return model_->encoder->forward(x);
        constexpr std::int64_t kBatch = 16;
        if (x.size(0) <= kBatch) return fast->forward(x);
        std::vector<Tensor> parts;
        for (std::int64_t i = 0; i < x.size(0); i += kBatch)
            parts.push_back(fast->forward(x.slice(0, i, std::min(x.size(0), i + kBatch))));
        return torch::cat(parts);
    }

    /// The frozen prefix's output for normalised images: the spatial embedding's (head) or the
    /// encoder's (serl). Deterministic (the encoder has no dropout or batch statistics).
    /// `fast`: the calling thread's own FastResNet10 (one forward at a time each).
    Tensor frozen_prefix(const Tensor& x, FastResNet10* fast) {
        torch::NoGradGuard no_grad;
        Tensor features = encode(x, fast);
        if (mode_ == Mode::kHead) features = model_->camera_head(0).spatial->forward(features);
        return features;
    }
    Tensor frozen_prefix(const Tensor& x) { return frozen_prefix(x, main_fast()); }

    FastResNet10* main_fast() { return fast_encoder_ ? &*fast_encoder_ : nullptr; }

    /// The logits from the encoder's output (validation, in eval mode).
    Tensor logits_from_encoder_output(const Tensor& features) {
        auto camera = model_->camera_head(0);
        const Tensor embedding = torch::tanh(camera.norm->forward(
            camera.linear->forward(camera.dropout->forward(camera.spatial->forward(features)))));
        return model_->classifier_head->forward(embedding).squeeze(-1);
    }

    /// The logits from the frozen prefix's output (head, serl) or the images (full).
    Tensor forward_from(const Tensor& prefix_or_images) {
        auto camera = model_->camera_head(0);
        Tensor embedding;
        if (mode_ == Mode::kHead) {
            torch::NoGradGuard no_grad;  // LeRobot: the whole camera encoder without gradients
            embedding = torch::tanh(camera.norm->forward(
                camera.linear->forward(camera.dropout->forward(prefix_or_images))));
        } else {
            Tensor features = mode_ == Mode::kFull ? model_->encoder->forward(prefix_or_images)
                                                   : prefix_or_images;
            embedding = torch::tanh(camera.norm->forward(camera.linear->forward(
                camera.dropout->forward(camera.spatial->forward(features)))));
        }
        return model_->classifier_head->forward(embedding).squeeze(-1);
    }

    Tensor forward_train(const Tensor& input) {
        if (mode_ == Mode::kFull) return forward_from(input);
        if (pooled()) return forward_from(input);  // input is cached prefix output
        return forward_from(frozen_prefix(input));
    }

    /// The step's input: cached prefix outputs, or augmented, normalised images.
    Tensor batch_input(const Tensor& index) {
        if (pool_file_) {
            torch::NoGradGuard no_grad;
            const auto ia = index.accessor<std::int64_t, 1>();
            std::vector<std::int64_t> shape = pool_row_shape_;
            shape.insert(shape.begin(), index.size(0));
            Tensor out = torch::empty(shape, torch::kFloat32);
            auto* dst = static_cast<char*>(out.data_ptr());
            if (slots_ == 1) {
                for (std::int64_t i = 0; i < index.size(0); ++i)
                    read_pool_row(0, ia[i], dst + static_cast<std::uint64_t>(i) * pool_row_bytes_);
                return out.to(device_);
            }
            // As below: one of the frame's published variants per sample, the same draws.
            const Tensor u = torch::rand({index.size(0)}, torch::kFloat64);
            const auto ua = u.accessor<double, 1>();
            for (std::int64_t i = 0; i < index.size(0); ++i) {
                const std::int64_t filled = filled_[static_cast<std::size_t>(ia[i] / kChunk)];
                const std::int64_t slot = std::min<std::int64_t>(
                    filled - 1, static_cast<std::int64_t>(ua[i] * static_cast<double>(filled)));
                read_pool_row(slot, ia[i], dst + static_cast<std::uint64_t>(i) * pool_row_bytes_);
            }
            return out.to(device_);
        }
        if (pool_.defined()) {
            torch::NoGradGuard no_grad;
            if (slots_ == 1) return pool_[0].index_select(0, index.to(pool_.device())).to(device_);
            // One of the frame's published variants per sample, drawn from the default generator.
            const Tensor u = torch::rand({index.size(0)}, torch::kFloat64);
            const auto ua = u.accessor<double, 1>();
            const auto ia = index.accessor<std::int64_t, 1>();
            std::vector<std::int64_t> slot(static_cast<std::size_t>(index.size(0)));
            for (std::int64_t i = 0; i < index.size(0); ++i) {
                const std::int64_t filled = filled_[static_cast<std::size_t>(ia[i] / kChunk)];
                slot[static_cast<std::size_t>(i)] = std::min<std::int64_t>(
                    filled - 1, static_cast<std::int64_t>(ua[i] * static_cast<double>(filled)));
            }
            return pool_.index({torch::tensor(slot, torch::kInt64), index.to(pool_.device())})
                .to(device_);
        }
        Tensor images = to_float(train_images_->gather(index));
        if (transforms_->active()) {
            torch::Generator gen = at::detail::getDefaultCPUGenerator();
            images = (*transforms_)(images.cpu(), gen).to(device_);
        }
        return normalize(images);
    }

    /// The step at whose start (before its batch is drawn) the pool's unit `unit` (variant
    /// unit / chunks, chunk unit % chunks) becomes visible: variant 0 before step 1, the other
    /// variants spread evenly over the run, the last at (variants - 1) / variants of it.
    std::int64_t publish_step(std::int64_t unit) const {
        if (unit < chunks_) return 0;
        const std::int64_t j = unit - chunks_ + 1;
        const std::int64_t later = (variants_ - 1) * chunks_;
        return j * static_cast<std::int64_t>(cfg_.steps) / (later + chunks_);
    }

    /// Unit `unit`'s frozen-prefix outputs: its frames, augmented with the unit's own generator.
    Tensor compute_unit(std::int64_t unit, FastResNet10* fast) {
        torch::NoGradGuard no_grad;
        const auto n = static_cast<std::int64_t>(r_.train.count());
        const std::int64_t variant = unit / chunks_;
        const std::int64_t chunk = unit % chunks_;
        const std::int64_t first = chunk * kChunk;
        Tensor images = to_float(train_images_->slice(first, std::min(n, first + kChunk)));
        if (augmented_) {
            torch::Generator gen =
                at::detail::createCPUGenerator(unit_seed(cfg_.seed, variant, chunk));
            images = (*transforms_)(images.cpu(), gen).to(device_);
        }
        return frozen_prefix(normalize(images), fast);
    }

    /// Makes unit `unit` visible: its outputs replace the oldest variant of its frames.
    void store_unit(std::int64_t unit, const Tensor& out) {
        torch::NoGradGuard no_grad;
        const std::int64_t variant = unit / chunks_;
        const std::int64_t chunk = unit % chunks_;
        if (!pool_path_.empty()) {
            const Tensor rows = out.to(torch::kCPU).contiguous();
            if (!pool_file_) {
                pool_row_shape_ = rows.sizes().slice(1).vec();
                pool_row_bytes_ = static_cast<std::uint64_t>(rows[0].numel()) * sizeof(float);
                pool_file_.emplace(pool_path_, ScratchFile::Mode::kCreate);
            }
            const auto n = static_cast<std::uint64_t>(r_.train.count());
            const std::uint64_t row = static_cast<std::uint64_t>(variant % slots_) * n +
                                      static_cast<std::uint64_t>(chunk * kChunk);
            pool_file_->write_at(row * pool_row_bytes_, rows.data_ptr<float>(),
                                 static_cast<std::size_t>(rows.size(0)) * pool_row_bytes_);
        } else if (!pool_.defined()) {
            std::vector<std::int64_t> shape = out.sizes().vec();
            shape[0] = static_cast<std::int64_t>(r_.train.count());
            shape.insert(shape.begin(), slots_);
            pool_ = torch::empty(shape, out.options());
        }
        if (pool_.defined()) {
            pool_[variant % slots_]
                .slice(0, chunk * kChunk, chunk * kChunk + out.size(0))
                .copy_(out);
        }
        auto& filled = filled_[static_cast<std::size_t>(chunk)];
        filled = std::max<std::int64_t>(filled, std::min<std::int64_t>(slots_, variant + 1));
    }

    /// Whether the steps train on the feature cache / pool (in memory or streamed).
    bool pooled() const { return pool_.defined() || pool_file_.has_value(); }

    /// Streamed pool: frame `frame`'s row of slot `slot` into `dst` (pool_row_bytes_).
    void read_pool_row(std::int64_t slot, std::int64_t frame, char* dst) const {
        const std::uint64_t row =
            static_cast<std::uint64_t>(slot) * static_cast<std::uint64_t>(r_.train.count()) +
            static_cast<std::uint64_t>(frame);
        pool_file_->read_at(row * pool_row_bytes_, dst, pool_row_bytes_);
    }

    /// Before step `step`'s batch: publishes the units due by then (waiting for the producer).
    void publish_due_units(std::int64_t step) {
        if (!producer_) return;
        while (next_unit_ < units_ && publish_step(next_unit_) <= step) {
            store_unit(next_unit_, producer_->take());
            ++next_unit_;
        }
        if (next_unit_ == units_) producer_.reset();
    }

    /// head/serl with feature_cache: the frozen prefix's outputs (eval mode, deterministic) of
    /// every training frame, or with augmentation the feature pool (see the top of this file):
    /// the units due by the start step are computed here (a resumed run rebuilds the pool it
    /// had), the later ones by the producer thread while steps train.
    void build_cache() {
        if (mode_ == Mode::kFull || !cfg_.feature_cache) return;
        const auto start = Clock::now();
        const auto n = static_cast<std::int64_t>(r_.train.count());
        augmented_ = transforms_->active();
        chunks_ = (n + kChunk - 1) / kChunk;
        variants_ = 1;
        if (augmented_) {
            // Never more forward passes than the uncached run makes (steps x batch).
            const std::int64_t cap = std::max<std::int64_t>(
                1, (static_cast<std::int64_t>(cfg_.steps) * cfg_.batch_size + n - 1) / n);
            variants_ = std::min<std::int64_t>(cfg_.cache_variants, cap);
            if (variants_ < cfg_.cache_variants) {
                notice("feature pool: " + std::to_string(variants_) +
                       " variants per frame, as many as the run's steps x batch_size cover (" +
                       std::to_string(cfg_.cache_variants) + " asked)");
            }
        }
        slots_ =
            cfg_.cache_pool > 0 ? std::min<std::int64_t>(cfg_.cache_pool, variants_) : variants_;
        units_ = variants_ * chunks_;
        filled_.assign(static_cast<std::size_t>(chunks_), 0);
        if (device_.is_cpu()) pool_encoder_.emplace(model_->encoder);
        FastResNet10* fast = pool_encoder_ ? &*pool_encoder_ : nullptr;
        model_->eval();
        next_unit_ = 0;
        while (next_unit_ < units_ && publish_step(next_unit_) <= start_step_)
            ++next_unit_;
        for (std::int64_t unit = 0; unit < next_unit_; ++unit) {
            if (unit + slots_ * chunks_ < next_unit_) continue;  // replaced before the start step
            throw_if_interrupted();
            store_unit(unit, compute_unit(unit, fast));
        }
        const double first_s = seconds_since(start);
        if (next_unit_ < units_) {
            const int producer_threads = at::get_num_threads();
            const std::size_t ahead = pool_path_.empty()
                                          ? static_cast<std::size_t>(2 * chunks_)
                                          : std::min<std::size_t>(2 * chunks_, kStreamAhead);
            producer_ = std::make_unique<PoolProducer>(
                [this, fast](std::int64_t unit) { return compute_unit(unit, fast); }, next_unit_,
                units_, ahead, producer_threads);
        }
        const std::int64_t bytes_per_variant = pool_file_
                                                   ? static_cast<std::int64_t>(pool_row_bytes_) * n
                                                   : pool_.numel() / slots_ * pool_.element_size();
        notice(std::string("feature cache: ") +
               (mode_ == Mode::kHead ? "spatial embedding" : "encoder") + " outputs of " +
               std::to_string(n) + " frames" +
               (augmented_
                    ? " x " + std::to_string(variants_) + " augmented variants (the first in " +
                          std::to_string(first_s).substr(0, 5) +
                          " s, the others computed in the background while steps train; "
                          "steps draw from " +
                          std::to_string(slots_) + " per frame, " +
                          std::to_string(slots_ * bytes_per_variant / (1 << 20)) + " MiB" +
                          (pool_file_ ? " streamed from " + pool_path_.string() : "") + ")"
                    : " in " + std::to_string(first_s).substr(0, 5) + " s (" +
                          std::to_string(bytes_per_variant / (1 << 20)) + " MiB" +
                          (pool_file_ ? " streamed from " + pool_path_.string() : "") + ")"));
    }

    /// The gradients' 2-norm over every parameter that has one; clipped to grad_clip_norm when
    /// positive (torch.nn.utils.clip_grad_norm_).
    double clip_gradients() { return clip_grad_norm(params_, cfg_.reward_model.grad_clip_norm); }

    TrainEvalLog validate(std::int64_t step) {
        torch::NoGradGuard no_grad;
        model_->eval();
        const auto n = static_cast<std::int64_t>(r_.val.count());
        std::vector<Tensor> parts;
        for (std::int64_t i = 0; i < n; i += kChunk) {
            const Tensor x = normalize(to_float(val_images_->slice(i, std::min(n, i + kChunk))));
            parts.push_back(logits_from_encoder_output(encode(x, main_fast())));
        }
        const Tensor logits = torch::cat(parts).cpu();
        const Tensor labels =
            torch::from_blob(const_cast<float*>(r_.val.labels.data()), {n}, torch::kFloat32);
        TrainEvalLog out;
        out.step = step;
        out.frames = static_cast<std::size_t>(n);
        out.loss = torch::binary_cross_entropy_with_logits(logits, labels).item<double>();
        const Tensor probs = torch::sigmoid(logits).contiguous();
        out.accuracy = ((probs > 0.5).to(torch::kFloat32) == labels)
                           .to(torch::kFloat32)
                           .mean()
                           .item<double>() *
                       100.0;
        // Onset error per episode: the first frame with p >= 0.5 for 3 frames in a row, minus the
        // first labelled success frame (episodes without one are left out; no predicted onset
        // counts as the episode's end).
        const float* p = probs.data_ptr<float>();
        std::vector<double> errors;
        std::size_t begin = 0;
        while (begin < r_.val.count()) {
            std::size_t end = begin;
            while (end < r_.val.count() && r_.val.episodes[end] == r_.val.episodes[begin])
                ++end;
            ++out.episodes;
            std::optional<std::size_t> labelled;
            for (std::size_t i = begin; i < end && !labelled; ++i) {
                if (r_.val.labels[i] > 0.5f) labelled = i - begin;
            }
            if (labelled) {
                std::size_t predicted = end - begin;
                for (std::size_t i = begin; i + 2 < end; ++i) {
                    if (p[i] >= 0.5f && p[i + 1] >= 0.5f && p[i + 2] >= 0.5f) {
                        predicted = i - begin;
                        break;
                    }
                }
                errors.push_back(
                    std::abs(static_cast<double>(predicted) - static_cast<double>(*labelled)));
            }
            begin = end;
        }
        if (!errors.empty()) {
            std::sort(errors.begin(), errors.end());
            const std::size_t m = errors.size();
            out.median_onset_error =
                m % 2 == 1 ? errors[m / 2] : 0.5 * (errors[m / 2 - 1] + errors[m / 2]);
        }
        return out;
    }

    fs::path save(std::int64_t step) {
        std::mt19937 data_order(static_cast<std::uint32_t>(cfg_.seed));
        const RngState rng = capture_rng_state(data_order);
        return write_checkpoint(r_.output_dir, step, cfg_.steps, [&](const fs::path& dir) {
            const fs::path pretrained = dir / kPretrainedModelDir;
            save_pretrained(pretrained, model_, stats_);
            if (!r_.train_config_json.empty()) {
                write_file_atomic(pretrained / kTrainConfigFile, r_.train_config_json);
            }
            if (!r_.rcls_train_json.empty()) {
                write_file_atomic(pretrained / kRclsTrainFile, r_.rcls_train_json);
            }
            save_training_state(dir / kTrainingStateDir, step, *optimizer_, params_, rng);
        });
    }

    TrainerRequest r_;
    const config::TrainConfig& cfg_;
    Mode mode_ = Mode::kHead;
    torch::Device device_ = torch::kCPU;
    Classifier model_{nullptr};
    std::vector<Tensor> params_;
    std::unique_ptr<torch::optim::AdamW> optimizer_;
    std::unique_ptr<ImageTransforms> transforms_;
    NormStats stats_;
    Tensor mean_, std_;
    std::optional<FrameSource> train_images_, val_images_;
    Tensor train_labels_;
    std::optional<FastResNet10> fast_encoder_;  ///< The main thread's inference path (CPU).
    // The feature cache / pool (build_cache).
    std::optional<FastResNet10> pool_encoder_;  ///< The pool's own (used by the producer).
    Tensor pool_;                               ///< Frozen-prefix outputs [slots, N, ...].
    std::vector<std::int64_t> filled_;          ///< Per chunk: slots holding a published variant.
    bool augmented_ = false;
    std::int64_t chunks_ = 0, variants_ = 1, slots_ = 1, units_ = 0, next_unit_ = 0;

    // The pool streamed instead (scratch_dir): pool_ stays undefined, the same rows in a file.
    fs::path pool_path_;                        ///< Non-empty: the pool streams from this file.
    std::optional<ScratchFile> pool_file_;      ///< [slots, N, ...] floats, row after row.
    std::vector<std::int64_t> pool_row_shape_;  ///< One frame's output shape.
    std::uint64_t pool_row_bytes_ = 0;

    std::unique_ptr<PoolProducer> producer_;  ///< Last member: stops before the rest goes.
    std::int64_t start_step_ = 0;
    std::int64_t samples_ = 0;
};

}  // namespace

std::unique_ptr<TrainerBackend> make_torch_trainer_backend(TrainerRequest request) {
    return std::make_unique<TorchTrainer>(std::move(request));
}

}  // namespace rcls::model::detail
