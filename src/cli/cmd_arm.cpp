// SPDX-License-Identifier: MIT
//
// `rcls arm find-port | scan | setup-motors | calibrate | read | teleop | sim`: the SO-101 arm
// utilities a LeRobot user expects (lerobot-find-port, lerobot-setup-motors, lerobot-calibrate,
// lerobot-teleoperate), plus the simulated servo bus. One file per verb (cmd_arm_<verb>.cpp);
// parsing and printing only, the workflows are in rcls/arm_tools/.
#include "cmd_arm.hpp"

#include "rcls/arm/serial_port.hpp"

namespace rcls::cli {

CLI::Option* add_port_option(CLI::App* app, std::string& port) {
    return app->add_option("--port", port, "Serial port of the bus adapter (e.g. /dev/ttyACM0)")
        ->required();
}

std::unique_ptr<arm_tools::Prompter> make_prompter(bool yes, double phase_s, Clock& clock) {
    if (yes) return std::make_unique<arm_tools::AutoPrompter>(phase_s, clock);
    return std::make_unique<ConsolePrompter>();
}

void register_arm(CLI::App& root, const GlobalOptions& globals, Commands& commands) {
    CLI::App* arm_app = root.add_subcommand(
        "arm", "SO-101 arm utilities: find-port, scan, setup-motors, calibrate, read, teleop, sim");
    arm_app->require_subcommand(1);
    register_arm_find_port(*arm_app, globals, commands);
    register_arm_scan(*arm_app, globals, commands);
    register_arm_setup_motors(*arm_app, globals, commands);
    register_arm_calibrate(*arm_app, globals, commands);
    register_arm_read(*arm_app, globals, commands);
    register_arm_teleop(*arm_app, globals, commands);
    register_arm_sim(*arm_app, globals, commands);
}

}  // namespace rcls::cli
