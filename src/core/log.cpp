// SPDX-License-Identifier: MIT
#include "rcls/core/log.hpp"

#include <atomic>
#include <cstdlib>
#include <memory>
#include <unistd.h>

#include <spdlog/cfg/env.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"

namespace rcls {
namespace {

std::shared_ptr<spdlog::sinks::sink> g_file_sink;

}  // namespace

void setup_logging(const LogSettings& settings, std::shared_ptr<spdlog::sinks::sink> stderr_sink) {
    if (!stderr_sink) stderr_sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
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

bool progress_lines_enabled() {
    return stderr_level() <= spdlog::level::info;
}

}  // namespace rcls
