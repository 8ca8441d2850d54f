// SPDX-License-Identifier: MIT
//
// Training-time augmentation (model::ImageTransforms) on one batch of 32 float images:
//
//   BM_Augment/size:{64,128}/threads:{1,2}/part:0   LeRobot's default ColorJitter (3 of 4)
//   BM_Augment/size:{64,128}/threads:{1,2}/part:1   rcls's geometric augmentation
//   BM_Augment/size:{64,128}/threads:{1,2}/part:2   both
//   BM_Augment/.../part:3                           LeRobot's five incl. SharpnessJitter, random
//   order
#include <cstdlib>
#include <malloc.h>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <torch/types.h>

#include "rcls/model/image_transforms.hpp"

namespace {

using namespace rcls;

void BM_Augment(benchmark::State& state) {
    const std::int64_t size = state.range(0);
    at::set_num_threads(static_cast<int>(state.range(1)));
    const auto part = state.range(2);
    config::ImageTransformsConfig lerobot;
    lerobot.enable = part == 0 || part == 2 || part == 3;
    if (part == 3) {
        lerobot.random_order = true;
        lerobot.max_num_transforms = 5;
        lerobot.tfs.emplace_back(
            "sharpness",
            config::ImageTransformConfig{1.0, "SharpnessJitter", {{"sharpness", {0.5, 1.5}}}});
    }
    config::GeometricAugmentConfig geometric;
    geometric.enable = part == 1 || part == 2;
    const model::ImageTransforms transforms(lerobot, geometric);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
    const auto images = torch::rand({32, 3, size, size}, gen);
    for (auto _ : state) {
        benchmark::DoNotOptimize(transforms(images, gen));
    }
    state.SetLabel(transforms.describe().substr(0, 40));
}
BENCHMARK(BM_Augment)
    ->ArgNames({"size", "threads", "part"})
    ->ArgsProduct({{64, 128}, {1, 2}, {0, 1, 2, 3}})
    ->Unit(benchmark::kMillisecond);

/// One colour op on the whole batch (op: brightness, contrast, saturation, hue, sharpness, crop).
void BM_Op(benchmark::State& state) {
    const std::int64_t size = state.range(0);
    at::set_num_threads(1);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
    const auto images = torch::rand({32, 3, size, size}, gen);
    const auto f = torch::rand({32}, gen).add_(0.5);
    const auto h = torch::rand({32}, gen).sub_(0.5).mul_(0.1);
    for (auto _ : state) {
        switch (state.range(1)) {
            case 0:
                benchmark::DoNotOptimize(model::color::adjust_brightness(images, f));
                break;
            case 1:
                benchmark::DoNotOptimize(model::color::adjust_contrast(images, f));
                break;
            case 2:
                benchmark::DoNotOptimize(model::color::adjust_saturation(images, f));
                break;
            case 3:
                benchmark::DoNotOptimize(model::color::adjust_hue(images, h));
                break;
            case 4:
                benchmark::DoNotOptimize(model::color::adjust_sharpness(images, f));
                break;
            default:
                benchmark::DoNotOptimize(
                    model::affine_crop(images, f * 0.5 + 0.5, f * 0.5 + 0.5, h, h));
        }
    }
}
BENCHMARK(BM_Op)
    ->ArgNames({"size", "op"})
    ->ArgsProduct({{128}, {0, 1, 2, 3, 4, 5}})
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
    if (std::getenv("RCLS_BENCH_DEFAULT_MALLOC") == nullptr) {
        mallopt(M_MMAP_THRESHOLD, 256 << 20);
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
