// SPDX-License-Identifier: MIT
//
// Data parallelism over independent items (files, episodes) with plain std::threads.
#pragma once

#include <cstddef>
#include <functional>

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

}  // namespace rcls
