// SPDX-License-Identifier: MIT
#include "rcls/core/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <mutex>
#include <sched.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "rcls/core/error.hpp"
#include "rcls/core/interrupt.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>

namespace rcls {

unsigned hardware_threads() {
    // Respect CPU affinity (containers, taskset), which hardware_concurrency() ignores.
    cpu_set_t set;
    if (::sched_getaffinity(0, sizeof set, &set) == 0) {
        const int count = CPU_COUNT(&set);
        if (count > 0) return static_cast<unsigned>(count);
    }
    return std::max(1u, std::thread::hardware_concurrency());
}

unsigned max_threads() {
    return std::max(8u, 4 * hardware_threads());
}

unsigned resolve_thread_option(long long requested, const char* option) {
    const unsigned limit = max_threads();
    if (requested < 0 || requested > static_cast<long long>(limit)) {
        throw ConfigError(std::string(option) + ": " + std::to_string(requested) +
                          " threads is out of range; use 0 (one per core) to " +
                          std::to_string(limit) + " (4 per hardware thread on this machine)");
    }
    return requested == 0 ? hardware_threads() : static_cast<unsigned>(requested);
}

void parallel_for(std::size_t count,
                  unsigned threads,
                  const std::function<void(std::size_t)>& body) {
    if (count == 0) return;
    if (threads == 0) threads = hardware_threads();
    threads = static_cast<unsigned>(std::min<std::size_t>(threads, count));

    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr first_error;
    std::mutex error_mutex;

    auto worker = [&] {
        while (!failed.load() && !interrupted()) {
            const std::size_t index = next.fetch_add(1);
            if (index >= count) return;
            try {
                body(index);
            } catch (...) {
                std::lock_guard lock(error_mutex);
                if (!first_error) first_error = std::current_exception();
                failed.store(true);
            }
        }
    };

    if (threads == 1) {
        worker();
    } else {
        std::vector<std::thread> pool;
        pool.reserve(threads);
        for (unsigned t = 0; t < threads; ++t) {
            pool.emplace_back(worker);
        }
        for (std::thread& thread : pool) {
            thread.join();
        }
    }
    if (first_error) std::rethrow_exception(first_error);
}

void make_this_thread_background() {
    // On Linux, PRIO_PROCESS with a thread id sets that thread's nice value alone.
    const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
    errno = 0;
    const int current = ::getpriority(PRIO_PROCESS, tid);
    if (errno != 0) return;
    ::setpriority(PRIO_PROCESS, tid, std::min(current + 10, 19));
}

RealtimeScope::RealtimeScope(int priority) {
    // sched_setscheduler with pid 0 acts on the calling thread alone.
    old_policy_ = ::sched_getscheduler(0);
    sched_param old{};
    if (old_policy_ < 0 || ::sched_getparam(0, &old) != 0) {
        why_not_ =
            std::string("cannot read the thread's scheduling policy: ") + std::strerror(errno);
        return;
    }
    old_priority_ = old.sched_priority;
    const int lowest = ::sched_get_priority_min(SCHED_FIFO);
    const int highest = ::sched_get_priority_max(SCHED_FIFO);
    sched_param param{};
    param.sched_priority = std::clamp(priority, lowest, highest);
    if (::sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &param) != 0) {
        why_not_ = errno == EPERM ? "real-time scheduling is not permitted for this user (run as "
                                    "root, or allow it: an rtprio limit in "
                                    "/etc/security/limits.conf, or CAP_SYS_NICE)"
                                  : std::string("sched_setscheduler: ") + std::strerror(errno);
        return;
    }
    active_ = true;
}

RealtimeScope::~RealtimeScope() {
    if (!active_) return;
    sched_param old{};
    old.sched_priority = old_priority_;
    ::sched_setscheduler(0, old_policy_ & ~SCHED_RESET_ON_FORK, &old);
}

}  // namespace rcls
