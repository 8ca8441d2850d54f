// SPDX-License-Identifier: MIT
#include "run_process.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <unistd.h>

#include <sys/inotify.h>
#include <sys/wait.h>

extern char** environ;

namespace rcls::testing {

ProcessResult run_process(const std::vector<std::string>& argv,
                          std::chrono::seconds timeout,
                          const std::vector<std::string>& env) {
    int out_pipe[2];
    int err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe failed");
    }
    std::vector<std::string> environment;
    for (char** e = environ; *e != nullptr; ++e)
        environment.emplace_back(*e);
    for (const std::string& extra : env)
        environment.push_back(extra);

    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        const int devnull = ::open("/dev/null", O_RDONLY);
        ::dup2(devnull, STDIN_FILENO);
        ::dup2(out_pipe[1], STDOUT_FILENO);
        ::dup2(err_pipe[1], STDERR_FILENO);
        std::vector<char*> args;
        for (const std::string& arg : argv)
            args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        std::vector<char*> envp;
        for (const std::string& item : environment)
            envp.push_back(const_cast<char*>(item.c_str()));
        envp.push_back(nullptr);
        ::execve(args[0], args.data(), envp.data());
        ::_exit(127);
    }
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);

    ProcessResult result;
    std::array<pollfd, 2> fds{{{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}}};
    std::array<std::string*, 2> sinks{&result.out, &result.err};
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int open_streams = 2;
    bool killed = false;
    while (open_streams > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            ::kill(pid, SIGKILL);
            killed = true;
            break;
        }
        const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            char buffer[65536];
            const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            if (n > 0) {
                sinks[i]->append(buffer, static_cast<std::size_t>(n));
            } else {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open_streams;
            }
        }
    }
    for (const pollfd& fd : fds) {
        if (fd.fd >= 0) ::close(fd.fd);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) {
        result.signal = WTERMSIG(status);
        result.exit_code = 128 + result.signal;
    }
    if (killed) result.err += "\n[run_process: killed after timeout]";
    return result;
}

ProcessResult run_rcls(const std::vector<std::string>& args,
                       std::chrono::seconds timeout,
                       const std::vector<std::string>& env) {
    std::vector<std::string> argv{RCLS_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, timeout, env);
}

namespace {

/// Forks and execs `argv` with `env` added, stdin and stdout on /dev/null, stderr on `err_fd`.
pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env, int err_fd) {
    std::vector<std::string> environment;
    for (char** e = environ; *e != nullptr; ++e)
        environment.emplace_back(*e);
    for (const std::string& extra : env)
        environment.push_back(extra);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        const int devnull = ::open("/dev/null", O_RDWR);
        ::dup2(devnull, STDIN_FILENO);
        ::dup2(devnull, STDOUT_FILENO);
        ::dup2(err_fd, STDERR_FILENO);
        std::vector<char*> args;
        for (const std::string& arg : argv)
            args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        std::vector<char*> envp;
        for (const std::string& item : environment)
            envp.push_back(const_cast<char*>(item.c_str()));
        envp.push_back(nullptr);
        ::execve(args[0], args.data(), envp.data());
        ::_exit(127);
    }
    return pid;
}

int milliseconds_left(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::vector<std::string>& env) {
    int err_pipe[2];
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    pid_ = spawn(argv, env, err_pipe[1]);
    ::close(err_pipe[1]);
    err_fd_ = err_pipe[0];
}

ChildProcess::~ChildProcess() {
    if (!reaped_ && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
    if (err_fd_ >= 0) ::close(err_fd_);
}

bool ChildProcess::read_some(int timeout_ms) {
    if (err_fd_ < 0) return false;
    pollfd fd{err_fd_, POLLIN, 0};
    const int ready = ::poll(&fd, 1, timeout_ms);
    if (ready < 0 && errno == EINTR) return true;
    if (ready <= 0) return false;
    char buffer[65536];
    const ssize_t n = ::read(err_fd_, buffer, sizeof buffer);
    if (n > 0) {
        err_.append(buffer, static_cast<std::size_t>(n));
        return true;
    }
    ::close(err_fd_);
    err_fd_ = -1;
    return false;
}

bool ChildProcess::wait_for_stderr(const std::string& text, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (err_.find(text) == std::string::npos) {
        if (!read_some(milliseconds_left(deadline)) &&
            (err_fd_ < 0 || std::chrono::steady_clock::now() >= deadline)) {
            return err_.find(text) != std::string::npos;
        }
    }
    return true;
}

void ChildProcess::signal(int sig) {
    if (!reaped_) ::kill(pid_, sig);
}

ProcessResult ChildProcess::wait(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool killed = false;
    while (err_fd_ >= 0) {
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(pid_, SIGKILL);
            killed = true;
            break;
        }
        read_some(milliseconds_left(deadline));
    }
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    ProcessResult result;
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) {
        result.signal = WTERMSIG(status);
        result.exit_code = 128 + result.signal;
    }
    result.err = err_;
    if (killed) result.err += "\n[ChildProcess: killed after timeout]";
    return result;
}

std::vector<std::string> rcls_argv(const std::vector<std::string>& args) {
    std::vector<std::string> argv{RCLS_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

bool wait_for_directory_change(const std::filesystem::path& dir,
                               const std::function<bool()>& ready,
                               std::chrono::milliseconds timeout) {
    const int fd = ::inotify_init1(IN_CLOEXEC);
    if (fd < 0) throw std::runtime_error("inotify_init1 failed");
    if (::inotify_add_watch(
            fd, dir.c_str(),
            IN_CREATE | IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) < 0) {
        ::close(fd);
        throw std::runtime_error("inotify_add_watch failed on " + dir.string());
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool done = ready();  // after the watch is set: no change can slip between
    while (!done) {
        pollfd p{fd, POLLIN, 0};
        const int n = ::poll(&p, 1, milliseconds_left(deadline));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // timed out
        alignas(inotify_event) char buffer[4096];
        if (::read(fd, buffer, sizeof buffer) < 0 && errno != EINTR) break;
        done = ready();
    }
    ::close(fd);
    return done || ready();
}

int count_lines(const std::string& text) {
    int lines = 0;
    for (const char ch : text)
        lines += ch == '\n' ? 1 : 0;
    if (!text.empty() && text.back() != '\n') ++lines;
    return lines;
}

}  // namespace rcls::testing
