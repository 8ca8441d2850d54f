// SPDX-License-Identifier: MIT
//
// TerminalKeySource through real pseudo-terminals: bytes written to the master side come out as
// keys, raw mode is on while it lives, and the terminal's settings come back on every way out.
#include "terminal_keys.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <string>
#include <termios.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "rcls/core/interrupt.hpp"

#include <sys/resource.h>
#include <sys/wait.h>

namespace rcls::cli {
namespace {

using namespace std::chrono_literals;
using record::RecordKey;
using Keys = std::vector<RecordKey>;

struct Pty {
    int master = -1;
    int slave = -1;
    Pty() {
        if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) {
            ADD_FAILURE() << "openpty failed";
        }
    }
    ~Pty() {
        if (master >= 0) ::close(master);
        if (slave >= 0) ::close(slave);
    }
    void send(const std::string& bytes) const {
        ASSERT_EQ(::write(master, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    }
    termios settings() const {
        termios t{};
        EXPECT_EQ(::tcgetattr(slave, &t), 0);
        return t;
    }
};

void expect_same(const termios& a, const termios& b) {
    EXPECT_EQ(a.c_iflag, b.c_iflag);
    EXPECT_EQ(a.c_oflag, b.c_oflag);
    EXPECT_EQ(a.c_cflag, b.c_cflag);
    EXPECT_EQ(a.c_lflag, b.c_lflag);
    for (std::size_t i = 0; i < NCCS; ++i)
        EXPECT_EQ(a.c_cc[i], b.c_cc[i]) << "c_cc " << i;
}

/// Polls until `count` keys came or 3 s passed.
Keys poll_for(record::KeySource& source, std::size_t count) {
    Keys all;
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (all.size() < count && std::chrono::steady_clock::now() < deadline) {
        const Keys keys = source.poll();
        all.insert(all.end(), keys.begin(), keys.end());
        std::this_thread::sleep_for(5ms);
    }
    return all;
}

TEST(TerminalKeys, RawWhileAliveKeysArriveAndTheSettingsComeBack) {
    Pty pty;
    const termios before = pty.settings();
    ASSERT_TRUE(before.c_lflag & ICANON);
    ASSERT_TRUE(before.c_lflag & ECHO);
    {
        TerminalKeySource source(pty.slave);
        EXPECT_TRUE(source.raw());
        EXPECT_FALSE(source.help().empty());
        const termios during = pty.settings();
        EXPECT_FALSE(during.c_lflag & ICANON);
        EXPECT_FALSE(during.c_lflag & ECHO);
        EXPECT_TRUE(during.c_lflag & ISIG) << "Ctrl-C must still reach the process";
        EXPECT_EQ(source.poll(), Keys{});

        pty.send("s\x1b[Cx\x1bOD F");
        EXPECT_EQ(poll_for(source, 5),
                  (Keys{RecordKey::Success, RecordKey::EndEpisode, RecordKey::Rerecord,
                        RecordKey::EndEpisode, RecordKey::Failure}));
        // A sequence split over two writes.
        pty.send("\x1b[");
        std::this_thread::sleep_for(10ms);
        EXPECT_EQ(source.poll(), Keys{});
        pty.send("D");
        EXPECT_EQ(poll_for(source, 1), Keys{RecordKey::Rerecord});
    }
    expect_same(pty.settings(), before);
}

TEST(TerminalKeys, LoneEscapeIsStopAfterTheTimeout) {
    Pty pty;
    TerminalKeySource source(pty.slave, 50ms);
    pty.send("\x1b");
    // The poll that reads the Esc cannot know yet whether a sequence follows.
    Keys keys;
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (keys.empty() && std::chrono::steady_clock::now() < deadline) {
        keys = source.poll();
        if (keys.empty()) std::this_thread::sleep_for(5ms);
    }
    EXPECT_EQ(keys, Keys{RecordKey::Stop});
    pty.send("q");
    EXPECT_EQ(poll_for(source, 1), Keys{RecordKey::Stop});
}

TEST(TerminalKeys, EscapeIsNotStopBeforeTheTimeout) {
    Pty pty;
    TerminalKeySource source(pty.slave, 2000ms);
    pty.send("\x1b");
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < 200ms) {
        EXPECT_EQ(source.poll(), Keys{});
        std::this_thread::sleep_for(10ms);
    }
    pty.send("[C");  // late, but within the timeout: still the arrow
    EXPECT_EQ(poll_for(source, 1), Keys{RecordKey::EndEpisode});
}

TEST(TerminalKeys, TypeaheadFromBeforeIsDropped) {
    Pty pty;
    pty.send("s");
    std::this_thread::sleep_for(20ms);
    TerminalKeySource source(pty.slave);
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(source.poll(), Keys{});
}

TEST(TerminalKeys, OneTerminalInRawModeAtATime) {
    Pty a;
    Pty b;
    TerminalKeySource first(a.slave);
    EXPECT_THROW(TerminalKeySource second(b.slave), std::logic_error);
}

TEST(TerminalKeys, NotATerminalIsReadAsItIs) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    {
        TerminalKeySource source(fds[0]);
        EXPECT_FALSE(source.raw());
        ASSERT_EQ(::write(fds[1], "rq", 2), 2);
        EXPECT_EQ(poll_for(source, 2), (Keys{RecordKey::Rerecord, RecordKey::Stop}));
    }
    ::close(fds[0]);
    ::close(fds[1]);
}

/// Runs `body` in a child process holding a TerminalKeySource on `pty`, and returns its wait
/// status once it ended.
template <typename Body>
int in_child(const Pty& pty, Body body) {
    int ready[2];
    EXPECT_EQ(::pipe(ready), 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
        const rlimit no_core{0, 0};
        ::setrlimit(RLIMIT_CORE, &no_core);
        ::close(ready[0]);
        auto* source = new TerminalKeySource(pty.slave);  // never destroyed: the way out is `body`
        (void)source;
        termios t{};
        ::tcgetattr(pty.slave, &t);
        const char raw = (t.c_lflag & (ICANON | ECHO)) == 0 ? '1' : '0';
        [[maybe_unused]] auto w = ::write(ready[1], &raw, 1);
        body();
        ::_exit(99);
    }
    ::close(ready[1]);
    char raw = 0;
    EXPECT_EQ(::read(ready[0], &raw, 1), 1);
    EXPECT_EQ(raw, '1') << "the child's terminal was not raw";
    ::close(ready[0]);
    int status = 0;
    EXPECT_EQ(::waitpid(pid, &status, 0), pid);
    return status;
}

TEST(TerminalKeys, SecondCtrlCRestoresTheTerminal) {
    Pty pty;
    const termios before = pty.settings();
    const int status = in_child(pty, [] {
        reset_interrupt();
        install_interrupt_handlers();
        ::raise(SIGINT);  // first: the flag
        ::raise(SIGINT);  // second: _exit(130) from the handler
    });
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 130);
    expect_same(pty.settings(), before);
}

