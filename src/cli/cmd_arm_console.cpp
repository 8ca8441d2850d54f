// SPDX-License-Identifier: MIT
//
// The terminal side of the arm commands: the console prompter (reads stdin, draws on stderr).
#include <algorithm>
#include <cerrno>
#include <poll.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "rcls/core/interrupt.hpp"
#include "rcls/core/log.hpp"
#include "rcls/core/strings.hpp"

#include "cmd_arm.hpp"

namespace rcls::cli {
namespace {

int count_lines(const std::string& text) {
    int lines = 0;
    for (const char ch : text) {
        lines += ch == '\n' ? 1 : 0;
    }
    return text.empty() || text.back() == '\n' ? lines : lines + 1;
}

}  // namespace

ConsolePrompter::ConsolePrompter() : terminal_(::isatty(STDERR_FILENO) != 0) {}

bool ConsolePrompter::read_line(int timeout_ms, std::string& line) {
    const auto take_line = [&]() {
        const auto newline = pending_.find('\n');
        if (newline == std::string::npos) return false;
        line = std::string(trim(pending_.substr(0, newline)));
        pending_.erase(0, newline + 1);
        return true;
    };
    if (take_line()) return true;
    while (!end_of_input_) {
        // Poll in short slices so that Ctrl-C is noticed while waiting.
        const int slice = timeout_ms < 0 ? 100 : std::min(timeout_ms, 100);
        pollfd pfd{STDIN_FILENO, POLLIN, 0};
        const int ready = ::poll(&pfd, 1, slice);
        throw_if_interrupted();
        if (ready > 0) {
            char buffer[256];
            const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
            if (n > 0) {
                pending_.append(buffer, static_cast<std::size_t>(n));
                if (take_line()) return true;
                continue;
            }
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            end_of_input_ = true;
            break;
        }
        if (timeout_ms >= 0) {
            timeout_ms -= slice;
            if (timeout_ms <= 0) return false;
        }
    }
    line = std::string(trim(pending_));
    pending_.clear();
    return true;
}

std::string ConsolePrompter::ask(const std::string& message) {
    std::fprintf(stderr, "%s", message.c_str());
    std::fflush(stderr);
    std::string line;
    read_line(-1, line);
    if (end_of_input_ && !terminal_) std::fprintf(stderr, "\n");
    status_lines_ = 0;
    return line;
}

void ConsolePrompter::begin_until_enter(const std::string& message) {
    std::fprintf(stderr, "%s\n", message.c_str());
    std::fflush(stderr);
    status_lines_ = 0;
}

bool ConsolePrompter::stop_requested() {
    std::string line;
    return read_line(0, line);
}

void ConsolePrompter::show_status(const std::string& text) {
    if (!terminal_) return;  // no redrawing in logs and pipes; the caller says() the final state
    if (status_lines_ > 0) std::fprintf(stderr, "\x1b[%dA\x1b[J", status_lines_);
    std::fprintf(stderr, "%s", text.c_str());
    if (!text.empty() && text.back() != '\n') std::fprintf(stderr, "\n");
    std::fflush(stderr);
    status_lines_ = count_lines(text);
}

void ConsolePrompter::say(const std::string& text) {
    std::fprintf(stderr, "%s\n", text.c_str());
    std::fflush(stderr);
    status_lines_ = 0;
}

}  // namespace rcls::cli
