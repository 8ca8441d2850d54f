// SPDX-License-Identifier: MIT
#include "rcls/arm/teleop.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "rcls/core/interrupt.hpp"
#include "rcls/core/stats.hpp"

namespace rcls::arm {
namespace {

using Clock = SerialPort::Clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

LoopStats summarize(const std::vector<double>& loop_ms,
                    const std::vector<double>& step_ms,
                    double elapsed_s,
                    std::size_t overruns,
                    So101Arm& leader,
                    So101Arm& follower) {
    LoopStats stats;
    stats.steps = step_ms.size();
    stats.elapsed_s = elapsed_s;
    stats.rate_hz = elapsed_s > 0 ? static_cast<double>(stats.steps) / elapsed_s : 0.0;
    stats.loop_p50_ms = percentile(loop_ms, 50);
    stats.loop_p99_ms = percentile(loop_ms, 99);
    stats.loop_max_ms = loop_ms.empty() ? 0.0 : *std::max_element(loop_ms.begin(), loop_ms.end());
    stats.step_p50_ms = percentile(step_ms, 50);
    stats.step_p99_ms = percentile(step_ms, 99);
    stats.overruns = overruns;
    stats.follower_retries = follower.bus().stats().retries;
    stats.leader_retries = leader.bus().stats().retries;
    stats.clamped_goals = follower.clamped_goals();
    return stats;
}

}  // namespace

LoopStats run_teleop(So101Arm& leader,
                     So101Arm& follower,
                     const TeleopOptions& options,
                     const std::function<void(const LoopStats&)>& on_status) {
    SerialPort& clock = follower.port();
    const auto period = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(1.0 / std::max(1, options.fps)));
    const auto status_every = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(options.status_interval_s));
    std::vector<double> loop_ms;
    std::vector<double> step_ms;
    std::size_t overruns = 0;
    const Clock::time_point start = clock.now();
    Clock::time_point next = start;
    Clock::time_point last_status = start;
    std::optional<Clock::time_point> previous;
    while (!interrupted()) {
        const Clock::time_point begin = clock.now();
        if (options.duration_s &&
            std::chrono::duration<double>(begin - start).count() >= *options.duration_s) {
            break;
        }
        if (previous) loop_ms.push_back(ms_between(*previous, begin));
        previous = begin;
        teleop_step(leader, follower);
        const Clock::time_point end = clock.now();
        step_ms.push_back(ms_between(begin, end));
        if (on_status && end - last_status >= status_every) {
            last_status = end;
            on_status(summarize(loop_ms, step_ms, ms_between(start, end) / 1000.0, overruns, leader,
                                follower));
        }
        next += period;
        if (end > next) {  // too slow: start the next step at once, without a burst to catch up
            ++overruns;
            next = end;
        }
        clock.sleep_until(next);
        leader.port().sleep_until(next);  // keeps an in-process simulated leader's clock in step
    }
    return summarize(loop_ms, step_ms, ms_between(start, clock.now()) / 1000.0, overruns, leader,
                     follower);
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
    json["follower_retries"] = stats.follower_retries;
    json["leader_retries"] = stats.leader_retries;
    json["clamped_goals"] = stats.clamped_goals;
    return json.dump();
}

}  // namespace rcls::arm
