// SPDX-License-Identifier: MIT
//
// Progress of a long job, reported as ProgressEvents (core/events.hpp); it draws nothing itself.
// The `rcls` binary's renderer turns them into a bar on a terminal, an info line every few seconds
// elsewhere, and nothing with -q.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "rcls/core/clock.hpp"

namespace rcls {

/// Thread-safe: workers may call advance() concurrently. Emits one event when constructed, at most
/// one per kEmitPeriod while advancing, and a last one (finished) from finish().
class Progress {
public:
    /// The shortest time between two events while advancing (the renderer throttles again).
    static constexpr std::chrono::milliseconds kEmitPeriod{50};

    /// `total` is the number of `unit`s expected; 0 when unknown. `clock` times the job (tests pass
    /// a VirtualClock); it must outlive the Progress.
    Progress(std::string label,
             std::uint64_t total,
             std::string unit,
             const Clock& clock = steady_clock());
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    /// Counts `count` more units done.
    void advance(std::uint64_t count = 1);

    /// Sets a short note shown after the counts (e.g. the file in hand); sent with the next event.
    void set_note(std::string note);

    /// Emits the final state (finished). Called by the destructor if not before.
    void finish();

    std::uint64_t done() const;

private:
    void emit_locked(bool final);

    mutable std::mutex mutex_;
    const Clock& clock_;
    std::uint64_t id_;
    std::string label_;
    std::string unit_;
    std::string note_;
    std::uint64_t total_;
    std::uint64_t done_ = 0;
    bool finished_ = false;
    Clock::time_point start_;
    Clock::time_point last_emit_;
};

}  // namespace rcls
