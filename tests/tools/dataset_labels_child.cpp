// SPDX-License-Identifier: MIT
//
// The label rewrite process of the dataset kill test (tests/unit/dataset/labels_kill_test.cpp):
//   dataset_labels_child ROOT [--kill-at STEP] [--no-sync 1]
// Rewrites every episode's labels of the synthetic dataset at ROOT to synthetic_new_reward() and
// synthetic_new_done(). With --kill-at it sends itself SIGKILL before its STEP-th file operation;
// without it, it prints "steps <n>" at the end. --no-sync skips fsync.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "rcls/core/error.hpp"
#include "rcls/dataset/dataset.hpp"
#include "rcls/dataset/labels.hpp"

#include "dataset_fixtures.hpp"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: dataset_labels_child ROOT [--kill-at STEP] [--no-sync 1]\n");
        return 2;
    }
    const std::filesystem::path root = argv[1];
    long kill_at = 0;
    bool durable = true;
    for (int i = 2; i + 1 < argc; i += 2) {
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
        std::map<std::int64_t, rcls::dataset::EpisodeLabels> labels;
        const auto d = rcls::dataset::Dataset::open(root);
        for (const auto& m : d.meta().episodes) {
            auto& l = labels[m.episode_index];
            for (std::int64_t t = 0; t < m.length; ++t) {
                l.reward.push_back(rcls::testing::synthetic_new_reward(m.episode_index, t));
                l.done.push_back(rcls::testing::synthetic_new_done(m.episode_index, t) ? 1 : 0);
            }
        }
        rcls::dataset::rewrite_labels(root, labels, options);
    } catch (const rcls::Error& e) {
        std::fprintf(stderr, "dataset_labels_child: %s\n", e.what());
        return static_cast<int>(e.code());
    }
    const std::string text = "steps " + std::to_string(steps) + "\n";
    if (::write(1, text.data(), text.size()) < 0) return 3;
    return 0;
}
