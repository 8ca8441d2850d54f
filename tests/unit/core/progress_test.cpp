// SPDX-License-Identifier: MIT
#include "rcls/core/progress.hpp"

#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "rcls/core/clock.hpp"
#include "rcls/core/events.hpp"

namespace rcls {
namespace {

using namespace std::chrono_literals;

class ProgressRecorder final : public EventSink {
public:
    ProgressRecorder() : previous_(set_event_sink(this)) {}
    ~ProgressRecorder() override { set_event_sink(previous_); }
    void on_progress(const ProgressEvent& e) override {
        std::lock_guard lock(mutex);
        events.push_back(e);
    }
    void on_status(const StatusEvent&) override {}
    void on_notice(const NoticeEvent&) override {}
    std::mutex mutex;
    std::vector<ProgressEvent> events;

private:
    EventSink* previous_;
};

TEST(Progress, EmitsAStartEventThrottledUpdatesAndOneFinishedEvent) {
    ProgressRecorder sink;
    VirtualClock clock;
    {
        Progress progress("preprocess", 10, "frames", clock);
        ASSERT_EQ(sink.events.size(), 1u);
        EXPECT_EQ(sink.events[0].label, "preprocess");
        EXPECT_EQ(sink.events[0].unit, "frames");
        EXPECT_EQ(sink.events[0].total, 10u);
        EXPECT_EQ(sink.events[0].done, 0u);
        EXPECT_FALSE(sink.events[0].finished);

        progress.advance();
        progress.advance(2);
        EXPECT_EQ(sink.events.size(), 1u) << "updates within kEmitPeriod are not sent";
        EXPECT_EQ(progress.done(), 3u);

        clock.advance(Progress::kEmitPeriod);
        progress.set_note("a.mp4");
        progress.advance();
        ASSERT_EQ(sink.events.size(), 2u);
        EXPECT_EQ(sink.events[1].done, 4u);
        EXPECT_EQ(sink.events[1].note, "a.mp4");
        EXPECT_DOUBLE_EQ(sink.events[1].elapsed_s, 0.05);
        EXPECT_FALSE(sink.events[1].finished);

        clock.advance(2s);
        progress.advance(6);
        progress.finish();
        ASSERT_EQ(sink.events.size(), 4u);
        EXPECT_EQ(sink.events[3].done, 10u);
        EXPECT_TRUE(sink.events[3].finished);
        EXPECT_DOUBLE_EQ(sink.events[3].elapsed_s, 2.05);
        progress.advance();  // after finish(): counted, never sent
        EXPECT_EQ(progress.done(), 11u);
    }
    EXPECT_EQ(sink.events.size(), 4u) << "the destructor does not finish twice";
    for (const ProgressEvent& e : sink.events)
        EXPECT_EQ(e.id, sink.events[0].id);
}

TEST(Progress, TheDestructorFinishesAndJobsHaveTheirOwnIds) {
    ProgressRecorder sink;
    VirtualClock clock;
    {
        Progress a("check", 0, "frames", clock);
        Progress b("train", 5, "steps", clock);
        a.advance(7);
    }
    ASSERT_EQ(sink.events.size(), 4u);
    EXPECT_NE(sink.events[0].id, sink.events[1].id);
    // Destroyed in reverse order: b first, then a with its count and unknown total.
    EXPECT_TRUE(sink.events[2].finished);
    EXPECT_EQ(sink.events[2].id, sink.events[1].id);
    EXPECT_TRUE(sink.events[3].finished);
    EXPECT_EQ(sink.events[3].id, sink.events[0].id);
    EXPECT_EQ(sink.events[3].done, 7u);
    EXPECT_EQ(sink.events[3].total, 0u);
}

TEST(Progress, ConcurrentWorkersCountEveryUnitAndEventsNeverGoBackwards) {
    ProgressRecorder sink;
    std::uint64_t total = 0;
    {
        Progress progress("work", 4 * 20000, "items");
        std::vector<std::thread> workers;
        for (int w = 0; w < 4; ++w) {
            workers.emplace_back([&] {
                for (int i = 0; i < 20000; ++i)
                    progress.advance();
            });
        }
        for (std::thread& t : workers)
            t.join();
        total = progress.done();
    }
    EXPECT_EQ(total, 80000u);
    ASSERT_GE(sink.events.size(), 2u);
    EXPECT_TRUE(sink.events.back().finished);
    EXPECT_EQ(sink.events.back().done, 80000u);
    for (std::size_t i = 1; i < sink.events.size(); ++i) {
        EXPECT_GE(sink.events[i].done, sink.events[i - 1].done);
    }
}

}  // namespace
}  // namespace rcls
