// SPDX-License-Identifier: MIT
#include "rcls/predict/predict.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/core/strings.hpp"
#include "rcls/image/pipeline.hpp"
#include "rcls/video/video_reader.hpp"

namespace rcls::predict {
namespace fs = std::filesystem;
namespace {

bool is_image_file(const fs::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    for (const char* known :
         {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}) {
        if (ext == known) return true;
    }
    return false;
}

/// Brings frames of any size to the model's input size: as they are when they already fit,
/// else through the preprocessing pipeline (centre crop, Lanczos), prepared once per frame size.
class ToModelSize {
public:
    explicit ToModelSize(cv::Size model) : model_(model) {}

    const cv::Mat& operator()(const cv::Mat& frame, const std::string& what) {
        if (frame.size() == model_) return frame;
        if (!prepared_ || prepared_->input_size() != frame.size()) {
            image::Pipeline pipeline;
            pipeline.size = model_;
            prepared_.emplace(pipeline, frame.size(), what);
        }
        prepared_->apply(frame, out_);
        return out_;
    }

private:
    cv::Size model_;
    std::optional<image::PreparedPipeline> prepared_;
    cv::Mat out_;
};

std::string short_name(const std::string& key) {
    const std::size_t dot = key.rfind('.');
    return dot == std::string::npos ? key : key.substr(dot + 1);
}

Latency summarize(std::vector<double> times_ms) {
    std::sort(times_ms.begin(), times_ms.end());
    const auto at = [&](double q) {
        const auto index =
            static_cast<std::size_t>(std::ceil(q * static_cast<double>(times_ms.size()))) - 1;
        return times_ms[std::min(index, times_ms.size() - 1)];
    };
    Latency out;
    out.p50_ms = at(0.50);
    out.p99_ms = at(0.99);
    for (const double t : times_ms)
        out.mean_ms += t / static_cast<double>(times_ms.size());
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

void run_predict(const PredictOptions& options,
                 const std::function<void(const FrameResult&)>& on_result) {
    for (const fs::path& input : options.inputs) {
        std::error_code ec;
        if (!fs::exists(input, ec)) throw DataError(input.string() + ": no such file");
        if (!is_image_file(input) && !video::has_video_extension(input)) {
            throw DataError(input.string() + ": not an image or a video file (by its extension)");
        }
    }
    model::Predictor predictor(
        options.checkpoint,
        {.threshold = options.threshold, .num_threads = options.num_threads, .optimized = true});
    const std::string camera = select_camera(predictor, options.camera);
    spdlog::info("{}: camera {}, {}x{} input, normalisation from {}", options.checkpoint.string(),
                 camera, predictor.image_width(), predictor.image_height(), predictor.stats_from());
    ToModelSize to_model_size(cv::Size(predictor.image_width(), predictor.image_height()));

    for (const fs::path& input : options.inputs) {
        const std::string name = input.string();
        if (is_image_file(input)) {
            throw_if_interrupted();
            const cv::Mat image = cv::imread(name, cv::IMREAD_COLOR);
            if (image.empty()) throw DataError(name + ": cannot decode the image");
            const cv::Mat frame[] = {to_model_size(image, name)};
            on_result({name, 0, predictor.predict(frame)});
            continue;
        }
        video::VideoReader reader(input, {.order = image::ChannelOrder::kBgr, .threads = 0});
        video::Frame decoded;
        while (reader.read(decoded)) {
            throw_if_interrupted();
            const cv::Mat frame[] = {
                to_model_size(decoded.image, name + " frame " + std::to_string(decoded.index))};
            on_result({name, decoded.index, predictor.predict(frame)});
        }
    }
}

BenchmarkReport run_benchmark(const BenchmarkOptions& options) {
    const auto make = [&](bool optimized) {
        const model::PredictorOptions predictor_options{
            .threshold = 0.5, .num_threads = options.num_threads, .optimized = optimized};
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
        const cv::Mat frame[] = {to_model_size(camera, "benchmark frame")};
        const model::Prediction p = predictor.predict(frame);
        const auto end = std::chrono::steady_clock::now();
        if (!std::isfinite(p.probability))
            throw ModelError("benchmark: the model produced a non-finite probability");
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
        for (int i = 0; i < block; ++i)
            fast_ms.push_back(time_one(fast));
        for (int i = 0; i < block; ++i)
            eager_ms.push_back(time_one(eager));
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
