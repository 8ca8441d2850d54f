// SPDX-License-Identifier: MIT
//
// The fixed-rate loop on a virtual clock (exact, no sleeping) and briefly on the steady clock.
#include "rcls/core/fixed_rate_loop.hpp"

#include <chrono>
#include <sched.h>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "rcls/core/error.hpp"
#include "rcls/core/interrupt.hpp"

namespace rcls {
namespace {

using namespace std::chrono_literals;

/// Loop options at `fps`, stopping after `duration_s` and/or `max_steps`.
FixedRateLoopOptions at(double fps,
                        std::optional<double> duration_s = std::nullopt,
                        std::optional<std::size_t> max_steps = std::nullopt) {
    FixedRateLoopOptions options;
    options.fps = fps;
    options.duration_s = duration_s;
    options.max_steps = max_steps;
    return options;
}

TEST(FixedRateLoop, RunsOnAbsoluteDeadlinesOfAVirtualClock) {
    VirtualClock clock;
    FixedRateLoop loop(clock, at(50, 1.0));
    std::vector<std::size_t> indices;
    const LoopStatistics stats = loop.run([&](const StepTiming& timing) {
        indices.push_back(timing.index);
        clock.advance(5ms);  // the step's work
        return LoopControl::kContinue;
    });
    EXPECT_EQ(stats.steps, 50u);
    ASSERT_EQ(indices.size(), 50u);
    EXPECT_EQ(indices.back(), 49u);
    EXPECT_NEAR(stats.elapsed_s, 1.0, 1e-9);
    EXPECT_NEAR(stats.rate_hz, 50.0, 1e-6);
    EXPECT_NEAR(stats.period_p50_ms, 20.0, 1e-6);
    EXPECT_NEAR(stats.period_p99_ms, 20.0, 1e-6);
    EXPECT_NEAR(stats.period_max_ms, 20.0, 1e-6);
    EXPECT_NEAR(stats.work_p50_ms, 5.0, 1e-6);
    EXPECT_EQ(stats.late_steps, 0u);
    EXPECT_EQ(stats.overruns, 0u);
    EXPECT_EQ(stats.end, LoopEnd::kDuration);
}

TEST(FixedRateLoop, ASlowStepIsAnOverrunAndTheNextStartsAtOnceWithoutABurst) {
    VirtualClock clock;
    FixedRateLoop loop(clock, at(10, std::nullopt, 5));
    std::vector<double> starts;
    std::vector<bool> overruns;
    loop.add_hook([&](const StepTiming& timing) {
        overruns.push_back(timing.overrun);
        return LoopControl::kContinue;
    });
    const LoopStatistics stats = loop.run([&](const StepTiming& timing) {
        starts.push_back(timing.elapsed_s);
        clock.advance(timing.index == 1 ? 250ms : 10ms);
        return LoopControl::kContinue;
    });
    ASSERT_EQ(starts.size(), 5u);
    EXPECT_NEAR(starts[0], 0.0, 1e-9);
    EXPECT_NEAR(starts[1], 0.1, 1e-9);
    EXPECT_NEAR(starts[2], 0.35, 1e-9);  // at once after the slow step
    EXPECT_NEAR(starts[3], 0.45, 1e-9);  // then one period apart again, no catching up
    EXPECT_NEAR(starts[4], 0.55, 1e-9);
    EXPECT_EQ(overruns, (std::vector<bool>{false, true, false, false, false}));
    EXPECT_EQ(stats.overruns, 1u);
    EXPECT_EQ(stats.late_steps, 0u);  // each step began at its (moved) deadline
    EXPECT_NEAR(stats.period_max_ms, 250.0, 1e-6);
    EXPECT_NEAR(stats.work_max_ms, 250.0, 1e-6);
    EXPECT_EQ(stats.end, LoopEnd::kMaxSteps);
}

TEST(FixedRateLoop, AHookStopsTheLoopAndSeesTheStatisticsSoFar) {
    VirtualClock clock;
    FixedRateLoop loop(clock, at(100));
    std::size_t seen_steps = 0;
    loop.add_hook([&](const StepTiming& timing) {
        seen_steps = loop.statistics().steps;
        return timing.index == 9 ? LoopControl::kStop : LoopControl::kContinue;
    });
    const LoopStatistics stats = loop.run([](const StepTiming&) { return LoopControl::kContinue; });
    EXPECT_EQ(stats.steps, 10u);
    EXPECT_EQ(seen_steps, 10u);
    EXPECT_EQ(stats.end, LoopEnd::kStopped);
}

TEST(FixedRateLoop, TheStepItselfCanStopTheLoop) {
    VirtualClock clock;
    FixedRateLoop loop(clock, at(30));
    const LoopStatistics stats = loop.run([](const StepTiming& timing) {
        return timing.index == 2 ? LoopControl::kStop : LoopControl::kContinue;
    });
    EXPECT_EQ(stats.steps, 3u);
}

TEST(FixedRateLoop, CtrlCStopsBetweenSteps) {
    VirtualClock clock;
    FixedRateLoop loop(clock, at(30, 100.0));
    const LoopStatistics stats = loop.run([](const StepTiming& timing) {
        if (timing.index == 3) request_interrupt();
        return LoopControl::kContinue;
    });
    reset_interrupt();
    EXPECT_EQ(stats.steps, 4u);
    EXPECT_EQ(stats.end, LoopEnd::kInterrupted);
}

/// A virtual clock whose sleeps wake `overshoot` late, as a loaded machine's do.
class OversleepingClock final : public Clock {
public:
    explicit OversleepingClock(duration overshoot) : overshoot_(overshoot) {}
    time_point now() const override { return clock_.now(); }
    void sleep_until(time_point deadline) override { clock_.sleep_until(deadline + overshoot_); }
    bool is_real_time() const override { return false; }

private:
    VirtualClock clock_;
    duration overshoot_;
};

TEST(FixedRateLoop, CountsStepsThatStartPastTheLateTolerance) {
    FixedRateLoopOptions options = at(10, std::nullopt, 4);
    options.late_tolerance_s = 0.005;
    OversleepingClock late_clock(7ms);
    FixedRateLoop late(late_clock, options);
    std::vector<double> late_ms;
    const LoopStatistics stats = late.run([&](const StepTiming& timing) {
        late_ms.push_back(timing.late_ms);
        return LoopControl::kContinue;
    });
    EXPECT_EQ(stats.late_steps, 3u);  // every step after the first woke 7 ms late
    EXPECT_EQ(stats.overruns, 0u);
    ASSERT_EQ(late_ms.size(), 4u);
    EXPECT_NEAR(late_ms[0], 0.0, 1e-9);
    EXPECT_NEAR(late_ms[2], 7.0, 1e-6);  // deadlines stay absolute: lateness does not add up
    EXPECT_NEAR(stats.period_p50_ms, 100.0, 1e-6);

    OversleepingClock slightly_late_clock(3ms);
    FixedRateLoop slightly_late(slightly_late_clock, options);
    EXPECT_EQ(
        slightly_late.run([](const StepTiming&) { return LoopControl::kContinue; }).late_steps, 0u);
}

TEST(FixedRateLoop, ASlowHookIsAnOverrunToo) {
    VirtualClock clock;
    FixedRateLoop loop(clock, at(10, std::nullopt, 3));
    loop.add_hook([&](const StepTiming& timing) {
        if (timing.index == 0) clock.advance(150ms);
        return LoopControl::kContinue;
    });
    std::vector<double> starts;
    const LoopStatistics stats = loop.run([&](const StepTiming& timing) {
        starts.push_back(timing.elapsed_s);
        return LoopControl::kContinue;
    });
    EXPECT_EQ(stats.overruns, 1u);
    EXPECT_NEAR(stats.work_max_ms, 0.0, 1e-9);  // hook time is not work time
    ASSERT_EQ(starts.size(), 3u);
    EXPECT_NEAR(starts[1], 0.15, 1e-9);
    EXPECT_NEAR(starts[2], 0.25, 1e-9);
}

TEST(FixedRateLoop, RejectsANonPositiveRate) {
    VirtualClock clock;
    EXPECT_THROW(FixedRateLoop(clock, at(0)), UsageError);
    EXPECT_THROW(FixedRateLoop(clock, at(10, -1.0)), UsageError);
}

TEST(FixedRateLoop, PacesOnTheSteadyClock) {
    FixedRateLoop loop(steady_clock(), at(100, std::nullopt, 20));
    const auto wall_start = std::chrono::steady_clock::now();
    const LoopStatistics stats = loop.run([](const StepTiming&) { return LoopControl::kContinue; });
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    EXPECT_EQ(stats.steps, 20u);
    EXPECT_GE(wall_s, 0.185);  // 19 periods of 10 ms at least
    EXPECT_GT(stats.period_p50_ms, 9.0);
    EXPECT_LT(stats.period_p50_ms, 20.0);  // generous: the machine may be loaded
}

TEST(FixedRateLoop, StepsRunUnderRealTimeSchedulingWhenAskedOnARealTimeClockOnly) {
    FixedRateLoopOptions options = at(200, std::nullopt, 3);
    options.realtime_priority = kControlLoopPriority;
    int policy_in_step = -1;
    FixedRateLoop loop(steady_clock(), options);
    const LoopStatistics stats = loop.run([&](const StepTiming&) {
        policy_in_step = ::sched_getscheduler(0) & ~SCHED_RESET_ON_FORK;
        return LoopControl::kContinue;
    });
    if (stats.realtime) {
        EXPECT_EQ(policy_in_step, SCHED_FIFO);
        EXPECT_TRUE(stats.realtime_note.empty());
    } else {
        EXPECT_EQ(policy_in_step, SCHED_OTHER);
        EXPECT_NE(stats.realtime_note.find("not permitted"), std::string::npos)
            << stats.realtime_note;
    }
    EXPECT_EQ(::sched_getscheduler(0) & ~SCHED_RESET_ON_FORK, SCHED_OTHER);  // restored

    VirtualClock clock;  // a simulation: nothing to gain, nothing asked
    FixedRateLoop simulated(clock, options);
    const LoopStatistics virtual_stats = simulated.run([&](const StepTiming&) {
        policy_in_step = ::sched_getscheduler(0) & ~SCHED_RESET_ON_FORK;
        return LoopControl::kContinue;
    });
    EXPECT_FALSE(virtual_stats.realtime);
    EXPECT_TRUE(virtual_stats.realtime_note.empty());
    EXPECT_EQ(policy_in_step, SCHED_OTHER);
}

TEST(FixedRateLoop, DescribesItsStatistics) {
    LoopStatistics stats;
    stats.steps = 300;
    stats.elapsed_s = 5.0;
    stats.rate_hz = 60.0;
    stats.period_p50_ms = 16.67;
    stats.overruns = 1;
    const std::string text = describe(stats);
    EXPECT_NE(text.find("300 steps in 5.0 s (60.0 Hz); period p50 16.67 ms"), std::string::npos)
        << text;
    EXPECT_NE(text.find("0 late, 1 overruns"), std::string::npos) << text;
}

}  // namespace
}  // namespace rcls
