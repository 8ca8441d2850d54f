// SPDX-License-Identifier: MIT
#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "rcls/core/clock.hpp"
#include "rcls/core/events.hpp"

namespace rcls {
namespace {

using namespace std::chrono_literals;

TEST(VirtualClock, SleepingMovesTimeToTheDeadlineWithoutWaiting) {
    VirtualClock clock;
    const auto start = clock.now();
    const auto wall_start = std::chrono::steady_clock::now();
    clock.sleep_until(start + 3600s);
    EXPECT_EQ(clock.now() - start, Clock::duration(3600s));
    EXPECT_LT(std::chrono::steady_clock::now() - wall_start, 1s);
    EXPECT_FALSE(clock.is_real_time());
}

TEST(VirtualClock, TimeNeverGoesBackwards) {
    VirtualClock clock;
    const auto start = clock.now();
    clock.sleep_until(start + 10ms);
    clock.sleep_until(start + 5ms);
    clock.advance(-1s);
    EXPECT_EQ(clock.now() - start, Clock::duration(10ms));
    clock.advance(2ms);
    EXPECT_EQ(clock.now() - start, Clock::duration(12ms));
}

TEST(SteadyClock, SleepsUntilTheDeadline) {
    Clock& clock = steady_clock();
    EXPECT_TRUE(clock.is_real_time());
    const auto start = clock.now();
    clock.sleep_for(20ms);
    EXPECT_GE(clock.now() - start, Clock::duration(20ms));
}

TEST(ClockHelpers, ConvertSecondsBothWays) {
    const Clock::time_point t0{};
    EXPECT_DOUBLE_EQ(seconds_between(t0, t0 + seconds_to_duration(0.25)), 0.25);
}

class RecordingSink final : public EventSink {
public:
    void on_progress(const ProgressEvent& e) override {
        std::lock_guard lock(mutex);
        progress.push_back(e);
    }
    void on_status(const StatusEvent& e) override {
        std::lock_guard lock(mutex);
        status.push_back(e);
    }
    void on_notice(const NoticeEvent& e) override {
        std::lock_guard lock(mutex);
        notices.push_back(e);
    }
    std::mutex mutex;
    std::vector<ProgressEvent> progress;
    std::vector<StatusEvent> status;
    std::vector<NoticeEvent> notices;
};

TEST(Events, GoToTheInstalledSinkAndAreDroppedWithoutOne) {
    emit(StatusEvent{"teleop", "dropped", false});  // no sink: nothing happens
    RecordingSink sink;
    EXPECT_EQ(set_event_sink(&sink), nullptr);
    emit(ProgressEvent{.id = 7,
                       .label = "train",
                       .unit = "steps",
                       .done = 3,
                       .total = 10,
                       .elapsed_s = 1.0,
                       .note = "",
                       .finished = false});
    emit(StatusEvent{"record", "episode 1", true});
    emit(NoticeEvent{"record", "Reset done.", "Reset done."});
    EXPECT_EQ(set_event_sink(nullptr), &sink);
    emit(StatusEvent{"record", "after", false});
    ASSERT_EQ(sink.progress.size(), 1U);
    EXPECT_EQ(sink.progress[0].id, 7U);
    EXPECT_EQ(sink.progress[0].done, 3U);
    ASSERT_EQ(sink.status.size(), 1U);
    EXPECT_EQ(sink.status[0].text, "episode 1");
    ASSERT_EQ(sink.notices.size(), 1U);
    EXPECT_EQ(sink.notices[0].speech, "Reset done.");
}

TEST(Events, ProgressIdsAreDistinctAcrossThreads) {
    std::vector<std::uint64_t> ids(200);
    std::thread a([&] {
        for (int i = 0; i < 100; ++i)
            ids[static_cast<size_t>(i)] = next_progress_id();
    });
    std::thread b([&] {
        for (int i = 100; i < 200; ++i)
            ids[static_cast<size_t>(i)] = next_progress_id();
    });
    a.join();
    b.join();
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
}

}  // namespace
}  // namespace rcls
