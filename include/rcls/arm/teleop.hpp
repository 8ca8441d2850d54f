// SPDX-License-Identifier: MIT
//
// The teleoperation loop (lerobot-teleoperate): at a fixed rate, one teleop_step() — follower read,
// leader read, follower goals — with loop-time statistics. The loop paces itself on absolute
// deadlines, so one slow step does not shift the ones after it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rcls/arm/so101.hpp"
#include "rcls/core/stats.hpp"

namespace rcls::arm {

/// Settings of run_teleop().
struct TeleopOptions {
    int fps = 60;                      ///< Loop rate (LeRobot's default).
    std::optional<double> duration_s;  ///< Stop after this long; null: until Ctrl-C.
    double status_interval_s = 1.0;    ///< How often on_status is called.
};

/// Loop-time statistics: the time from one step's start to the next's.
struct LoopStats {
    std::size_t steps = 0;
    double elapsed_s = 0;
    double rate_hz = 0;      ///< Steps per second over the whole run.
    double loop_p50_ms = 0;  ///< Median loop time.
    double loop_p99_ms = 0;
    double loop_max_ms = 0;
    double step_p50_ms = 0;  ///< Median time of the bus work in a step (reads and write).
    double step_p99_ms = 0;
    std::size_t overruns = 0;  ///< Steps whose work took longer than the period.
    std::uint64_t follower_retries = 0;
    std::uint64_t leader_retries = 0;
    std::uint64_t clamped_goals = 0;  ///< Goals limited by max_relative_target.
};

/// Runs teleop_step() at options.fps until interrupted() (Ctrl-C), options.duration_s, or a
/// DeviceError (thrown). Time comes from the follower's port (virtual for the in-process
/// simulator). `on_status` gets the statistics so far every options.status_interval_s. Returns the
/// final statistics. The caller turns torque off afterwards (TorqueOffGuard).
LoopStats run_teleop(So101Arm& leader,
                     So101Arm& follower,
                     const TeleopOptions& options,
                     const std::function<void(const LoopStats&)>& on_status = {});

/// "600 steps in 10.0 s (60.0 Hz); loop p50 16.67 ms, p99 16.91 ms, max 17.40 ms; ..."
std::string describe_loop(const LoopStats& stats);

/// The statistics as one JSON object.
std::string loop_stats_to_json(const LoopStats& stats);

}  // namespace rcls::arm
