// SPDX-License-Identifier: MIT
//
// One notion of time for everything that runs on a schedule (the control loop, cameras, the
// simulated arm and scene). Hardware runs on steady_clock(); a simulation runs on a VirtualClock,
// whose time moves only when a caller sleeps, so it may run faster than real time and is
// reproducible. Time points are steady_clock's type, so code written against std::chrono keeps
// working.
#pragma once

#include <chrono>
#include <mutex>

namespace rcls {

/// A source of time and of waiting. Implementations are thread-safe.
class Clock {
public:
    using duration = std::chrono::steady_clock::duration;
    using time_point = std::chrono::steady_clock::time_point;

    virtual ~Clock() = default;

    /// The current time.
    virtual time_point now() const = 0;

    /// Returns at `deadline` or at once when it has passed.
    virtual void sleep_until(time_point deadline) = 0;

    /// sleep_until(now() + d).
    void sleep_for(duration d) { sleep_until(now() + d); }

    /// True when now() follows the wall clock (hardware); false for simulated time.
    virtual bool is_real_time() const = 0;

    /// True when sleep_until() waits on the wall clock, as for hardware and for a simulation run
    /// at a real-time pace (record's ScaledClock); false when it only moves simulated time.
    virtual bool sleeps_in_real_time() const { return is_real_time(); }
};

/// std::chrono::steady_clock with a real sleep.
class SteadyClock final : public Clock {
public:
    time_point now() const override;
    void sleep_until(time_point deadline) override;
    bool is_real_time() const override { return true; }
};

/// The process-wide SteadyClock.
Clock& steady_clock();

/// Simulated time: starts at `start` and advances only through sleep_until() (to the deadline,
/// without waiting) or advance(). Several threads may share it; time never goes backwards.
class VirtualClock final : public Clock {
public:
    explicit VirtualClock(time_point start = time_point{});
    time_point now() const override;
    void sleep_until(time_point deadline) override;
    bool is_real_time() const override { return false; }

    /// Moves time forward by `d` (no-op for a negative `d`).
    void advance(duration d);

private:
    mutable std::mutex mutex_;
    time_point now_;
};

/// Seconds between two time points, as a double.
inline double seconds_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

/// A duration of `seconds` (rounded to the clock's tick).
inline Clock::duration seconds_to_duration(double seconds) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

}  // namespace rcls
