// SPDX-License-Identifier: MIT
#include "rcls/core/interrupt.hpp"

#include <csignal>
#include <unistd.h>

#include "rcls/core/error.hpp"

namespace rcls {
namespace {

std::atomic<bool> g_interrupted{false};
std::atomic<ImmediateExitHook> g_exit_hook{nullptr};
std::atomic<int> g_second_fd{-1};
std::atomic<bool> g_second_sent{false};
static_assert(std::atomic<ImmediateExitHook>::is_always_lock_free, "read from a signal handler");
static_assert(std::atomic<bool>::is_always_lock_free, "the flag is set from a signal handler");

extern "C" void on_signal(int signal_number) {
    if (g_interrupted.exchange(true) && signal_number == SIGINT) {
        // Second Ctrl-C: the user wants out now. Only async-signal-safe calls here.
        const int fd = g_second_fd.load();
        if (fd >= 0 && !g_second_sent.exchange(true)) {
            const char byte = 1;  // the command's thread makes the hardware safe, then exits
            [[maybe_unused]] const auto sent = ::write(fd, &byte, 1);
            return;
        }
        constexpr char kMessage[] = "\nrcls: interrupted twice, exiting now\n";
        if (const ImmediateExitHook hook = g_exit_hook.load()) hook();
        [[maybe_unused]] const auto ignored = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
        ::_exit(static_cast<int>(ExitCode::kInterrupted));
    }
}

}  // namespace

void install_interrupt_handlers() {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: blocking reads return EINTR and loops see the flag
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
}

bool interrupted() noexcept {
    return g_interrupted.load(std::memory_order_relaxed);
}

void request_interrupt() noexcept {
    g_interrupted.store(true);
}

void reset_interrupt() noexcept {
    g_interrupted.store(false);
}

void set_immediate_exit_hook(ImmediateExitHook hook) noexcept {
    g_exit_hook.store(hook);
}

void set_second_interrupt_fd(int fd) noexcept {
    g_second_sent.store(false);
    g_second_fd.store(fd);
}

void exit_interrupted_now() noexcept {
    if (const ImmediateExitHook hook = g_exit_hook.load()) hook();
    ::_exit(static_cast<int>(ExitCode::kInterrupted));
}

void throw_if_interrupted() {
    if (interrupted()) throw InterruptedError();
}

}  // namespace rcls
