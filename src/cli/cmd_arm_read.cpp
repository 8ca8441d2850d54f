// SPDX-License-Identifier: MIT
//
// `rcls arm read --port P [--raw] [--json] [--role R] [--id ID] [--range]`: present positions.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "rcls/arm/calibration.hpp"
#include "rcls/arm_tools/arm_tools.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/strings.hpp"

#include "cmd_arm.hpp"

namespace rcls::cli {
namespace {

struct ReadOptions {
    ArmTarget given;   ///< As given: rcls's options (LeRobot's spellings: LerobotArmFlags).
    std::string port;  ///< The rest: as resolved from `given`.
    bool raw = false;
    bool json = false;
    std::optional<std::string> role;  ///< Unset: where the id's calibration file is.
    std::optional<std::string> id;    ///< Unset: the one calibration present.
    std::optional<std::string> calibration_dir;
    bool range = false;
};

/// The calibrations (role, id) present in the calibration folders of both roles.
std::vector<std::pair<arm::ArmRole, std::string>> calibrations_present(
    const std::optional<std::string>& calibration_dir) {
    std::vector<std::pair<arm::ArmRole, std::string>> found;
    for (const arm::ArmRole role : {arm::ArmRole::kFollower, arm::ArmRole::kLeader}) {
        const std::filesystem::path folder =
            arm::calibration_path(role, "x", calibration_dir).parent_path();
        std::error_code error;
        std::vector<std::string> ids;
        for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
            if (entry.path().extension() == ".json" && entry.is_regular_file(error)) {
                ids.push_back(entry.path().stem().string());
            }
        }
        std::sort(ids.begin(), ids.end());
        for (std::string& id : ids) {
            found.emplace_back(role, std::move(id));
        }
        if (calibration_dir) break;  // one folder for both roles
    }
    return found;
}

/// The role and id to read with: as given; a missing --role from where the id's file is; a
/// missing --id from the one calibration present (several or none: say which to give).
void resolve_calibration(const ReadOptions& options, arm::ArmOptions& arm_options) {
    const auto role_of = [](const std::string& role) {
        return role == "leader" ? arm::ArmRole::kLeader : arm::ArmRole::kFollower;
    };
    if (options.role) arm_options.role = role_of(*options.role);
    if (options.id) {
        arm_options.id = *options.id;
        if (!options.role && !options.calibration_dir &&
            !arm::find_calibration_file(arm::ArmRole::kFollower, *options.id, std::nullopt) &&
            arm::find_calibration_file(arm::ArmRole::kLeader, *options.id, std::nullopt)) {
            arm_options.role = arm::ArmRole::kLeader;  // the id is a leader's
        }
        return;
    }
    if (options.raw) return;
    auto present = calibrations_present(options.calibration_dir);
    if (options.role) {
        std::erase_if(present, [&](const auto& p) { return p.first != arm_options.role; });
    }
    if (present.size() == 1) {
        if (!options.calibration_dir) arm_options.role = present.front().first;
        arm_options.id = present.front().second;
        spdlog::info("{}: using the calibration of {} '{}' (the only one; --id chooses)",
                     options.port, arm::to_string(arm_options.role), arm_options.id);
        return;
    }
    std::vector<std::string> names;
    for (const auto& [role, id] : present) {
        names.push_back(arm::to_string(role) + " '" + id + "'");
    }
    throw ConfigError(
        present.empty()
            ? "arm read: no calibration file (looked in " +
                  arm::calibration_path(arm_options.role, "x", options.calibration_dir)
                      .parent_path()
                      .string() +
                  "); give --id of a calibrated arm, calibrate it (`rcls arm calibrate --port " +
                  options.port + " --id ID`), or read --raw steps"
            : "arm read: several calibrations (" + join(names, ", ") +
                  "); choose one with --id (and --role)");
}

int run_read(const ReadOptions& given, const LerobotArmFlags& lerobot) {
    ReadOptions options = given;
    const ArmTarget target = lerobot.resolve(given.given);
    options.port = *target.port;
    options.role = target.role;
    options.id = target.id;
    options.calibration_dir = target.calibration_dir;
    arm::ArmOptions arm_options;
    arm_options.role = arm::ArmRole::kFollower;
    arm_options.port = options.port;
    arm_options.id = "follower";
    resolve_calibration(options, arm_options);
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
    add_port_option(read_app, read->given.port);
    read_app->add_flag("--raw", read->raw, "Raw encoder steps (0-4095); needs no calibration");
    read_app->add_flag("--json", read->json, "One JSON object mapping joint names to values");
    read_app
        ->add_option("--role", read->given.role,
                     "Which calibration: follower or leader (default: where --id's file is)")
        ->check(CLI::IsMember({"follower", "leader"}));
    read_app->add_option("--id", read->given.id,
                         "Arm id of the calibration file (default: the only calibration present)");
    read_app->add_option("--calibration-dir", read->given.calibration_dir,
                         "Folder of calibration files");
    read_app->add_flag("--range", read->range, "Body joints in -100..100 instead of degrees");
    const LerobotArmFlags lerobot(*read_app, kArmRole | kArmId | kArmCalibrationDir);
    commands.push_back({read_app, [read, lerobot] { return run_read(*read, lerobot); }});
}

}  // namespace rcls::cli
