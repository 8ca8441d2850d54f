// SPDX-License-Identifier: MIT
//
// How workflows report what they are doing. Library code never draws on the terminal: it emits
// events to the process-wide sink, and the sink decides what a person sees. The `rcls` binary
// installs a terminal renderer (progress bars and status lines on a terminal, periodic log lines
// elsewhere, nothing with -q); tests install a recording sink; with no sink installed events are
// dropped. Thread-safe: events may come from any thread; a sink serialises them itself.
#pragma once

#include <cstdint>
#include <string>

namespace rcls {

/// A long job's progress: `done` of `total` units (total 0: unknown). `id` tells concurrent jobs
/// apart within one process; `finished` is set once, on the job's last event.
struct ProgressEvent {
    std::uint64_t id = 0;
    std::string label;  ///< What is being done ("preprocess", "train").
    std::string unit;   ///< "frames", "steps", "episodes".
    std::uint64_t done = 0;
    std::uint64_t total = 0;
    double elapsed_s = 0;  ///< Since the job started.
    std::string note;      ///< A short note (the file in hand, the current loss).
    bool finished = false;
};

/// A live status line that replaces the previous one of the same `source` (teleop's loop
/// statistics, record's episode state). `text` is one line without ANSI codes; the renderer
/// decides how and how often to show it. `log` asks for it to be kept in the log as well.
struct StatusEvent {
    std::string source;
    std::string text;
    bool log = false;
};

/// A moment a person should notice (a spoken cue, an episode saved): shown as a log line by the
/// terminal renderer; an audio sink may speak `speech` when it is not empty.
struct NoticeEvent {
    std::string source;
    std::string text;
    std::string speech;
};

/// Receives events. Implementations must be thread-safe.
class EventSink {
public:
    virtual ~EventSink() = default;
    virtual void on_progress(const ProgressEvent& event) = 0;
    virtual void on_status(const StatusEvent& event) = 0;
    virtual void on_notice(const NoticeEvent& event) = 0;
};

/// The sink events go to (a sink that drops everything when none was installed).
EventSink& event_sink();

/// Installs `sink` for the whole process and returns the previous one (null: the dropping sink).
/// The caller keeps `sink` alive until it is replaced. main() and tests call it.
EventSink* set_event_sink(EventSink* sink);

/// Shorthands for the current sink.
void emit(const ProgressEvent& event);
void emit(const StatusEvent& event);
void emit(const NoticeEvent& event);

/// A fresh id for a ProgressEvent stream.
std::uint64_t next_progress_id();

}  // namespace rcls
