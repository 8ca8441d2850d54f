// SPDX-License-Identifier: MIT
//
// The operator's keys from the terminal while recording (issue 12): stdin in raw mode (no line
// buffering, no echo; Ctrl-C still sends SIGINT), read without blocking whenever the recording
// loop polls. Works over SSH and needs no display.
//
// The terminal is put back as it was on every way out: the destructor, std::exit (atexit), the
// second Ctrl-C that ends the process at once (core/interrupt's immediate-exit hook), and crashes
// (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT: restored, then the signal's default action). Only
// SIGKILL leaves it raw (`stty sane` mends it).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "rcls/record/keys.hpp"

namespace rcls::cli {

class TerminalKeySource final : public record::KeySource {
public:
    /// Reads keys from `fd`. When `fd` is a terminal it goes into raw mode (typeahead from before
    /// is discarded) until destruction; one TerminalKeySource on a terminal at a time (else
    /// std::logic_error). A lone Esc counts as Stop once no byte followed it for
    /// `escape_timeout`. Throws DeviceError when the terminal's settings cannot be changed.
    explicit TerminalKeySource(int fd,
                               std::chrono::milliseconds escape_timeout = kDefaultEscapeTimeout);
    ~TerminalKeySource() override;
    TerminalKeySource(const TerminalKeySource&) = delete;
    TerminalKeySource& operator=(const TerminalKeySource&) = delete;

    /// Every key pressed since the last poll, in order. Never blocks.
    std::vector<record::RecordKey> poll() override;
    /// "s success · f failure · ␣/→ end · r/← redo · q/Esc stop".
    std::string help() const override;

    /// True while this source holds the terminal in raw mode.
    bool raw() const { return raw_; }

    /// Keys from stdin when it is a terminal in the foreground, else a NoKeySource (unattended
    /// recording: stdin redirected, or rcls run in the background).
    static std::unique_ptr<record::KeySource> open_for_stdin();

    static constexpr std::chrono::milliseconds kDefaultEscapeTimeout{50};

private:
    int fd_;
    std::chrono::milliseconds escape_timeout_;
    bool raw_ = false;
    record::KeyParser parser_;
    std::chrono::steady_clock::time_point last_byte_{};
};

}  // namespace rcls::cli
