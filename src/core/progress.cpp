// SPDX-License-Identifier: MIT
#include "rcls/core/progress.hpp"

#include "rcls/core/events.hpp"

namespace rcls {

Progress::Progress(std::string label, std::uint64_t total, std::string unit, const Clock& clock)
    : clock_(clock),
      id_(next_progress_id()),
      label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      start_(clock.now()),
      last_emit_(start_) {
    std::lock_guard lock(mutex_);
    emit_locked(false);
}

Progress::~Progress() {
    finish();
}

void Progress::advance(std::uint64_t count) {
    std::lock_guard lock(mutex_);
    done_ += count;
    if (!finished_ && clock_.now() - last_emit_ >= kEmitPeriod) emit_locked(false);
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
    emit_locked(true);
}

void Progress::emit_locked(bool final) {
    last_emit_ = clock_.now();
    ProgressEvent event;
    event.id = id_;
    event.label = label_;
    event.unit = unit_;
    event.done = done_;
    event.total = total_;
    event.elapsed_s = seconds_between(start_, last_emit_);
    event.note = note_;
    event.finished = final;
    // Emitting under the lock keeps the events of one job in order; sinks never call back here.
    emit(event);
}

}  // namespace rcls
