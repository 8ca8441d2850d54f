// SPDX-License-Identifier: MIT
#include "rcls/core/log.hpp"

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <unistd.h>

#include <spdlog/cfg/env.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"

namespace rcls {
namespace {

std::atomic<bool> g_bar_visible{false};
std::shared_ptr<spdlog::sinks::sink> g_file_sink;

/// stderr sink that first wipes a progress bar drawn on the current line, and colours the level
/// name on a terminal.
class StderrSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    StderrSink() : tty_(::isatty(STDERR_FILENO) == 1) {}

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t formatted;
        formatter_->format(msg, formatted);
        if (tty_ && g_bar_visible.load()) std::fputs("\r\033[K", stderr);
        if (tty_ && msg.color_range_end > msg.color_range_start) {
            const char* colour = msg.level >= spdlog::level::err    ? "\033[31m"
                                 : msg.level == spdlog::level::warn ? "\033[33m"
                                                                    : "\033[32m";
            std::fwrite(formatted.data(), 1, msg.color_range_start, stderr);
            std::fputs(colour, stderr);
            std::fwrite(formatted.data() + msg.color_range_start, 1,
                        msg.color_range_end - msg.color_range_start, stderr);
            std::fputs("\033[0m", stderr);
            std::fwrite(formatted.data() + msg.color_range_end, 1,
                        formatted.size() - msg.color_range_end, stderr);
        } else {
            std::fwrite(formatted.data(), 1, formatted.size(), stderr);
        }
        std::fflush(stderr);
    }
    void flush_() override { std::fflush(stderr); }

private:
    bool tty_;
};

}  // namespace

void setup_logging(const LogSettings& settings) {
    auto stderr_sink = std::make_shared<StderrSink>();
    stderr_sink->set_pattern("[%H:%M:%S] %^%l%$ %v");
    std::vector<spdlog::sink_ptr> sinks{stderr_sink};
    if (!settings.log_file.empty()) {
        try {
            g_file_sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(settings.log_file);
        } catch (const spdlog::spdlog_ex& e) {
            throw ConfigError("--log-file " + settings.log_file + ": cannot open: " + e.what());
        }
        g_file_sink->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%t] %l %v");
        g_file_sink->set_level(spdlog::level::debug);
        sinks.push_back(g_file_sink);
    }
    auto logger = std::make_shared<spdlog::logger>("rcls", sinks.begin(), sinks.end());
    spdlog::set_default_logger(logger);
    spdlog::level::level_enum level = spdlog::level::info;
    spdlog::cfg::load_env_levels();  // SPDLOG_LEVEL=debug, when no flag says otherwise
    if (const char* env = std::getenv("SPDLOG_LEVEL"); env != nullptr && *env != '\0') {
        level = spdlog::default_logger()->level();
    }
    if (settings.quiet) level = spdlog::level::warn;
    if (settings.verbosity == 1) level = spdlog::level::debug;
    if (settings.verbosity >= 2) level = spdlog::level::trace;
    stderr_sink->set_level(level);
    logger->set_level(g_file_sink ? std::min(level, spdlog::level::debug) : level);
    logger->flush_on(spdlog::level::info);
}

void log_to_file_only(const std::string& message) {
    if (!g_file_sink) return;
    spdlog::details::log_msg msg("rcls", spdlog::level::err, message);
    g_file_sink->log(msg);
    g_file_sink->flush();
}

namespace {
spdlog::level::level_enum stderr_level() {
    const auto& sinks = spdlog::default_logger()->sinks();
    return sinks.empty() ? spdlog::default_logger()->level() : sinks.front()->level();
}
}  // namespace

bool progress_bars_enabled() {
    return ::isatty(STDERR_FILENO) == 1 && stderr_level() <= spdlog::level::info;
}

bool progress_lines_enabled() {
    return stderr_level() <= spdlog::level::info;
}

void detail::set_progress_bar_visible(bool visible) {
    g_bar_visible.store(visible);
}

}  // namespace rcls
