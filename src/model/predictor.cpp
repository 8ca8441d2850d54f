// SPDX-License-Identifier: MIT
#include "rcls/model/predictor.hpp"

#include <torch/torch.h>

#include "rcls/core/error.hpp"
#include "rcls/model/classifier.hpp"
#include "rcls/model/weights.hpp"

namespace rcls::model {

struct Predictor::Impl {
    ClassifierConfig config;
    NormStats stats;
    std::string stats_from;
    Classifier model{nullptr};
    PredictorOptions options;
    int height = 0;
    int width = 0;

    void prepare() {
        if (config.num_classes != 2) {
            throw ModelError("the checkpoint has num_classes " +
                             std::to_string(config.num_classes) +
                             "; predictions need a binary classifier (num_classes 2)");
        }
        const Feature& first = *dict_find(config.input_features, config.image_keys().front());
        height = static_cast<int>(first.shape[1]);
        width = static_cast<int>(first.shape[2]);
        for (const std::string& key : config.image_keys()) {
            const Feature& feature = *dict_find(config.input_features, key);
            if (feature.shape[1] != height || feature.shape[2] != width) {
                throw ModelError("cameras of different image sizes are not supported (" + key +
                                 ")");
            }
        }
        set_num_threads(options.num_threads);
        model->eval();
        model->encoder->set_optimized(options.optimized);
        for (torch::Tensor& p : model->parameters())
            p.requires_grad_(false);
    }

    /// The normalised channels-last batch of one camera: frames[i][camera] for every moment i.
    torch::Tensor to_tensor(const std::vector<std::vector<cv::Mat>>& batch,
                            std::size_t camera) const {
        const std::string& key = stats[camera].first;
        const ImageStats& s = stats[camera].second;
        const float mean[3] = {s.mean[0], s.mean[1], s.mean[2]};
        const float denominator[3] = {s.std[0] + 1e-8f, s.std[1] + 1e-8f, s.std[2] + 1e-8f};
        const auto n = static_cast<std::int64_t>(batch.size());
        torch::Tensor out = torch::empty({n, height, width, 3}, torch::kFloat32);
        float* dst = out.data_ptr<float>();
        for (const std::vector<cv::Mat>& frames : batch) {
            const cv::Mat& frame = frames.at(camera);
            if (frame.type() != CV_8UC3 || frame.rows != height || frame.cols != width) {
                throw DataError("camera " + key + ": expected an 8-bit BGR frame of " +
                                std::to_string(width) + "x" + std::to_string(height) + ", got " +
                                std::to_string(frame.cols) + "x" + std::to_string(frame.rows) +
                                " with " + std::to_string(frame.channels()) + " channels");
            }
            for (int y = 0; y < height; ++y) {
                const std::uint8_t* row = frame.ptr<std::uint8_t>(y);
                for (int x = 0; x < width; ++x, row += 3, dst += 3) {
                    // BGR -> RGB, then LeRobot's float32 arithmetic: (v / 255 - mean) / (std +
                    // eps).
                    dst[0] = (static_cast<float>(row[2]) / 255.0f - mean[0]) / denominator[0];
                    dst[1] = (static_cast<float>(row[1]) / 255.0f - mean[1]) / denominator[1];
                    dst[2] = (static_cast<float>(row[0]) / 255.0f - mean[2]) / denominator[2];
                }
            }
        }
        torch::Tensor nchw = out.permute({0, 3, 1, 2});  // a channels-last view
        return options.optimized ? nchw : nchw.contiguous();
    }

    std::vector<Prediction> run(const std::vector<std::vector<cv::Mat>>& batch) {
        for (const std::vector<cv::Mat>& frames : batch) {
            if (frames.size() != stats.size()) {
                throw DataError(std::to_string(frames.size()) + " frames for a model of " +
                                std::to_string(stats.size()) + " cameras");
            }
        }
        const torch::InferenceMode inference;
        std::vector<torch::Tensor> images;
        for (std::size_t camera = 0; camera < stats.size(); ++camera)
            images.push_back(to_tensor(batch, camera));
        const ClassifierOutput output = model->predict(images);
        const torch::Tensor logits = output.logits.contiguous();
        const torch::Tensor probabilities = output.probabilities.contiguous();
        std::vector<Prediction> out(batch.size());
        for (std::size_t i = 0; i < out.size(); ++i) {
            out[i].logit = logits.data_ptr<float>()[i];
            out[i].probability = probabilities.data_ptr<float>()[i];
            out[i].success = out[i].probability > options.threshold;
        }
        return out;
    }
};

Predictor::Predictor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
    impl_->prepare();
}

Predictor::Predictor(const std::filesystem::path& checkpoint, PredictorOptions options) {
    LoadedClassifier loaded = load_pretrained(checkpoint);
    impl_ = std::make_unique<Impl>();
    impl_->config = std::move(loaded.config);
    impl_->stats = std::move(loaded.stats);
    impl_->stats_from = std::move(loaded.stats_from);
    impl_->model = loaded.model;
    impl_->options = options;
    impl_->prepare();
}

Predictor Predictor::untrained(const ClassifierConfig& config,
                               std::uint64_t seed,
                               PredictorOptions options) {
    auto impl = std::make_unique<Impl>();
    torch::manual_seed(seed);
    impl->config = config;
    impl->model = Classifier(config);
    impl->stats = imagenet_norm_stats(config);
    impl->stats_from = "ImageNet (untrained model)";
    impl->options = options;
    return Predictor(std::move(impl));
}

Predictor::~Predictor() = default;
Predictor::Predictor(Predictor&&) noexcept = default;
Predictor& Predictor::operator=(Predictor&&) noexcept = default;

const ClassifierConfig& Predictor::config() const {
    return impl_->config;
}
std::vector<std::string> Predictor::cameras() const {
    return impl_->config.image_keys();
}
int Predictor::image_height() const {
    return impl_->height;
}
int Predictor::image_width() const {
    return impl_->width;
}
const std::string& Predictor::stats_from() const {
    return impl_->stats_from;
}
double Predictor::threshold() const {
    return impl_->options.threshold;
}

Prediction Predictor::predict(std::span<const cv::Mat> frames) {
    return impl_->run({std::vector<cv::Mat>(frames.begin(), frames.end())}).front();
}

std::vector<Prediction> Predictor::predict_batch(const std::vector<std::vector<cv::Mat>>& batch) {
    if (batch.empty()) return {};
    return impl_->run(batch);
}

}  // namespace rcls::model
