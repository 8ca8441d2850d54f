// SPDX-License-Identifier: MIT
#include "rcls/arm_tools/teleop.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"
#include "rcls/core/events.hpp"

namespace rcls::arm_tools {

LoopStats teleop_stats(const LoopStatistics& loop,
                       const arm::Arm& leader,
                       const arm::Arm& follower) {
    LoopStats stats;
    stats.steps = loop.steps;
    stats.elapsed_s = loop.elapsed_s;
    stats.rate_hz = loop.rate_hz;
    stats.loop_p50_ms = loop.period_p50_ms;
    stats.loop_p99_ms = loop.period_p99_ms;
    stats.loop_max_ms = loop.period_max_ms;
    stats.step_p50_ms = loop.work_p50_ms;
    stats.step_p99_ms = loop.work_p99_ms;
    stats.overruns = loop.overruns;
    stats.late_steps = loop.late_steps;
    stats.follower_retries = follower.bus_stats().retries;
    stats.leader_retries = leader.bus_stats().retries;
    stats.clamped_goals = follower.clamped_goals();
    return stats;
}

LoopStats run_teleop(arm::Arm& leader,
                     arm::Arm& follower,
                     const TeleopOptions& options,
                     const FixedRateLoop::Step& hook) {
    Clock& clock = follower.clock();
    if (&leader.clock() != &clock) {
        throw UsageError("teleop: the leader (" + leader.describe() + ") and the follower (" +
                         follower.describe() + ") run on different clocks; give both one clock");
    }
    FixedRateLoopOptions loop_options;
    loop_options.fps = options.fps;
    loop_options.duration_s = options.duration_s;
    loop_options.realtime_priority = kControlLoopPriority;
    FixedRateLoop loop(clock, loop_options);
    const Clock::duration status_every = seconds_to_duration(options.status_interval_s);
    Clock::time_point last_status = clock.now();
    loop.add_hook([&](const StepTiming& timing) {
        if (timing.end - last_status >= status_every) {
            last_status = timing.end;
            emit(StatusEvent{
                "teleop", status_line(teleop_stats(loop.statistics(), leader, follower)), false});
        }
        return LoopControl::kContinue;
    });
    if (hook) loop.add_hook(hook);
    std::size_t lost = 0;
    Clock::time_point lost_since{};
    std::size_t lost_in_a_row = 0;
    const Clock::duration max_lost = seconds_to_duration(options.max_lost_s);
    const LoopStatistics stats = loop.run([&](const StepTiming& timing) {
        try {
            arm::teleop_step(leader, follower);
            lost_in_a_row = 0;
        } catch (const DeviceError& e) {
            // A transient miss: hold the last goal (nothing is written this step) and go on;
            // a loss that lasts stops the arm.
            if (lost_in_a_row++ == 0) lost_since = timing.start;
            ++lost;
            if (timing.start - lost_since >= max_lost) {
                throw DeviceError(std::string(e.what()) + " (the bus failed for " +
                                  std::to_string(lost_in_a_row) + " steps in a row, " +
                                  std::to_string(options.max_lost_s) + " s; teleop stopped)");
            }
            if (lost_in_a_row == 1) {
                spdlog::warn("teleop: a read failed; the follower holds its last goal: {}",
                             e.what());
            }
        }
        return LoopControl::kContinue;
    });
    LoopStats result = teleop_stats(stats, leader, follower);
    result.lost_steps = lost;
    return result;
}

std::string describe_loop(const LoopStats& stats) {
    char buffer[512];
    std::snprintf(buffer, sizeof buffer,
                  "%zu steps in %.1f s (%.1f Hz); loop p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
                  "bus work p50 %.2f ms, p99 %.2f ms; %zu overruns; retries: follower %llu, "
                  "leader %llu; %llu goals clamped; %zu steps lost",
                  stats.steps, stats.elapsed_s, stats.rate_hz, stats.loop_p50_ms, stats.loop_p99_ms,
                  stats.loop_max_ms, stats.step_p50_ms, stats.step_p99_ms, stats.overruns,
                  static_cast<unsigned long long>(stats.follower_retries),
                  static_cast<unsigned long long>(stats.leader_retries),
                  static_cast<unsigned long long>(stats.clamped_goals), stats.lost_steps);
    return buffer;
}

std::string status_line(const LoopStats& stats) {
    char buffer[256];
    std::snprintf(buffer, sizeof buffer,
                  "%6.1f Hz  loop p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms  retries %llu/%llu",
                  stats.rate_hz, stats.loop_p50_ms, stats.loop_p99_ms, stats.loop_max_ms,
                  static_cast<unsigned long long>(stats.follower_retries),
                  static_cast<unsigned long long>(stats.leader_retries));
    return buffer;
}

std::string loop_stats_to_json(const LoopStats& stats) {
    nlohmann::ordered_json json;
    json["steps"] = stats.steps;
    json["elapsed_s"] = stats.elapsed_s;
    json["rate_hz"] = stats.rate_hz;
    json["loop_p50_ms"] = stats.loop_p50_ms;
    json["loop_p99_ms"] = stats.loop_p99_ms;
    json["loop_max_ms"] = stats.loop_max_ms;
    json["step_p50_ms"] = stats.step_p50_ms;
    json["step_p99_ms"] = stats.step_p99_ms;
    json["overruns"] = stats.overruns;
    json["late_steps"] = stats.late_steps;
    json["follower_retries"] = stats.follower_retries;
    json["leader_retries"] = stats.leader_retries;
    json["clamped_goals"] = stats.clamped_goals;
    json["lost_steps"] = stats.lost_steps;
    return json.dump();
}

}  // namespace rcls::arm_tools
