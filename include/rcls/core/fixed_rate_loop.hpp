// SPDX-License-Identifier: MIT
//
// The one paced loop of rcls: teleoperation, recording and anything else that runs "N times a
// second" on a Clock (steady for hardware, virtual for a simulation, which then runs as fast as
// the work allows). Steps start on absolute deadlines (start + i * period), so one slow step does
// not shift the ones after it; a step whose work overruns its period makes the next one start at
// once, without a burst to catch up.
//
//     FixedRateLoop loop(clock, {.fps = 30, .duration_s = 15.0});
//     loop.add_hook([&](const StepTiming& t) { ...; return LoopControl::kContinue; });
//     const LoopStatistics stats = loop.run([&](const StepTiming& t) {
//         teleop_step(leader, follower);
//         return LoopControl::kContinue;
//     });
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rcls/core/clock.hpp"

namespace rcls {

/// The SCHED_FIFO priority of the robot control loops (teleoperation, recording): above every
/// normal thread, below the kernel's interrupt threads (50).
constexpr int kControlLoopPriority = 10;

/// Settings of a FixedRateLoop.
struct FixedRateLoopOptions {
    double fps = 30;                       ///< Steps per second (> 0).
    std::optional<double> duration_s;      ///< Stop once this much clock time has passed.
    std::optional<std::size_t> max_steps;  ///< Stop after this many steps.
    bool stop_on_interrupt = true;         ///< Stop at Ctrl-C (core/interrupt), between steps.
    /// A step that starts later than this after its deadline counts as late (null: a tenth of the
    /// period).
    std::optional<double> late_tolerance_s;
    /// > 0: on a clock that sleeps in real time the loop's thread runs under SCHED_FIFO at this priority while
    /// run() runs (core/parallel's RealtimeScope: best effort, threads it starts run normally).
    int realtime_priority = 0;
};

/// The timing of one step, as the step and the hooks see it.
struct StepTiming {
    std::size_t index = 0;         ///< 0 for the first step.
    Clock::time_point deadline{};  ///< When the step was due.
    Clock::time_point start{};     ///< When it started (not before the deadline).
    Clock::time_point end{};       ///< When the step's work ended (hooks only; = start before).
    double elapsed_s = 0;          ///< From the loop's start to this step's start.
    double late_ms = 0;            ///< start - deadline.
    double work_ms = 0;            ///< end - start (hooks only).
    bool overrun = false;          ///< The work ran past the next step's deadline (hooks only).
};

/// Whether the loop goes on after a step or a hook.
enum class LoopControl { kContinue, kStop };

/// Why run() returned.
enum class LoopEnd { kDuration, kMaxSteps, kStopped, kInterrupted };

/// Timing statistics of a run (or of the run so far).
struct LoopStatistics {
    std::size_t steps = 0;
    double elapsed_s = 0;      ///< From the first step's start to the loop's end (or now).
    double rate_hz = 0;        ///< steps / elapsed_s.
    double period_s = 0;       ///< The requested period, 1 / fps.
    double period_p50_ms = 0;  ///< Median time from one step's start to the next's.
    double period_p99_ms = 0;
    double period_max_ms = 0;
    double work_p50_ms = 0;  ///< Median time of a step's work (the step function only).
    double work_p99_ms = 0;
    double work_max_ms = 0;
    std::size_t late_steps = 0;  ///< Steps that started later than the late tolerance.
    std::size_t overruns = 0;    ///< Steps whose work and hooks took longer than the period.
    LoopEnd end = LoopEnd::kStopped;
    bool realtime = false;      ///< The steps ran under real-time scheduling.
    std::string realtime_note;  ///< Why not, when it was asked for and refused.
};

/// "300 steps in 5.0 s (60.0 Hz); period p50 16.67 ms, p99 16.84 ms, max 17.50 ms; work p50 ..."
std::string describe(const LoopStatistics& stats);

/// Runs a step function at a fixed rate on a Clock. Not thread-safe; one run() at a time.
class FixedRateLoop {
public:
    using Step = std::function<LoopControl(const StepTiming&)>;

    /// Throws UsageError for fps <= 0 or a negative duration.
    FixedRateLoop(Clock& clock, FixedRateLoopOptions options);

    /// Adds a hook called after every step's work, in the order added, with the step's complete
    /// timing (work_ms, overrun). A hook returning kStop ends the loop after this step. Hook time
    /// counts as the step's time for pacing, not as its work.
    void add_hook(Step hook);

    /// Runs `step` at the rate until the duration, the step count, a kStop, or Ctrl-C (when
    /// stop_on_interrupt; the step in hand finishes first). Exceptions from `step` or a hook end
    /// the loop and propagate. Returns the statistics.
    LoopStatistics run(const Step& step);

    /// The statistics so far (callable from a hook; the percentiles cost linear time).
    LoopStatistics statistics() const;

    Clock& clock() const { return clock_; }
    const FixedRateLoopOptions& options() const { return options_; }

private:
    void sleep_until(Clock::time_point deadline) const;

    Clock& clock_;
    FixedRateLoopOptions options_;
    Clock::duration period_{};
    std::vector<Step> hooks_;
    std::vector<double> period_ms_;
    std::vector<double> work_ms_;
    std::size_t late_ = 0;
    std::size_t overruns_ = 0;
    Clock::time_point start_{};
    Clock::time_point last_end_{};
    LoopEnd end_ = LoopEnd::kStopped;
    bool running_ = false;
    bool realtime_ = false;
    std::string realtime_note_;
};

}  // namespace rcls
