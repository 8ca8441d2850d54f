// SPDX-License-Identifier: MIT
// Reads every Parquet file of the real LeRobot datasets in ../shared/realdata (written by pyarrow
// 21 to 24 with dictionary encoding and Snappy) and checks them against facts stored elsewhere:
// episodes.jsonl lengths, episodes_stats.jsonl statistics, info.json totals, stats.json counts.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rcls/parquet/reader.hpp"

#include "parquet_json.hpp"
#include "prerequisite.hpp"
#include "temp_dir.hpp"

namespace rcls::parquet {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

fs::path dataset(const std::string& name) {
    const fs::path root = testing::realdata_dir();
    return root.empty() ? fs::path() : root / name;
}

std::vector<json> read_jsonl(const fs::path& path) {
    std::ifstream in(path);
    std::vector<json> lines;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) lines.push_back(json::parse(line));
    }
    return lines;
}

struct ColumnStats {
    std::vector<double> min, max, mean;
};

/// Per-dimension min/max/mean of a list column, computed here, independently of LeRobot.
ColumnStats compute_stats(const Column& c) {
    ColumnStats s;
    const std::size_t rows = c.num_rows();
    for (std::size_t r = 0; r < rows; ++r) {
        const std::vector<double> v = c.numbers(r);
        if (r == 0) {
            s.min = s.max = v;
            s.mean.assign(v.size(), 0.0);
        }
        for (std::size_t d = 0; d < v.size(); ++d) {
            s.min[d] = std::min(s.min[d], v[d]);
            s.max[d] = std::max(s.max[d], v[d]);
            s.mean[d] += v[d] / static_cast<double>(rows);
        }
    }
    return s;
}

void expect_close(const std::vector<double>& got,
                  const std::vector<double>& want,
                  double tol,
                  const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (std::size_t d = 0; d < got.size(); ++d) {
        EXPECT_NEAR(got[d], want[d], tol * (1.0 + std::abs(want[d]))) << what << " dim " << d;
    }
}

TEST(ParquetRealData, UnitreeV21EpisodesMatchEpisodesJsonlAndStats) {
    const fs::path root = dataset("unitree_g1_pick_bottle_YifanTian07");
    if (root.empty() || !fs::exists(root))
        RCLS_PREREQUISITE_MISSING() << "realdata not on this machine";
    const std::vector<json> episodes = read_jsonl(root / "meta/episodes.jsonl");
    const std::vector<json> stats = read_jsonl(root / "meta/episodes_stats.jsonl");
    ASSERT_EQ(episodes.size(), 100u);
    std::int64_t index = 0;
    for (const json& ep : episodes) {
        const int e = ep["episode_index"].get<int>();
        char name[64];
        std::snprintf(name, sizeof(name), "data/chunk-000/episode_%06d.parquet", e);
        const Table t = read_table(root / name);
        const auto length = ep["length"].get<std::int64_t>();
        ASSERT_EQ(t.num_rows, length) << name;
        const Column& frame = t.column("frame_index");
        const Column& episode = t.column("episode_index");
        const Column& idx = t.column("index");
        const Column& ts = t.column("timestamp");
        for (std::int64_t r = 0; r < length; ++r) {
            const auto row = static_cast<std::size_t>(r);
            ASSERT_EQ(frame.integer(row), r) << name;
            ASSERT_EQ(episode.integer(row), e) << name;
            ASSERT_EQ(idx.integer(row), index + r) << name;
            ASSERT_NEAR(ts.number(row), static_cast<double>(r) / 30.0, 1e-4) << name;
        }
        index += length;
        const json& s = stats.at(static_cast<std::size_t>(e))["stats"];
        ASSERT_EQ(stats[static_cast<std::size_t>(e)]["episode_index"].get<int>(), e);
        for (const char* key : {"observation.state", "action"}) {
            const ColumnStats got = compute_stats(t.column(key));
            EXPECT_EQ(got.min, s[key]["min"].get<std::vector<double>>()) << name << " " << key;
            EXPECT_EQ(got.max, s[key]["max"].get<std::vector<double>>()) << name << " " << key;
            expect_close(got.mean, s[key]["mean"].get<std::vector<double>>(), 1e-5,
                         std::string(name) + " " + key + " mean");
        }
    }
    std::ifstream info_file(root / "meta/info.json");
    const json info = json::parse(info_file);
    EXPECT_EQ(index, info["total_frames"].get<std::int64_t>());
}

