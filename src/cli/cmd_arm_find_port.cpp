// SPDX-License-Identifier: MIT
//
// `rcls arm find-port [--list]`: lerobot-find-port (rcls/arm_tools/arm_tools.hpp).
#include <iostream>
#include <memory>
#include <string>

#include "rcls/arm_tools/arm_tools.hpp"

#include "cmd_arm.hpp"

namespace rcls::cli {
namespace {

struct FindPortOptions {
    bool list = false;
    std::string dev_dir = "/dev";
};

int run_find_port(const FindPortOptions& options) {
    if (options.list) {
        const std::vector<std::string> ports =
            arm_tools::likely_adapters(arm_tools::list_serial_ports(options.dev_dir));
        for (const std::string& port : ports) {
            std::cout << port << "\n";
        }
        if (ports.empty()) {  // say so, on stderr: stdout stays a list (empty) for scripts
            std::cerr << "no USB serial adapter in " << options.dev_dir
                      << " (is the arm's USB cable plugged in?)" << std::endl;
        }
        return 0;
    }
    ConsolePrompter prompter;
    std::cout << arm_tools::find_port(prompter, options.dev_dir) << std::endl;
    return 0;
}

}  // namespace

void register_arm_find_port(CLI::App& arm_app, const GlobalOptions&, Commands& commands) {
    auto find = std::make_shared<FindPortOptions>();
    CLI::App* find_app = arm_app.add_subcommand(
        "find-port", "Find the arm's serial port: the one that disappears when you unplug it");
    find_app->add_flag("--list", find->list, "Only list the USB serial adapters present now");
    find_app->add_option("--dev-dir", find->dev_dir, "Where device nodes are (default /dev)")
        ->group("");
    commands.push_back({find_app, [find] { return run_find_port(*find); }});
}

}  // namespace rcls::cli
