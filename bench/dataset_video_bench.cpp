// SPDX-License-Identifier: MIT
//
// Dataset video speed (README, "Benchmarks"), on an episode set shaped like the reference's: 20
// episodes, 1932 frames of 640x480 (12 of 97 frames, 8 of 96), one camera, LeRobot's encoding
// (libsvtav1, yuv420p, g=2, crf=30, preset 12).
// - BM_RecordEpisodes: what recording costs: every frame's image through DatasetWriter::add_frame
//   (AV1 encoding on the writer's encoder thread, one encoder thread: one core) and save_episode
//   (finishing the encoder, joining the episode into the camera's file, Parquet and metadata).
//   Real time must stay above 30 frames/s; add_frame_ms_* is what the caller's thread waits.
// - BM_DecodeEpisodes: every frame through FrameReader, episode by episode (frame t at
//   from_timestamp + t / fps). Baseline BM_DecodeFileBaseline: VideoReader::read() over the same
//   file front to back, no timestamps.
// - BM_RandomFrame: one frame at a random (episode, t), from an open reader. Baseline: the
//   per-frame time of BM_DecodeEpisodes.
// Run: build/bench/dataset_video_bench --benchmark_repetitions=5
// --benchmark_report_aggregates_only=true
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <random>

#include <benchmark/benchmark.h>

#include "rcls/dataset/dataset.hpp"
#include "rcls/dataset/frame_reader.hpp"
#include "rcls/dataset/writer.hpp"
#include "rcls/video/video_reader.hpp"

#include "dataset_fixtures.hpp"
#include "temp_dir.hpp"

namespace {
namespace fs = std::filesystem;
using namespace rcls;

constexpr int kWidth = 640;
constexpr int kHeight = 480;
constexpr std::int64_t kEpisodes = 20;

std::int64_t episode_length(std::int64_t e) {
    return e < 12 ? 97 : 96;
}  // 1932 frames

const std::vector<cv::Mat>& images() {
    static const std::vector<cv::Mat> pool = [] {
        std::vector<cv::Mat> out;
        for (int t = 0; t < 30; ++t)
            out.push_back(testing::synthetic_image(0, t, kWidth, kHeight));
        return out;
    }();
    return pool;
}

dataset::DatasetSpec spec() {
    dataset::DatasetSpec s = testing::synthetic_spec();
    s.features.push_back(dataset::make_feature(
        testing::kSyntheticCamera, "video", {3, kHeight, kWidth}, {"channels", "height", "width"}));
    return s;
}

/// Time spent in add_frame() (what a control loop calling it waits) and in save_episode().
struct RecordTimes {
    double add_frame_s = 0.0;
    double add_frame_max_s = 0.0;
    double save_s = 0.0;
};

RecordTimes record(const fs::path& root) {
    using Clock = std::chrono::steady_clock;
    const auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
    RecordTimes times;
    dataset::DatasetWriter writer = dataset::DatasetWriter::create(root, spec());
    for (std::int64_t e = 0; e < kEpisodes; ++e) {
        for (std::int64_t t = 0; t < episode_length(e); ++t) {
            dataset::Frame frame = testing::synthetic_frame(e, t);
            frame.images[testing::kSyntheticCamera] =
                images()[static_cast<std::size_t>((e + t) % 30)];
            const auto start = Clock::now();
            writer.add_frame(frame);
            const double s = seconds(Clock::now() - start);
            times.add_frame_s += s;
            times.add_frame_max_s = std::max(times.add_frame_max_s, s);
        }
        const auto start = Clock::now();
        writer.save_episode();
        times.save_s += seconds(Clock::now() - start);
    }
    return times;
}

/// One recorded dataset shared by the read benchmarks.
const fs::path& shared_dataset() {
    static testing::TempDir dir;
    static const fs::path root = [] {
        record(dir / "d");
        return dir / "d";
    }();
    return root;
}

std::int64_t total_frames() {
    std::int64_t n = 0;
    for (std::int64_t e = 0; e < kEpisodes; ++e)
        n += episode_length(e);
    return n;
}

void BM_RecordEpisodes(benchmark::State& state) {
    RecordTimes times;
    for (auto _ : state) {
        testing::TempDir dir;
        times = record(dir / "d");
    }
    state.counters["frames_per_s"] = benchmark::Counter(
        static_cast<double>(total_frames()), benchmark::Counter::kIsIterationInvariantRate);
    // What the recording loop's thread waits: add_frame() (encoding is on the writer's encoder
    // thread, queued) and save_episode() (finishing the encoder, joining, Parquet, metadata).
    state.counters["add_frame_ms_mean"] =
        1e3 * times.add_frame_s / static_cast<double>(total_frames());
    state.counters["add_frame_ms_max"] = 1e3 * times.add_frame_max_s;
    state.counters["save_episode_ms_mean"] = 1e3 * times.save_s / static_cast<double>(kEpisodes);
}
BENCHMARK(BM_RecordEpisodes)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

void BM_DecodeEpisodes(benchmark::State& state) {
    const dataset::Dataset d = dataset::Dataset::open(shared_dataset());
    for (auto _ : state) {
        dataset::FrameReader reader(d, image::ChannelOrder::kRgb, 1);
        for (std::int64_t e = 0; e < kEpisodes; ++e) {
            for (std::int64_t t = 0; t < episode_length(e); ++t) {
                benchmark::DoNotOptimize(reader.frame(e, testing::kSyntheticCamera, t));
            }
        }
    }
    state.counters["frames_per_s"] = benchmark::Counter(
        static_cast<double>(total_frames()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_DecodeEpisodes)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_DecodeFileBaseline(benchmark::State& state) {
    const dataset::Dataset d = dataset::Dataset::open(shared_dataset());
    const fs::path file = d.meta().find_video_file(d.episode(0), testing::kSyntheticCamera);
    std::int64_t frames = 0;
    for (auto _ : state) {
        video::VideoReader reader(file, {image::ChannelOrder::kRgb, 1});
        video::Frame frame;
        frames = 0;
        while (reader.read(frame))
            ++frames;
    }
    state.counters["frames_per_s"] = benchmark::Counter(
        static_cast<double>(frames), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_DecodeFileBaseline)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_RandomFrame(benchmark::State& state) {
    const dataset::Dataset d = dataset::Dataset::open(shared_dataset());
    dataset::FrameReader reader(d, image::ChannelOrder::kRgb, 1);
    std::mt19937 rng(42);
    for (auto _ : state) {
        const auto e = static_cast<std::int64_t>(rng() % kEpisodes);
        const auto t = static_cast<std::int64_t>(rng() % static_cast<unsigned>(episode_length(e)));
        benchmark::DoNotOptimize(reader.frame(e, testing::kSyntheticCamera, t));
    }
    state.counters["decoded_per_access"] = benchmark::Counter(
        static_cast<double>(reader.frames_decoded()), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_RandomFrame)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(200);

}  // namespace

BENCHMARK_MAIN();
