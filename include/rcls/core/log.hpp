// SPDX-License-Identifier: MIT
//
// Logging set-up for the `rcls` binary. Logs go to stderr (stdout is for results: reports, JSON,
// --print-config). Only main() calls setup_logging(); library code just uses spdlog.
#pragma once

#include <memory>
#include <string>

namespace spdlog::sinks {
class sink;
}

namespace rcls {

/// What the global flags -v/-q/--log-file asked for.
struct LogSettings {
    int verbosity = 0;     ///< 0: info, 1: debug (-v), 2+: trace (-vv).
    bool quiet = false;    ///< -q: warnings and errors only, no progress bars.
    std::string log_file;  ///< --log-file: also append everything at debug level to this file.
};

/// Installs the default logger: stderr at the requested level (SPDLOG_LEVEL applies when no flag
/// is given), plus the log file when asked. Throws ConfigError if the log file cannot be opened.
/// `stderr_sink` writes the stderr lines (the CLI's terminal renderer passes its own, which keeps
/// log lines and live progress lines apart); null: a plain stderr sink.
void setup_logging(const LogSettings& settings,
                   std::shared_ptr<spdlog::sinks::sink> stderr_sink = nullptr);

/// Writes `message` to the log file only (if one is open); main() uses it for the final error,
/// which it prints to stderr itself.
void log_to_file_only(const std::string& message);

/// True when periodic progress lines should be logged (level info or lower).
bool progress_lines_enabled();

}  // namespace rcls
