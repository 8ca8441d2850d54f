// SPDX-License-Identifier: MIT
//
// `rcls record -c configs/reward_classifier_record_config.json [--resume] [--no-audio] [--json]
// [--<field> value ...] [--sim_speed X]`: records reward-classifier episodes (rcls/record/
// recorder.hpp) from the real SO-101 arms and cameras, or from the simulated scene
// (configs/sim_record_config.json). Every config field is a flag (`--fps 30`,
// `--dataset.root data/cubes`, `--robot.cameras.front.width 320`). The summary goes to stdout (JSON
// with --json), logs and cues to stderr.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "rcls/arm/sim_bus.hpp"
#include "rcls/config/config_file.hpp"
#include "rcls/config/record_config.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/paths.hpp"
#include "rcls/core/strings.hpp"
#include "rcls/model/predictor.hpp"
#include "rcls/record/keys.hpp"
#include "rcls/record/recorder.hpp"
#include "rcls/record/reward_detector.hpp"
#include "rcls/record/rig.hpp"

#include "camera_window.hpp"
#include "command.hpp"
#include "config_flags.hpp"
#include "second_interrupt.hpp"
#include "speech.hpp"
#include "terminal_keys.hpp"

namespace rcls::cli {
namespace {

struct RecordCommandOptions {
    std::optional<std::string> config_file;
    std::vector<config::Override> overrides;
    bool resume = false;
    bool no_audio = false;
    bool json = false;
    double sim_speed = 0.0;
    double sim_reaction_s = record::SimRigOptions{}.reaction_s;
    int sim_seed = 1;
    std::optional<std::string> sim_corrupt;
    int classifier_threads = 1;
};

std::filesystem::path dataset_root(const config::RecordConfig& config) {
    if (config.dataset.root) return *config.dataset.root;
    return hf_lerobot_home() / config.dataset.repo_id;
}

int run_record(const RecordCommandOptions& options, const GlobalOptions& globals) {
    const std::optional<std::filesystem::path> file =
        options.config_file ? std::optional<std::filesystem::path>(*options.config_file)
                            : std::nullopt;
    config::RecordConfig config = config::load_record_config(file, options.overrides);
    if (options.no_audio) config.play_sounds = false;
    if (globals.print_config) {
        std::cout << config::dump_config(config) << std::endl;
        return 0;
    }
    record::SimRigOptions sim;
    sim.speed = options.sim_speed;
    sim.reaction_s = options.sim_reaction_s;
    sim.seed = static_cast<std::uint64_t>(options.sim_seed);
    if (options.sim_corrupt) {
        const auto rate = arm::parse_fault_rate(*options.sim_corrupt);
        if (!rate) {
            throw ConfigError("--sim_corrupt \"" + *options.sim_corrupt +
                              "\": give a rate as 0.05, 5% or 1/20");
        }
        sim.faults.corrupt = *rate;
    }
    const bool simulated = record::is_simulated(config);
    if (!simulated && (options.sim_speed != 0.0 || options.sim_corrupt)) {
        throw UsageError(
            "--sim_speed and --sim_corrupt apply to the simulated arms only "
            "(robot.type so101_follower_sim)");
    }

    record::RecordOptions record_options;
    record_options.root = dataset_root(config);
    record_options.resume = options.resume;
    std::unique_ptr<record::RewardDetector> classifier;
    if (config.reward_classifier_pretrained_path) {
        model::prepare_process_for_inference();
        classifier = std::make_unique<record::RewardDetector>(
            *config.reward_classifier_pretrained_path, config.reward_classifier_threshold,
            config.reward_classifier_k, options.classifier_threads);
        record_options.classifier = classifier.get();
        spdlog::info("live classifier {}: success at p >= {} for {} frame(s) ({})",
                     *config.reward_classifier_pretrained_path, classifier->threshold(),
                     classifier->k(), classifier->threshold_source());
    } else if (config.reward_classifier_threshold || config.reward_classifier_k) {
        spdlog::warn(
            "reward_classifier_threshold and reward_classifier_k apply to the live classifier "
            "only; reward_classifier_pretrained_path is null, so none runs");
    }
    // Keys from the terminal when stdin is one (raw mode until the end), else none.
    std::unique_ptr<record::KeySource> keys = TerminalKeySource::open_for_stdin();
    record_options.keys = keys.get();  // open_for_stdin() logs when it runs unattended
    set_speech_enabled(config.play_sounds);

    std::unique_ptr<record::Rig> rig = record::make_rig(config, sim);
    // A second Ctrl-C still turns torque off (at most 1 s of trying) before exiting 130.
    const SecondInterruptGuard torque_guard(
        [&rig](std::chrono::milliseconds budget) { return rig->emergency_stop(budget / 2); },
        std::chrono::milliseconds(1000), "turning torque off on both arms");
    spdlog::info(
        "recording {} episodes of {} s at {} fps into {}{}", config.num_episodes,
        config.control_time_s, config.fps, record_options.root.string(),
        simulated ? (options.sim_speed > 0 ? " (simulated scene, " +
                                                 std::to_string(options.sim_speed) + "x real time)"
                                           : std::string(" (simulated scene, as fast as it runs)"))
                  : std::string());
    // display_cameras: a window fed from the loop without ever slowing it (camera_window.hpp).
    std::unique_ptr<CameraWindow> window;
    if (config.display_cameras) {
        if (const std::optional<std::string> reason = CameraWindow::unavailable_reason()) {
            spdlog::warn("display_cameras: {}; recording without a camera window", *reason);
        } else {
            try {
                window = std::make_unique<CameraWindow>(rig->camera_names(),
                                                        CameraWindow::highgui_show(),
                                                        CameraWindow::highgui_close());
                record_options.on_images = [w = window.get()](const std::vector<cv::Mat>& images) {
                    w->post(images);
                };
            } catch (const Error& e) {
                spdlog::warn("display_cameras: {}; recording without a camera window", e.what());
            }
        }
    }
    const record::RecordSummary summary = record::record(config, *rig, record_options);
    {
        std::lock_guard arms(rig->arms_mutex());
        rig->disconnect();
    }
    keys.reset();                              // the terminal back to normal before the summary
    wait_for_speech(std::chrono::seconds(3));  // the last cue is heard
    std::cout << (options.json ? record::summary_json(summary)
                               : "record: " + record::describe(summary))
              << std::endl;
    return 0;
}

}  // namespace

void register_record(CLI::App& root, const GlobalOptions& globals, Commands& commands) {
    auto options = std::make_shared<RecordCommandOptions>();
    CLI::App* app = root.add_subcommand(
        "record", "Record reward-classifier episodes by teleoperation (real arms or the sim)");
    app->add_option("-c,--config,--config_path", options->config_file,
                    "Record config (configs/reward_classifier_record_config.json)")
        ->check(CLI::ExistingFile);
    app->add_flag("--resume", options->resume,
                  "Append to the dataset at dataset.root (its features must match)");
    app->add_flag("--no-audio", options->no_audio, "No spoken cues (as play_sounds false)");
    app->add_flag("--json", options->json, "Print the summary as JSON on stdout");
    app->add_option("--sim_speed", options->sim_speed,
                    "Simulated arms: speed against real time (1: real time; 0: as fast as the "
                    "CPU allows)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app->add_option("--sim_reaction_s", options->sim_reaction_s,
                    "Simulated person: seconds from the cube's lift to the success key (plus a "
                    "seeded 0-" +
                        number_text(record::kReactionSpreadS) +
                        " s; no press when the cube has fallen by then)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app->add_option("--sim_seed", options->sim_seed, "Simulated scene: seed of the episodes")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app->add_option("--sim_corrupt", options->sim_corrupt,
                    "Simulated arms: corrupt this share of bus replies (5%, 0.05 or 1/20)");
    app->add_option("--reward_classifier_threads", options->classifier_threads,
                    "Live classifier: libtorch threads of its worker")
        ->check(CLI::Range(1, 64))
        ->capture_default_str();
    add_config_flags<config::RecordConfig>(*app, options->overrides);
    commands.push_back({app, [options, &globals] { return run_record(*options, globals); }, true});
}

}  // namespace rcls::cli
