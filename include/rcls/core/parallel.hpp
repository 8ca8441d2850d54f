// SPDX-License-Identifier: MIT
//
// Data parallelism over independent items (files, episodes) with plain std::threads.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace rcls {

/// Hardware threads available to this process (at least 1).
unsigned hardware_threads();

/// The most threads a thread-count option may ask for on this machine: 4 per hardware thread,
/// at least 8. A bound, so that a typo such as `--threads 100000` is an error rather than tens of
/// thousands of threads.
unsigned max_threads();

/// Checks a thread-count option (`option` names it in the error, e.g. "--threads") and returns the
/// count to use: `requested` itself, or hardware_threads() for 0. Throws ConfigError (exit 3) for
/// a negative count or one above max_threads().
unsigned resolve_thread_option(long long requested, const char* option);

/// Calls `body(i)` for every i in [0, count) on up to `threads` threads (0: hardware_threads()).
/// Items are handed out in order. When a call throws, no new items are started and the first
/// exception is rethrown once running items end. When the interrupt flag is set, no new items
/// are started either; the function returns normally and the caller decides.
void parallel_for(std::size_t count,
                  unsigned threads,
                  const std::function<void(std::size_t)>& body);

/// Lowers the calling thread's scheduling priority (nice +10 above its current value, Linux's
/// per-thread nice), for background work beside a timed loop (video encoding, the live
/// classifier): when both want a core, the loop's thread gets it first. Threads the caller creates
/// afterwards (an encoder's or libtorch's own) inherit it. Best effort: an error is ignored (the
/// work is the same, only its share of a busy CPU changes).
void make_this_thread_background();

/// While it lives, the calling thread runs under the real-time policy SCHED_FIFO at `priority`
/// (1..99): when it wakes it gets a core at once, ahead of every normal thread (a timed loop's
/// deadline is then missed only when the machine itself stalls). Threads it starts meanwhile run
/// normally (SCHED_RESET_ON_FORK), so an encoder or a camera thread never inherits it. Best
/// effort: without the permission (root, CAP_SYS_NICE, or an rtprio limit in
/// /etc/security/limits.conf) nothing changes and why_not() says why. The thread's previous
/// policy comes back at the end. Linux only.
class RealtimeScope {
public:
    explicit RealtimeScope(int priority);
    ~RealtimeScope();
    RealtimeScope(const RealtimeScope&) = delete;
    RealtimeScope& operator=(const RealtimeScope&) = delete;

    bool active() const { return active_; }
    const std::string& why_not() const { return why_not_; }

private:
    bool active_ = false;
    int old_policy_ = 0;
    int old_priority_ = 0;
    std::string why_not_;
};

}  // namespace rcls
