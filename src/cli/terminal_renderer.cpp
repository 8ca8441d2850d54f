// SPDX-License-Identifier: MIT
#include "terminal_renderer.hpp"

#include <algorithm>
#include <unistd.h>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "rcls/core/strings.hpp"

#include "speech.hpp"
#include <sys/ioctl.h>

namespace rcls::cli {
namespace {

constexpr int kBarWidth = 28;
constexpr const char* kClearLine = "\r\033[K";
constexpr const char* kUpAndClear = "\033[A\033[K";

/// `text` cut to `width` characters (UTF-8 aware: continuation bytes take no column).
std::string fit(const std::string& text, int width) {
    int shown = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if ((byte & 0xC0) == 0x80) continue;
        if (shown == width) return text.substr(0, i);
        ++shown;
    }
    return text;
}

}  // namespace

std::string progress_line(const ProgressEvent& event, bool bar) {
    const double rate =
        event.elapsed_s > 0.0 ? static_cast<double>(event.done) / event.elapsed_s : 0.0;
    std::string counts = std::to_string(event.done);
    if (event.total > 0) counts += "/" + std::to_string(event.total);
    counts += " " + event.unit;
    char rate_text[64];
    std::snprintf(rate_text, sizeof rate_text, "%.1f %s/s", rate, event.unit.c_str());
    std::string tail;
    if (event.finished) {
        tail = ", " + format_duration(event.elapsed_s);
    } else if (event.total > 0 && rate > 0.0 && event.done < event.total) {
        tail = ", ETA " + format_duration(static_cast<double>(event.total - event.done) / rate);
    }
    if (!bar) return event.label + ": " + counts + " (" + rate_text + tail + ")";
    std::string line = event.label + " ";
    if (event.total > 0) {
        const auto filled =
            static_cast<int>(kBarWidth * std::min(1.0, static_cast<double>(event.done) /
                                                           static_cast<double>(event.total)));
        line += "[" + std::string(static_cast<std::size_t>(filled), '#') +
                std::string(static_cast<std::size_t>(kBarWidth - filled), '.') + "] ";
    }
    line += counts + " (" + rate_text + tail + ")";
    if (!event.note.empty()) line += "  " + event.note;
    return line;
}

TerminalRenderer::TerminalRenderer(TerminalOptions options)
    : options_(options), quiet_(options.quiet) {}

void TerminalRenderer::set_quiet(bool quiet) {
    quiet_.store(quiet);
}

Clock::time_point TerminalRenderer::now() const {
    return (options_.clock != nullptr ? *options_.clock : steady_clock()).now();
}

int TerminalRenderer::columns() const {
    if (options_.columns > 0) return options_.columns;
    winsize size{};
    if (::ioctl(::fileno(options_.stream), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
        return size.ws_col;
    }
    return 80;
}

void TerminalRenderer::write_locked(std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), options_.stream);
}

void TerminalRenderer::erase_locked() {
    if (drawn_lines_ == 0) return;
    write_locked(kClearLine);
    for (int i = 1; i < drawn_lines_; ++i)
        write_locked(kUpAndClear);
    drawn_lines_ = 0;
}

void TerminalRenderer::draw_locked() {
    erase_locked();
    // One column short of the width: a line that fills it exactly would wrap on some terminals,
    // and the region's height would no longer be its line count.
    const int width = std::max(1, columns() - 1);
    std::string text;
    int lines = 0;
    auto add = [&](const std::string& line) {
        if (lines > 0) text += '\n';
        text += fit(line, width);
        ++lines;
    };
    for (const Job& job : jobs_)
        add(progress_line(job.last, true));
    for (const Status& status : statuses_)
        add(status.text);
    write_locked(text);
    std::fflush(options_.stream);
    drawn_lines_ = lines;
    dirty_ = false;
    last_draw_ = now();
}

void TerminalRenderer::maybe_draw_locked(bool at_once) {
    dirty_ = true;
    if (at_once || seconds_between(last_draw_, now()) >= options_.redraw_interval_s) draw_locked();
}

void TerminalRenderer::on_progress(const ProgressEvent& event) {
    if (quiet_.load()) return;
    std::string log_line;
    {
        std::lock_guard lock(mutex_);
        auto job = std::find_if(jobs_.begin(), jobs_.end(),
                                [&](const Job& j) { return j.last.id == event.id; });
        const bool started = job == jobs_.end();
        if (started) {
            jobs_.push_back({event, now()});
            job = jobs_.end() - 1;
        }
        job->last = event;
        if (options_.terminal) {
            if (event.finished) {
                jobs_.erase(job);
                erase_locked();
                write_locked(progress_line(event, true) + "\n");
                draw_locked();
            } else {
                maybe_draw_locked(started);
            }
        } else {
            const Clock::time_point t = now();
            if (event.finished || seconds_between(job->last_line, t) >= options_.line_interval_s) {
                job->last_line = t;
                log_line = progress_line(event, false);
            }
            if (event.finished) jobs_.erase(job);
        }
    }
    if (!log_line.empty()) spdlog::info("{}", log_line);
}

