// SPDX-License-Identifier: MIT
//
// The person at the keyboard during LeRobot-style interactive steps ("Connect the controller board
// to the 'gripper' motor only and press ENTER", "Move the arm to the middle ... press ENTER").
// The CLI's console prompter (src/cli) asks a real user on the terminal; AutoPrompter answers by
// itself, for `--yes`, scripts, tests and the demo (where a simulated person moves the simulated
// joints). Library code never draws: AutoPrompter reports what it would show as NoticeEvents.
#pragma once

#include <string>

#include "rcls/core/clock.hpp"

namespace rcls::arm_tools {

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

/// Answers every question with Enter at once, and ends a begin_until_enter() phase after
/// `phase_s` seconds on `clock` (the port's clock, virtual under test; it must outlive the
/// prompter). Questions and messages are emitted as NoticeEvent{source "prompt"}; status blocks
/// are not shown (the workflows say() the final state).
class AutoPrompter final : public Prompter {
public:
    AutoPrompter(double phase_s, Clock& clock);
    std::string ask(const std::string& message) override;
    void begin_until_enter(const std::string& message) override;
    bool stop_requested() override;
    void show_status(const std::string& text) override;
    void say(const std::string& text) override;

private:
    double phase_s_;
    Clock& clock_;
    Clock::time_point phase_start_{};
};

}  // namespace rcls::arm_tools
