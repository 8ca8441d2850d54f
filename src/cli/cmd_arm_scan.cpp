// SPDX-License-Identifier: MIT
//
// `rcls arm scan --port P [--json] [--all-bauds] [--baud B]`: the servos answering on a bus.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "rcls/arm_tools/arm_tools.hpp"
#include "rcls/core/error.hpp"

#include "cmd_arm.hpp"

namespace rcls::cli {
namespace {

struct ScanOptions {
    ArmTarget given;  ///< --port, or LeRobot's --robot.port / --teleop.port.
    bool json = false;
    bool all_bauds = false;
    int baud = arm::kDefaultBaudRate;
};

int run_scan(const ScanOptions& options, const LerobotArmFlags& lerobot) {
    const std::string port = *lerobot.resolve(options.given).port;
    std::vector<int> bauds{options.baud};
    if (options.all_bauds) {
        bauds.assign(arm::kScanBaudRates.begin(), arm::kScanBaudRates.end());
    }
    const auto servos = arm_tools::scan_port(port, bauds);
    if (servos.empty()) {
        // Nothing found is a failure of what was asked (exit 4), and the advice fits the scan.
        throw DeviceError(
            "no servo answered on " + port +
            (options.all_bauds ? " at any speed LeRobot scans"
                               : " at " + std::to_string(options.baud) + " baud") +
            "; is the board powered and the bus cable plugged into the servos?" +
            (options.all_bauds ? "" : " (try --all-bauds for motors at another speed)"));
    }
    std::cout << (options.json ? arm_tools::scan_to_json(servos) + "\n"
                               : arm_tools::format_scan(servos, port));
    return 0;
}

}  // namespace

void register_arm_scan(CLI::App& arm_app, const GlobalOptions&, Commands& commands) {
    auto scan = std::make_shared<ScanOptions>();
    CLI::App* scan_app = arm_app.add_subcommand(
        "scan", "List the servos answering on a bus: id, model (777 = STS3215), firmware");
    add_port_option(scan_app, scan->given.port);
    const LerobotArmFlags lerobot(*scan_app, 0);
    scan_app->add_flag("--json", scan->json, "Print a JSON list instead of a table");
    scan_app->add_option("--baud", scan->baud, "Bus speed")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    scan_app->add_flag("--all-bauds", scan->all_bauds,
                       "Try every speed LeRobot scans (4800 to 1000000 baud)");
    commands.push_back({scan_app, [scan, lerobot] { return run_scan(*scan, lerobot); }});
}

}  // namespace rcls::cli
