// SPDX-License-Identifier: MIT
//
// `rcls arm setup-motors --port P [--yes]`: lerobot-setup-motors (rcls/arm_tools/arm_tools.hpp).
#include <iostream>
#include <memory>
#include <string>

#include "rcls/arm/serial_port.hpp"
#include "rcls/arm_tools/arm_tools.hpp"

#include "cmd_arm.hpp"

namespace rcls::cli {
namespace {

struct SetupOptions {
    ArmTarget given;  ///< --port, or LeRobot's --robot.port / --teleop.port.
    bool yes = false;
};

int run_setup(const SetupOptions& options, const LerobotArmFlags& lerobot) {
    const std::string path = *lerobot.resolve(options.given).port;
    auto port = arm::open_serial_port(path);
    auto prompter = make_prompter(options.yes, 0.0, port->clock());
    arm_tools::setup_motors(*port, *prompter);
    std::cout << "all six motors of " << path << " have their ids (1-6) and run at 1 Mbaud"
              << std::endl;
    return 0;
}

}  // namespace

void register_arm_setup_motors(CLI::App& arm_app, const GlobalOptions&, Commands& commands) {
    auto setup = std::make_shared<SetupOptions>();
    CLI::App* setup_app = arm_app.add_subcommand(
        "setup-motors",
        "Give each motor its id (1-6) and 1 Mbaud, one motor at a time, gripper first");
    add_port_option(setup_app, setup->given.port);
    const LerobotArmFlags lerobot(*setup_app, 0);
    setup_app->add_flag("-y,--yes", setup->yes, kYesHelp);
    commands.push_back({setup_app, [setup, lerobot] { return run_setup(*setup, lerobot); }});
}

}  // namespace rcls::cli
