// SPDX-License-Identifier: MIT
//
// Dataset write and read speed, tabular part (README, "Benchmarks"). The reference dataset has
// 20 episodes and 1932 frames; BM_SaveEpisodes writes such a dataset with the crash-safe writer
// (every save rewrites the current data file and the metadata, with fsync), BM_EncodeOnce is the
// baseline: encoding the same rows as one Parquet file in memory. BM_ReadEpisodes reads every
// episode back. Run: build/bench/dataset_bench --benchmark_repetitions=5
//   --benchmark_report_aggregates_only=true
#include <filesystem>

#include <benchmark/benchmark.h>

#include "rcls/dataset/dataset.hpp"
#include "rcls/dataset/writer.hpp"
#include "rcls/parquet/reader.hpp"
#include "rcls/parquet/writer.hpp"

#include "dataset_fixtures.hpp"
#include "temp_dir.hpp"

namespace {
namespace fs = std::filesystem;
using rcls::dataset::DatasetWriter;

constexpr std::int64_t kEpisodes = 20;
constexpr std::int64_t kFramesPerEpisode = 97;  // 20 x 97 = 1940, the reference's 1932 rounded

void write_reference_like(DatasetWriter& writer) {
    for (std::int64_t e = 0; e < kEpisodes; ++e) {
        for (std::int64_t t = 0; t < kFramesPerEpisode; ++t) {
            writer.add_frame(rcls::testing::synthetic_frame(e, t));
        }
        writer.save_episode();
    }
}

void BM_SaveEpisodes(benchmark::State& state) {
    for (auto _ : state) {
        rcls::testing::TempDir dir;
        DatasetWriter writer = DatasetWriter::create(dir / "d", rcls::testing::synthetic_spec());
        write_reference_like(writer);
    }
    state.counters["frames_per_s"] =
        benchmark::Counter(static_cast<double>(kEpisodes * kFramesPerEpisode),
                           benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SaveEpisodes)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_EncodeOnce(benchmark::State& state) {
    rcls::testing::TempDir dir;
    DatasetWriter writer = DatasetWriter::create(dir / "d", rcls::testing::synthetic_spec());
    write_reference_like(writer);
    const rcls::parquet::Table table =
        rcls::parquet::read_table(dir / "d/data/chunk-000/file-000.parquet");
    for (auto _ : state)
        benchmark::DoNotOptimize(rcls::parquet::encode_table(table));
    state.counters["frames_per_s"] = benchmark::Counter(
        static_cast<double>(table.num_rows), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_EncodeOnce)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ReadEpisodes(benchmark::State& state) {
    rcls::testing::TempDir dir;
    {
        DatasetWriter writer = DatasetWriter::create(dir / "d", rcls::testing::synthetic_spec());
        write_reference_like(writer);
    }
    for (auto _ : state) {
        const auto d = rcls::dataset::Dataset::open(dir / "d");
        for (std::int64_t e = 0; e < kEpisodes; ++e)
            benchmark::DoNotOptimize(d.read_episode(e));
    }
    state.counters["frames_per_s"] =
        benchmark::Counter(static_cast<double>(kEpisodes * kFramesPerEpisode),
                           benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_ReadEpisodes)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
