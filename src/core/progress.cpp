// SPDX-License-Identifier: MIT
#include "rcls/core/progress.hpp"

#include <cstdio>

#include <spdlog/spdlog.h>

#include "rcls/core/log.hpp"
#include "rcls/core/strings.hpp"

namespace rcls {
namespace {

constexpr int kBarWidth = 28;
constexpr auto kRedrawPeriod = std::chrono::milliseconds(100);

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Progress::Progress(std::string label, std::uint64_t total, std::string unit, double line_interval_s)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      bar_(progress_bars_enabled()),
      lines_(!bar_ && progress_lines_enabled()),
      line_interval_s_(line_interval_s),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {
    if (bar_) {
        std::lock_guard lock(mutex_);
        draw_locked(false);
    }
}

Progress::~Progress() {
    finish();
}

void Progress::advance(std::uint64_t count) {
    std::lock_guard lock(mutex_);
    done_ += count;
    const auto now = std::chrono::steady_clock::now();
    if (bar_ && now - last_draw_ >= kRedrawPeriod) {
        draw_locked(false);
    } else if (lines_ &&
               std::chrono::duration<double>(now - last_draw_).count() >= line_interval_s_) {
        draw_locked(false);
    }
}

void Progress::set_note(std::string note) {
    std::lock_guard lock(mutex_);
    note_ = std::move(note);
}

std::uint64_t Progress::done() const {
    std::lock_guard lock(mutex_);
    return done_;
}

void Progress::finish() {
    std::lock_guard lock(mutex_);
    if (finished_) return;
    finished_ = true;
    if (bar_ || lines_) draw_locked(true);
}

void Progress::draw_locked(bool final) {
    last_draw_ = std::chrono::steady_clock::now();
    const double elapsed = seconds_since(start_);
    const double rate = elapsed > 0.0 ? static_cast<double>(done_) / elapsed : 0.0;
    std::string counts = std::to_string(done_);
    if (total_ > 0) counts += "/" + std::to_string(total_);
    counts += " " + unit_;
    char rate_text[48];
    std::snprintf(rate_text, sizeof rate_text, "%.1f %s/s", rate, unit_.c_str());
    std::string eta;
    if (!final && total_ > 0 && rate > 0.0 && done_ < total_) {
        eta = ", ETA " + format_duration(static_cast<double>(total_ - done_) / rate);
    }
    if (final) eta = ", " + format_duration(elapsed);
    if (bar_) {
        std::string bar;
        if (total_ > 0) {
            const auto filled = static_cast<int>(
                kBarWidth *
                std::min<double>(1.0, static_cast<double>(done_) / static_cast<double>(total_)));
            bar = "[" + std::string(static_cast<std::size_t>(filled), '#') +
                  std::string(static_cast<std::size_t>(kBarWidth - filled), '.') + "] ";
        }
        std::fprintf(stderr, "\r\033[K%s %s%s (%s%s)%s%s", label_.c_str(), bar.c_str(),
                     counts.c_str(), rate_text, eta.c_str(), note_.empty() ? "" : "  ",
                     note_.c_str());
        if (final) std::fputc('\n', stderr);
        std::fflush(stderr);
        detail::set_progress_bar_visible(!final);
    } else {
        spdlog::info("{}: {} ({}{})", label_, counts, rate_text, eta);
    }
}

}  // namespace rcls
