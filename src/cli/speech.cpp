// SPDX-License-Identifier: MIT
#include "speech.hpp"

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <filesystem>
#include <mutex>
#include <optional>
#include <spawn.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <spdlog/spdlog.h>

#include <sys/wait.h>

extern char** environ;

namespace rcls::cli {
namespace {

namespace fs = std::filesystem;

/// The first of `names` that is an executable file in a PATH folder.
std::optional<fs::path> find_on_path(std::initializer_list<const char*> names) {
    const char* path = std::getenv("PATH");
    if (path == nullptr) return std::nullopt;
    for (const char* name : names) {
        std::string_view rest(path);
        while (true) {
            const std::size_t colon = rest.find(':');
            const std::string_view dir = rest.substr(0, colon);
            const fs::path candidate = fs::path(dir.empty() ? "." : std::string(dir)) / name;
            if (::access(candidate.c_str(), X_OK) == 0 && fs::is_regular_file(candidate)) {
                return candidate;
            }
            if (colon == std::string_view::npos) break;
            rest.remove_prefix(colon + 1);
        }
    }
    return std::nullopt;
}

/// Says `text` with the speech program found now, waiting until it has been said.
void say_now(const std::string& text) {
    const auto program = find_on_path({"spd-say", "espeak-ng", "espeak"});
    if (!program) {
        static std::once_flag once;
        std::call_once(once, [] {
            spdlog::debug("no spoken cues: none of spd-say, espeak-ng, espeak is on PATH");
        });
        return;
    }
    std::vector<std::string> args{program->string()};
    // spd-say hands the text to the speech daemon and returns; --wait makes it return once said,
    // so that the next cue does not cut this one off.
    if (program->filename() == "spd-say") args.emplace_back("--wait");
    args.push_back(text);
    std::vector<char*> argv;
    for (std::string& arg : args)
        argv.push_back(arg.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // Not the terminal: the program must not read the operator's keys nor write over the status
    // line.
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    const int error = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0) {
        spdlog::debug("cannot run {}: {}", program->string(), std::strerror(error));
        return;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        spdlog::debug("{} failed on \"{}\"", program->string(), text);
    }
}

/// One speaker thread for the process, started on the first utterance. Never destroyed: a cue
/// being spoken while the process exits must not hold the exit up.
class Speaker {
public:
    static Speaker& instance() {
        static Speaker* speaker = new Speaker();
        return *speaker;
    }

    std::atomic<bool> enabled{false};
    std::atomic<std::int64_t> dropped{0};

    void push(const std::string& text) {
        {
            std::lock_guard lock(mutex_);
            while (queue_.size() >= kMaxWaitingUtterances) {
                spdlog::debug("spoken cue dropped (cues pile up): \"{}\"", queue_.front());
                queue_.pop_front();
                dropped.fetch_add(1);
            }
            queue_.push_back(text);
            if (!thread_started_) {
                thread_started_ = true;
                std::thread([this] { run(); }).detach();
            }
        }
        wake_.notify_all();
    }

    void clear() {
        std::lock_guard lock(mutex_);
        queue_.clear();
        idle_.notify_all();
    }

    bool wait_idle(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return idle_.wait_for(lock, timeout, [this] { return queue_.empty() && !speaking_; });
    }

private:
    void run() {
        std::unique_lock lock(mutex_);
        for (;;) {
            wake_.wait(lock, [this] { return !queue_.empty(); });
            const std::string text = std::move(queue_.front());
            queue_.pop_front();
            speaking_ = true;
            lock.unlock();
            say_now(text);
            lock.lock();
            speaking_ = false;
            if (queue_.empty()) idle_.notify_all();
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable idle_;
    std::deque<std::string> queue_;
    bool speaking_ = false;
    bool thread_started_ = false;
};

}  // namespace

void set_speech_enabled(bool enabled) {
    Speaker::instance().enabled.store(enabled);
    if (!enabled) Speaker::instance().clear();
}

bool speech_enabled() {
    return Speaker::instance().enabled.load();
}

void speak(const std::string& text) {
    if (text.empty() || !speech_enabled()) return;
    Speaker::instance().push(text);
}

bool wait_for_speech(std::chrono::milliseconds timeout) {
    return Speaker::instance().wait_idle(timeout);
}

std::int64_t dropped_utterances() {
    return Speaker::instance().dropped.load();
}

}  // namespace rcls::cli
