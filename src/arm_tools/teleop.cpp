// SPDX-License-Identifier: MIT
#include "rcls/arm_tools/teleop.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

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
    const LoopStatistics stats = loop.run([&](const StepTiming&) {
        arm::teleop_step(leader, follower);
        return LoopControl::kContinue;
    });
    return teleop_stats(stats, leader, follower);
}

std::string describe_loop(const LoopStats& stats) {
    char buffer[512];
    std::snprintf(buffer, sizeof buffer,
                  "%zu steps in %.1f s (%.1f Hz); loop p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
                  "bus work p50 %.2f ms, p99 %.2f ms; %zu overruns; retries: follower %llu, "
                  "leader %llu; %llu goals clamped",
                  stats.steps, stats.elapsed_s, stats.rate_hz, stats.loop_p50_ms, stats.loop_p99_ms,
                  stats.loop_max_ms, stats.step_p50_ms, stats.step_p99_ms, stats.overruns,
                  static_cast<unsigned long long>(stats.follower_retries),
                  static_cast<unsigned long long>(stats.leader_retries),
                  static_cast<unsigned long long>(stats.clamped_goals));
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
    return json.dump();
}

}  // namespace rcls::arm_tools
