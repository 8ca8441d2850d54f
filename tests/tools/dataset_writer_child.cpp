// SPDX-License-Identifier: MIT
//
// The writer process of the dataset kill test (tests/unit/dataset/writer_kill_test.cpp):
//   dataset_writer_child ROOT EPISODES [--videos DIR] [--kill-at STEP] [--no-sync 1]
// Creates ROOT (or opens it, repairing what a killed run left) and appends synthetic episodes
// until it holds EPISODES, printing "saved <e>" after each committed episode. With --videos the
// dataset has a camera, and episode e's video is DIR/episode_<e>.mp4. With --kill-at it sends
// itself SIGKILL before its STEP-th file operation (kill -9: no destructor, no flush runs).
// Without it, it prints "steps <n>" at the end: how many operations there were. --no-sync skips
// fsync (WriterOptions::durable), which a process kill does not need.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "rcls/core/error.hpp"
#include "rcls/dataset/writer.hpp"

#include "dataset_fixtures.hpp"

namespace {
namespace fs = std::filesystem;

void say(const std::string& line) {
    const std::string text = line + "\n";
    // write(2): nothing is buffered in the process when it is killed.
    if (::write(1, text.data(), text.size()) < 0) std::_Exit(3);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr,
                     "usage: dataset_writer_child ROOT EPISODES [--videos DIR] [--kill-at STEP]\n");
        return 2;
    }
    const fs::path root = argv[1];
    const std::int64_t episodes = std::atoll(argv[2]);
    fs::path videos;
    long kill_at = 0;
    bool durable = true;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--videos") == 0) videos = argv[i + 1];
        if (std::strcmp(argv[i], "--kill-at") == 0) kill_at = std::atol(argv[i + 1]);
        if (std::strcmp(argv[i], "--no-sync") == 0) durable = std::atoi(argv[i + 1]) == 0;
    }
    long steps = 0;
    rcls::dataset::WriterOptions options;
    options.durable = durable;
    options.on_step = [&](std::string_view) {
        if (++steps == kill_at) ::kill(::getpid(), SIGKILL);
    };
    try {
        // Small files: data, metadata and videos roll over every few episodes, chunks every two.
        auto writer =
            fs::exists(root / "meta/info.json")
                ? rcls::dataset::DatasetWriter::open(root, options)
                : rcls::dataset::DatasetWriter::create(
                      root,
                      videos.empty() ? rcls::testing::synthetic_spec(0.004, 2)
                                     : rcls::testing::synthetic_spec_with_camera(0.004, 2, 0.012),
                      options);
        for (std::int64_t e = writer.meta().info.total_episodes; e < episodes; ++e) {
            for (std::int64_t t = 0; t < rcls::testing::synthetic_length(e); ++t) {
                writer.add_frame(rcls::testing::synthetic_frame(e, t));
            }
            if (!videos.empty()) {
                const fs::path target = writer.episode_video_path(rcls::testing::kSyntheticCamera);
                fs::copy_file(videos / ("episode_" + std::to_string(e) + ".mp4"), target,
                              fs::copy_options::overwrite_existing);
            }
            writer.save_episode();
            say("saved " + std::to_string(e));
        }
    } catch (const rcls::Error& e) {
        std::fprintf(stderr, "dataset_writer_child: %s\n", e.what());
        return static_cast<int>(e.code());
    }
    say("steps " + std::to_string(steps));
    return 0;
}
