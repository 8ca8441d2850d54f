// SPDX-License-Identifier: MIT
#include "rcls/core/events.hpp"

#include <atomic>

namespace rcls {
namespace {

class DroppingSink final : public EventSink {
public:
    void on_progress(const ProgressEvent&) override {}
    void on_status(const StatusEvent&) override {}
    void on_notice(const NoticeEvent&) override {}
};

DroppingSink g_dropping_sink;
std::atomic<EventSink*> g_sink{nullptr};
std::atomic<std::uint64_t> g_next_id{1};

}  // namespace

EventSink& event_sink() {
    EventSink* sink = g_sink.load(std::memory_order_acquire);
    return sink != nullptr ? *sink : g_dropping_sink;
}

EventSink* set_event_sink(EventSink* sink) {
    return g_sink.exchange(sink, std::memory_order_acq_rel);
}

void emit(const ProgressEvent& event) {
    event_sink().on_progress(event);
}

void emit(const StatusEvent& event) {
    event_sink().on_status(event);
}

void emit(const NoticeEvent& event) {
    event_sink().on_notice(event);
}

std::uint64_t next_progress_id() {
    return g_next_id.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace rcls
