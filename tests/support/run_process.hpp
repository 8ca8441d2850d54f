// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace rcls::testing {

/// What a finished child process left behind.
struct ProcessResult {
    int exit_code = -1;  ///< The exit status, or 128 + signal number if it was killed.
    std::string out;     ///< Everything it wrote to stdout.
    std::string err;     ///< Everything it wrote to stderr.
};

/// Runs `argv` (argv[0] is a path) with stdin from /dev/null, capturing both streams. Kills it
/// with SIGKILL after `timeout`. `env` entries "NAME=value" are added to the environment.
ProcessResult run_process(const std::vector<std::string>& argv,
                          std::chrono::seconds timeout = std::chrono::seconds(120),
                          const std::vector<std::string>& env = {});

/// run_process() on the rcls binary under test.
ProcessResult run_rcls(const std::vector<std::string>& args,
                       std::chrono::seconds timeout = std::chrono::seconds(120),
                       const std::vector<std::string>& env = {});

/// Number of lines in `text` (a last line without '\n' counts).
int count_lines(const std::string& text);

}  // namespace rcls::testing
