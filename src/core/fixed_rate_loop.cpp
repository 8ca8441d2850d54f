// SPDX-License-Identifier: MIT
#include "rcls/core/fixed_rate_loop.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "rcls/core/error.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/core/parallel.hpp"
#include "rcls/core/stats.hpp"

namespace rcls {
namespace {

double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

/// Longest real sleep between two looks at the Ctrl-C flag.
constexpr auto kInterruptSlice = std::chrono::milliseconds(50);

/// Under real-time scheduling, the time before a deadline the loop spins instead of sleeping.
constexpr auto kSpin = std::chrono::microseconds(2000);

}  // namespace

std::string describe(const LoopStatistics& stats) {
    char buffer[512];
    std::snprintf(buffer, sizeof buffer,
                  "%zu steps in %.1f s (%.1f Hz); period p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
                  "work p50 %.2f ms, p99 %.2f ms, max %.2f ms; %zu late, %zu overruns",
                  stats.steps, stats.elapsed_s, stats.rate_hz, stats.period_p50_ms,
                  stats.period_p99_ms, stats.period_max_ms, stats.work_p50_ms, stats.work_p99_ms,
                  stats.work_max_ms, stats.late_steps, stats.overruns);
    return buffer;
}

FixedRateLoop::FixedRateLoop(Clock& clock, FixedRateLoopOptions options)
    : clock_(clock), options_(std::move(options)) {
    if (!(options_.fps > 0) || !std::isfinite(options_.fps)) {
        throw UsageError("fixed-rate loop: fps must be positive, got " +
                         std::to_string(options_.fps));
    }
    if (options_.duration_s && !(*options_.duration_s >= 0)) {
        throw UsageError("fixed-rate loop: duration must not be negative");
    }
    period_ = seconds_to_duration(1.0 / options_.fps);
    if (period_ <= Clock::duration::zero()) period_ = Clock::duration(1);
}

void FixedRateLoop::add_hook(Step hook) {
    hooks_.push_back(std::move(hook));
}

void FixedRateLoop::sleep_until(Clock::time_point deadline) const {
    if (realtime_) {
        // Sleep to kSpin before the deadline, then spin: a core that halts while idle (a virtual
        // machine's, as this project's CI) can take milliseconds to wake, a spinning one none.
        const Clock::time_point wake = deadline - kSpin;
        const auto stopping = [&] { return options_.stop_on_interrupt && interrupted(); };
        for (Clock::time_point now = clock_.now(); now < wake && !stopping(); now = clock_.now()) {
            clock_.sleep_until(std::min(wake, now + kInterruptSlice));
        }
        while (clock_.now() < deadline && !stopping()) {
        }
        return;
    }
    if (!options_.stop_on_interrupt || !clock_.is_real_time()) {
        clock_.sleep_until(deadline);
        return;
    }
    // On real time, look at the Ctrl-C flag at least every 50 ms (slow loops, e.g. 1 fps).
    for (Clock::time_point now = clock_.now(); now < deadline && !interrupted();
         now = clock_.now()) {
        clock_.sleep_until(std::min(deadline, now + kInterruptSlice));
    }
}

LoopStatistics FixedRateLoop::run(const Step& step) {
    period_ms_.clear();
    work_ms_.clear();
    late_ = 0;
    realtime_ = false;
    realtime_note_.clear();
    overruns_ = 0;
    const double late_tolerance_ms =
        1000.0 * options_.late_tolerance_s.value_or(0.1 / options_.fps);
    start_ = clock_.now();
    last_end_ = start_;
    running_ = true;
    struct NotRunning {
        bool& running;
        ~NotRunning() { running = false; }
    } not_running{running_};
    std::optional<RealtimeScope> realtime;
    if (options_.realtime_priority > 0 && clock_.sleeps_in_real_time()) {
        realtime.emplace(options_.realtime_priority);
        realtime_ = realtime->active();
        realtime_note_ = realtime->why_not();
    }
    Clock::time_point next = start_;
    std::optional<Clock::time_point> previous;
    end_ = LoopEnd::kStopped;
    for (std::size_t index = 0;; ++index) {
        if (options_.stop_on_interrupt && interrupted()) {
            end_ = LoopEnd::kInterrupted;
            break;
        }
        if (options_.max_steps && index >= *options_.max_steps) {
            end_ = LoopEnd::kMaxSteps;
            break;
        }
        StepTiming timing;
        timing.index = index;
        timing.deadline = next;
        timing.start = clock_.now();
        timing.end = timing.start;
        timing.elapsed_s = seconds_between(start_, timing.start);
        if (options_.duration_s && timing.elapsed_s >= *options_.duration_s) {
            end_ = LoopEnd::kDuration;
            break;
        }
        timing.late_ms = std::max(0.0, ms_between(timing.deadline, timing.start));
        if (timing.late_ms > late_tolerance_ms) ++late_;
        if (previous) period_ms_.push_back(ms_between(*previous, timing.start));
        previous = timing.start;

        bool stop = step(timing) == LoopControl::kStop;
        timing.end = clock_.now();
        timing.work_ms = ms_between(timing.start, timing.end);
        work_ms_.push_back(timing.work_ms);
        next += period_;
        timing.overrun = timing.end > next;
        for (const Step& hook : hooks_) {
            if (hook(timing) == LoopControl::kStop) stop = true;
        }
        const Clock::time_point now = clock_.now();
        if (now > next) {  // too slow: start the next step at once, without a burst after it
            ++overruns_;
            next = now;
        }
        if (stop) {
            end_ = LoopEnd::kStopped;
            break;
        }
        sleep_until(next);
    }
    last_end_ = clock_.now();
    running_ = false;
    return statistics();
}

LoopStatistics FixedRateLoop::statistics() const {
    LoopStatistics stats;
    stats.steps = work_ms_.size();
    stats.elapsed_s = seconds_between(start_, running_ ? clock_.now() : last_end_);
    stats.rate_hz = stats.elapsed_s > 0 ? static_cast<double>(stats.steps) / stats.elapsed_s : 0.0;
    stats.period_s = 1.0 / options_.fps;
    stats.period_p50_ms = percentile(period_ms_, 50);
    stats.period_p99_ms = percentile(period_ms_, 99);
    stats.period_max_ms =
        period_ms_.empty() ? 0.0 : *std::max_element(period_ms_.begin(), period_ms_.end());
    stats.work_p50_ms = percentile(work_ms_, 50);
    stats.work_p99_ms = percentile(work_ms_, 99);
    stats.work_max_ms =
        work_ms_.empty() ? 0.0 : *std::max_element(work_ms_.begin(), work_ms_.end());
    stats.late_steps = late_;
    stats.overruns = overruns_;
    stats.end = end_;
    stats.realtime = realtime_;
    stats.realtime_note = realtime_note_;
    return stats;
}

}  // namespace rcls