TEST(TerminalKeys, AbortRestoresTheTerminal) {
    Pty pty;
    const termios before = pty.settings();
    const int status = in_child(pty, [] { std::abort(); });
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGABRT);
    expect_same(pty.settings(), before);
}

TEST(TerminalKeys, SegfaultRestoresTheTerminal) {
    Pty pty;
    const termios before = pty.settings();
    const int status = in_child(pty, [] { ::raise(SIGSEGV); });
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGSEGV);
    expect_same(pty.settings(), before);
}

TEST(TerminalKeys, ExitRestoresTheTerminal) {
    Pty pty;
    const termios before = pty.settings();
    const int status = in_child(pty, [] { std::exit(3); });
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 3);
    expect_same(pty.settings(), before);
}

TEST(TerminalKeys, WithoutTheSourceATerminalStaysRaw) {
    // The control for the tests above: SIGKILL runs nothing, so the settings stay raw.
    Pty pty;
    const termios before = pty.settings();
    const int status = in_child(pty, [] { ::raise(SIGKILL); });
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_FALSE(pty.settings().c_lflag & ICANON);
    EXPECT_TRUE(before.c_lflag & ICANON);
}

/// Reads everything from `fd` until EOF or 5 s.
std::string read_all(int fd) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    char buffer[256];
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) break;
        out.append(buffer, static_cast<std::size_t>(n));
    }
    return out;
}

TEST(TerminalKeys, OpenForStdinOnAControllingTerminal) {
    int report[2];
    ASSERT_EQ(::pipe(report), 0);
    int master = -1;
    const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::close(report[0]);
        termios before{};
        ::tcgetattr(STDIN_FILENO, &before);
        std::string out;
        {
            auto source = TerminalKeySource::open_for_stdin();
            out = source->help().empty() ? "nokeys\n" : "keys\n";
            [[maybe_unused]] auto w = ::write(report[1], out.data(), out.size());
            out.clear();
            const auto deadline = std::chrono::steady_clock::now() + 4s;
            bool stop = false;
            while (!stop && std::chrono::steady_clock::now() < deadline) {
                for (const RecordKey key : source->poll()) {
                    out += std::string(record::to_string(key)) + " ";
                    stop = stop || key == RecordKey::Stop;
                }
                std::this_thread::sleep_for(10ms);
            }
        }
        termios after{};
        ::tcgetattr(STDIN_FILENO, &after);
        out += after.c_lflag == before.c_lflag ? "restored" : "raw";
        [[maybe_unused]] auto w = ::write(report[1], out.data(), out.size());
        ::_exit(0);
    }
    ::close(report[1]);
    std::string line;
    char c = 0;
    while (::read(report[0], &c, 1) == 1 && c != '\n')
        line += c;
    EXPECT_EQ(line, "keys");
    const std::string keys = "s \x1b";
    ASSERT_EQ(::write(master, keys.data(), keys.size()), 3);
    EXPECT_EQ(read_all(report[0]), "success end_episode stop restored");
    int status = 0;
    EXPECT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ::close(report[0]);
    ::close(master);
}

TEST(TerminalKeys, OpenForStdinWithoutATerminalTakesNoKeys) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const int saved = ::dup(STDIN_FILENO);
    ASSERT_GE(saved, 0);
    ASSERT_EQ(::dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
    auto source = TerminalKeySource::open_for_stdin();
    ASSERT_EQ(::write(fds[1], "sq", 2), 2);
    std::this_thread::sleep_for(20ms);
    const Keys keys = source->poll();
    ::dup2(saved, STDIN_FILENO);
    ::close(saved);
    ::close(fds[0]);
    ::close(fds[1]);
    EXPECT_TRUE(source->help().empty());
    EXPECT_EQ(keys, Keys{});
    EXPECT_EQ(dynamic_cast<TerminalKeySource*>(source.get()), nullptr);
}

}  // namespace
}  // namespace rcls::cli
