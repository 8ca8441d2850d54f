// SPDX-License-Identifier: MIT
#include "rcls/core/clock.hpp"

#include <thread>

namespace rcls {

Clock::time_point SteadyClock::now() const {
    return std::chrono::steady_clock::now();
}

void SteadyClock::sleep_until(time_point deadline) {
    std::this_thread::sleep_until(deadline);
}

Clock& steady_clock() {
    static SteadyClock clock;
    return clock;
}

VirtualClock::VirtualClock(time_point start) : now_(start) {}

Clock::time_point VirtualClock::now() const {
    std::lock_guard lock(mutex_);
    return now_;
}

void VirtualClock::sleep_until(time_point deadline) {
    std::lock_guard lock(mutex_);
    if (deadline > now_) now_ = deadline;
}

void VirtualClock::advance(duration d) {
    if (d <= duration::zero()) return;
    std::lock_guard lock(mutex_);
    now_ += d;
}

}  // namespace rcls
