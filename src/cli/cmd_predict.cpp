// SPDX-License-Identifier: MIT
//
// `rcls predict --checkpoint DIR INPUT... [--json] [--threshold 0.5] [--camera NAME]
// [--episodes 0,3]`: score
// images, videos and datasets with a reward classifier, one line per frame.
// `rcls predict --benchmark N [--checkpoint DIR]`: time 640x480 frames to a probability, as JSON.
// Parsing and printing only; the workflow is rcls/predict/predict.hpp.
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"
#include "rcls/core/progress.hpp"
#include "rcls/model/predictor.hpp"
#include "rcls/predict/predict.hpp"

#include "command.hpp"
#include "config_flags.hpp"

namespace rcls::cli {
namespace {

/// The command's options; --print-config prints them (options_command()).
struct PredictCliOptions {
    std::string checkpoint;
    std::vector<std::string> inputs;
    bool json = false;
    double threshold = 0.5;
    std::optional<std::string> camera;
    int threads = 0;
    std::vector<std::int64_t> episodes;
    std::optional<int> benchmark;

    template <class V>
    void visit(V& v) {
        v.field("checkpoint", checkpoint);
        v.field("inputs", inputs);
        v.field("json", json);
        v.field("threshold", threshold);
        v.field("camera", camera);
        v.field("episodes", episodes);
        v.field("threads", threads);
        v.field("benchmark", benchmark);
    }
};

void print_result(const predict::FrameResult& r, bool json) {
    if (json) {
        nlohmann::ordered_json line;
        line["input"] = r.input;
        line["frame"] = r.frame;
        if (r.episode_index) line["episode_index"] = *r.episode_index;
        if (r.frame_index) line["frame_index"] = *r.frame_index;
        line["logit"] = r.prediction.logit;
        line["probability"] = r.prediction.probability;
        line["success"] = r.prediction.success;
        std::cout << line.dump() << '\n';
    } else if (r.episode_index && r.frame_index) {
        std::printf("%s frame %lld (episode %lld frame %lld): logit %+.4f, probability %.4f, %s\n",
                    r.input.c_str(), static_cast<long long>(r.frame),
                    static_cast<long long>(*r.episode_index),
                    static_cast<long long>(*r.frame_index), r.prediction.logit,
                    r.prediction.probability, r.prediction.success ? "success" : "failure");
    } else {
        std::printf("%s frame %lld: logit %+.4f, probability %.4f, %s\n", r.input.c_str(),
                    static_cast<long long>(r.frame), r.prediction.logit, r.prediction.probability,
                    r.prediction.success ? "success" : "failure");
    }
}

int run_predict(const PredictCliOptions& options) {
    model::prepare_process_for_inference();  // may restart rcls once, before any output
    if (options.benchmark) {
        predict::BenchmarkOptions benchmark{*options.benchmark, std::nullopt, options.threads};
        if (!options.checkpoint.empty()) benchmark.checkpoint = options.checkpoint;
        std::cout << predict::to_json(predict::run_benchmark(benchmark)) << std::endl;
        return 0;
    }
    if (options.checkpoint.empty()) throw UsageError("predict: --checkpoint is required");
    if (options.inputs.empty()) {
        throw UsageError("predict: give at least one image, video or dataset");
    }
    const predict::PredictOptions run{
        .checkpoint = options.checkpoint,
        .inputs = std::vector<std::filesystem::path>(options.inputs.begin(), options.inputs.end()),
        .threshold = options.threshold,
        .camera = options.camera,
        .num_threads = options.threads,
        .episodes = options.episodes};
    std::int64_t frames = 0, successes = 0;
    // Scoring a dataset takes a while: progress (frames scored, rate) every few seconds and at the
    // end, on stderr, as for every long command.
    // Started at the first frame: an error before any (a missing checkpoint) stays one line.
    std::optional<Progress> progress;
    predict::run_predict(run, [&](const predict::FrameResult& r) {
        print_result(r, options.json);
        ++frames;
        successes += r.prediction.success ? 1 : 0;
        if (!progress) progress.emplace("predict", 0, "frames");
        progress->advance();
    });
    if (progress) progress->finish();
    std::cout.flush();
    spdlog::info("{} frame{}, {} above the threshold {}", frames, frames == 1 ? "" : "s", successes,
                 options.threshold);
    return 0;
}

}  // namespace

void register_predict(CLI::App& root, const GlobalOptions& globals, Commands& commands) {
    auto options = std::make_shared<PredictCliOptions>();
    CLI::App* app = root.add_subcommand(
        "predict",
        "Score images, videos and datasets with a reward classifier checkpoint (or time it: "
        "--benchmark)");
    app->add_option(
        "inputs", options->inputs,
        "Image and video files and LeRobot dataset folders (or repo ids); frames that are not "
        "the model's size are centre-cropped and Lanczos-resized first. For a dataset the frame "
        "number printed is its global index");
    app->add_option(
        "--checkpoint", options->checkpoint,
        "A checkpoint: pretrained_model folder, checkpoints/<step>, checkpoints/last or "
        "a training run folder (LeRobot's or rcls's)");
    app->add_flag("--json", options->json,
                  "One JSON object per frame: input, frame, logit, probability, success; for a "
                  "dataset also episode_index and frame_index (after frame)");
    app->add_option("--threshold", options->threshold, "Success when the probability is above this")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app->add_option(
        "--camera", options->camera,
        "Images and videos: the checkpoint camera they show. Datasets: the dataset camera a "
        "one-camera checkpoint scores (e.g. front or observation.images.front)");
    app->add_option("--episodes", options->episodes,
                    "Datasets: score only these episodes, comma-separated (e.g. 0,3); a missing "
                    "video of one of them is an error, not a skip")
        ->delimiter(',')
        ->check(CLI::NonNegativeNumber);
    app->add_option("--threads", options->threads,
                    "model threads (0: one per core); on a dataset each scores whole frames and "
                    "decoding takes one more thread")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app->add_option("--benchmark", options->benchmark,
                    "Time N single 640x480 BGR frames to a probability (optimised and plain eager) "
                    "and print p50/p99 in ms as JSON; uses --checkpoint if given")
        ->check(CLI::PositiveNumber);
    commands.push_back(options_command(app, options, globals, run_predict));
}

}  // namespace rcls::cli
