// SPDX-License-Identifier: MIT
#include "predictor_backend.hpp"

#include <algorithm>
#include <optional>

#include <spdlog/spdlog.h>
#include <torch/types.h>
#include <torch/utils.h>

#include "rcls/core/error.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/core/strings.hpp"
#include "rcls/model/classifier.hpp"
#include "rcls/model/fast_classifier.hpp"
#include "rcls/model/weights.hpp"

namespace rcls::model::detail {
namespace {

/// The Predictor's libtorch side: normalisation fused into the conversion to a channels-last float
/// tensor, then the classifier in inference mode, on the fast path (FastClassifier) unless
/// PredictorOptions::optimized is false.
class TorchPredictorBackend final : public PredictorBackend {
public:
    explicit TorchPredictorBackend(const PredictorRequest& request) : options_(request.options) {
        if (request.untrained) {
            torch::manual_seed(request.seed);
            config_ = *request.untrained;
            model_ = Classifier(config_);
            stats_ = imagenet_norm_stats(config_);
            stats_from_ = "ImageNet (untrained model)";
        } else {
            LoadedClassifier loaded = load_pretrained(request.checkpoint);
            config_ = std::move(loaded.config);
            stats_ = std::move(loaded.stats);
            stats_from_ = std::move(loaded.stats_from);
            model_ = loaded.model;
        }
        if (config_.num_classes != 2) {
            throw ModelError("the checkpoint has num_classes " +
                             std::to_string(config_.num_classes) +
                             "; predictions need a binary classifier (num_classes 2)");
        }
        const Feature& first = *dict_find(config_.input_features, config_.image_keys().front());
        height_ = first.shape[1];
        width_ = first.shape[2];
        for (const std::string& key : config_.image_keys()) {
            const Feature& feature = *dict_find(config_.input_features, key);
            if (feature.shape[1] != height_ || feature.shape[2] != width_) {
                throw ModelError("cameras of different image sizes are not supported (" + key +
                                 ")");
            }
        }
        set_num_threads(options_.num_threads);
        threads_ = torch::get_num_threads();
        model_->eval();
        for (torch::Tensor& p : model_->parameters())
            p.requires_grad_(false);
        if (options_.optimized) fast_.emplace(model_);
        spdlog::debug("model: {} ({}, {}x{}), normalisation from {}, {} threads, {} path",
                      request.untrained ? "untrained" : request.checkpoint.string(),
                      join(config_.image_keys(), ", "), width_, height_, stats_from_,
                      torch::get_num_threads(), options_.optimized ? "optimised" : "plain eager");
    }

    const ClassifierConfig& config() const override { return config_; }
    const std::string& stats_from() const override { return stats_from_; }
    int num_threads() const override { return torch::get_num_threads(); }

    std::vector<Prediction> run(const std::vector<std::vector<cv::Mat>>& batch) override {
        // libtorch's thread count is per calling thread (OpenMP's): a thread other than the one
        // that made this model gets this model's count before its first forward pass.
        if (torch::get_num_threads() != threads_) set_num_threads(threads_);
        for (const std::vector<cv::Mat>& frames : batch) {
            if (frames.size() != stats_.size()) {
                throw DataError(std::to_string(frames.size()) + " frames for a model of " +
                                std::to_string(stats_.size()) + " cameras");
            }
        }
        std::vector<Prediction> out;
        out.reserve(batch.size());
        for (std::size_t begin = 0; begin < batch.size(); begin += Predictor::kMaxChunk) {
            throw_if_interrupted();
            run_chunk(batch, begin, std::min(batch.size(), begin + Predictor::kMaxChunk), out);
        }
        return out;
    }

private:
    /// Appends the predictions for batch[begin, end) to `out`.
    void run_chunk(const std::vector<std::vector<cv::Mat>>& batch,
                   std::size_t begin,
                   std::size_t end,
                   std::vector<Prediction>& out) {
        const torch::InferenceMode inference;
        std::vector<torch::Tensor> images;
        for (std::size_t camera = 0; camera < stats_.size(); ++camera) {
            images.push_back(to_tensor(batch, begin, end, camera));
        }
        const ClassifierOutput output = fast_ ? fast_->predict(images) : model_->predict(images);
        const torch::Tensor logits = output.logits.contiguous();
        const torch::Tensor probabilities = output.probabilities.contiguous();
        for (std::size_t i = 0; i < end - begin; ++i) {
            Prediction& p = out.emplace_back();
            p.logit = logits.data_ptr<float>()[i];
            p.probability = probabilities.data_ptr<float>()[i];
            if (!std::isfinite(p.probability)) {
                throw ModelError(
                    "the model scored a frame as " + std::to_string(p.probability) +
                    ", not a probability: its weights or normalisation statistics hold NaN or "
                    "infinity (a diverged training?); retrain or use another checkpoint");
            }
            p.success = p.probability > options_.threshold;
        }
    }

    /// The normalised channels-last batch of one camera: batch[i][camera] for i in [begin, end).
    torch::Tensor to_tensor(const std::vector<std::vector<cv::Mat>>& batch,
                            std::size_t begin,
                            std::size_t end,
                            std::size_t camera) const {
        const std::string& key = stats_[camera].first;
        const ImageStats& s = stats_[camera].second;
        const float mean[3] = {s.mean[0], s.mean[1], s.mean[2]};
        const float denominator[3] = {s.std[0] + 1e-8f, s.std[1] + 1e-8f, s.std[2] + 1e-8f};
        const auto n = static_cast<std::int64_t>(end - begin);
        torch::Tensor out = torch::empty({n, height_, width_, 3}, torch::kFloat32);
        float* dst = out.data_ptr<float>();
        for (std::size_t i = begin; i < end; ++i) {
            const cv::Mat& frame = batch[i][camera];
            if (frame.type() != CV_8UC3 || frame.rows != height_ || frame.cols != width_) {
                throw DataError("camera " + key + ": expected an 8-bit BGR frame of " +
                                std::to_string(width_) + "x" + std::to_string(height_) + ", got " +
                                std::to_string(frame.cols) + "x" + std::to_string(frame.rows) +
                                " with " + std::to_string(frame.channels()) + " channels");
            }
            for (int y = 0; y < height_; ++y) {
                const std::uint8_t* row = frame.ptr<std::uint8_t>(y);
                for (std::int64_t x = 0; x < width_; ++x, row += 3, dst += 3) {
                    // BGR -> RGB, in LeRobot's float32 arithmetic: (v / 255 - mean) / (std + eps).
                    dst[0] = (static_cast<float>(row[2]) / 255.0f - mean[0]) / denominator[0];
                    dst[1] = (static_cast<float>(row[1]) / 255.0f - mean[1]) / denominator[1];
                    dst[2] = (static_cast<float>(row[0]) / 255.0f - mean[2]) / denominator[2];
                }
            }
        }
        const torch::Tensor nchw = out.permute({0, 3, 1, 2});  // a channels-last view
        return options_.optimized ? nchw : nchw.contiguous();
    }

    PredictorOptions options_;
    int threads_ = 1;  ///< The libtorch threads this model runs with.
    ClassifierConfig config_;
    NormStats stats_;
    std::string stats_from_;
    Classifier model_{nullptr};
    std::optional<FastClassifier> fast_;  ///< The fast path, unless options_.optimized is false.
    std::int64_t height_ = 0;
    std::int64_t width_ = 0;
};

}  // namespace

std::unique_ptr<PredictorBackend> make_torch_predictor_backend(const PredictorRequest& request) {
    return std::make_unique<TorchPredictorBackend>(request);
}

}  // namespace rcls::model::detail
