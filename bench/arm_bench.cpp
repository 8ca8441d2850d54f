// SPDX-License-Identifier: MIT
//
// Servo-bus throughput and teleoperation jitter over the simulated SO-101 bus on a pseudo-terminal,
// driven by the real PosixSerialPort (scripts/bench_arm.sh runs it and prints medians and ratios).
//
//   BM_Ping                 baseline: one PING round trip (6 bytes each way)
//   BM_SyncRead6Positions   one SYNC_READ of Present_Position from ids 1-6 (what teleop does)
//   BM_Read6PositionsSingly six READs, one per servo (the alternative to SYNC_READ)
//   BM_TeleopLoop60Fps      teleop_step() at 60 fps for 5 s on two buses (core FixedRateLoop on
//                           the steady clock): loop-time p50/p99
//
// Arg 1: the simulator models wire time (10 bits per byte at 1 Mbaud, as a real bus); arg 0: it
// answers at once, which measures the host side (pty, driver, parser) alone.
#include <cstdlib>
#include <filesystem>

#include <benchmark/benchmark.h>

#include "rcls/arm/calibration.hpp"
#include "rcls/arm/serial_port.hpp"
#include "rcls/arm/servo_bus.hpp"
#include "rcls/arm/sim_bus.hpp"
#include "rcls/arm/so101.hpp"
#include "rcls/arm_tools/teleop.hpp"
#include "rcls/core/error.hpp"

namespace {

using namespace rcls::arm;
using rcls::steady_clock;
using rcls::arm_tools::LoopStats;
using rcls::arm_tools::run_teleop;
using rcls::arm_tools::TeleopOptions;

/// A fresh folder under $TMPDIR for the calibration files, removed afterwards.
struct ScratchDir {
    ScratchDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "rcls-bench-XXXXXX").string();
        path = ::mkdtemp(pattern.data());
    }
    ~ScratchDir() {
        std::error_code error;
        std::filesystem::remove_all(path, error);
    }
    std::filesystem::path path;
};

/// A simulated bus on a pty with the real driver on it.
struct PtyBus {
    explicit PtyBus(bool wire_time, SimMotion motion = SimMotion::kStill) {
        SimOptions options;
        options.wire_time = wire_time;
        options.motion = motion;
        sim = std::make_shared<SimBus>(options, steady_clock().now());
        server = std::make_unique<PtySimServer>(sim);
        server->start();
        port = open_serial_port(server->path());
        bus = std::make_unique<ServoBus>(*port);
        const std::vector<std::uint8_t> ids{1, 2, 3, 4, 5, 6};
        for (const std::uint8_t id : ids)
            bus->write("Return_Delay_Time", id, 0, kHandshakeRetries);
    }

    std::shared_ptr<SimBus> sim;
    std::unique_ptr<PtySimServer> server;
    std::unique_ptr<SerialPort> port;
    std::unique_ptr<ServoBus> bus;
};

const std::vector<std::uint8_t> kIds{1, 2, 3, 4, 5, 6};

void BM_Ping(benchmark::State& state) {
    PtyBus pty(state.range(0) != 0);
    std::size_t failed = 0;
    for (auto _ : state)
        failed += pty.bus->ping(1).result == CommResult::kSuccess ? 0 : 1;
    state.counters["per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["failed"] = static_cast<double>(failed);
    state.counters["retries"] = static_cast<double>(pty.bus->stats().retries);
}

void BM_SyncRead6Positions(benchmark::State& state) {
    PtyBus pty(state.range(0) != 0);
    const Register& present = find_register("Present_Position");
    std::size_t failed = 0;
    for (auto _ : state)
        failed += pty.bus->try_sync_read(present, kIds, 2).failed.empty() ? 0 : 1;
    state.counters["failed"] = static_cast<double>(failed);
    state.counters["per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["retries"] = static_cast<double>(pty.bus->stats().retries);
}

void BM_Read6PositionsSingly(benchmark::State& state) {
    PtyBus pty(state.range(0) != 0);
    const Register& present = find_register("Present_Position");
    std::size_t failed = 0;
    for (auto _ : state) {
        for (const std::uint8_t id : kIds) {
            try {
                benchmark::DoNotOptimize(pty.bus->read(present, id, 2));
            } catch (const rcls::DeviceError&) {
                ++failed;  // a stall past the 50 ms timeout on a loaded machine
            }
        }
    }
    state.counters["failed"] = static_cast<double>(failed);
    state.counters["per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["retries"] = static_cast<double>(pty.bus->stats().retries);
}

void BM_TeleopLoop60Fps(benchmark::State& state) {
    ScratchDir dir;
    Calibration calibration;
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        calibration.emplace_back(std::string(kJointNames[i]),
                                 MotorCalibration{kJointIds[i], 0, 0, 1000, 3000});
    }
    save_calibration(dir.path / "leader.json", calibration);
    save_calibration(dir.path / "follower.json", calibration);
    const bool wire_time = state.range(0) != 0;
    SimOptions leader_sim;
    leader_sim.wire_time = wire_time;
    SimOptions follower_sim = leader_sim;
    follower_sim.motion = SimMotion::kStill;
    auto make_server = [](const SimOptions& options) {
        auto server =
            std::make_unique<PtySimServer>(std::make_shared<SimBus>(options, steady_clock().now()));
        server->start();
        return server;
    };
    auto leader_server = make_server(leader_sim);
    auto follower_server = make_server(follower_sim);
    auto arm_options = [&](ArmRole role, const std::string& port) {
        ArmOptions options;
        options.role = role;
        options.id = to_string(role);
        options.port = port;
        options.calibration_dir = dir.path.string();
        return options;
    };
    So101Arm leader(arm_options(ArmRole::kLeader, leader_server->path()));
    So101Arm follower(arm_options(ArmRole::kFollower, follower_server->path()));
    TorqueOffGuard guard(follower);
    leader.connect();
    follower.connect();
    LoopStats stats;
    for (auto _ : state)
        stats = run_teleop(leader, follower, TeleopOptions{60, 5.0, 10.0});
    state.counters["steps"] = static_cast<double>(stats.steps);
    state.counters["rate_hz"] = stats.rate_hz;
    state.counters["loop_p50_ms"] = stats.loop_p50_ms;
    state.counters["loop_p99_ms"] = stats.loop_p99_ms;
    state.counters["loop_max_ms"] = stats.loop_max_ms;
    state.counters["step_p50_ms"] = stats.step_p50_ms;
    state.counters["step_p99_ms"] = stats.step_p99_ms;
    state.counters["overruns"] = static_cast<double>(stats.overruns);
    state.counters["late_steps"] = static_cast<double>(stats.late_steps);
}

// Wall-clock time: the bus waits, the CPU mostly sleeps.
BENCHMARK(BM_Ping)->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_SyncRead6Positions)->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_Read6PositionsSingly)->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_TeleopLoop60Fps)->Arg(1)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
