// SPDX-License-Identifier: MIT
//
// A LeRobot v2.1 dataset (episodes.jsonl, one parquet per episode) made from synthetic episode 0,
// with meta/episodes.jsonl's line as the test gives it: how a test makes a dataset whose
// metadata lies (issue 10 item 1).
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "rcls/core/atomic_file.hpp"

#include "dataset_fixtures.hpp"

namespace rcls::testing {

/// Writes a v2.1 dataset at `root` holding synthetic episode 0 (no videos); `episode_line` is
/// meta/episodes.jsonl's one line (e.g. with a negative "length").
inline void make_v21_dataset(const std::filesystem::path& root, const std::string& episode_line) {
    namespace fs = std::filesystem;
    const fs::path v3 = root.string() + ".v3";
    {
        auto writer = dataset::DatasetWriter::create(v3, synthetic_spec());
        write_synthetic_episodes(writer, 0, 1);
    }
    nlohmann::ordered_json info = nlohmann::ordered_json::parse(read_file(v3 / "meta/info.json"));
    info["codebase_version"] = "v2.1";
    info["total_chunks"] = 1;
    info["total_videos"] = 0;
    info["data_path"] = "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet";
    info["video_path"] = nullptr;
    fs::create_directories(root / "meta");
    fs::create_directories(root / "data/chunk-000");
    write_file(root / "meta/info.json", info.dump(4));
    write_file(root / "meta/tasks.jsonl",
               "{\"task_index\": 0, \"task\": \"" + synthetic_task(0) + "\"}\n");
    write_file(root / "meta/episodes.jsonl", episode_line + "\n");
    fs::copy_file(v3 / "data/chunk-000/file-000.parquet",
                  root / "data/chunk-000/episode_000000.parquet");
    fs::remove_all(v3);
}

}  // namespace rcls::testing
