// SPDX-License-Identifier: MIT
#include "terminal_renderer.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <spdlog/sinks/sink.h>
#include <spdlog/spdlog.h>

#include "rcls/core/clock.hpp"
#include "rcls/core/events.hpp"

namespace rcls::cli {
namespace {

using namespace std::chrono_literals;

const std::string kClear = "\r\033[K";
const std::string kUp = "\033[A\033[K";

/// A renderer writing into a string, on a virtual clock, with spdlog's default logger going
/// through it (pattern "level text").
class Rig {
public:
    explicit Rig(bool terminal,
                 bool quiet = false,
                 int columns = 200,
                 spdlog::level::level_enum level = spdlog::level::info) {
        stream_ = ::open_memstream(&buffer_, &size_);
        TerminalOptions options;
        options.stream = stream_;
        options.terminal = terminal;
        options.quiet = quiet;
        options.columns = columns;
        options.clock = &clock;
        renderer = std::make_shared<TerminalRenderer>(options);
        auto sink = make_log_sink(renderer);
        sink->set_pattern("%^%l%$ %v");
        previous_ = spdlog::default_logger();
        auto logger = std::make_shared<spdlog::logger>("test", sink);
        logger->set_level(level);
        spdlog::set_default_logger(logger);
    }
    ~Rig() {
        spdlog::set_default_logger(previous_);
        renderer.reset();
        std::fclose(stream_);
        std::free(buffer_);
    }
    Rig(const Rig&) = delete;
    Rig& operator=(const Rig&) = delete;

    std::string text() {
        std::fflush(stream_);
        return std::string(buffer_, size_);
    }

