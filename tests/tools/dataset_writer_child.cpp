// SPDX-License-Identifier: MIT
//
// The writer process of the dataset kill test (tests/unit/dataset/writer_kill_test.cpp):
//   dataset_writer_child ROOT EPISODES [KILL_AT_STEP]
// Creates ROOT (or opens it, repairing what a killed run left) and appends synthetic episodes
// until it holds EPISODES, printing "saved <e>" after each committed episode. With KILL_AT_STEP
// it sends itself SIGKILL before its KILL_AT_STEP-th file operation (kill -9: no destructor,
// no flush runs). Without it, it prints "steps <n>" at the end: how many operations there were.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "rcls/core/error.hpp"
#include "rcls/dataset/writer.hpp"

#include "dataset_fixtures.hpp"

namespace {

void say(const std::string& line) {
    const std::string text = line + "\n";
    // write(2): nothing is buffered in the process when it is killed.
    if (::write(1, text.data(), text.size()) < 0) std::_Exit(3);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: dataset_writer_child ROOT EPISODES [KILL_AT_STEP]\n");
        return 2;
    }
    const std::filesystem::path root = argv[1];
    const std::int64_t episodes = std::atoll(argv[2]);
    const long kill_at = argc > 3 ? std::atol(argv[3]) : 0;
    long steps = 0;
    rcls::dataset::WriterOptions options;
    options.on_step = [&](std::string_view) {
        if (++steps == kill_at) ::kill(::getpid(), SIGKILL);
    };
    try {
        // Small files: data and metadata roll over every few episodes, chunks every two files.
        auto writer = std::filesystem::exists(root / "meta/info.json")
                          ? rcls::dataset::DatasetWriter::open(root, options)
                          : rcls::dataset::DatasetWriter::create(
                                root, rcls::testing::synthetic_spec(0.004, 2), options);
        for (std::int64_t e = writer.meta().info.total_episodes; e < episodes; ++e) {
            rcls::testing::write_synthetic_episodes(writer, e, e + 1);
            say("saved " + std::to_string(e));
        }
    } catch (const rcls::Error& e) {
        std::fprintf(stderr, "dataset_writer_child: %s\n", e.what());
        return static_cast<int>(e.code());
    }
    say("steps " + std::to_string(steps));
    return 0;
}
