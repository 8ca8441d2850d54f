// SPDX-License-Identifier: MIT
//
// `rcls eval --checkpoint CKPT --dataset.root D [--episodes 0,3,7] [--threshold T] [--k K]
// [--camera NAME] [--json] [--report FILE.html]`: is this classifier safe to use as an RL reward,
// and at which threshold? Parsing and printing only; the workflow is rcls/eval/eval.hpp.
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"
#include "rcls/eval/eval.hpp"
#include "rcls/eval/report.hpp"
#include "rcls/model/predictor.hpp"

#include "command.hpp"

namespace rcls::cli {
namespace {

struct EvalCliOptions {
    std::string checkpoint;
    std::string dataset;
    std::vector<std::int64_t> episodes;
    double threshold = 0.5;
    int k = 1;
    std::optional<std::string> camera;
    bool json = false;
    std::string report;
    int threads = 0;
};

int run_eval(const EvalCliOptions& options) {
    if (options.checkpoint.empty()) throw UsageError("eval: --checkpoint is required");
    if (options.dataset.empty()) throw UsageError("eval: --dataset.root is required");
    model::prepare_process_for_inference();  // may restart rcls once, before any output
    eval::EvalOptions run;
    run.checkpoint = options.checkpoint;
    run.dataset = options.dataset;
    run.episodes = options.episodes;
    run.threshold = options.threshold;
    run.k = options.k;
    run.camera = options.camera;
    run.num_threads = options.threads;
    const eval::EvalResult result = eval::run_eval(run);
    spdlog::info("scored {} frames of {} episodes in {:.2f} s", result.frames,
                 result.episodes.size(), result.scoring_seconds);
    if (const std::string why = eval::save_recommendation(result); !why.empty()) {
        spdlog::warn("{}", why);
    } else {
        spdlog::info("recommendation saved to {}", (result.checkpoint / eval::kEvalFile).string());
    }
    if (!options.report.empty()) {
        eval::write_report(result, options.report);
        spdlog::info("report written to {}", options.report);
    }
    std::cout << (options.json ? eval::to_json(result) + "\n" : eval::to_text(result));
    std::cout.flush();
    return 0;
}

}  // namespace

void register_eval(CLI::App& root, const GlobalOptions& globals, Commands& commands) {
    (void)globals;
    auto options = std::make_shared<EvalCliOptions>();
    CLI::App* app = root.add_subcommand(
        "eval",
        "Evaluate a reward classifier on labelled episodes: frame and episode figures, and the "
        "threshold and k that are safe for an RL reward (saved beside the checkpoint)");
    app->add_option("--checkpoint", options->checkpoint,
                    "A checkpoint: pretrained_model folder, checkpoints/<step>, checkpoints/last "
                    "or a training run folder (LeRobot's or rcls's)");
    app->add_option("--dataset.root,--dataset", options->dataset,
                    "The labelled LeRobot dataset (a folder, or a repo id under $HF_LEROBOT_HOME)");
    app->add_option("--episodes", options->episodes,
                    "Evaluate these episodes, comma-separated (default: the held-out episodes "
                    "named in the checkpoint's rcls_train.json, else all)")
        ->delimiter(',')
        ->check(CLI::NonNegativeNumber);
    app->add_option("--threshold", options->threshold,
                    "Threshold of the frame and episode figures (success: p >= threshold)")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app->add_option("--k", options->k,
                    "Consecutive frames with p >= threshold before the reward fires")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    app->add_option("--camera", options->camera,
                    "The dataset camera a one-camera checkpoint scores, when the names differ "
                    "(e.g. wrist or observation.images.wrist)");
    app->add_flag("--json", options->json, "Print every figure as one JSON object");
    app->add_option("--report", options->report,
                    "Also write a self-contained HTML report to this file");
    app->add_option("--threads", options->threads, "libtorch threads (0: one per core)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    commands.push_back({app, [options] { return run_eval(*options); }});
}

}  // namespace rcls::cli
