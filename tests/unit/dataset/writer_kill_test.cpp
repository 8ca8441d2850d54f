// SPDX-License-Identifier: MIT
//
// Kills a dataset writer process with SIGKILL at 60 random points of writing (seeded) and at 12
// moments chosen by the clock, and checks each time that the dataset opens with every episode
// saved before the kill intact, then that writing resumes to a complete dataset.
#include <csignal>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include "rcls/core/error.hpp"
#include "rcls/dataset/dataset.hpp"

#include "dataset_fixtures.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"
#include <sys/wait.h>

namespace rcls::dataset {
namespace {
namespace fs = std::filesystem;

constexpr std::int64_t kEpisodes = 6;

int saved_count(const std::string& out) {
    std::istringstream in(out);
    int n = 0;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("saved ", 0) == 0) ++n;
    }
    return n;
}

std::int64_t task_index_of(std::int64_t e) {
    // Tasks are numbered in order of first use: episodes 0, 1 use task 0, episode 2 task 1.
    return testing::synthetic_task(e) == testing::synthetic_task(0) ? 0 : 1;
}

/// Checks that `root` opens with at least `saved` intact episodes (at most one more: a kill
/// after the commit but before "saved" was printed). Returns the episode count.
std::int64_t expect_intact(const fs::path& root, int saved, const std::string& trial) {
    if (!fs::exists(root / "meta/info.json")) {
        EXPECT_EQ(saved, 0) << trial << ": episodes were saved but info.json is gone";
        return 0;
    }
    try {
        const Dataset d = Dataset::open(root);
        const auto n = static_cast<std::int64_t>(d.meta().episodes.size());
        EXPECT_GE(n, saved) << trial;
        EXPECT_LE(n, saved + 1) << trial;
        std::int64_t index = 0;
        for (std::int64_t e = 0; e < n; ++e) {
            EXPECT_EQ(testing::synthetic_mismatch(d.read_episode(e), e, index, task_index_of(e)),
                      "")
                << trial << ", episode " << e;
            index += testing::synthetic_length(e);
        }
        EXPECT_EQ(d.info().total_frames, index) << trial;
        return n;
    } catch (const Error& e) {
        ADD_FAILURE() << trial << ": dataset does not open: " << e.what();
        return -1;
    }
}

void resume_and_check(const fs::path& root, const std::string& trial) {
    const testing::ProcessResult resumed =
        testing::run_process({RCLS_WRITER_CHILD, root.string(), std::to_string(kEpisodes)});
    ASSERT_EQ(resumed.exit_code, 0) << trial << ": resume failed: " << resumed.err;
    EXPECT_EQ(expect_intact(root, static_cast<int>(kEpisodes), trial + ", resumed"), kEpisodes);
}

TEST(DatasetWriterKill, SurvivesSigkillAtSixtyRandomPoints) {
    testing::TempDir dir;
    const testing::ProcessResult full = testing::run_process(
        {RCLS_WRITER_CHILD, (dir / "full").string(), std::to_string(kEpisodes)});
    ASSERT_EQ(full.exit_code, 0) << full.err;
    const auto at = full.out.rfind("steps ");
    ASSERT_NE(at, std::string::npos);
    const long steps = std::stol(full.out.substr(at + 6));
    ASSERT_GT(steps, 60);
    expect_intact(dir / "full", static_cast<int>(kEpisodes), "uninterrupted run");

    std::mt19937 rng(20261124);
    std::set<long> points;
    while (points.size() < 60)
        points.insert(1 + static_cast<long>(rng() % static_cast<unsigned long>(steps)));
    int killed = 0;
    for (long point : points) {
        const fs::path root = dir / ("kill-" + std::to_string(point));
        const std::string trial =
            "kill at step " + std::to_string(point) + " of " + std::to_string(steps);
        const testing::ProcessResult r = testing::run_process(
            {RCLS_WRITER_CHILD, root.string(), std::to_string(kEpisodes), std::to_string(point)});
        ASSERT_EQ(r.exit_code, 128 + SIGKILL) << trial << ": " << r.err;
        ++killed;
        expect_intact(root, saved_count(r.out), trial);
        resume_and_check(root, trial);
        fs::remove_all(root);
    }
    EXPECT_EQ(killed, 60);
}

TEST(DatasetWriterKill, SurvivesSigkillFromAnotherProcessAtUnplannedMoments) {
    // The parent kills the writer right after its k-th "saved" line, wherever the writer then is.
    testing::TempDir dir;
    std::mt19937 rng(7);
    for (int trial_number = 0; trial_number < 12; ++trial_number) {
        const fs::path root = dir / ("async-" + std::to_string(trial_number));
        const int after = static_cast<int>(rng() % kEpisodes);
        const std::string trial = "async kill after " + std::to_string(after) + " saved episodes";
        int out_pipe[2];
        ASSERT_EQ(::pipe(out_pipe), 0);
        const pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            ::dup2(out_pipe[1], 1);
            ::close(out_pipe[0]);
            ::close(out_pipe[1]);
            const std::string r = root.string();
            const std::string n = std::to_string(kEpisodes);
            ::execl(RCLS_WRITER_CHILD, RCLS_WRITER_CHILD, r.c_str(), n.c_str(),
                    static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(out_pipe[1]);
        std::string out;
        char c = 0;
        int lines = 0;
        while (lines < after && ::read(out_pipe[0], &c, 1) == 1) {
            out.push_back(c);
            if (c == '\n') ++lines;
        }
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        // Lines the child wrote before it died still count as saved.
        while (::read(out_pipe[0], &c, 1) == 1)
            out.push_back(c);
        ::close(out_pipe[0]);
        expect_intact(root, saved_count(out), trial);
        resume_and_check(root, trial);
    }
}

}  // namespace
}  // namespace rcls::dataset
