// SPDX-License-Identifier: MIT
//
// The ResNet10 encoder and the whole classifier, plain libtorch eager against rcls's optimised
// inference path (FastResNet10, FastClassifier), in the same run (scripts/bench_model.sh prints the
// ratios):
//
//   BM_Encoder/batch:32/optimized:{0,1}     encoder throughput at 128x128 (frames/s)
//   BM_Encoder/batch:1/optimized:{0,1}      one frame through the encoder
//   BM_Classifier/optimized:{0,1}           one 128x128 BGR frame to a probability (Predictor)
//
// Threads: RCLS_BENCH_THREADS (default: one per core).
#include <cstdlib>

#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>
#include <torch/types.h>
#include <torch/utils.h>

#include "rcls/model/classifier.hpp"
#include "rcls/model/fast_classifier.hpp"
#include "rcls/model/predictor.hpp"

namespace {

using namespace rcls::model;

int bench_threads() {
    const char* text = std::getenv("RCLS_BENCH_THREADS");
    return text != nullptr ? std::atoi(text) : 0;
}

void BM_Encoder(benchmark::State& state) {
    set_num_threads(bench_threads());
    const std::int64_t batch = state.range(0);
    torch::manual_seed(0);
    ResNet10 net;
    for (torch::Tensor& p : net->parameters())
        p.requires_grad_(false);
    FastResNet10 fast(net);
    const bool optimized = state.range(1) != 0;
    const auto forward = [&](const torch::Tensor& x) {
        return optimized ? fast.forward(x) : net->forward(x);
    };
    const torch::InferenceMode inference;
    const torch::Tensor x = torch::randn({batch, 3, 128, 128});
    benchmark::DoNotOptimize(forward(x));  // warm-up: packs weights, allocates
    for (auto _ : state) {
        benchmark::DoNotOptimize(forward(x));
    }
    state.counters["frames_per_s"] = benchmark::Counter(
        static_cast<double>(batch * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Encoder)
    ->ArgsProduct({{1, 32}, {0, 1}})
    ->ArgNames({"batch", "optimized"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

void BM_Classifier(benchmark::State& state) {
    ClassifierConfig config;  // one camera, 128x128, LeRobot's default sizes
    Predictor predictor = Predictor::untrained(
        config, 0,
        {.threshold = 0.5, .num_threads = bench_threads(), .optimized = state.range(0) != 0});
    cv::Mat frame(128, 128, CV_8UC3);
    cv::randu(frame, 0, 255);
    const cv::Mat frames[] = {frame};
    benchmark::DoNotOptimize(predictor.predict(frames));
    for (auto _ : state) {
        benchmark::DoNotOptimize(predictor.predict(frames));
    }
}
BENCHMARK(BM_Classifier)
    ->ArgNames({"optimized"})
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
