// SPDX-License-Identifier: MIT
//
// Spoken cues (issue 12: "Recording episode 3", "Resetting. 5 seconds.", "Reset done."), as
// LeRobot's log_say: the text of a NoticeEvent's `speech` goes to `spd-say` (LeRobot's program on
// Linux), else `espeak-ng`, else `espeak`, whichever is first found on PATH. Speaking never blocks
// the caller: utterances wait in a short queue for one speaker thread that says them one at a time
// and in order; when they pile up (a slow speech program) the oldest waiting ones are dropped, so
// that what is said stays current. Without a speech program nothing is said (one debug line says
// so); the text is logged anyway (the terminal renderer logs every NoticeEvent).
//
// Off until set_speech_enabled(true): `rcls record` turns it on unless `play_sounds` is false or
// `--no-audio` is given.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace rcls::cli {

/// Turns spoken cues on or off (off at start). Turning them off drops the waiting ones.
void set_speech_enabled(bool enabled);
bool speech_enabled();

/// Queues `text` to be spoken when speech is enabled and `text` is not empty; returns at once.
void speak(const std::string& text);

/// At most this many utterances wait behind the one being spoken; more drop the oldest.
inline constexpr std::size_t kMaxWaitingUtterances = 2;

/// Waits until nothing is being spoken or waiting, or `timeout` passed; true when idle. For the
/// end of a command (so that a last cue is heard) and tests.
bool wait_for_speech(std::chrono::milliseconds timeout);

/// Utterances dropped because they piled up, since the start of the process.
std::int64_t dropped_utterances();

}  // namespace rcls::cli
