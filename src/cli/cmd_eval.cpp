// SPDX-License-Identifier: MIT
//
// `rcls eval --checkpoint CKPT --dataset.root D [--episodes 0,3,7] [--threshold T] [--k K]
// [--camera NAME] [--json] [--report FILE.html] [--baseline CKPT] [--fail-under FIGURE=VALUE ...]
// [--fail-over FIGURE=VALUE ...]`, `rcls eval --list-figures`: is this classifier safe to use as
// an RL reward, and at which threshold? Parsing and printing only; the workflow is
// rcls/eval/eval.hpp, the gates and the baseline comparison rcls/eval/gates.hpp.
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"
#include "rcls/eval/eval.hpp"
#include "rcls/eval/gates.hpp"
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
    std::string baseline;
    std::vector<std::string> fail_under;
    std::vector<std::string> fail_over;
    bool list_figures = false;
};

int run_eval(const EvalCliOptions& options) {
    if (options.list_figures) {
        for (const std::string& name : eval::figure_names())
            std::cout << name << "\n";
        std::cout.flush();
        return 0;
    }
    if (options.checkpoint.empty()) throw UsageError("eval: --checkpoint is required");
    if (options.dataset.empty()) throw UsageError("eval: --dataset.root is required");
    // Gates are checked before any work: a typo in a figure name fails at once.
    std::vector<eval::Gate> gates;
    for (const std::string& text : options.fail_under) {
        gates.push_back(
            eval::parse_gate(text, eval::GateKind::kFailUnder, !options.baseline.empty()));
    }
    for (const std::string& text : options.fail_over) {
        gates.push_back(
            eval::parse_gate(text, eval::GateKind::kFailOver, !options.baseline.empty()));
    }
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
    std::string json;
    std::string text;
    if (options.baseline.empty()) {
        json = eval::to_json(result);
        if (!options.json) text = eval::to_text(result);
    } else {
        // The same episodes as the first run, whichever way they were chosen.
        run.checkpoint = options.baseline;
        run.episodes.clear();
        for (const eval::EpisodeScores& e : result.episodes)
            run.episodes.push_back(e.episode_index);
        spdlog::info("scoring the baseline {} on the same {} episodes", options.baseline,
                     run.episodes.size());
        const eval::EvalResult baseline = eval::run_eval(run);
        json = eval::to_json_with_baseline(result, baseline);
        if (!options.json) text = eval::to_text(result) + eval::comparison_text(result, baseline);
    }
    std::cout << (options.json ? json + "\n" : text);
    std::cout.flush();
    const std::vector<eval::GateFailure> failed = eval::check_gates(gates, json);
    for (const eval::GateFailure& failure : failed) {
        std::fprintf(stderr, "rcls: gate failed: %s\n", eval::describe(failure).c_str());
    }
    std::fflush(stderr);
    if (!failed.empty()) return static_cast<int>(ExitCode::kGateFailed);
    if (!gates.empty()) spdlog::info("all {} gates hold", gates.size());
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
    app->add_option("--baseline", options->baseline,
                    "Also score this checkpoint on the same episodes and report both side by "
                    "side with the differences (JSON: \"baseline\", \"delta\" = this - baseline)");
    app->add_option(
           "--fail-under", options->fail_under,
           "FIGURE=VALUE: exit 7 when the figure is below VALUE (FIGURE: a key path of "
           "the JSON, or a unique tail of one, e.g. accuracy or delta.roc_auc); repeatable, or "
           "comma-separated")
        ->delimiter(',');
    app->add_option("--fail-over", options->fail_over,
                    "FIGURE=VALUE: exit 7 when the figure is above VALUE; repeatable")
        ->delimiter(',');
    app->add_flag("--list-figures", options->list_figures,
                  "Print the figures gates can name (key paths of the JSON), one per line, and "
                  "exit");
    app->add_option("--threads", options->threads,
                    "model threads (0: one per core), each scoring whole frames; decoding "
                    "takes one more thread")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    commands.push_back({app, [options] { return run_eval(*options); }});
}

}  // namespace rcls::cli
