// SPDX-License-Identifier: MIT
//
// The labelling page (server.hpp): routes, frames as JPEG, the classifier's probabilities, saving.
#include "rcls/label/server.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/dataset/frame_reader.hpp"
#include "rcls/image/pipeline.hpp"
#include "rcls/label/apply.hpp"
#include "rcls/label/contact_sheet.hpp"
#include "rcls/model/predictor.hpp"
#include "rcls/video/image_file.hpp"

#include "page_html.hpp"

namespace rcls::label {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

HttpResponse json_response(const Json& doc) {
    return {200, "application/json", doc.dump()};
}

HttpResponse error_response(int status, const std::string& message) {
    return {status, "application/json", Json{{"error", message}}.dump()};
}

std::optional<std::int64_t> query_int(const HttpRequest& request, const std::string& key) {
    const auto it = request.query.find(key);
    if (it == request.query.end()) return std::nullopt;
    std::int64_t value = 0;
    const char* end = it->second.data() + it->second.size();
    const auto [ptr, ec] = std::from_chars(it->second.data(), end, value);
    if (ec != std::errc() || ptr != end) return std::nullopt;
    return value;
}

Json label_json(const std::optional<EpisodeLabel>& label) {
    if (!label) return nullptr;
    Json j;
    j["never"] = label->never;
    j["start"] = label->never ? Json(nullptr) : Json(label->start);
    j["end"] = label->end ? Json(*label->end) : Json(nullptr);
    return j;
}

/// The first frame from which the probability stays above `threshold` for most of the next
/// five frames: the classifier's success onset; -1 for none.
std::int64_t predicted_onset(const std::vector<double>& p, double threshold) {
    const std::size_t n = p.size();
    for (std::size_t t = 0; t < n; ++t) {
        if (p[t] <= threshold) continue;
        const std::size_t end = std::min(n, t + 5);
        std::size_t above = 0;
        for (std::size_t i = t; i < end; ++i)
            above += p[i] > threshold ? 1 : 0;
        if (above * 2 > end - t) return static_cast<std::int64_t>(t);
    }
    return -1;
}

}  // namespace

struct LabelPage::State {
    ServerOptions options;
    fs::path root;
    std::optional<dataset::Dataset> dataset;
    std::optional<dataset::FrameReader> reader;
    std::string camera;
    std::optional<model::Predictor> predictor;
    std::map<std::int64_t, Json> probabilities;  // per episode, computed once

    void open(const fs::path& at) {
        reader.reset();
        dataset.reset();
        dataset.emplace(dataset::Dataset::open(at));
        camera = choose_camera(*dataset, options.camera);
        reader.emplace(*dataset, image::ChannelOrder::kRgb);
        root = at;
        probabilities.clear();
    }

    const dataset::EpisodeMeta& episode_of(const HttpRequest& request) const {
        const auto episode = query_int(request, "episode");
        if (!episode) throw ConfigError("episode: missing or not a number");
        return dataset->episode(*episode);
    }

    HttpResponse episodes() const {
        const LabelSummary summary = current_labels(*dataset);
        Json doc;
        doc["root"] = root.string();
        doc["codebase_version"] = dataset->info().codebase_version;
        doc["fps"] = dataset->info().fps;
        doc["camera"] = camera;
        doc["every"] = options.every;
        doc["has_model"] = predictor.has_value();
        Json list = Json::array();
        for (const EpisodeResult& e : summary.episodes) {
            list.push_back({{"index", e.episode_index},
                            {"length", e.length},
                            {"label", label_json(e.label)},
                            {"contiguous", e.contiguous}});
        }
        doc["episodes"] = list;
        doc["table"] = to_table(summary);
        return json_response(doc);
    }

    HttpResponse frame(const HttpRequest& request) {
        const dataset::EpisodeMeta& e = episode_of(request);
        const auto t = query_int(request, "frame");
        if (!t || *t < 0 || *t >= e.length) {
            return error_response(404, "episode " + std::to_string(e.episode_index) +
                                           ": no frame " + request.query.at("frame"));
        }
        cv::Mat image = reader->frame(e.episode_index, camera, *t);
        if (const auto width = query_int(request, "width");
            width && *width >= 16 && *width < image.cols) {
            const int w = static_cast<int>(*width);
            cv::Mat small;
            cv::resize(image, small, {w, std::max(1, w * image.rows / image.cols)}, 0, 0,
                       cv::INTER_AREA);
            image = small;
        }
        video::ImageEncodeOptions encode;
        encode.jpeg_qscale = 3;
        const std::vector<std::uint8_t> bytes = video::encode_image(
            image, image::ChannelOrder::kRgb, video::ImageFormat::kJpeg, "frame", encode);
        return {200, "image/jpeg", std::string(bytes.begin(), bytes.end())};
    }

