// SPDX-License-Identifier: MIT
//
// The one place that draws on the terminal. Workflows emit events (core/events.hpp); the `rcls`
// binary installs a TerminalRenderer as the event sink and routes its stderr log lines through it:
//   - on a terminal: a live region at the bottom of stderr, one line per running job (bar, counts,
//     rate, ETA, note) and one per StatusEvent source, redrawn at most every redraw_interval_s;
//     log lines are written above it (the region is cleared first and drawn again after), and a
//     finished job leaves its last line in place;
//   - elsewhere (pipes, CI logs): an info line per job every line_interval_s and at its end, a
//     status source's line at most every line_interval_s;
//   - quiet (-q, or a log level above info): neither.
// StatusEvents with `log` set and NoticeEvents become info log lines in every mode (the log level
// decides whether stderr shows them; the log file keeps them). A NoticeEvent's `speech` is also
// spoken when spoken cues are on (cli/speech.hpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "rcls/core/clock.hpp"
#include "rcls/core/events.hpp"
#include "rcls/core/log.hpp"

namespace rcls::cli {

struct TerminalOptions {
    std::FILE* stream = stderr;
    bool terminal = false;  ///< Live lines and coloured level names (stream is a terminal).
    bool quiet = false;     ///< No progress or status output at all.
    int columns = 0;  ///< Live lines are cut to fit; 0: ask the terminal (80 if it can't say).
    const Clock* clock = nullptr;  ///< Times redraws and periodic lines; null: the steady clock.
    double redraw_interval_s = 0.1;
    double line_interval_s = 5.0;
};

class TerminalRenderer final : public EventSink {
public:
    explicit TerminalRenderer(TerminalOptions options);

    void on_progress(const ProgressEvent& event) override;
    void on_status(const StatusEvent& event) override;
    void on_notice(const NoticeEvent& event) override;

    /// Changes TerminalOptions::quiet.
    void set_quiet(bool quiet);

    /// Writes one formatted log line (ending in '\n'). On a terminal the live lines are cleared
    /// first and drawn again after, and bytes [colour_begin, colour_end) (the level name) are
    /// coloured by `level` (spdlog's level number).
    void write_log_line(std::string_view line,
                        int level,
                        std::size_t colour_begin = 0,
                        std::size_t colour_end = 0);

    /// Leaves the live lines on screen in their latest state, ends them with a newline and
    /// forgets them (main() calls it before its last message). Later events start afresh.
    void close();

private:
    struct Job {
        ProgressEvent last;
        Clock::time_point last_line;  ///< When its last periodic line was logged (not a terminal).
    };
    struct Status {
        std::string source;
        std::string text;
        Clock::time_point last_line;
        bool logged = false;
    };

    Clock::time_point now() const;
    int columns() const;
    void draw_locked();
    void erase_locked();
    void maybe_draw_locked(bool now);
    void write_locked(std::string_view text);

    TerminalOptions options_;
    std::atomic<bool> quiet_;
    std::mutex mutex_;
    std::vector<Job> jobs_;  ///< Running jobs, in the order they started.
    std::vector<Status> statuses_;
    int drawn_lines_ = 0;  ///< Live lines now on screen (the cursor ends the last one).
    bool dirty_ = false;   ///< A change not drawn yet (throttled).
    Clock::time_point last_draw_{};
};

/// A job's line: on a terminal "label [####......] 3/10 frames (1.5 frames/s, ETA 5s)  note",
/// else (bar false) "label: 3/10 frames (1.5 frames/s, ETA 5s)". A finished job shows its
/// duration in place of the ETA.
std::string progress_line(const ProgressEvent& event, bool bar);

/// A spdlog sink that writes through `renderer` (keeping it alive).
std::shared_ptr<spdlog::sinks::sink> make_log_sink(std::shared_ptr<TerminalRenderer> renderer);

/// main()'s set-up of what a person sees: logging (setup_logging) with stderr through a
/// TerminalRenderer, installed as the event sink for the session's lifetime. The destructor
/// uninstalls it and ends its live lines, so that a last error line starts on a line of its own.
class TerminalSession {
public:
    explicit TerminalSession(const LogSettings& settings);
    ~TerminalSession();
    TerminalSession(const TerminalSession&) = delete;
    TerminalSession& operator=(const TerminalSession&) = delete;

private:
    std::shared_ptr<TerminalRenderer> renderer_;
    EventSink* previous_ = nullptr;
};

}  // namespace rcls::cli
