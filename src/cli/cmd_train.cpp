// SPDX-License-Identifier: MIT
//
// `rcls train [--config FILE] [--<field> VALUE]... [--json]`: trains the reward classifier (the
// workflow lives in rcls/train/train.hpp). Every config field is a flag, as LeRobot's draccus
// flags: --dataset.root D, --steps N, --train_mode full, --augment.enable true, ...
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rcls/config/config_file.hpp"
#include "rcls/core/strings.hpp"
#include "rcls/model/predictor.hpp"
#include "rcls/train/train.hpp"

#include "command.hpp"
#include "config_flags.hpp"

namespace rcls::cli {
namespace {

struct TrainCommandOptions {
    std::optional<std::string> config_file;
    std::vector<config::Override> overrides;
    bool json = false;
};

int run_train_command(const TrainCommandOptions& options, const GlobalOptions& globals) {
    const std::optional<std::filesystem::path> file =
        options.config_file ? std::optional<std::filesystem::path>(*options.config_file)
                            : std::nullopt;
    const config::TrainConfig config = config::load_train_config(file, options.overrides);
    if (globals.print_config) {
        std::cout << config::dump_config(config) << "\n";
        return 0;
    }
    model::prepare_process_for_inference();  // may restart rcls once, before any output
    const train::TrainSummary summary = train::run_train(config);
    if (options.json) {
        std::cout << train::summary_json(summary).dump(2) << std::endl;
        return 0;
    }
    std::string validation = "no held-out episodes";
    if (summary.result.validation) {
        const auto& v = *summary.result.validation;
        char text[160];
        std::snprintf(text, sizeof text, "held-out accuracy %.1f%% on %zu episodes, loss %.3f",
                      v.accuracy, v.episodes, v.loss);
        validation = text;
        if (v.median_onset_error) {
            std::snprintf(text, sizeof text, ", median |onset error| %.1f frames",
                          *v.median_onset_error);
            validation += text;
        }
    }
    std::printf("train: %lld steps in %s, final loss %.3f; %s\ncheckpoint: %s\n",
                static_cast<long long>(summary.result.steps),
                format_duration(summary.wall_s).c_str(), summary.result.final_loss,
                validation.c_str(),
                summary.result.checkpoint.empty()
                    ? "(none: save_checkpoint false)"
                    : (summary.result.checkpoint / "pretrained_model").c_str());
    return 0;
}

}  // namespace

void register_train(CLI::App& root, const GlobalOptions& globals, Commands& commands) {
    auto options = std::make_shared<TrainCommandOptions>();
    CLI::App* app = root.add_subcommand(
        "train",
        "Train the reward classifier on a labelled dataset and write LeRobot checkpoints\n"
        "(outputs/<job>/checkpoints/<step>/pretrained_model, training_state, last)");
    app->add_option("-c,--config,--config_path", options->config_file,
                    "Train config file (JSON, e.g. configs/reward_classifier_train_config.json)");
    app->add_flag("--json", options->json, "Print the summary as JSON on stdout");
    add_config_flags<config::TrainConfig>(*app, options->overrides);
    commands.push_back(
        {app, [options, &globals] { return run_train_command(*options, globals); }, true});
}

}  // namespace rcls::cli
