// SPDX-License-Identifier: MIT
//
// The Predictor facade: torch-free, over the PredictorBackend that torch_plugin() creates.
#include "rcls/model/predictor.hpp"

#include <cstdio>

#include "rcls/core/error.hpp"
#include "rcls/core/strings.hpp"
#include "rcls/model/torch_plugin.hpp"

namespace rcls::model {

struct Predictor::Impl {
    std::unique_ptr<PredictorBackend> backend;
    PredictorOptions options;
    int height = 0;
    int width = 0;
};

Predictor::Predictor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
    const ClassifierConfig& config = impl_->backend->config();
    const Feature& first = *dict_find(config.input_features, config.image_keys().front());
    impl_->height = static_cast<int>(first.shape[1]);
    impl_->width = static_cast<int>(first.shape[2]);
}

namespace {

std::unique_ptr<Predictor::Impl> make_impl(const PredictorRequest& request) {
    // !(a <= x && x <= b) also refuses NaN, which every comparison lets through.
    if (!(request.options.threshold >= 0.0 && request.options.threshold <= 1.0)) {
        throw ConfigError("threshold " + number_text(request.options.threshold) +
                          " is not a probability: give a number from 0 to 1");
    }
    auto impl = std::make_unique<Predictor::Impl>();
    impl->backend = torch_plugin().create_predictor(request);
    impl->options = request.options;
    return impl;
}

}  // namespace

Predictor::Predictor(const std::filesystem::path& checkpoint, PredictorOptions options)
    : Predictor(make_impl({checkpoint, std::nullopt, 0, options})) {}

Predictor Predictor::untrained(const ClassifierConfig& config,
                               std::uint64_t seed,
                               PredictorOptions options) {
    return Predictor(make_impl({{}, config, seed, options}));
}

Predictor::~Predictor() = default;
Predictor::Predictor(Predictor&&) noexcept = default;
Predictor& Predictor::operator=(Predictor&&) noexcept = default;

const ClassifierConfig& Predictor::config() const {
    return impl_->backend->config();
}
std::vector<std::string> Predictor::cameras() const {
    return config().image_keys();
}
int Predictor::image_height() const {
    return impl_->height;
}
int Predictor::image_width() const {
    return impl_->width;
}
const std::string& Predictor::stats_from() const {
    return impl_->backend->stats_from();
}
double Predictor::threshold() const {
    return impl_->options.threshold;
}
int Predictor::num_threads() const {
    return impl_->backend->num_threads();
}

Prediction Predictor::predict(std::span<const cv::Mat> frames) {
    return impl_->backend->run({std::vector<cv::Mat>(frames.begin(), frames.end())}).front();
}

std::vector<Prediction> Predictor::predict_batch(const std::vector<std::vector<cv::Mat>>& batch) {
    if (batch.empty()) return {};
    return impl_->backend->run(batch);
}

}  // namespace rcls::model