void TerminalRenderer::on_status(const StatusEvent& event) {
    std::string log_line;
    if (event.log) log_line = event.source + ": " + event.text;
    if (!quiet_.load()) {
        std::lock_guard lock(mutex_);
        auto status = std::find_if(statuses_.begin(), statuses_.end(),
                                   [&](const Status& s) { return s.source == event.source; });
        const bool added = status == statuses_.end();
        if (event.text.empty()) {  // the source has nothing more to show: its line goes
            if (!added) {
                statuses_.erase(status);
                if (options_.terminal) maybe_draw_locked(true);
            }
        } else {
            if (added) {
                statuses_.push_back({event.source, event.text, now(), false});
                status = statuses_.end() - 1;
            }
            status->text = event.text;
            if (options_.terminal) {
                maybe_draw_locked(added);
            } else if (!event.log) {
                const Clock::time_point t = now();
                if (!status->logged ||
                    seconds_between(status->last_line, t) >= options_.line_interval_s) {
                    status->logged = true;
                    status->last_line = t;
                    log_line = event.source + ": " + event.text;
                }
            }
        }
    }
    if (!log_line.empty()) spdlog::info("{}", log_line);
}

void TerminalRenderer::on_notice(const NoticeEvent& event) {
    if (!event.text.empty()) spdlog::info("{}", event.text);
    speak(event.speech);  // when spoken cues are on (cli/speech.hpp); never blocks
}

void TerminalRenderer::write_log_line(std::string_view line,
                                      int level,
                                      std::size_t colour_begin,
                                      std::size_t colour_end) {
    std::lock_guard lock(mutex_);
    if (options_.terminal) {
        erase_locked();
    }
    if (options_.terminal && colour_end > colour_begin && colour_end <= line.size()) {
        const char* colour = level >= spdlog::level::err    ? "\033[31m"
                             : level == spdlog::level::warn ? "\033[33m"
                                                            : "\033[32m";
        write_locked(line.substr(0, colour_begin));
        write_locked(colour);
        write_locked(line.substr(colour_begin, colour_end - colour_begin));
        write_locked("\033[0m");
        write_locked(line.substr(colour_end));
    } else {
        write_locked(line);
    }
    if (options_.terminal && (!jobs_.empty() || !statuses_.empty())) {
        draw_locked();
    } else {
        std::fflush(options_.stream);
    }
}

void TerminalRenderer::close() {
    std::lock_guard lock(mutex_);
    if (options_.terminal && dirty_) draw_locked();
    if (drawn_lines_ > 0) write_locked("\n");
    std::fflush(options_.stream);
    drawn_lines_ = 0;
    jobs_.clear();
    statuses_.clear();
    dirty_ = false;
}

namespace {

class RendererLogSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit RendererLogSink(std::shared_ptr<TerminalRenderer> renderer)
        : renderer_(std::move(renderer)) {}

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t formatted;
        formatter_->format(msg, formatted);
        renderer_->write_log_line(std::string_view(formatted.data(), formatted.size()),
                                  static_cast<int>(msg.level), msg.color_range_start,
                                  msg.color_range_end);
    }
    void flush_() override {}

private:
    std::shared_ptr<TerminalRenderer> renderer_;
};

}  // namespace

std::shared_ptr<spdlog::sinks::sink> make_log_sink(std::shared_ptr<TerminalRenderer> renderer) {
    return std::make_shared<RendererLogSink>(std::move(renderer));
}

TerminalSession::TerminalSession(const LogSettings& settings) {
    TerminalOptions options;
    options.stream = stderr;
    options.terminal = ::isatty(STDERR_FILENO) == 1;
    renderer_ = std::make_shared<TerminalRenderer>(options);
    setup_logging(settings, make_log_sink(renderer_));
    // -q, or SPDLOG_LEVEL above info: no progress or status lines (known once logging is set up).
    renderer_->set_quiet(!progress_lines_enabled());
    previous_ = set_event_sink(renderer_.get());
}

TerminalSession::~TerminalSession() {
    set_event_sink(previous_);
    renderer_->close();
}

}  // namespace rcls::cli
