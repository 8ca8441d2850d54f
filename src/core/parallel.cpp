// SPDX-License-Identifier: MIT
#include "rcls/core/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
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

}  // namespace rcls
