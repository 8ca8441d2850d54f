// SPDX-License-Identifier: MIT
//
// `rcls label DATASET [--labels FILE]... [--set EP=SPEC]... [--from-record] [--from-sim]
//                     [--output DIR] [--allow-unlabelled] [--json]`
// `rcls label DATASET --show [--json]`, `--contact-sheet DIR [--every N]`, `--serve [--port P]`:
// success frames per episode (README, "Labelling").
#include <cmath>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"
#include "rcls/core/strings.hpp"
#include "rcls/dataset/metadata.hpp"
#include "rcls/label/apply.hpp"
#include "rcls/label/contact_sheet.hpp"
#include "rcls/label/server.hpp"

#include "command.hpp"

namespace rcls::cli {
namespace {

struct LabelOptions {
    std::string root;
    std::vector<std::string> files;
    std::vector<std::string> sets;
    bool from_record = false;
    double key_latency_s = 0.0;
    bool from_sim = false;
    std::string output;
    bool allow_unlabelled = false;
    bool show = false;
    bool json = false;
    std::string contact_sheet;
    int every = 10;
    std::string camera;
    bool serve = false;
    int port = 8765;
    std::string checkpoint;
};

/// The label inputs in command-line order (later ones win).
std::vector<label::LabelInput> inputs_in_order(CLI::App& app, const LabelOptions& options) {
    std::vector<label::LabelInput> inputs;
    std::size_t file = 0, set = 0;
    for (const CLI::Option* option : app.parse_order()) {
        const std::string name = option->get_single_name();
        if (name == "labels" && file < options.files.size()) {
            inputs.push_back({label::LabelInput::Kind::kFile, options.files[file++]});
        } else if (name == "set" && set < options.sets.size()) {
            inputs.push_back({label::LabelInput::Kind::kSet, options.sets[set++]});
        } else if (name == "from-record") {
            inputs.push_back({label::LabelInput::Kind::kRecord, ""});
        } else if (name == "from-sim") {
            inputs.push_back({label::LabelInput::Kind::kSim, ""});
        }
    }
    return inputs;
}

int run_label(CLI::App& app, const LabelOptions& options) {
    const std::filesystem::path root = dataset::resolve_root(options.root);
    std::vector<label::LabelInput> inputs = inputs_in_order(app, options);
    if (options.key_latency_s > 0.0 && !options.from_record) {
        throw UsageError(
            "label: --key-latency moves the key presses of --from-record; give "
            "--from-record too");
    }
    const int modes = (options.show ? 1 : 0) + (options.serve ? 1 : 0) +
                      (options.contact_sheet.empty() ? 0 : 1) + (inputs.empty() ? 0 : 1);
    if (modes > 1) {
        throw UsageError(
            "label: --show, --serve, --contact-sheet and label inputs (--labels, "
            "--set, --from-record, --from-sim) are separate uses; give one");
    }
    if (options.show) {
        const dataset::Dataset d = dataset::Dataset::open(root);
        const label::LabelSummary summary = label::current_labels(d);
        std::cout << (options.json ? label::to_json(summary) : label::to_table(summary));
        return 0;
    }
    if (!options.contact_sheet.empty()) {
        const dataset::Dataset d = dataset::Dataset::open(root);
        label::ContactSheetOptions sheet;
        sheet.every = options.every;
        sheet.camera = options.camera;
        const std::vector<std::filesystem::path> written =
            label::write_contact_sheets(d, options.contact_sheet, sheet);
        for (const auto& path : written)
            std::cout << path.string() << "\n";
        spdlog::info("label: {} contact sheets in {}", written.size(), options.contact_sheet);
        return 0;
    }
    if (options.serve) {
        label::ServerOptions server;
        server.root = root;
        server.port = options.port;
        server.every = options.every;
        server.camera = options.camera;
        server.checkpoint = options.checkpoint;
        server.output = options.output;
        server.on_listening = [](const std::string& url) {
            std::cout << "Labelling page: " << url << "  (Ctrl-C stops)" << std::endl;
        };
        label::serve_labelling_page(server);
        return 0;
    }
    if (inputs.empty()) {
        throw UsageError(
            "label: no labels given; use --labels FILE, --set EP=SPEC, "
            "--from-record or --from-sim (or --show, --serve, --contact-sheet)");
    }
    if (options.key_latency_s > 0.0) {
        const double fps = dataset::Dataset::open(root).info().fps;
        const auto frames = static_cast<std::int64_t>(std::lround(options.key_latency_s * fps));
        for (label::LabelInput& input : inputs) {
            if (input.kind == label::LabelInput::Kind::kRecord) input.earlier_frames = frames;
        }
        spdlog::info("label: key presses count {} frame{} earlier (--key-latency {} at {} fps)",
                     frames, frames == 1 ? "" : "s", number_text(options.key_latency_s),
                     number_text(fps));
    }
    const label::LabelSet labels = label::gather_labels(inputs, root);
    label::ApplyOptions apply;
    apply.output = options.output;
    apply.allow_unlabelled = options.allow_unlabelled;
    apply.on_status = [](const std::string& line) { spdlog::info("label: {}", line); };
    const label::ApplyResult result = label::apply_labels(root, labels, apply);
    std::cout << (options.json ? label::to_json(result.summary) : label::to_table(result.summary));
    std::cout.flush();
    spdlog::info("label: {} episodes labelled in {} ({:.3f} s){}", result.summary.episodes.size(),
                 result.root.string(), result.seconds, result.copied ? ", as a new v3.0 copy" : "");
    return 0;
}

}  // namespace

void register_label(CLI::App& root, const GlobalOptions&, Commands& commands) {
    auto options = std::make_shared<LabelOptions>();
    CLI::App* app = root.add_subcommand(
        "label",
        "Mark each episode's success frames (reward 1) from a table, CSV, JSON, --set, the "
        "recording's key presses or a labelling page in the browser");
    app->add_option("dataset", options->root,
                    "Dataset folder (holding meta/info.json), or a repo id <user>/<name> under "
                    "$HF_LEROBOT_HOME")
        ->required();
    app->add_option("--labels", options->files,
                    "Label file: the reference table (`00: 119    05: 39`), CSV "
                    "(episode_index,success_start[,success_end]) or JSON ({\"0\": 119, \"3\": "
                    "\"never\"}); repeatable")
        ->type_name("FILE");
    app->add_option("--set", options->sets,
                    "One episode's label: EP=FRAME (success from FRAME on), EP=never, "
                    "EP=START-END (inclusive); repeatable, later inputs win")
        ->type_name("EP=SPEC");
    app->add_flag("--from-record", options->from_record,
                  "Labels from the success key presses `rcls record` kept in "
                  "meta/rcls_record_keys.json");
    app->add_option("--key-latency", options->key_latency_s,
                    "With --from-record: seconds from what a key press marks to the press (the "
                    "operator's reaction, about 0.2-0.3 s); each press counts that many seconds "
                    "of frames earlier")
        ->check(CLI::Range(0.0, 5.0))
        ->capture_default_str();
    app->add_flag("--from-sim", options->from_sim,
                  "Labels from the simulated scene's ground truth, "
                  "rcls/sim_ground_truth.json");
    app->add_option("--output", options->output,
                    "Write a labelled v3.0 copy here instead of relabelling in place (v2.x "
                    "datasets always get a copy, by default <dataset>_labelled)")
        ->type_name("DIR");
    app->add_flag("--allow-unlabelled", options->allow_unlabelled,
                  "Episodes without a label keep their current rewards (0 when they have none) "
                  "instead of being an error");
    app->add_flag("--show", options->show, "Print the labels the dataset holds now");
    app->add_flag("--json", options->json, "Print the result as JSON (spans per episode, totals)");
    app->add_option("--contact-sheet", options->contact_sheet,
                    "Write one PNG per episode into DIR: every N-th frame with its number, the "
                    "current success frames outlined in green")
        ->type_name("DIR");
    app->add_option("--every", options->every,
                    "Frames between thumbnails (contact sheets and the labelling page)")
        ->check(CLI::Range(1, 10000))
        ->capture_default_str();
    app->add_option("--camera", options->camera, "Camera key to show (default: the first)");
    app->add_flag("--serve", options->serve,
                  "Serve the labelling page on 127.0.0.1 until Ctrl-C (prints its URL)");
    app->add_option("--port", options->port, "Port of the labelling page (0: any free port)")
        ->check(CLI::Range(0, 65535))
        ->capture_default_str();
    app->add_option("--checkpoint", options->checkpoint,
                    "With --serve: a reward classifier checkpoint whose success probability is "
                    "drawn under the scrubber, its predicted onset offered as a suggestion")
        ->type_name("CKPT");
    commands.push_back({app, [app, options] { return run_label(*app, *options); }});
}

}  // namespace rcls::cli
