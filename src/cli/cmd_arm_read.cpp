// SPDX-License-Identifier: MIT
//
// `rcls arm read --port P [--raw] [--json] [--role R] [--id ID] [--range]`: present positions.
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>

#include "rcls/arm_tools/arm_tools.hpp"

#include "cmd_arm.hpp"

namespace rcls::cli {
namespace {

struct ReadOptions {
    std::string port;
    bool raw = false;
    bool json = false;
    std::string role = "follower";
    std::optional<std::string> id;
    std::optional<std::string> calibration_dir;
    bool range = false;
};

int run_read(const ReadOptions& options) {
    arm::ArmOptions arm_options;
    arm_options.role = options.role == "leader" ? arm::ArmRole::kLeader : arm::ArmRole::kFollower;
    arm_options.port = options.port;
    arm_options.id = options.id.value_or(options.role);
    arm_options.calibration_dir = options.calibration_dir;
    arm_options.use_degrees = !options.range;
    const arm_tools::PositionsReport report = arm_tools::read_positions(arm_options, options.raw);
    spdlog::info("{}: {}", options.port, arm_tools::describe_stats(report.stats));
    std::cout << (options.json ? arm_tools::positions_to_json(report) + "\n"
                               : arm_tools::format_positions(report));
    return 0;
}

}  // namespace

void register_arm_read(CLI::App& arm_app, const GlobalOptions&, Commands& commands) {
    auto read = std::make_shared<ReadOptions>();
    CLI::App* read_app = arm_app.add_subcommand(
        "read", "Print the present joint positions (calibrated units, or raw steps with --raw)");
    add_port_option(read_app, read->port);
    read_app->add_flag("--raw", read->raw, "Raw encoder steps (0-4095); needs no calibration");
    read_app->add_flag("--json", read->json, "One JSON object mapping joint names to values");
    read_app->add_option("--role", read->role, "Which calibration: follower or leader")
        ->check(CLI::IsMember({"follower", "leader"}));
    read_app->add_option("--id", read->id, "Arm id of the calibration file (default: the role)");
    read_app->add_option("--calibration-dir", read->calibration_dir, "Folder of calibration files");
    read_app->add_flag("--range", read->range, "Body joints in -100..100 instead of degrees");
    commands.push_back({read_app, [read] { return run_read(*read); }});
}

}  // namespace rcls::cli
