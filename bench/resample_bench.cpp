// SPDX-License-Identifier: MIT
//
// The resampler against OpenCV's cv::resize on the reference workflow's step: a 640x480 RGB
// frame, centre crop 480x480, resize to 128x128. cv::resize(INTER_LANCZOS4) is the obvious
// alternative but does not widen its kernel when shrinking (it aliases; ~28 dB against ffmpeg),
// INTER_AREA is OpenCV's antialiased choice. Also the planar (YUV 4:2:0) path that
// `rcls preprocess` takes for video.
//
//   build/bench/resample_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "rcls/image/pipeline.hpp"
#include "rcls/image/resample.hpp"

namespace {

using rcls::image::Filter;

cv::Mat test_frame(int type) {
    cv::Mat frame(480, 640, type);
    cv::RNG rng(1);
    rng.fill(frame, cv::RNG::UNIFORM, 0, 256);
    cv::GaussianBlur(frame, frame, cv::Size(5, 5), 1.5);  // some structure, like a camera image
    return frame;
}

void rcls_resize(benchmark::State& state, Filter filter) {
    const cv::Mat frame = test_frame(CV_8UC3);
    const cv::Mat crop = frame(cv::Rect(80, 0, 480, 480));
    rcls::image::Resampler resampler(crop.size(), {128, 128}, filter);
    cv::Mat out;
    for (auto _ : state) {
        resampler.resize(crop, out);
        benchmark::DoNotOptimize(out.data);
    }
    state.SetItemsProcessed(state.iterations());
}

void opencv_resize(benchmark::State& state, int interpolation) {
    cv::setNumThreads(1);  // one frame per worker, as in preprocess
    const cv::Mat frame = test_frame(CV_8UC3);
    const cv::Mat crop = frame(cv::Rect(80, 0, 480, 480));
    cv::Mat out;
    for (auto _ : state) {
        cv::resize(crop, out, {128, 128}, 0, 0, interpolation);
        benchmark::DoNotOptimize(out.data);
    }
    state.SetItemsProcessed(state.iterations());
}

void rcls_planar_yuv420(benchmark::State& state) {
    const cv::Mat y = test_frame(CV_8UC1);
    cv::Mat u;
    cv::Mat v;
    cv::resize(y, u, {320, 240}, 0, 0, cv::INTER_AREA);
    cv::resize(y, v, {320, 240}, 0, 0, cv::INTER_AREA);
    auto pipeline = rcls::image::PreparedYuv420Pipeline::make(rcls::image::Pipeline{}, {640, 480});
    rcls::image::Yuv420Planes out;
    for (auto _ : state) {
        pipeline->apply({y, u, v}, out);
        benchmark::DoNotOptimize(out.y.data);
    }
    state.SetItemsProcessed(state.iterations());
}

void rcls_weight_tables(benchmark::State& state) {
    for (auto _ : state) {
        rcls::image::Resampler resampler({480, 480}, {128, 128}, Filter::kLanczos);
        benchmark::DoNotOptimize(&resampler);
    }
}

BENCHMARK_CAPTURE(rcls_resize, lanczos, Filter::kLanczos)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(rcls_resize, area, Filter::kArea)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(rcls_resize, bilinear_antialias, Filter::kBilinear)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(opencv_resize, INTER_LANCZOS4, cv::INTER_LANCZOS4)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(opencv_resize, INTER_AREA, cv::INTER_AREA)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(opencv_resize, INTER_LINEAR, cv::INTER_LINEAR)->Unit(benchmark::kMicrosecond);
BENCHMARK(rcls_planar_yuv420)->Unit(benchmark::kMicrosecond);
BENCHMARK(rcls_weight_tables)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
