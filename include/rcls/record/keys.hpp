// SPDX-License-Identifier: MIT
//
// The operator's keys while recording, as events the recording loop polls. Where they come from is
// behind KeySource: the terminal in raw mode (src/cli/terminal_keys), a script in tests and the
// simulated operator, or nothing (stdin not a terminal: unattended recording).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rcls::record {

/// What a key asks of the recorder (LeRobot's keys, issue 12).
enum class RecordKey {
    Success,     ///< `s`: success from this frame on.
    Failure,     ///< `f`: failure; end the episode now and keep it.
    EndEpisode,  ///< space or right arrow: end the episode early and keep it.
    Rerecord,    ///< `r` or left arrow: discard this episode and record it again.
    Stop,        ///< `q` or Esc: save this episode and stop recording.
};

/// A stable lower-case name ("success", "failure", "end_episode", "rerecord", "stop").
std::string_view to_string(RecordKey key);

/// Turns the bytes a terminal sends into keys: letters, space, Esc alone, and the arrow escape
/// sequences ESC [ C / ESC [ D (also ESC O C / ESC O D). A lone ESC is Stop only once no sequence
/// byte follows within `escape_timeout` (call flush()). Other bytes are ignored.
class KeyParser {
public:
    /// Feeds bytes; returns the keys completed by them.
    std::vector<RecordKey> feed(std::string_view bytes);
    /// Completes a pending lone ESC as Stop (call when no byte arrived within the timeout).
    std::vector<RecordKey> flush();
    bool pending() const { return !escape_.empty(); }

private:
    std::string escape_;
};

/// A source of keys, polled by the recording loop once per control step. Never blocks.
class KeySource {
public:
    virtual ~KeySource() = default;
    /// Every key pressed since the last poll, in order.
    virtual std::vector<RecordKey> poll() = 0;
    /// A short line for the status bar ("s success · f failure · ␣/→ end · r/← redo · q stop"), or
    /// empty when the source takes no keys (unattended).
    virtual std::string help() const { return {}; }
};

/// Keys given by a program: tests and the simulated operator. Thread-safe push(), poll() drains.
class ScriptedKeySource : public KeySource {
public:
    void push(RecordKey key);
    std::vector<RecordKey> poll() override;

private:
    std::mutex mutex_;
    std::deque<RecordKey> queue_;
};

/// No keys at all: recording runs to num_episodes.
class NoKeySource : public KeySource {
public:
    std::vector<RecordKey> poll() override { return {}; }
};

}  // namespace rcls::record
