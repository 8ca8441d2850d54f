// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace rcls::testing {

/// What a finished child process left behind.
struct ProcessResult {
    int exit_code = -1;  ///< The exit status, or 128 + signal number if it was killed.
    int signal = 0;      ///< The signal that killed it; 0 when it exited.
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

/// A child process the test talks to while it runs: stdin and stdout on /dev/null, stderr on a
/// pipe the test reads to learn when the child is ready (a log line), instead of sleeping.
/// The destructor kills (SIGKILL) and reaps a child still running.
class ChildProcess {
public:
    /// Starts `argv` (argv[0] is a path); `env` entries "NAME=value" are added.
    explicit ChildProcess(const std::vector<std::string>& argv,
                          const std::vector<std::string>& env = {});
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }

    /// Reads stderr until it holds `text` (true) or `timeout` passes or stderr closes (false).
    bool wait_for_stderr(const std::string& text, std::chrono::milliseconds timeout);

    /// Sends `signal` to the child.
    void signal(int sig);

    /// Reads stderr to its end and reaps the child: its exit code (128 + signal if killed) and
    /// everything it wrote to stderr (out stays empty). Kills it after `timeout`.
    ProcessResult wait(std::chrono::seconds timeout = std::chrono::seconds(120));

private:
    bool read_some(int timeout_ms);

    pid_t pid_ = -1;
    int err_fd_ = -1;
    std::string err_;
    bool reaped_ = false;
};

/// The rcls binary under test as a ChildProcess.
std::vector<std::string> rcls_argv(const std::vector<std::string>& args);

/// Waits until `ready()` is true, re-checking it each time an entry of `dir` (which must exist) is
/// created, written, closed, moved or deleted (inotify), never on a timer. Returns ready()'s last
/// answer, false once `timeout` passed without it.
bool wait_for_directory_change(const std::filesystem::path& dir,
                               const std::function<bool()>& ready,
                               std::chrono::milliseconds timeout);

/// Number of lines in `text` (a last line without '\n' counts).
int count_lines(const std::string& text);

}  // namespace rcls::testing