    HttpResponse probabilities_of(const HttpRequest& request) {
        if (!predictor) return error_response(404, "no --checkpoint given");
        const dataset::EpisodeMeta& e = episode_of(request);
        if (const auto it = probabilities.find(e.episode_index); it != probabilities.end()) {
            return json_response(it->second);
        }
        const std::vector<std::string> cameras = predictor->cameras();
        const cv::Size size(predictor->image_width(), predictor->image_height());
        std::optional<image::PreparedPipeline> pipeline;
        std::vector<double> p;
        std::vector<std::vector<cv::Mat>> batch;
        auto flush = [&] {
            for (const model::Prediction& prediction : predictor->predict_batch(batch)) {
                p.push_back(prediction.probability);
            }
            batch.clear();
        };
        for (std::int64_t t = 0; t < e.length; ++t) {
            std::vector<cv::Mat> moment;
            for (const std::string& key : cameras) {
                // The model's camera when the dataset has it, else the page's camera.
                const std::vector<std::string> keys = dataset->info().video_keys();
                const std::string& source =
                    std::find(keys.begin(), keys.end(), key) != keys.end() ? key : camera;
                cv::Mat rgb = reader->frame(e.episode_index, source, t);
                cv::Mat sized;
                if (rgb.size() == size) {
                    sized = rgb;
                } else {
                    if (!pipeline || pipeline->input_size() != rgb.size()) {
                        image::Pipeline steps;
                        steps.size = size;
                        pipeline.emplace(steps, rgb.size(), source);
                    }
                    pipeline->apply(rgb, sized);
                }
                cv::Mat bgr;
                cv::cvtColor(sized, bgr, cv::COLOR_RGB2BGR);
                moment.push_back(bgr);
            }
            batch.push_back(std::move(moment));
            if (batch.size() == 32) flush();
        }
        if (!batch.empty()) flush();
        Json doc;
        doc["episode"] = e.episode_index;
        doc["probabilities"] = p;
        doc["threshold"] = predictor->threshold();
        const std::int64_t onset = predicted_onset(p, predictor->threshold());
        doc["onset"] = onset < 0 ? Json(nullptr) : Json(onset);
        probabilities[e.episode_index] = doc;
        return json_response(doc);
    }

    HttpResponse save(const HttpRequest& request) {
        const LabelSet labels = parse_json(request.body, "labelling page");
        ApplyOptions apply;
        apply.output = options.output;
        apply.allow_unlabelled = true;  // the page saves work in progress
        const fs::path before = root;
        reader.reset();  // no decoder holds the old files while they are replaced
        ApplyResult result;
        try {
            result = apply_labels(root, labels, apply);
        } catch (...) {
            open(before);
            throw;
        }
        if (result.copied) options.output.clear();  // later saves go to the copy, in place
        open(result.root);
        spdlog::info("labelling page: saved {} labels to {}", labels.episodes.size(),
                     result.root.string());
        Json doc;
        doc["ok"] = true;
        doc["root"] = result.root.string();
        doc["copied"] = result.copied;
        doc["seconds"] = result.seconds;
        doc["table"] = to_table(result.summary);
        doc["summary"] = Json::parse(to_json(result.summary));
        return json_response(doc);
    }
};

LabelPage::LabelPage(const ServerOptions& options) : state_(std::make_unique<State>()) {
    state_->options = options;
    state_->open(options.root);
    if (!options.checkpoint.empty()) {
        model::prepare_process_for_inference();
        state_->predictor.emplace(options.checkpoint);
    }
}

LabelPage::~LabelPage() = default;

const fs::path& LabelPage::root() const {
    return state_->root;
}

HttpResponse LabelPage::handle(const HttpRequest& request) {
    State& s = *state_;
    try {
        if (request.method == "GET" && (request.path == "/" || request.path == "/index.html")) {
            return {200, "text/html; charset=utf-8", std::string(kPageHtml)};
        }
        if (request.method == "GET" && request.path == "/api/episodes") return s.episodes();
        if (request.method == "GET" && request.path == "/api/frame") return s.frame(request);
        if (request.method == "GET" && request.path == "/api/probabilities") {
            return s.probabilities_of(request);
        }
        if (request.path == "/api/save") {
            if (request.method != "POST") return error_response(405, "POST the labels");
            return s.save(request);
        }
        if (request.method == "GET" && request.path == "/favicon.ico") {
            return {404, "text/plain", ""};
        }
        return error_response(404, request.path + ": not found");
    } catch (const ConfigError& e) {
        return error_response(400, e.what());
    } catch (const Error& e) {
        return error_response(422, e.what());
    }
}

void serve_labelling_page(const ServerOptions& options) {
    LabelPage page(options);
    HttpServer server(options.port);
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
    if (options.on_listening) options.on_listening(url);
    spdlog::info("labelling page for {} at {}", page.root().string(), url);
    const std::function<bool()> stop = options.stop ? options.stop : [] { return interrupted(); };
    server.serve([&page](const HttpRequest& request) { return page.handle(request); }, stop);
}

}  // namespace rcls::label
