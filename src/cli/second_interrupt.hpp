// SPDX-License-Identifier: MIT
//
// The second Ctrl-C of a command that drives hardware (issue 12: torque off on every exit path).
// core/interrupt ends the process at once on a second SIGINT; while a SecondInterruptGuard lives,
// that SIGINT instead wakes the guard's thread, which runs `make_safe` (e.g. torque off on both
// arms) for at most `budget`, says on stderr whether it succeeded, and exits 130 (the terminal put
// back through core/interrupt's immediate-exit hook). A third Ctrl-C still ends it at once.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace rcls::cli {

class SecondInterruptGuard {
public:
    /// `make_safe(budget)` runs on a thread of its own and returns whether it made the hardware
    /// safe; it is abandoned (the process exits) once `budget` has passed. `what` names it for
    /// the messages ("torque off on both arms"). Throws std::system_error when no pipe or thread
    /// can be made.
    SecondInterruptGuard(std::function<bool(std::chrono::milliseconds)> make_safe,
                         std::chrono::milliseconds budget,
                         std::string what);
    /// Back to core/interrupt's immediate exit on the second Ctrl-C.
    ~SecondInterruptGuard();
    SecondInterruptGuard(const SecondInterruptGuard&) = delete;
    SecondInterruptGuard& operator=(const SecondInterruptGuard&) = delete;

private:
    void watch();

    std::function<bool(std::chrono::milliseconds)> make_safe_;
    std::chrono::milliseconds budget_;
    std::string what_;
    int read_fd_ = -1;
    int write_fd_ = -1;
    std::thread thread_;
};

}  // namespace rcls::cli
