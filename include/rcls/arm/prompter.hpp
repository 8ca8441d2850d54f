// SPDX-License-Identifier: MIT
//
// The person at the keyboard during LeRobot-style interactive steps ("Connect the controller board
// to the 'gripper' motor only and press ENTER", "Move the arm to the middle ... press ENTER").
// ConsolePrompter asks a real user on stdin/stderr; AutoPrompter answers by itself, for `--yes`,
// scripts, tests and the demo (where a simulated person moves the simulated joints).
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

namespace rcls::arm {

/// Interactive steps of the arm tools.
class Prompter {
public:
    virtual ~Prompter() = default;

    /// Shows `message` and waits for Enter; returns what was typed before it (trimmed).
    /// Throws InterruptedError on Ctrl-C.
    virtual std::string ask(const std::string& message) = 0;

    /// Shows `message` and starts a phase that the user ends with Enter (see stop_requested()).
    virtual void begin_until_enter(const std::string& message) = 0;

    /// True once the phase begun by begin_until_enter() should end. Never blocks.
    virtual bool stop_requested() = 0;

    /// Shows a status block (e.g. the live table of recorded ranges), replacing the previous one
    /// on a terminal.
    virtual void show_status(const std::string& text) = 0;

    /// Shows a line of information.
    virtual void say(const std::string& text) = 0;
};

/// Asks on stdin, writes to stderr. End of input (stdin from /dev/null or a finished pipe) counts
/// as Enter, so piped answers work. Not thread-safe.
class ConsolePrompter final : public Prompter {
public:
    ConsolePrompter();
    std::string ask(const std::string& message) override;
    void begin_until_enter(const std::string& message) override;
    bool stop_requested() override;
    void show_status(const std::string& text) override;
    void say(const std::string& text) override;

private:
    /// Reads stdin until a whole line (true) or end of input; waits at most `timeout_ms` (-1: no
    /// limit). Returns false when no line is there yet.
    bool read_line(int timeout_ms, std::string& line);

    std::string pending_;
    bool end_of_input_ = false;
    bool terminal_ = false;
    int status_lines_ = 0;
};

/// Answers every question with Enter at once, and ends a begin_until_enter() phase after
/// `phase_s` seconds on `clock` (the port's clock, virtual under test). Messages go to `out`
/// (nullptr: nowhere).
class AutoPrompter final : public Prompter {
public:
    using Clock = std::chrono::steady_clock;
    AutoPrompter(double phase_s, std::function<Clock::time_point()> clock, std::FILE* out = stderr);
    std::string ask(const std::string& message) override;
    void begin_until_enter(const std::string& message) override;
    bool stop_requested() override;
    void show_status(const std::string& text) override;
    void say(const std::string& text) override;

private:
    double phase_s_;
    std::function<Clock::time_point()> clock_;
    std::FILE* out_;
    Clock::time_point phase_start_{};
};

}  // namespace rcls::arm
