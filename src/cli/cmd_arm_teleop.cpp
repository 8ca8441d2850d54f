// SPDX-License-Identifier: MIT
//
// `rcls arm teleop [-c record.json] [--robot.* ...] [--teleop.* ...] [--locked_joints J,...]
// [--fps 60] [--duration S] [--json]`: lerobot-teleoperate (rcls/arm_tools/teleop.hpp). The arms
// come from the record config's `robot` and `teleop` sections, set by the same `--a.b value`
// flags as every config command; the documented short names (`--follower-port`, `--leader-id`,
// `--max-relative-target`, `--locked-joints`, ...) are aliases of those fields.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "rcls/arm/arm.hpp"
#include "rcls/arm_tools/teleop.hpp"
#include "rcls/config/config_file.hpp"
#include "rcls/config/record_config.hpp"

#include "cmd_arm.hpp"
#include "config_flags.hpp"

namespace rcls::cli {
namespace {

struct TeleopCommandOptions {
    std::optional<std::string> config_file;
    std::vector<config::Override> overrides;  ///< --robot.*, --teleop.*, --locked_* and aliases.
    int fps = 60;
    std::optional<double> duration_s;
    bool json = false;
};

int run_teleop(const TeleopCommandOptions& options, const GlobalOptions& globals) {
    const std::optional<std::filesystem::path> file =
        options.config_file ? std::optional<std::filesystem::path>(*options.config_file)
                            : std::nullopt;
    refuse_conflicting_overrides("arm teleop", options.overrides);
    const config::RecordConfig config = config::load_record_config(file, options.overrides);
    if (globals.print_config) {
        // The settings teleop runs with: its own loop rate, not the record config's.
        config::RecordConfig shown = config;
        shown.fps = options.fps;
        std::cout << config::dump_config(shown) << std::endl;
        return 0;
    }
    // Real arms and the simulated ones run on the steady clock here: a person is watching.
    Clock& clock = steady_clock();
    auto leader = arm::make_arm(arm::leader_options(config), clock);
    auto follower = arm::make_arm(arm::follower_options(config), clock);
    arm::TorqueOffGuard guard(*follower);
    leader->connect();
    follower->connect();
    spdlog::info("teleoperating {} (follower '{}') from {} (leader '{}') at {} fps; Ctrl-C stops",
                 config.robot.port, config.robot.id, config.teleop.port, config.teleop.id,
                 options.fps);
    arm_tools::LoopStats stats;
    stats = arm_tools::run_teleop(*leader, *follower,
                                  arm_tools::TeleopOptions{options.fps, options.duration_s, 1.0});
    emit(StatusEvent{"teleop", "", false});  // the live status line ends before the results
    follower->disconnect();
    std::cout << (options.json ? arm_tools::loop_stats_to_json(stats)
                               : "teleop: " + arm_tools::describe_loop(stats))
              << std::endl;
    return 0;
}

/// `--robot.*`, `--teleop.*`, `--locked_joints` and `--locked_joint_positions`: the record config's
/// arm fields, through the automatic config flags.
void add_arm_config_flags(CLI::App& app, std::vector<config::Override>& overrides) {
    config::RecordConfig probe;
    ConfigFlagBinder robot(app, overrides, "robot", "/robot");
    probe.robot.visit(robot);
    ConfigFlagBinder teleop(app, overrides, "teleop", "/teleop");
    probe.teleop.visit(teleop);
    ConfigFlagBinder top(app, overrides, "", "");
    top.field("locked_joints", probe.locked_joints,
              "Joints held still, comma-separated (e.g. wrist_roll,gripper)");
    top.field("locked_joint_positions", probe.locked_joint_positions,
              "Positions of locked joints in degrees, as JSON ({\"gripper\": 10})");
}

}  // namespace

void register_arm_teleop(CLI::App& arm_app, const GlobalOptions& globals, Commands& commands) {
    auto teleop = std::make_shared<TeleopCommandOptions>();
    CLI::App* teleop_app = arm_app.add_subcommand(
        "teleop", "Drive the follower arm from the leader arm, with live loop-time statistics");
    teleop_app
        ->add_option("-c,--config", teleop->config_file,
                     "Record config for the robot and teleop sections and locked joints")
        ->check(CLI::ExistingFile);
    auto& overrides = teleop->overrides;
    add_config_alias<std::string>(*teleop_app, overrides, "--follower-port", "/robot/port",
                                  "Follower arm's serial port");
    add_config_alias<std::string>(*teleop_app, overrides, "--leader-port", "/teleop/port",
                                  "Leader arm's serial port");
    add_config_alias<std::string>(*teleop_app, overrides, "--follower-id", "/robot/id",
                                  "Follower calibration id");
    add_config_alias<std::string>(*teleop_app, overrides, "--leader-id", "/teleop/id",
                                  "Leader calibration id");
    teleop_app->add_option("--fps", teleop->fps, "Loop rate")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    teleop_app->add_option("--duration", teleop->duration_s, "Stop after this many seconds")
        ->check(CLI::PositiveNumber);
    add_config_alias<double>(*teleop_app, overrides, "--max-relative-target",
                             "/robot/max_relative_target",
                             "Largest goal change per step, in degrees (default: none)")
        ->check(CLI::PositiveNumber);
    add_config_alias<std::vector<std::string>>(
        *teleop_app, overrides, "--locked-joints", "/locked_joints",
        "Joints held still, comma-separated (e.g. wrist_roll,gripper)");
    // Documented for teleop as for the other arm commands: one folder for both arms' files.
    auto* list = &overrides;
    teleop_app->add_option_function<std::string>(
        "--calibration-dir",
        [list](const std::string& dir) {
            const std::string value = nlohmann::json(dir).dump();
            list->push_back({"--calibration-dir", "/robot/calibration_dir", value});
            list->push_back({"--calibration-dir", "/teleop/calibration_dir", value});
        },
        "Folder of calibration files for both arms (= /robot/calibration_dir and "
        "/teleop/calibration_dir)");
    teleop_app->add_flag("--json", teleop->json, "Print the final statistics as JSON");
    add_arm_config_flags(*teleop_app, overrides);
    commands.push_back(
        {teleop_app, [teleop, &globals] { return run_teleop(*teleop, globals); }, true});
}

}  // namespace rcls::cli
