// SPDX-License-Identifier: MIT
//
// The teleoperation loop (lerobot-teleoperate): teleop_step() — follower read, leader read,
// follower goals — on the core FixedRateLoop (absolute deadlines on the arms' clock), with
// loop-time statistics. While it runs it emits a StatusEvent{source "teleop"} every
// status_interval_s; it never draws on the terminal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "rcls/arm/arm.hpp"
#include "rcls/core/fixed_rate_loop.hpp"

namespace rcls::arm_tools {

/// Settings of run_teleop().
struct TeleopOptions {
    int fps = 60;                      ///< Loop rate (LeRobot's default).
    std::optional<double> duration_s;  ///< Stop after this long; null: until Ctrl-C.
    double status_interval_s = 1.0;    ///< How often a StatusEvent is emitted.
    /// A step whose bus reads fail even after their retries (LeRobot's "There is no status
    /// packet!", e.g. under heavy CPU load) is ridden through: the follower holds its last goal,
    /// the step is counted and warned about. Only failures lasting this long in a row stop the
    /// loop (with the error; the caller's TorqueOffGuard turns torque off).
    double max_lost_s = 0.5;
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
    std::size_t overruns = 0;    ///< Steps whose work took longer than the period.
    std::size_t late_steps = 0;  ///< Steps that started over a tenth of a period late.
    std::uint64_t follower_retries = 0;
    std::uint64_t leader_retries = 0;
    std::uint64_t clamped_goals = 0;  ///< Goals limited by max_relative_target.
    std::size_t lost_steps = 0;       ///< Steps ridden through after a failed read.
};

/// The teleop statistics of a loop's statistics and the two arms' counters.
LoopStats teleop_stats(const LoopStatistics& loop,
                       const arm::Arm& leader,
                       const arm::Arm& follower);

/// Runs teleop_step() at options.fps until interrupted() (Ctrl-C), options.duration_s, a hook's
/// kStop, or a DeviceError (thrown). Time comes from the arms' clock, which leader and follower
/// must share (steady for hardware; one VirtualClock for simulated arms), else UsageError.
/// `hook` (optional) runs after every step, after the status. Returns the final statistics. The
/// caller turns torque off afterwards (TorqueOffGuard).
LoopStats run_teleop(arm::Arm& leader,
                     arm::Arm& follower,
                     const TeleopOptions& options,
                     const FixedRateLoop::Step& hook = {});

/// "600 steps in 10.0 s (60.0 Hz); loop p50 16.67 ms, p99 16.91 ms, max 17.40 ms; ..."
std::string describe_loop(const LoopStats& stats);

/// The live status line: "60.0 Hz  loop p50 16.67 ms  p99 16.84 ms  max 17.50 ms  retries 0/0".
std::string status_line(const LoopStats& stats);

/// The statistics as one JSON object.
std::string loop_stats_to_json(const LoopStats& stats);

}  // namespace rcls::arm_tools
