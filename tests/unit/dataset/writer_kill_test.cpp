// SPDX-License-Identifier: MIT
//
// Kills a dataset writer process with SIGKILL at 60 random points of writing (seeded), at 60 more
// in a dataset with a camera, and at 12 moments chosen by the clock, and checks each time that the
// dataset opens with every episode saved before the kill intact (data, and video frames where the
// metadata says), then that writing resumes to a complete dataset.
#include <algorithm>
#include <csignal>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include "rcls/core/error.hpp"
#include "rcls/dataset/dataset.hpp"

extern "C" {
#include <libavformat/avformat.h>
}

#include "dataset_fixtures.hpp"
#include "prerequisite.hpp"
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

/// The compressed frames of a video file with their presentation times, read in process with
/// libavformat (decoding every file with the ffmpeg program would take minutes here; the join
/// copies packets unchanged, and tests/unit/video/concat_test checks decoded frames with ffmpeg).
std::vector<std::pair<double, std::string>> video_packets(const fs::path& path) {
    std::vector<std::pair<double, std::string>> packets;
    AVFormatContext* format = nullptr;
    if (avformat_open_input(&format, path.c_str(), nullptr, nullptr) < 0) return packets;
    if (avformat_find_stream_info(format, nullptr) >= 0) {
        const int index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
        AVPacket* packet = av_packet_alloc();
        while (index >= 0 && av_read_frame(format, packet) >= 0) {
            if (packet->stream_index == index) {
                const double t =
                    static_cast<double>(packet->pts) * av_q2d(format->streams[index]->time_base);
                packets.emplace_back(t, std::string(reinterpret_cast<const char*>(packet->data),
                                                    static_cast<std::size_t>(packet->size)));
            }
            av_packet_unref(packet);
        }
        av_packet_free(&packet);
    }
    avformat_close_input(&format);
    std::sort(packets.begin(), packets.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    return packets;
}

/// Payloads of episode `e`'s source video, read once.
const std::vector<std::string>& source_packets(const fs::path& videos, std::int64_t e) {
    static std::map<fs::path, std::vector<std::string>> cache;
    const fs::path path = videos / ("episode_" + std::to_string(e) + ".mp4");
    auto it = cache.find(path);
    if (it == cache.end()) {
        std::vector<std::string> payloads;
        for (auto& [t, data] : video_packets(path))
            payloads.push_back(std::move(data));
        it = cache.emplace(path, std::move(payloads)).first;
    }
    return it->second;
}

/// Checks that `root` opens with at least `saved` intact episodes (at most one more: a kill
/// after the commit but before "saved" was printed). Returns the episode count.
std::int64_t expect_intact(const fs::path& root,
                           int saved,
                           const std::string& trial,
                           const fs::path& videos = {}) {
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
        std::map<fs::path, std::vector<std::pair<double, std::string>>> decoded;  // per video file
        for (std::int64_t e = 0; e < n; ++e) {
            EXPECT_EQ(testing::synthetic_mismatch(d.read_episode(e), e, index, task_index_of(e)),
                      "")
                << trial << ", episode " << e;
            index += testing::synthetic_length(e);
            if (videos.empty()) continue;
            const EpisodeMeta& m = d.episode(e);
            const VideoRef& v = m.videos.at(testing::kSyntheticCamera);
            const fs::path file = d.meta().find_video_file(m, testing::kSyntheticCamera);
            auto frames = decoded.find(file);
            if (frames == decoded.end()) frames = decoded.emplace(file, video_packets(file)).first;
            std::vector<std::string> got;
            for (const auto& [t, hash] : frames->second) {
                if (t >= v.from_timestamp - 1e-6 && t < v.to_timestamp - 1e-6) got.push_back(hash);
            }
            EXPECT_TRUE(got == source_packets(videos, e))
                << trial << ", video of episode " << e << ": " << got.size() << " frames where "
                << source_packets(videos, e).size() << " were saved";
        }
        EXPECT_EQ(d.info().total_frames, index) << trial;
        return n;
    } catch (const Error& e) {
        ADD_FAILURE() << trial << ": dataset does not open: " << e.what();
        return -1;
    }
}

std::vector<std::string> child_args(const fs::path& root, const fs::path& videos) {
    // fsync protects against power loss, not against a kill; the seeded trials skip it for speed
    // (the unplanned kills below keep it).
    std::vector<std::string> args{RCLS_WRITER_CHILD, root.string(), std::to_string(kEpisodes),
                                  "--no-sync", "1"};
    if (!videos.empty()) {
        args.push_back("--videos");
        args.push_back(videos.string());
    }
    return args;
}

void resume_and_check(const fs::path& root, const std::string& trial, const fs::path& videos = {}) {
    const testing::ProcessResult resumed = testing::run_process(child_args(root, videos));
    ASSERT_EQ(resumed.exit_code, 0) << trial << ": resume failed: " << resumed.err;
    EXPECT_EQ(expect_intact(root, static_cast<int>(kEpisodes), trial + ", resumed", videos),
              kEpisodes);
}

/// Runs the writer to the end once to count its file operations, then kills fresh writers at 60
/// seeded random operation numbers.
void kill_at_random_points(const fs::path& dir, const fs::path& videos, unsigned seed) {
    const testing::ProcessResult full = testing::run_process(child_args(dir / "full", videos));
    ASSERT_EQ(full.exit_code, 0) << full.err;
    const auto at = full.out.rfind("steps ");
    ASSERT_NE(at, std::string::npos);
    const long steps = std::stol(full.out.substr(at + 6));
    ASSERT_GT(steps, 60);
    expect_intact(dir / "full", static_cast<int>(kEpisodes), "uninterrupted run", videos);

    std::mt19937 rng(seed);
    std::set<long> points;
    while (points.size() < 60)
        points.insert(1 + static_cast<long>(rng() % static_cast<unsigned long>(steps)));
    int killed = 0;
    for (long point : points) {
        const fs::path root = dir / ("kill-" + std::to_string(point));
        const std::string trial =
            "kill at step " + std::to_string(point) + " of " + std::to_string(steps);
        std::vector<std::string> args = child_args(root, videos);
        args.push_back("--kill-at");
        args.push_back(std::to_string(point));
        const testing::ProcessResult r = testing::run_process(args);
        ASSERT_EQ(r.exit_code, 128 + SIGKILL) << trial << ": " << r.err;
        ++killed;
        expect_intact(root, saved_count(r.out), trial, videos);
        resume_and_check(root, trial, videos);
        fs::remove_all(root);
    }
    EXPECT_EQ(killed, 60);
}

TEST(DatasetWriterKill, SurvivesSigkillAtSixtyRandomPoints) {
    testing::TempDir dir;
    kill_at_random_points(dir.path(), {}, 20261124);
}

TEST(DatasetWriterKill, SurvivesSigkillAtSixtyRandomPointsWithACamera) {
    if (!fs::exists("/usr/bin/ffmpeg")) RCLS_PREREQUISITE_MISSING() << "ffmpeg not installed";
    testing::TempDir dir;
    const fs::path videos = dir / "videos";
    fs::create_directories(videos);
    for (std::int64_t e = 0; e < kEpisodes; ++e) {
        testing::make_synthetic_video(videos / ("episode_" + std::to_string(e) + ".mp4"), e);
    }
    kill_at_random_points(dir.path(), videos, 424242);
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