TEST(ParquetRealData, LingzuV30DataMatchesItsEpisodeMetadata) {
    const fs::path root = dataset("lingzu_hand_press_button_open50");
    if (root.empty() || !fs::exists(root))
        RCLS_PREREQUISITE_MISSING() << "realdata not on this machine";
    const Table episodes = read_table(root / "meta/episodes/chunk-000/file-000.parquet");
    ASSERT_EQ(episodes.num_rows, 50);
    std::ifstream info_file(root / "meta/info.json");
    const json info = json::parse(info_file);
    std::ifstream stats_file(root / "meta/stats.json");
    const json stats = json::parse(stats_file);
    std::int64_t total = 0;
    const Column& length = episodes.column("length");
    for (std::size_t e = 0; e < 50; ++e) {
        total += length.integer(e);
        EXPECT_EQ(episodes.column("tasks")
                      .as<std::string>()[episodes.column("tasks").list_range(e).first],
                  "lingzu teleoperation");
    }
    EXPECT_EQ(total, info["total_frames"].get<std::int64_t>());
    EXPECT_EQ(total, stats["state"]["count"][0].get<std::int64_t>());

    int files = 0;
    for (const auto& entry : fs::directory_iterator(root / "data/chunk-000")) {
        const Table t = read_table(entry.path());
        ++files;
        const std::int64_t e = t.column("episode_index").integer(0);
        const auto row = static_cast<std::size_t>(e);
        const std::string name = entry.path().filename().string();
        EXPECT_EQ(episodes.column("data/file_index").integer(row), std::stoi(name.substr(5, 3)))
            << name;
        EXPECT_EQ(t.num_rows, length.integer(row)) << name;
        EXPECT_EQ(t.column("index").integer(0), episodes.column("dataset_from_index").integer(row))
            << name;
        const ColumnStats got = compute_stats(t.column("state"));
        EXPECT_EQ(got.min, episodes.column("stats/state/min").numbers(row)) << name;
        EXPECT_EQ(got.max, episodes.column("stats/state/max").numbers(row)) << name;
        expect_close(got.mean, episodes.column("stats/state/mean").numbers(row), 1e-5, name);
    }
    EXPECT_EQ(files, 14);

    const Table tasks = read_table(root / "meta/tasks.parquet");
    ASSERT_EQ(tasks.num_rows, 1);
    EXPECT_EQ(tasks.column("__index_level_0__").as<std::string>()[0], "lingzu teleoperation");
    EXPECT_EQ(tasks.column("task_index").integer(0), 0);
}

TEST(ParquetRealData, NestedImageStatsHaveShapeThreeOneOne) {
    const fs::path root = dataset("lingzu_hand_press_button_open50");
    if (root.empty() || !fs::exists(root))
        RCLS_PREREQUISITE_MISSING() << "realdata not on this machine";
    ReadOptions options;
    options.columns = {"stats/image/mean"};
    const Table t = read_table(root / "meta/episodes/chunk-000/file-000.parquet", options);
    const Column& c = t.column("stats/image/mean");
    ASSERT_EQ(c.list_depth(), 3);
    EXPECT_EQ(c.num_rows(), 50u);
    EXPECT_EQ(c.offsets[0].size(), 51u);
    EXPECT_EQ(c.offsets[0][1], 3);       // three channels
    EXPECT_EQ(c.offsets[1][1], 1);       // of one row
    EXPECT_EQ(c.offsets[2][1], 1);       // of one value
    EXPECT_EQ(c.numbers(0).size(), 3u);  // nested lists flatten to the three channels
    for (double v : c.as<double>()) {
        EXPECT_GE(v, 0.0);
        EXPECT_LE(v, 1.0);
    }
}

TEST(ParquetRealData, FootersAloneGiveRowCounts) {
    const fs::path root = dataset("unitree_g1_pick_bottle_YifanTian07");
    if (root.empty() || !fs::exists(root))
        RCLS_PREREQUISITE_MISSING() << "realdata not on this machine";
    const FileSummary s = read_summary(root / "data/chunk-000/episode_000001.parquet");
    EXPECT_EQ(s.num_rows, 393);  // episodes.jsonl
    EXPECT_NE(s.created_by.find("parquet-cpp-arrow"), std::string::npos);
    ASSERT_EQ(s.columns.size(), 7u);
    EXPECT_EQ(s.columns[0].name, "observation.state");
    EXPECT_EQ(s.columns[0].list_depth, 1);
    const auto hf = std::find_if(s.metadata.begin(), s.metadata.end(),
                                 [](const auto& kv) { return kv.first == "huggingface"; });
    ASSERT_NE(hf, s.metadata.end());
    EXPECT_EQ(json::parse(hf->second)["info"]["features"]["observation.state"]["length"], 26);
}

}  // namespace
}  // namespace rcls::parquet

namespace rcls::parquet {
namespace {

// Files written by arrow-rs (parquet-wasm 0.8.0, see scripts/crosscheck_parquet.mjs) from the
// rows in arrowrs_expected.json: data pages v2 with ZSTD and dictionaries; v2 without
// dictionaries (DELTA_BINARY_PACKED integers, DELTA_BYTE_ARRAY strings, RLE booleans); v1 GZIP.
TEST(ParquetForeignFiles, ArrowRsFilesReadAsTheRowsTheyWereWrittenFrom) {
    const fs::path dir = testing::source_dir() / "tests/data/parquet";
    std::ifstream in(dir / "arrowrs_expected.json");
    const json expected = json::parse(in);
    ASSERT_EQ(expected.size(), 50u);
    for (const char* name : {"arrowrs_v2_zstd_dict.parquet", "arrowrs_v2_none_plain.parquet",
                             "arrowrs_v1_gzip_dict.parquet"}) {
        const json got = testing::parquet_rows_json(read_table(dir / name));
        ASSERT_EQ(got.size(), expected.size()) << name;
        for (std::size_t r = 0; r < got.size(); ++r) {
            ASSERT_EQ(got[r], expected[r]) << name << " row " << r;
        }
    }
}

}  // namespace
}  // namespace rcls::parquet