    VirtualClock clock;
    std::shared_ptr<TerminalRenderer> renderer;

private:
    std::FILE* stream_ = nullptr;
    char* buffer_ = nullptr;
    std::size_t size_ = 0;
    std::shared_ptr<spdlog::logger> previous_;
};

ProgressEvent job(std::uint64_t id,
                  std::uint64_t done,
                  std::uint64_t total,
                  double elapsed_s,
                  bool finished = false) {
    return ProgressEvent{.id = id,
                         .label = "preprocess",
                         .unit = "frames",
                         .done = done,
                         .total = total,
                         .elapsed_s = elapsed_s,
                         .note = "",
                         .finished = finished};
}

TEST(ProgressLine, ShowsBarCountsRateEtaAndNote) {
    ProgressEvent e = job(1, 7, 28, 2.0);
    e.note = "a.mp4";
    EXPECT_EQ(progress_line(e, true),
              "preprocess [#######.....................] 7/28 frames (3.5 frames/s, ETA 6.0 s)  "
              "a.mp4");
    EXPECT_EQ(progress_line(e, false), "preprocess: 7/28 frames (3.5 frames/s, ETA 6.0 s)");
    const ProgressEvent done = job(1, 28, 28, 8.0, true);
    EXPECT_EQ(progress_line(done, true),
              "preprocess [############################] 28/28 frames (3.5 frames/s, 8.0 s)");
    EXPECT_EQ(progress_line(done, false), "preprocess: 28/28 frames (3.5 frames/s, 8.0 s)");
    EXPECT_EQ(progress_line(job(1, 5, 0, 0.0), true), "preprocess 5 frames (0.0 frames/s)");
}

TEST(TerminalRenderer, DrawsABarAtOnceAndRedrawsAtMostTenTimesASecond) {
    Rig rig(true);
    const std::string start = progress_line(job(1, 0, 10, 0.0), true);
    rig.renderer->on_progress(job(1, 0, 10, 0.0));
    EXPECT_EQ(rig.text(), start);
    rig.clock.advance(50ms);
    rig.renderer->on_progress(job(1, 1, 10, 0.05));
    EXPECT_EQ(rig.text(), start) << "too soon to redraw";
    rig.clock.advance(50ms);
    rig.renderer->on_progress(job(1, 2, 10, 0.1));
    const std::string second = progress_line(job(1, 2, 10, 0.1), true);
    EXPECT_EQ(rig.text(), start + kClear + second);
    rig.clock.advance(10ms);
    rig.renderer->on_progress(job(1, 10, 10, 0.11, true));  // the end is never held back
    EXPECT_EQ(rig.text(), start + kClear + second + kClear +
                              progress_line(job(1, 10, 10, 0.11, true), true) + "\n");
}

TEST(TerminalRenderer, ConcurrentJobsGetALineEachAndAFinishedOneStaysAbove) {
    Rig rig(true);
    const std::string a0 = progress_line(job(1, 0, 10, 0.0), true);
    const std::string b0 = progress_line(job(2, 0, 5, 0.0), true);
    rig.renderer->on_progress(job(1, 0, 10, 0.0));
    rig.renderer->on_progress(job(2, 0, 5, 0.0));  // a new job is drawn at once
    EXPECT_EQ(rig.text(), a0 + kClear + a0 + "\n" + b0);
    rig.clock.advance(200ms);
    rig.renderer->on_progress(job(1, 4, 10, 0.2));
    const std::string a4 = progress_line(job(1, 4, 10, 0.2), true);
    std::string expected = a0 + kClear + a0 + "\n" + b0 + kClear + kUp + a4 + "\n" + b0;
    EXPECT_EQ(rig.text(), expected);
    rig.renderer->on_progress(job(1, 10, 10, 0.3, true));
    expected += kClear + kUp + progress_line(job(1, 10, 10, 0.3, true), true) + "\n" + b0;
    EXPECT_EQ(rig.text(), expected);
}

TEST(TerminalRenderer, AStatusLineReplacesItsSourcesPreviousLine) {
    Rig rig(true);
    rig.renderer->on_status({"teleop", "30.0 Hz", false});
    EXPECT_EQ(rig.text(), "30.0 Hz");
    rig.clock.advance(100ms);
    rig.renderer->on_status({"teleop", "29.9 Hz", false});
    EXPECT_EQ(rig.text(), "30.0 Hz" + kClear + "29.9 Hz");
    rig.renderer->on_status({"record", "episode 1 recording", false});  // a new source: at once
    std::string expected = "30.0 Hz" + kClear + "29.9 Hz" + kClear + "29.9 Hz\nepisode 1 recording";
    EXPECT_EQ(rig.text(), expected);
    rig.renderer->on_status({"teleop", "29.8 Hz", false});  // held back (10/s) ...
    EXPECT_EQ(rig.text(), expected);
    rig.renderer->close();  // ... but shown when the session ends, and the line is ended
    expected += kClear + kUp + "29.8 Hz\nepisode 1 recording\n";
    EXPECT_EQ(rig.text(), expected);
    rig.renderer->on_status({"record", "episode 2 recording", false});  // afresh after close()
    expected += "episode 2 recording";
    EXPECT_EQ(rig.text(), expected);
    rig.renderer->on_status({"record", "", false});  // empty: the source's line goes
    expected += kClear;
    EXPECT_EQ(rig.text(), expected);
}

TEST(TerminalRenderer, LogLinesGoAboveTheLiveLines) {
    Rig rig(true);
    rig.renderer->on_progress(job(1, 0, 10, 0.0));
    const std::string bar = progress_line(job(1, 0, 10, 0.0), true);
    spdlog::warn("disk almost full");
    EXPECT_EQ(rig.text(), bar + kClear + "\033[33mwarning\033[0m disk almost full\n" + bar);
    rig.renderer->on_notice({"record", "Reset done.", "Reset done."});
    EXPECT_EQ(rig.text(), bar + kClear + "\033[33mwarning\033[0m disk almost full\n" + bar +
                              kClear + "\033[32minfo\033[0m Reset done.\n" + bar);
}

TEST(TerminalRenderer, AStatusAskedToBeLoggedIsLoggedAndShownLive) {
    Rig rig(true);
    rig.renderer->on_status({"record", "episode 3 saved", true});
    EXPECT_EQ(rig.text(), "episode 3 saved" + kClear +
                              "\033[32minfo\033[0m record: episode 3 saved\n" + "episode 3 saved");
}

TEST(TerminalRenderer, LiveLinesAreCutToTheTerminalWidth) {
    Rig rig(true, false, 12);
    rig.renderer->on_status({"teleop", "0123456789abcdef", false});
    EXPECT_EQ(rig.text(), "0123456789a");
    rig.renderer->close();
    const std::string e_acute = "\xc3\xa9";  // one column, two bytes
    std::string six;
    for (int i = 0; i < 6; ++i)
        six += e_acute;
    rig.renderer->on_status({"teleop", six + "abcdefgh", false});
    EXPECT_EQ(rig.text(), "0123456789a\n" + six + "abcde");
}

TEST(TerminalRenderer, ElsewhereLogsProgressEveryFiveSecondsAndAtTheEnd) {
    Rig rig(false);
    rig.renderer->on_progress(job(1, 0, 10, 0.0));
    rig.clock.advance(1s);
    rig.renderer->on_progress(job(1, 1, 10, 1.0));
    EXPECT_EQ(rig.text(), "");
    rig.clock.advance(4s);
    rig.renderer->on_progress(job(1, 5, 10, 5.0));
    std::string expected = "info " + progress_line(job(1, 5, 10, 5.0), false) + "\n";
    EXPECT_EQ(rig.text(), expected);
    rig.clock.advance(1s);
    rig.renderer->on_progress(job(1, 6, 10, 6.0));
    EXPECT_EQ(rig.text(), expected);
    rig.renderer->on_progress(job(1, 10, 10, 6.5, true));
    expected += "info " + progress_line(job(1, 10, 10, 6.5, true), false) + "\n";
    EXPECT_EQ(rig.text(), expected);
    rig.renderer->close();
    EXPECT_EQ(rig.text(), expected) << "no live lines, nothing to end";
}

TEST(TerminalRenderer, ElsewhereLogsAStatusAtMostEveryFiveSeconds) {
    Rig rig(false);
    rig.renderer->on_status({"teleop", "30.0 Hz", false});
    std::string expected = "info teleop: 30.0 Hz\n";
    EXPECT_EQ(rig.text(), expected);
    rig.clock.advance(4s);
    rig.renderer->on_status({"teleop", "29.0 Hz", false});
    rig.renderer->on_status({"record", "episode 1", false});  // its own source: its own clock
    expected += "info record: episode 1\n";
    EXPECT_EQ(rig.text(), expected);
    rig.renderer->on_status({"record", "episode 1 saved", true});  // asked for: always
    expected += "info record: episode 1 saved\n";
    EXPECT_EQ(rig.text(), expected);
    rig.clock.advance(1s);
    rig.renderer->on_status({"teleop", "28.0 Hz", false});
    expected += "info teleop: 28.0 Hz\n";
    EXPECT_EQ(rig.text(), expected);
    EXPECT_EQ(expected.find('\033'), std::string::npos);
}

TEST(TerminalRenderer, QuietShowsNothing) {
    // -q: the renderer is quiet and stderr's level is warn.
    for (const bool terminal : {true, false}) {
        Rig rig(terminal, true, 200, spdlog::level::warn);
        rig.renderer->on_progress(job(1, 0, 10, 0.0));
        rig.clock.advance(10s);
        rig.renderer->on_progress(job(1, 5, 10, 10.0));
        rig.renderer->on_status({"teleop", "30.0 Hz", false});
        rig.renderer->on_status({"record", "episode 1 saved", true});
        rig.renderer->on_notice({"record", "Reset done.", ""});
        rig.renderer->on_progress(job(1, 10, 10, 11.0, true));
        rig.renderer->close();
        EXPECT_EQ(rig.text(), "") << terminal;
        spdlog::error("still shown");
        EXPECT_NE(rig.text().find("still shown\n"), std::string::npos) << terminal;
    }
}

TEST(TerminalRenderer, IsTheInstalledSinkEventsReach) {
    Rig rig(true);
    EventSink* previous = set_event_sink(rig.renderer.get());
    emit(StatusEvent{"teleop", "30.0 Hz", false});
    set_event_sink(previous);
    EXPECT_EQ(rig.text(), "30.0 Hz");
}

}  // namespace
}  // namespace rcls::cli
