// SPDX-License-Identifier: MIT
#include "rcls/core/parallel.hpp"

#include <atomic>
#include <cerrno>
#include <sched.h>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "rcls/core/interrupt.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>

namespace rcls {
namespace {

TEST(ParallelFor, VisitsEveryIndexOnce) {
    std::vector<std::atomic<int>> hits(1000);
    parallel_for(hits.size(), 4, [&](std::size_t i) { hits[i]++; });
    for (const auto& hit : hits)
        EXPECT_EQ(hit.load(), 1);
}

TEST(ParallelFor, RethrowsTheFirstErrorAndStopsHandingOutWork) {
    std::atomic<int> started{0};
    EXPECT_THROW(parallel_for(10000, 1,
                              [&](std::size_t i) {
                                  started++;
                                  if (i == 3) throw std::runtime_error("boom");
                              }),
                 std::runtime_error);
    EXPECT_EQ(started.load(), 4);
}

TEST(ParallelFor, RethrowsAWorkerThreadsError) {
    EXPECT_THROW(parallel_for(100, 4,
                              [&](std::size_t i) {
                                  if (i == 50) throw std::runtime_error("boom");
                              }),
                 std::runtime_error);
}

TEST(ParallelFor, StopsStartingItemsWhenInterrupted) {
    std::atomic<int> started{0};
    parallel_for(1000, 2, [&](std::size_t i) {
        started++;
        if (i == 0) request_interrupt();
    });
    reset_interrupt();
    EXPECT_LT(started.load(), 1000);
}

TEST(HardwareThreads, IsAtLeastOne) {
    EXPECT_GE(hardware_threads(), 1u);
}

}  // namespace
}  // namespace rcls

namespace {
int this_thread_nice() {
    errno = 0;
    const int nice = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
    EXPECT_EQ(errno, 0);
    return nice;
}
}  // namespace

TEST(BackgroundThread, LowersOnlyTheCallingThreadsPriorityAndItsChildrenInheritIt) {
    const int main_before = this_thread_nice();
    int before = 0, after = 0, child = 0;
    std::thread worker([&] {
        before = this_thread_nice();
        rcls::make_this_thread_background();
        after = this_thread_nice();
        std::thread grandchild([&] { child = this_thread_nice(); });
        grandchild.join();
    });
    worker.join();
    EXPECT_EQ(after, std::min(before + 10, 19));
    EXPECT_EQ(child, after);                     // threads it starts (an encoder's) inherit it
    EXPECT_EQ(this_thread_nice(), main_before);  // the loop's thread keeps its own
}

namespace {
int this_thread_policy() {
    return ::sched_getscheduler(0) & ~SCHED_RESET_ON_FORK;
}
}  // namespace

TEST(RealtimeScope, RunsTheThreadUnderSchedFifoOrSaysWhyNotAndItsThreadsRunNormally) {
    const int before = this_thread_policy();
    int inside = -1, child = -1;
    bool active = false;
    std::string why_not;
    {
        const rcls::RealtimeScope realtime(10);
        active = realtime.active();
        why_not = realtime.why_not();
        inside = this_thread_policy();
        std::thread worker([&] { child = this_thread_policy(); });
        worker.join();
    }
    if (active) {
        EXPECT_EQ(inside, SCHED_FIFO);
        EXPECT_TRUE(why_not.empty());
    } else {
        // Without the permission nothing changes, and the reason names the way to allow it.
        EXPECT_EQ(inside, before);
        EXPECT_NE(why_not.find("limits.conf"), std::string::npos) << why_not;
    }
    EXPECT_EQ(child, SCHED_OTHER);  // an encoder or camera thread never inherits it
    EXPECT_EQ(this_thread_policy(), before);
}
