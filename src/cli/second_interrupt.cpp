// SPDX-License-Identifier: MIT
#include "second_interrupt.hpp"

#include <cerrno>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <system_error>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "rcls/core/interrupt.hpp"

namespace rcls::cli {
namespace {

constexpr char kWake = 1;  ///< Written by core/interrupt's handler on the second Ctrl-C.
constexpr char kQuit = 0;  ///< Written by the destructor.

/// What the make-safe thread and the watcher share (it may outlive the guard: abandoned).
struct Outcome {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    bool safe = false;
};

}  // namespace

SecondInterruptGuard::SecondInterruptGuard(std::function<bool(std::chrono::milliseconds)> make_safe,
                                           std::chrono::milliseconds budget,
                                           std::string what)
    : make_safe_(std::move(make_safe)), budget_(budget), what_(std::move(what)) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
    read_fd_ = fds[0];
    write_fd_ = fds[1];
    thread_ = std::thread([this] { watch(); });
    set_second_interrupt_fd(write_fd_);
}

SecondInterruptGuard::~SecondInterruptGuard() {
    set_second_interrupt_fd(-1);
    [[maybe_unused]] const auto sent = ::write(write_fd_, &kQuit, 1);
    if (thread_.joinable()) thread_.join();
    ::close(read_fd_);
    ::close(write_fd_);
}

void SecondInterruptGuard::watch() {
    char byte = kQuit;
    for (;;) {
        const ssize_t n = ::read(read_fd_, &byte, 1);
        if (n == 1) break;
        if (n < 0 && errno == EINTR) continue;
        return;  // the pipe failed: core/interrupt's handler still wrote, nothing else to do
    }
    if (byte != kWake) return;
    const auto start = std::chrono::steady_clock::now();
    spdlog::warn("interrupted twice: {} (at most {} ms), then exiting", what_, budget_.count());
    auto outcome = std::make_shared<Outcome>();
    // Detached: when make_safe hangs past the budget the process exits without it.
    std::thread([outcome, make_safe = make_safe_, budget = budget_] {
        bool safe = false;
        try {
            safe = make_safe(budget);
        } catch (const std::exception& e) {
            spdlog::error("{}", e.what());
        }
        std::lock_guard lock(outcome->mutex);
        outcome->safe = safe;
        outcome->done = true;
        outcome->done_cv.notify_all();
    }).detach();
    bool safe = false;
    {
        std::unique_lock lock(outcome->mutex);
        outcome->done_cv.wait_until(lock, start + budget_, [&] { return outcome->done; });
        safe = outcome->done && outcome->safe;
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    if (safe) {
        spdlog::warn("{}: done in {} ms; exiting (the unfinished episode is lost)", what_, ms);
    } else {
        spdlog::error("{}: not confirmed within {} ms; exiting anyway", what_, ms);
    }
    spdlog::default_logger()->flush();
    exit_interrupted_now();
}

}  // namespace rcls::cli
