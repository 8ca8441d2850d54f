// SPDX-License-Identifier: MIT
//
// `rcls dataset info ROOT [--json] [--check] [--skip-missing]`: what a LeRobot dataset holds.
#include <iostream>
#include <memory>
#include <string>

#include "rcls/core/error.hpp"
#include "rcls/core/progress.hpp"
#include "rcls/dataset/summary.hpp"

#include "command.hpp"
#include "config_flags.hpp"

namespace rcls::cli {
namespace {

/// The command's options; --print-config prints them (options_command()).
struct InfoOptions {
    std::string root;
    bool json = false;
    bool check = false;
    bool skip_missing = false;

    template <class V>
    void visit(V& v) {
        v.field("root", root);
        v.field("json", json);
        v.field("check", check);
        v.field("skip_missing", skip_missing);
    }
};

int run_info(const InfoOptions& options) {
    const dataset::Dataset d = dataset::Dataset::open(dataset::resolve_root(options.root));
    dataset::SummaryOptions summary_options;
    summary_options.check = options.check;
    summary_options.skip_missing = options.skip_missing;
    std::unique_ptr<Progress> progress;
    if (options.check) {
        summary_options.progress = [&progress](std::int64_t done, std::int64_t total) {
            if (!progress) {
                progress = std::make_unique<Progress>("check", static_cast<std::uint64_t>(total),
                                                      "frames");
            }
            progress->advance(static_cast<std::uint64_t>(done) - progress->done());
        };
    }
    const dataset::DatasetSummary summary = dataset::summarize(d, summary_options);
    if (progress) progress->finish();
    std::cout << (options.json ? dataset::to_json(summary) : dataset::to_text(summary));
    std::cout.flush();
    if (options.check && !summary.problems.empty()) {
        throw DataError(options.root + ": " + std::to_string(summary.problems.size()) +
                        " missing or damaged files (listed above)");
    }
    return 0;
}

}  // namespace

void register_dataset(CLI::App& root, const GlobalOptions& globals, Commands& commands) {
    CLI::App* dataset = root.add_subcommand("dataset", "Inspect LeRobot datasets (v2.1 and v3.0)");
    dataset->require_subcommand(1);
    auto options = std::make_shared<InfoOptions>();
    CLI::App* info = dataset->add_subcommand(
        "info",
        "Episodes, frames, success/failure frames, fps, resolution and per-episode lengths");
    info->add_option("root", options->root,
                     "Dataset folder (holding meta/info.json), or a repo id <user>/<name> under "
                     "$HF_LEROBOT_HOME")
        ->required();
    info->add_flag("--json", options->json, "Print the report as JSON");
    info->add_flag("--check", options->check,
                   "Read every data file and decode every frame of every video; exit 5 when "
                   "something is missing or damaged");
    info->add_flag(
        "--skip-missing", options->skip_missing,
        "Count episodes whose data file is missing or corrupt as unread (with a warning) "
        "instead of failing");
    commands.push_back(options_command(info, options, globals, run_info));
}

}  // namespace rcls::cli
