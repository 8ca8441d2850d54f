// SPDX-License-Identifier: MIT
//
// load_metadata() validates every length, index and offset an episode's metadata gives before
// anything uses it (issue 10 item 1: a negative length crashed Table::slice).
#include "rcls/dataset/metadata.hpp"

#include <gtest/gtest.h>

#include "rcls/core/error.hpp"
#include "rcls/dataset/dataset.hpp"

#include "dataset_fixtures.hpp"
#include "temp_dir.hpp"
#include "v21_dataset.hpp"

namespace rcls::testing {
namespace {

std::string load_error(const std::string& episode_line) {
    TempDir dir;
    make_v21_dataset(dir / "ds", episode_line);
    try {
        dataset::load_metadata(dir / "ds");
    } catch (const DataError& e) {
        return e.what();
    }
    return "";
}

TEST(Metadata, AValidV21EpisodeLoadsAndReads) {
    TempDir dir;
    make_v21_dataset(dir / "ds", R"({"episode_index": 0, "tasks": ["t"], "length": 5})");
    const dataset::Dataset ds = dataset::Dataset::open(dir / "ds");
    ASSERT_EQ(ds.meta().episodes.size(), 1u);
    EXPECT_EQ(ds.read_episode(0).num_rows, 5);
}

TEST(Metadata, ANegativeLengthIsADataErrorNamingTheLine) {
    const std::string what = load_error(R"({"episode_index": 0, "length": -5})");
    EXPECT_NE(what.find("meta/episodes.jsonl:1: episode 0: length -5 is out of range"),
              std::string::npos)
        << what;
}

TEST(Metadata, NegativeOrHugeIndicesAreDataErrors) {
    EXPECT_NE(load_error(R"({"episode_index": -3, "length": 5})").find("episode_index -3"),
              std::string::npos);
    EXPECT_NE(
        load_error(R"({"episode_index": 0, "length": 9223372036854775807})").find("out of range"),
        std::string::npos);
}

TEST(Metadata, TableSliceOutsideTheTableThrowsInsteadOfCrashing) {
    parquet::Table t;
    t.num_rows = 3;
    EXPECT_THROW(t.slice(2, 9), std::out_of_range);
    EXPECT_THROW(t.slice(2, 1), std::out_of_range);
}

}  // namespace
}  // namespace rcls::testing
