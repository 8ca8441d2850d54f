// SPDX-License-Identifier: MIT
#include "terminal_keys.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <poll.h>
#include <stdexcept>
#include <termios.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"
#include "rcls/core/interrupt.hpp"

namespace rcls::cli {
namespace {

// The terminal's settings before raw mode, where a signal handler can reach them. `g_raw_fd` is
// -1 when no terminal is in raw mode; it is set only after g_saved is complete.
termios g_saved{};
std::atomic<int> g_raw_fd{-1};
static_assert(std::atomic<int>::is_always_lock_free, "read from signal handlers");

constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
struct sigaction g_previous[std::size(kFatalSignals)]{};

/// Puts the terminal back (async-signal-safe: tcsetattr is). Idempotent.
void restore_terminal_now() noexcept {
    const int fd = g_raw_fd.exchange(-1);
    if (fd >= 0) ::tcsetattr(fd, TCSANOW, &g_saved);
}

extern "C" void on_fatal_signal(int signal_number) {
    restore_terminal_now();
    // SA_RESETHAND made the action the default again: raised again, the signal does what it
    // would have done without us (core dump, abort).
    ::raise(signal_number);
}

void install_fatal_handlers() {
    struct sigaction action {};
    action.sa_handler = on_fatal_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND | SA_NODEFER;
    for (std::size_t i = 0; i < std::size(kFatalSignals); ++i) {
        ::sigaction(kFatalSignals[i], &action, &g_previous[i]);
    }
}

void remove_fatal_handlers() {
    for (std::size_t i = 0; i < std::size(kFatalSignals); ++i) {
        ::sigaction(kFatalSignals[i], &g_previous[i], nullptr);
    }
}

void restore_at_exit() {
    restore_terminal_now();
}

}  // namespace

TerminalKeySource::TerminalKeySource(int fd, std::chrono::milliseconds escape_timeout)
    : fd_(fd), escape_timeout_(escape_timeout) {
    if (::isatty(fd_) == 0) return;  // a pipe or file: read as it is
    if (g_raw_fd.load() >= 0) {
        throw std::logic_error("TerminalKeySource: a terminal is already in raw mode");
    }
    termios saved{};
    if (::tcgetattr(fd_, &saved) != 0) {
        throw DeviceError(std::string("cannot read the terminal's settings: ") +
                          std::strerror(errno) + "; run rcls record without a terminal on stdin");
    }
    termios raw = saved;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);  // ISIG stays: Ctrl-C is SIGINT
    raw.c_cc[VMIN] = 0;                                    // read() returns what is there
    raw.c_cc[VTIME] = 0;
    g_saved = saved;
    static std::once_flag at_exit;
    std::call_once(at_exit, [] { std::atexit(restore_at_exit); });
    install_fatal_handlers();
    set_immediate_exit_hook(&restore_terminal_now);
    g_raw_fd.store(fd_);
    if (::tcsetattr(fd_, TCSAFLUSH, &raw) != 0) {
        const int error = errno;
        restore_terminal_now();
        set_immediate_exit_hook(nullptr);
        remove_fatal_handlers();
        throw DeviceError(std::string("cannot put the terminal in raw mode: ") +
                          std::strerror(error) + "; run rcls record without a terminal on stdin");
    }
    raw_ = true;
}

TerminalKeySource::~TerminalKeySource() {
    if (!raw_) return;
    restore_terminal_now();
    set_immediate_exit_hook(nullptr);
    remove_fatal_handlers();
}

std::vector<record::RecordKey> TerminalKeySource::poll() {
    std::vector<record::RecordKey> keys;
    const auto now = std::chrono::steady_clock::now();
    char buffer[256];
    for (;;) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0 || (p.revents & POLLIN) == 0) break;
        const ssize_t n = ::read(fd_, buffer, sizeof buffer);
        if (n <= 0) break;  // EOF, EINTR (Ctrl-C), or nothing after all
        const auto more = parser_.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
        keys.insert(keys.end(), more.begin(), more.end());
        last_byte_ = now;
        if (static_cast<std::size_t>(n) < sizeof buffer) break;
    }
    if (parser_.pending() && now - last_byte_ >= escape_timeout_) {
        const auto more = parser_.flush();
        keys.insert(keys.end(), more.begin(), more.end());
    }
    return keys;
}

std::string TerminalKeySource::help() const {
    return "s success · f failure · ␣/→ end · r/← redo · q/Esc stop";
}

std::unique_ptr<record::KeySource> TerminalKeySource::open_for_stdin() {
    if (::isatty(STDIN_FILENO) == 0) {
        spdlog::info("stdin is not a terminal: no keys, recording runs unattended");
        return std::make_unique<record::NoKeySource>();
    }
    if (::tcgetpgrp(STDIN_FILENO) != ::getpgrp()) {
        spdlog::info("rcls runs in the background: no keys, recording runs unattended");
        return std::make_unique<record::NoKeySource>();
    }
    return std::make_unique<TerminalKeySource>(STDIN_FILENO);
}

}  // namespace rcls::cli
