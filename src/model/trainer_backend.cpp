// SPDX-License-Identifier: MIT
//
// The libtorch TrainerBackend: LeRobot's training loop for the reward classifier
// (lerobot_formats.md §3.3) with rcls's training modes, validation and feature cache.
//
// Randomness: the model's initialisation, dropout, augmentation and the choice of cached variants
// draw from torch's default CPU generator, seeded with `seed` and saved in training_state/
// (rng_state.safetensors); the data order of epoch e is a permutation drawn from
// std::mt19937(seed + e), so any step's batch follows from the step alone. A run resumed from a
// checkpoint therefore continues exactly as the straight run would (same thread count).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/cuda.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>
#include <torch/torch.h>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/model/checkpoint.hpp"
#include "rcls/model/classifier.hpp"
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

/// The frames' uint8 tensor [N, S, S, 3] (a view of `frames.rgb`).
Tensor frames_tensor(const TrainFrames& frames) {
    const auto n = static_cast<std::int64_t>(frames.count());
    return torch::from_blob(const_cast<std::uint8_t*>(frames.rgb.data()),
                            {n, frames.size, frames.size, 3}, torch::kUInt8);
}

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
        if (r_.train.rgb.size() != expected * r_.train.count() ||
            (r_.val.count() > 0 && r_.val.rgb.size() != expected * r_.val.count())) {
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
        train_images_ = frames_tensor(r_.train);
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

    /// The frozen prefix's output for normalised images: the spatial embedding's (head) or the
    /// encoder's (serl). Deterministic (the encoder has no dropout or batch statistics).
    Tensor frozen_prefix(const Tensor& x) {
        torch::NoGradGuard no_grad;
        Tensor features = model_->encoder->forward(x);
        if (mode_ == Mode::kHead) features = model_->camera_head(0).spatial->forward(features);
        return features;
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
        if (cache_.defined()) return forward_from(input);  // input is cached prefix output
        return forward_from(frozen_prefix(input));
    }

    /// The step's input: cached prefix outputs, or augmented, normalised images.
    Tensor batch_input(const Tensor& index) {
        if (cache_.defined()) {
            if (cache_.dim() == 2 + prefix_dims_) {
                // [variants, N, ...]: one variant per sample, drawn from the default generator
                const Tensor variant = torch::randint(cache_.size(0), {index.size(0)},
                                                      torch::TensorOptions().dtype(torch::kInt64));
                return cache_.index({variant, index.to(cache_.device())}).to(device_);
            }
            return cache_.index_select(0, index.to(cache_.device())).to(device_);
        }
        Tensor images = to_float(train_images_.index_select(0, index));
        if (transforms_->active()) {
            torch::Generator gen = at::detail::getDefaultCPUGenerator();
            images = (*transforms_)(images.cpu(), gen).to(device_);
        }
        return normalize(images);
    }

    /// head/serl with feature_cache: the frozen prefix's output of every training frame (eval
    /// mode, deterministic), or of cache_variants augmented variants of each frame drawn from a
    /// generator seeded with `seed` (so a resumed run builds the same pool).
    void build_cache() {
        if (mode_ == Mode::kFull || !cfg_.feature_cache) return;
        const auto start = Clock::now();
        const auto n = static_cast<std::int64_t>(r_.train.count());
        const bool augmented = transforms_->active();
        const int variants = augmented ? cfg_.cache_variants : 1;
        torch::Generator gen =
            at::detail::createCPUGenerator(static_cast<std::uint64_t>(cfg_.seed));
        std::vector<Tensor> pool;
        model_->eval();
        constexpr std::int64_t kChunk = 64;
        for (int v = 0; v < variants; ++v) {
            std::vector<Tensor> parts;
            for (std::int64_t i = 0; i < n; i += kChunk) {
                throw_if_interrupted();
                Tensor images = to_float(train_images_.slice(0, i, std::min(n, i + kChunk)));
                if (augmented) images = (*transforms_)(images.cpu(), gen).to(device_);
                parts.push_back(frozen_prefix(normalize(images)));
            }
            pool.push_back(torch::cat(parts));
        }
        prefix_dims_ = pool.front().dim() - 1;
        cache_ = augmented ? torch::stack(pool) : pool.front();
        notice(std::string("feature cache: ") +
               (mode_ == Mode::kHead ? "spatial embedding" : "encoder") + " outputs of " +
               std::to_string(n) + " frames" +
               (augmented ? " x " + std::to_string(variants) + " augmented variants" : "") +
               " in " + std::to_string(seconds_since(start)).substr(0, 5) + " s (" +
               std::to_string(cache_.numel() * 4 / (1 << 20)) + " MiB)");
    }

    /// The gradients' 2-norm over every parameter that has one; clipped to grad_clip_norm when
    /// positive (torch.nn.utils.clip_grad_norm_).
    double clip_gradients() { return clip_grad_norm(params_, cfg_.reward_model.grad_clip_norm); }

    TrainEvalLog validate(std::int64_t step) {
        torch::NoGradGuard no_grad;
        model_->eval();
        const Tensor images = frames_tensor(r_.val);
        const auto n = static_cast<std::int64_t>(r_.val.count());
        std::vector<Tensor> parts;
        constexpr std::int64_t kChunk = 64;
        for (std::int64_t i = 0; i < n; i += kChunk) {
            const Tensor x = normalize(to_float(images.slice(0, i, std::min(n, i + kChunk))));
            parts.push_back(mode_ == Mode::kFull ? forward_from(x)
                                                 : forward_from(frozen_prefix(x)));
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
    Tensor train_images_, train_labels_;
    Tensor cache_;  ///< Cached frozen-prefix outputs [N, ...] or [variants, N, ...].
    std::int64_t prefix_dims_ = 0;
    std::int64_t start_step_ = 0;
    std::int64_t samples_ = 0;
};

}  // namespace

std::unique_ptr<TrainerBackend> make_torch_trainer_backend(TrainerRequest request) {
    return std::make_unique<TorchTrainer>(std::move(request));
}

}  // namespace rcls::model::detail
