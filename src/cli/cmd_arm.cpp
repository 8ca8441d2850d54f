// SPDX-License-Identifier: MIT
//
// `rcls arm find-port | scan | setup-motors | calibrate | read | teleop | sim`: the SO-101 arm
// utilities a LeRobot user expects (lerobot-find-port, lerobot-setup-motors, lerobot-calibrate,
// lerobot-teleoperate), plus the simulated servo bus. Parsing and printing only; the workflows are
// in rcls/arm/arm_tools.hpp and rcls/arm/teleop.hpp.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "rcls/arm/arm_tools.hpp"
#include "rcls/arm/teleop.hpp"
#include "rcls/config/config_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/core/log.hpp"
#include "rcls/core/strings.hpp"
#include "rcls/sim/serve.hpp"

#include "command.hpp"

namespace rcls::cli {
namespace {

using arm::ArmRole;

constexpr const char* kYesHelp =
    "Answer every 'press ENTER' at once (scripts, the simulator's person); without it, answers "
    "are read from stdin";

std::unique_ptr<arm::Prompter> make_prompter(
    bool yes, double phase_s, std::function<arm::SerialPort::Clock::time_point()> clock) {
    if (yes) return std::make_unique<arm::AutoPrompter>(phase_s, std::move(clock));
    return std::make_unique<arm::ConsolePrompter>();
}

ArmRole parse_role(const std::string& role) {
    return role == "leader" ? ArmRole::kLeader : ArmRole::kFollower;
}

// ---- find-port ----------------------------------------------------------------------------------

struct FindPortOptions {
    bool list = false;
    std::string dev_dir = "/dev";
};

int run_find_port(const FindPortOptions& options) {
    if (options.list) {
        for (const std::string& port :
             arm::likely_adapters(arm::list_serial_ports(options.dev_dir))) {
            std::cout << port << "\n";
        }
        return 0;
    }
    arm::ConsolePrompter prompter;
    std::cout << arm::find_port(prompter, options.dev_dir) << std::endl;
    return 0;
}

// ---- scan ---------------------------------------------------------------------------------------

struct ScanOptions {
    std::string port;
    bool json = false;
    bool all_bauds = false;
    int baud = arm::kDefaultBaudRate;
};

int run_scan(const ScanOptions& options) {
    std::vector<int> bauds{options.baud};
    if (options.all_bauds) bauds.assign(arm::kScanBaudRates.begin(), arm::kScanBaudRates.end());
    const auto servos = arm::scan_port(options.port, bauds);
    std::cout << (options.json ? arm::scan_to_json(servos) + "\n"
                               : arm::format_scan(servos, options.port));
    return 0;
}

// ---- setup-motors -------------------------------------------------------------------------------

struct SetupOptions {
    std::string port;
    bool yes = false;
};

int run_setup(const SetupOptions& options) {
    auto port = arm::open_serial_port(options.port);
    auto prompter = make_prompter(options.yes, 0.0, [] { return arm::SerialPort::Clock::now(); });
    arm::setup_motors(*port, *prompter);
    std::cout << "all six motors of " << options.port << " have their ids (1-6) and run at 1 Mbaud"
              << std::endl;
    return 0;
}

// ---- calibrate ----------------------------------------------------------------------------------

struct CalibrateOptions {
    std::string port;
    std::string role = "follower";
    std::string id;
    std::optional<std::string> calibration_dir;
    bool yes = false;
    bool force = false;
    double range_seconds = 10.0;
};

int run_calibrate(const CalibrateOptions& options) {
    arm::ArmOptions arm_options;
    arm_options.role = parse_role(options.role);
    arm_options.port = options.port;
    arm_options.id = options.id;
    arm_options.calibration_dir = options.calibration_dir;
    arm::So101Arm arm(arm_options);
    arm::TorqueOffGuard guard(arm);
    arm.connect(arm::ConnectOptions{.use_calibration = false, .configure = true});
    auto prompter =
        make_prompter(options.yes, options.range_seconds, [&arm] { return arm.port().now(); });
    const auto path = arm::calibrate(arm, *prompter, arm::CalibrateOptions{.force = options.force});
    spdlog::info("{}: {}", options.port, arm::describe_stats(arm.bus().stats()));
    std::cout << path.string() << std::endl;
    return 0;
}

// ---- read ---------------------------------------------------------------------------------------

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
    arm_options.role = parse_role(options.role);
    arm_options.port = options.port;
    arm_options.id = options.id.value_or(options.role);
    arm_options.calibration_dir = options.calibration_dir;
    arm_options.use_degrees = !options.range;
    const arm::PositionsReport report = arm::read_positions(arm_options, options.raw);
    spdlog::info("{}: {}", options.port, arm::describe_stats(report.stats));
    std::cout << (options.json ? arm::positions_to_json(report) + "\n"
                               : arm::format_positions(report));
    return 0;
}

// ---- teleop -------------------------------------------------------------------------------------

struct TeleopOptions {
    std::optional<std::string> config_file;
    std::optional<std::string> follower_port;
    std::optional<std::string> leader_port;
    std::optional<std::string> follower_id;
    std::optional<std::string> leader_id;
    std::optional<double> max_relative_target;
    std::optional<std::string> locked_joints;
    int fps = 60;
    std::optional<double> duration_s;
    bool json = false;
};

std::vector<config::Override> teleop_overrides(const TeleopOptions& options) {
    std::vector<config::Override> overrides;
    auto add = [&](const char* flag, const char* pointer, const std::string& json) {
        overrides.push_back({flag, pointer, json});
    };
    // Values go through the JSON library: strings escaped, doubles at full precision.
    const auto json = [](const auto& value) { return nlohmann::json(value).dump(); };
    if (options.follower_port) add("--follower-port", "/robot/port", json(*options.follower_port));
    if (options.leader_port) add("--leader-port", "/teleop/port", json(*options.leader_port));
    if (options.follower_id) add("--follower-id", "/robot/id", json(*options.follower_id));
    if (options.leader_id) add("--leader-id", "/teleop/id", json(*options.leader_id));
    if (options.max_relative_target) {
        add("--max-relative-target", "/robot/max_relative_target",
            json(*options.max_relative_target));
    }
    if (options.locked_joints) {
        std::vector<std::string> joints;
        for (const std::string& joint : split(*options.locked_joints, ',')) {
            if (!joint.empty()) joints.push_back(joint);
        }
        add("--locked-joints", "/locked_joints", json(joints));
    }
    return overrides;
}

int run_teleop(const TeleopOptions& options, const GlobalOptions& globals) {
    const std::optional<std::filesystem::path> file =
        options.config_file ? std::optional<std::filesystem::path>(*options.config_file)
                            : std::nullopt;
    const config::RecordConfig config = config::load_record_config(file, teleop_overrides(options));
    if (globals.print_config) {
        std::cout << config::dump_config(config) << std::endl;
        return 0;
    }
    arm::So101Arm leader(arm::leader_options(config));
    arm::So101Arm follower(arm::follower_options(config));
    arm::TorqueOffGuard guard(follower);
    leader.connect();
    follower.connect();
    spdlog::info("teleoperating {} (follower '{}') from {} (leader '{}') at {} fps; Ctrl-C stops",
                 config.robot.port, config.robot.id, config.teleop.port, config.teleop.id,
                 options.fps);
    // A live status line on a terminal (cleared by the log sink before any log line, and ended
    // with a newline however teleoperation ends), else a log line every 5 s.
    const bool live = progress_bars_enabled();
    struct LiveLine {
        bool live;
        ~LiveLine() {
            if (!live) return;
            detail::set_progress_bar_visible(false);
            std::fputc('\n', stderr);
        }
    };
    double next_line_s = 5.0;
    arm::LoopStats stats;
    {
        const LiveLine live_line{live};
        stats = arm::run_teleop(
            leader, follower, arm::TeleopOptions{options.fps, options.duration_s, 1.0},
            [live, &next_line_s](const arm::LoopStats& now) {
                if (live) {
                    std::fprintf(stderr,
                                 "\r\033[K%6.1f Hz  loop p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms  "
                                 "retries %llu/%llu",
                                 now.rate_hz, now.loop_p50_ms, now.loop_p99_ms, now.loop_max_ms,
                                 static_cast<unsigned long long>(now.follower_retries),
                                 static_cast<unsigned long long>(now.leader_retries));
                    std::fflush(stderr);
                    detail::set_progress_bar_visible(true);
                } else if (progress_lines_enabled() && now.elapsed_s >= next_line_s) {
                    next_line_s = now.elapsed_s + 5.0;
                    spdlog::info("teleop: {}", arm::describe_loop(now));
                }
            });
    }
    follower.disconnect();
    std::cout << (options.json ? arm::loop_stats_to_json(stats)
                               : "teleop: " + arm::describe_loop(stats))
              << std::endl;
    return 0;
}

// ---- sim ----------------------------------------------------------------------------------------

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
    std::string scene;                        // "reach_grasp": src/sim/serve.cpp
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
    std::optional<std::filesystem::path> link;
    if (options.link) link = *options.link;
    const arm::SimStats stats =
        arm::serve_simulated_bus(sim, link, options.duration_s, [](const std::string& path) {
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

CLI::Option* add_port(CLI::App* app, std::string& port) {
    return app->add_option("--port", port, "Serial port of the bus adapter (e.g. /dev/ttyACM0)")
        ->required();
}

}  // namespace

void register_arm(CLI::App& root, const GlobalOptions& globals, Commands& commands) {
    CLI::App* arm_app = root.add_subcommand(
        "arm", "SO-101 arm utilities: find-port, scan, setup-motors, calibrate, read, teleop, sim");
    arm_app->require_subcommand(1);

    auto find = std::make_shared<FindPortOptions>();
    CLI::App* find_app = arm_app->add_subcommand(
        "find-port", "Find the arm's serial port: the one that disappears when you unplug it");
    find_app->add_flag("--list", find->list, "Only list the USB serial adapters present now");
    find_app->add_option("--dev-dir", find->dev_dir, "Where device nodes are (default /dev)")
        ->group("");
    commands.push_back({find_app, [find] { return run_find_port(*find); }});

    auto scan = std::make_shared<ScanOptions>();
    CLI::App* scan_app = arm_app->add_subcommand(
        "scan", "List the servos answering on a bus: id, model (777 = STS3215), firmware");
    add_port(scan_app, scan->port);
    scan_app->add_flag("--json", scan->json, "Print a JSON list instead of a table");
    scan_app->add_option("--baud", scan->baud, "Bus speed")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    scan_app->add_flag("--all-bauds", scan->all_bauds,
                       "Try every speed LeRobot scans (4800 to 1000000 baud)");
    commands.push_back({scan_app, [scan] { return run_scan(*scan); }});

    auto setup = std::make_shared<SetupOptions>();
    CLI::App* setup_app = arm_app->add_subcommand(
        "setup-motors",
        "Give each motor its id (1-6) and 1 Mbaud, one motor at a time, gripper first");
    add_port(setup_app, setup->port);
    setup_app->add_flag("-y,--yes", setup->yes, kYesHelp);
    commands.push_back({setup_app, [setup] { return run_setup(*setup); }});

    auto calibrate = std::make_shared<CalibrateOptions>();
    CLI::App* calibrate_app = arm_app->add_subcommand(
        "calibrate", "Calibrate an arm as LeRobot does and save LeRobot's calibration file");
    add_port(calibrate_app, calibrate->port);
    calibrate_app->add_option("--role", calibrate->role, "Which arm: follower or leader")
        ->check(CLI::IsMember({"follower", "leader"}))
        ->required();
    calibrate_app->add_option("--id", calibrate->id, "Arm id: the calibration file is <id>.json")
        ->required();
    calibrate_app->add_option("--calibration-dir", calibrate->calibration_dir,
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
    commands.push_back({calibrate_app, [calibrate] { return run_calibrate(*calibrate); }});

    auto read = std::make_shared<ReadOptions>();
    CLI::App* read_app = arm_app->add_subcommand(
        "read", "Print the present joint positions (calibrated units, or raw steps with --raw)");
    add_port(read_app, read->port);
    read_app->add_flag("--raw", read->raw, "Raw encoder steps (0-4095); needs no calibration");
    read_app->add_flag("--json", read->json, "One JSON object mapping joint names to values");
    read_app->add_option("--role", read->role, "Which calibration: follower or leader")
        ->check(CLI::IsMember({"follower", "leader"}));
    read_app->add_option("--id", read->id, "Arm id of the calibration file (default: the role)");
    read_app->add_option("--calibration-dir", read->calibration_dir, "Folder of calibration files");
    read_app->add_flag("--range", read->range, "Body joints in -100..100 instead of degrees");
    commands.push_back({read_app, [read] { return run_read(*read); }});

    auto teleop = std::make_shared<TeleopOptions>();
    CLI::App* teleop_app = arm_app->add_subcommand(
        "teleop", "Drive the follower arm from the leader arm, with live loop-time statistics");
    teleop_app
        ->add_option("-c,--config", teleop->config_file,
                     "Record config for the robot and teleop sections and locked joints")
        ->check(CLI::ExistingFile);
    teleop_app->add_option("--follower-port", teleop->follower_port, "Follower arm's serial port");
    teleop_app->add_option("--leader-port", teleop->leader_port, "Leader arm's serial port");
    teleop_app->add_option("--follower-id", teleop->follower_id, "Follower calibration id");
    teleop_app->add_option("--leader-id", teleop->leader_id, "Leader calibration id");
    teleop_app->add_option("--fps", teleop->fps, "Loop rate")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    teleop_app->add_option("--duration", teleop->duration_s, "Stop after this many seconds")
        ->check(CLI::PositiveNumber);
    teleop_app
        ->add_option("--max-relative-target", teleop->max_relative_target,
                     "Largest goal change per step, in degrees (default: none)")
        ->check(CLI::PositiveNumber);
    teleop_app->add_option("--locked-joints", teleop->locked_joints,
                           "Joints held still, comma-separated (e.g. wrist_roll,gripper)");
    teleop_app->add_flag("--json", teleop->json, "Print the final statistics as JSON");
    commands.push_back(
        {teleop_app, [teleop, &globals] { return run_teleop(*teleop, globals); }, true});

    auto sim = std::make_shared<SimCliOptions>();
    CLI::App* sim_app = arm_app->add_subcommand(
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
    sim_app->add_option("--scene", sim->scene, "Serve the simulated task: follower (--link) and "
                        "leader (--leader-link) buses, a person moving the leader")
        ->check(CLI::IsMember({"reach_grasp"}));
    sim_app->add_option("--leader-link", sim->leader_link, "With --scene: link to the leader's");
    commands.push_back({sim_app, [sim] { return run_sim(*sim); }});
}

}  // namespace rcls::cli
