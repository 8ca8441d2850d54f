// SPDX-License-Identifier: MIT
//
// Progress of a long job. On a terminal: one bar on stderr, redrawn at most 10 times a second.
// Elsewhere (CI logs, pipes): an info line at most every `line_interval_s` seconds and at the end.
// With -q: nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace rcls {

/// Thread-safe: workers may call advance() concurrently.
class Progress {
public:
    /// `total` is the number of `unit`s expected; 0 when unknown.
    Progress(std::string label,
             std::uint64_t total,
             std::string unit,
             double line_interval_s = 5.0);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    /// Counts `count` more units done.
    void advance(std::uint64_t count = 1);

    /// Sets a short note shown after the counts (e.g. the file in hand).
    void set_note(std::string note);

    /// Draws the final state and ends the bar's line. Called by the destructor if not before.
    void finish();

    std::uint64_t done() const;

private:
    void draw_locked(bool final);

    mutable std::mutex mutex_;
    std::string label_;
    std::string unit_;
    std::string note_;
    std::uint64_t total_;
    std::uint64_t done_ = 0;
    bool bar_;
    bool lines_;
    bool finished_ = false;
    double line_interval_s_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace rcls
