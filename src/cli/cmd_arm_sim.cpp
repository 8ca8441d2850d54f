// SPDX-License-Identifier: MIT
//
// `rcls arm sim [--link PATH] [--still] [--factory] [faults...]`: serves a simulated SO-101 bus on
// a pseudo-terminal until stopped (rcls/arm_tools/arm_tools.hpp, rcls/arm/sim_bus.hpp).
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "rcls/arm/protocol.hpp"
#include "rcls/arm/sim_bus.hpp"
#include "rcls/arm_tools/arm_tools.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/sim/serve.hpp"

#include "cmd_arm.hpp"

namespace rcls::cli {
namespace {

struct SimCliOptions {
    std::optional<std::string> link;
    std::vector<int> ids{1, 2, 3, 4, 5, 6};
    bool still = false;
    bool factory = false;
    int factory_baud = arm::kDefaultBaudRate;
    unsigned seed = 1;
    bool no_wire_time = false;
    std::optional<double> duration_s;
    std::string drop, corrupt, truncate, garbage, delay;
    std::string error_bits = "0x20";
    std::vector<int> error_ids, missing, wrong_model, old_firmware;
    bool echo = false;
    std::string scene;                       // "reach_grasp": src/sim/serve.cpp
    std::optional<std::string> leader_link;  // with --scene
};

arm::FaultRate fault_rate(const std::string& text, const char* flag) {
    if (text.empty()) return {};
    const auto rate = arm::parse_fault_rate(text);
    if (!rate) {
        throw UsageError(std::string(flag) + " " + text +
                         ": expected a probability (0.05 or 5%) or every n-th reply (1/10)");
    }
    return *rate;
}

std::vector<std::uint8_t> to_ids(const std::vector<int>& values, const char* flag) {
    std::vector<std::uint8_t> ids;
    for (const int value : values) {
        if (value < 0 || value > arm::protocol::kMaxId) {
            throw UsageError(std::string(flag) + ": servo ids are 0 to 252, got " +
                             std::to_string(value));
        }
        ids.push_back(static_cast<std::uint8_t>(value));
    }
    return ids;
}

int run_sim(const SimCliOptions& options) {
    if (!options.scene.empty()) {  // the simulated task: follower and leader buses, and the scene
        const auto report = sim::serve_reach_grasp(
            {options.seed, options.link, options.leader_link, options.duration_s},
            [](const std::string& follower, const std::string& leader) {
                std::cout << follower << "\n" << leader << std::endl;  // follower, then leader
            });
        spdlog::info("reach-and-grasp scene: {} attempts, {} successes", report.episodes,
                     report.successes);
        reset_interrupt();
        return 0;
    }
    arm::SimOptions sim;
    sim.ids = to_ids(options.ids, "--ids");
    sim.motion = options.still ? arm::SimMotion::kStill : arm::SimMotion::kPerson;
    sim.factory_setup = options.factory;
    sim.factory_baud_rate = options.factory_baud;
    sim.seed = options.seed;
    sim.wire_time = !options.no_wire_time;
    arm::SimFaults& faults = sim.faults;
    faults.drop = fault_rate(options.drop, "--drop");
    faults.corrupt = fault_rate(options.corrupt, "--corrupt");
    faults.truncate = fault_rate(options.truncate, "--truncate");
    faults.garbage = fault_rate(options.garbage, "--garbage");
    faults.delay = fault_rate(options.delay, "--delay");
    char* end = nullptr;
    const long bits = std::strtol(options.error_bits.c_str(), &end, 0);
    if (options.error_bits.empty() || *end != '\0' || bits < 0 || bits > 0x7F) {
        throw UsageError("--error-bits " + options.error_bits +
                         ": expected a byte such as 0x20 (overload) or 0x01 (voltage)");
    }
    faults.error_bits = static_cast<std::uint8_t>(bits);
    faults.error_ids = to_ids(options.error_ids, "--error-ids");
    faults.missing_ids = to_ids(options.missing, "--missing");
    faults.wrong_model_ids = to_ids(options.wrong_model, "--wrong-model");
    faults.old_firmware_ids = to_ids(options.old_firmware, "--old-firmware");
    faults.echo = options.echo;
    std::optional<std::filesystem::path> link;
    if (options.link) link = *options.link;
    const arm::SimStats stats =
        arm_tools::serve_simulated_bus(sim, link, options.duration_s, [](const std::string& path) {
            std::cout << path << std::endl;  // scripts read the path from the first line
            spdlog::info("simulated SO-101 bus served on {}; Ctrl-C stops it", path);
        });
    spdlog::info(
        "simulated bus: {} requests, {} replies ({} dropped, {} corrupted, {} truncated, "
        "{} with garbage, {} delayed)",
        stats.requests, stats.replies, stats.dropped, stats.corrupted, stats.truncated,
        stats.garbage, stats.delayed);
    reset_interrupt();  // being stopped is how a simulator ends: exit 0
    return 0;
}

}  // namespace

void register_arm_sim(CLI::App& arm_app, const GlobalOptions&, Commands& commands) {
    auto sim = std::make_shared<SimCliOptions>();
    CLI::App* sim_app = arm_app.add_subcommand(
        "sim", "Serve a simulated SO-101 servo bus on a pseudo-terminal until stopped");
    sim_app->add_option("--link", sim->link, "Also make this path a link to the terminal");
    sim_app->add_option("--ids", sim->ids, "Servo ids on the bus, comma-separated")
        ->delimiter(',')
        ->capture_default_str();
    sim_app->add_flag("--still", sim->still,
                      "Joints with torque off stay still (default: a person moves them)");
    sim_app->add_flag("--factory", sim->factory,
                      "Fresh motors (all id 1), plugged in one at a time, for setup-motors");
    sim_app->add_option("--factory-baud", sim->factory_baud, "Speed of the fresh motors")
        ->check(CLI::IsMember({1000000, 500000, 250000, 128000, 115200, 57600, 38400, 19200}));
    sim_app->add_option("--seed", sim->seed, "Seed of the person's motion and the faults");
    sim_app->add_flag("--no-wire-time", sim->no_wire_time,
                      "Replies arrive at once instead of at 10 bits per byte");
    sim_app->add_option("--duration", sim->duration_s, "Stop after this many seconds")
        ->check(CLI::PositiveNumber);
    const char* kFaults = "Fault injection (rates: 0.05, 5% or 1/10 for every tenth reply)";
    sim_app->add_option("--drop", sim->drop, "Replies never sent")->group(kFaults);
    sim_app->add_option("--corrupt", sim->corrupt, "Replies with a wrong checksum")->group(kFaults);
    sim_app->add_option("--truncate", sim->truncate, "Replies cut short")->group(kFaults);
    sim_app->add_option("--garbage", sim->garbage, "Noise bytes before replies")->group(kFaults);
    sim_app->add_option("--delay", sim->delay, "Replies 100 ms late (past the timeout)")
        ->group(kFaults);
    sim_app
        ->add_option("--error-bits", sim->error_bits,
                     "Error bits of --error-ids' replies (0x01 voltage ... 0x20 overload)")
        ->group(kFaults);
    sim_app->add_option("--error-ids", sim->error_ids, "Servos reporting --error-bits")
        ->delimiter(',')
        ->group(kFaults);
    sim_app->add_option("--missing", sim->missing, "Servos that never answer")
        ->delimiter(',')
        ->group(kFaults);
    sim_app->add_option("--wrong-model", sim->wrong_model, "Servos reporting model 2825")
        ->delimiter(',')
        ->group(kFaults);
    sim_app->add_option("--old-firmware", sim->old_firmware, "Servos with firmware 3.9")
        ->delimiter(',')
        ->group(kFaults);
    sim_app
        ->add_flag("--echo", sim->echo,
                   "The line echoes every packet sent (an adapter without echo suppression)")
        ->group(kFaults);
    sim_app
        ->add_option("--scene", sim->scene,
                     "Serve the simulated task: follower (--link) and "
                     "leader (--leader-link) buses, a person moving the leader")
        ->check(CLI::IsMember({"reach_grasp"}));
    sim_app->add_option("--leader-link", sim->leader_link, "With --scene: link to the leader's");
    commands.push_back({sim_app, [sim] { return run_sim(*sim); }});
}

}  // namespace rcls::cli
