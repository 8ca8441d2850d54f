// SPDX-License-Identifier: MIT
//
// `rcls arm calibrate --port P --role follower|leader --id NAME [--yes] [--force]`:
// lerobot-calibrate (rcls/arm_tools/arm_tools.hpp).
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>

#include "rcls/arm/so101.hpp"
#include "rcls/arm_tools/arm_tools.hpp"
#include "rcls/core/error.hpp"

#include "cmd_arm.hpp"

namespace rcls::cli {
namespace {

struct CalibrateCommandOptions {
    ArmTarget
        given;  ///< --port, --role, --id, --calibration-dir, or LeRobot's --robot.* / --teleop.*
    bool yes = false;
    bool force = false;
    double range_seconds = 10.0;
};

int run_calibrate(const CalibrateCommandOptions& options, const LerobotArmFlags& lerobot) {
    const ArmTarget target = lerobot.resolve(options.given);
    if (!target.role) {
        throw UsageError(
            "arm calibrate: --role is required (or LeRobot's --robot.* for the "
            "follower, --teleop.* for the leader)");
    }
    if (!target.id) {
        throw UsageError("arm calibrate: --id is required (or LeRobot's --robot.id / --teleop.id)");
    }
    arm::ArmOptions arm_options;
    arm_options.role = *target.role == "leader" ? arm::ArmRole::kLeader : arm::ArmRole::kFollower;
    arm_options.port = *target.port;
    arm_options.id = *target.id;
    arm_options.calibration_dir = target.calibration_dir;
    arm::So101Arm arm(arm_options);
    arm::TorqueOffGuard guard(arm);
    arm.connect(arm::ConnectOptions{.use_calibration = false, .configure = true});
    auto prompter = make_prompter(options.yes, options.range_seconds, arm.clock());
    const auto path =
        arm_tools::calibrate(arm, *prompter, arm_tools::CalibrateOptions{.force = options.force});
    spdlog::info("{}: {}", arm_options.port, arm_tools::describe_stats(arm.bus_stats()));
    std::cout << path.string() << std::endl;
    return 0;
}

}  // namespace

void register_arm_calibrate(CLI::App& arm_app, const GlobalOptions&, Commands& commands) {
    auto calibrate = std::make_shared<CalibrateCommandOptions>();
    CLI::App* calibrate_app = arm_app.add_subcommand(
        "calibrate", "Calibrate an arm as LeRobot does and save LeRobot's calibration file");
    add_port_option(calibrate_app, calibrate->given.port);
    calibrate_app
        ->add_option("--role", calibrate->given.role, "Which arm: follower or leader; required")
        ->check(CLI::IsMember({"follower", "leader"}));
    calibrate_app->add_option("--id", calibrate->given.id,
                              "Arm id: the calibration file is <id>.json; required");
    calibrate_app->add_option("--calibration-dir", calibrate->given.calibration_dir,
                              "Folder of calibration files (default: LeRobot's, under "
                              "$HF_LEROBOT_CALIBRATION)");
    calibrate_app->add_flag("--force", calibrate->force,
                            "Calibrate again without asking when a calibration file exists");
    calibrate_app->add_flag("-y,--yes", calibrate->yes, kYesHelp);
    calibrate_app
        ->add_option("--range-seconds", calibrate->range_seconds,
                     "With --yes: how long to record the ranges of motion")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    const LerobotArmFlags lerobot(*calibrate_app, kArmRole | kArmId | kArmCalibrationDir);
    commands.push_back(
        {calibrate_app, [calibrate, lerobot] { return run_calibrate(*calibrate, lerobot); }});
}

}  // namespace rcls::cli
