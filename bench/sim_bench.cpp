// SPDX-License-Identifier: MIT
//
// The simulated scene's cost: one 640x480 frame (front and wrist camera) with p50/p99 per frame,
// and one simulated 8 s episode (operator, inverse kinematics, physics; no rendering).
//
//     build/bench/sim_bench --benchmark_filter=Render
//     build/bench/sim_bench --contact-sheet docs/sim_contact_sheet.png   (the README figure)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <time.h>
#include <vector>

#include <benchmark/benchmark.h>
#include <opencv2/imgproc.hpp>

#include "rcls/core/stats.hpp"
#include "rcls/sim/world.hpp"
#include "rcls/video/image_file.hpp"

namespace {

using namespace rcls;

/// CPU time of this thread, ms: on a machine shared with other builds, wall time per frame
/// includes waiting for a core; CPU time is what the frame costs one core.
double thread_cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

void render_benchmark(benchmark::State& state, sim::View view) {
    sim::ReachGraspWorld world({.seed = 5});
    sim::Renderer renderer;
    cv::Mat frame;
    std::vector<double> ms, cpu_ms;
    double t = 0;
    std::uint64_t n = 0;
    for (auto _ : state) {
        state.PauseTiming();
        t = std::fmod(t + 0.1, 8.0);
        if (t < 0.1) world.start_episode(static_cast<std::int64_t>(++n));
        world.advance_to(t);
        const sim::SceneSnapshot snapshot = world.scene().snapshot();
        // The fixed front camera builds its background once per episode (BM_PrepareEpisode); the
        // wrist camera moves, so it rebuilds it in every render().
        if (view == sim::View::kFront) renderer.prepare(snapshot, world.appearance(), view);
        state.ResumeTiming();
        const auto start = std::chrono::steady_clock::now();
        const double cpu_start = thread_cpu_ms();
        renderer.render(snapshot, world.appearance(), view, n, frame);
        cpu_ms.push_back(thread_cpu_ms() - cpu_start);
        ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count());
        benchmark::DoNotOptimize(frame.data);
    }
    state.counters["p50_ms"] = percentile(ms, 50);
    state.counters["p99_ms"] = percentile(ms, 99);
    state.counters["cpu_p50_ms"] = percentile(cpu_ms, 50);
    state.counters["cpu_p99_ms"] = percentile(cpu_ms, 99);
}

void BM_RenderFront(benchmark::State& state) {
    render_benchmark(state, sim::View::kFront);
}
void BM_RenderWrist(benchmark::State& state) {
    render_benchmark(state, sim::View::kWrist);
}
BENCHMARK(BM_RenderFront)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_RenderWrist)->Unit(benchmark::kMillisecond)->MinTime(1.0);

void BM_SimulateEpisode(benchmark::State& state) {
    sim::ReachGraspWorld world({.seed = 9});
    std::int64_t e = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(sim::run_episode(world, e++, 10.0, 80));
    }
}
BENCHMARK(BM_SimulateEpisode)->Unit(benchmark::kMillisecond);

/// The per-episode part of rendering: the static background for a new appearance.
void BM_PrepareEpisode(benchmark::State& state) {
    sim::ReachGraspWorld world({.seed = 5});
    sim::Renderer renderer;
    std::int64_t e = 0;
    for (auto _ : state) {
        state.PauseTiming();
        world.start_episode(e++);
        state.ResumeTiming();
        renderer.prepare(world.scene().snapshot(), world.appearance(), sim::View::kFront);
    }
}
BENCHMARK(BM_PrepareEpisode)->Unit(benchmark::kMillisecond);

/// 12 frames: a success, a miss and a drop, four instants each (start, above the cube, jaws
/// closed, end), 160x120 each with a label.
int contact_sheet(const char* path) {
    struct Row {
        std::string label;
        sim::WorldOptions options;
    };
    std::vector<Row> rows(3);
    rows[0] = {"success", {.seed = 3}};
    rows[0].options.person.miss_probability = 0.0;
    rows[0].options.scene.slip_probability = 0.0;
    rows[1] = {"miss", {.seed = 4}};
    rows[1].options.person.miss_probability = 1.0;
    rows[2] = {"drop", {.seed = 6}};
    rows[2].options.person.miss_probability = 0.0;
    rows[2].options.scene.slip_probability = 1.0;
    constexpr int kW = 160, kH = 120;
    cv::Mat sheet(kH * 3, kW * 4, CV_8UC3, cv::Scalar(0, 0, 0));
    sim::Renderer renderer;
    for (int r = 0; r < 3; ++r) {
        sim::ReachGraspWorld world(rows[r].options);
        world.start_episode(0);
        const double close = world.person().close_time_s();
        const std::vector<double> times = {0.5, close - 0.4, close + 0.8, 7.9};
        std::string outcome;
        for (int c = 0; c < 4; ++c) {
            world.advance_to(times[c]);
            cv::Mat frame, small;
            renderer.render(world.scene().snapshot(), world.appearance(), sim::View::kFront,
                            static_cast<std::uint64_t>(c), frame);
            cv::resize(frame, small, {kW, kH}, 0, 0, cv::INTER_AREA);
            char text[64];
            std::snprintf(text, sizeof text, "%s t=%.1fs%s", rows[r].label.c_str(), times[c],
                          world.scene().held_above(sim::kLiftThresholdM) ? " held" : "");
            cv::putText(small, text, {4, 14}, cv::FONT_HERSHEY_SIMPLEX, 0.36,
                        cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
            small.copyTo(sheet(cv::Rect(c * kW, r * kH, kW, kH)));
        }
        std::printf("%s row: outcome %s\n", rows[r].label.c_str(),
                    sim::to_string(world.outcome()).c_str());
    }
    // 6 bits per channel (invisible here) keep the PNG small enough for the README.
    sheet.forEach<cv::Vec3b>([](cv::Vec3b& p, const int*) {
        for (int k = 0; k < 3; ++k)
            p[k] = static_cast<std::uint8_t>(p[k] & 0xFC);
    });
    video::write_image(path, sheet, image::ChannelOrder::kRgb, {.png_compression = 9});
    std::printf("wrote %s\n", path);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 3 && std::strcmp(argv[1], "--contact-sheet") == 0) return contact_sheet(argv[2]);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
