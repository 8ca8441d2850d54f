// SPDX-License-Identifier: MIT
#include "rcls/core/strings.hpp"

#include <gtest/gtest.h>

namespace rcls {
namespace {

TEST(EditDistance, CountsEditsAndSwaps) {
    EXPECT_EQ(edit_distance("", ""), 0u);
    EXPECT_EQ(edit_distance("abc", ""), 3u);
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
    EXPECT_EQ(edit_distance("prot", "port"), 1u);
    EXPECT_EQ(edit_distance("widht", "width"), 1u);
}

TEST(NearestMatch, FindsPlausibleTyposOnly) {
    const std::vector<std::string> keys{"num_episodes", "fps", "control_time_s"};
    EXPECT_EQ(nearest_match("num_episode", keys), "num_episodes");
    EXPECT_EQ(nearest_match("fsp", keys), "fps");
    EXPECT_EQ(nearest_match("robot", keys), std::nullopt);
}

TEST(Split, KeepsEmptyFields) {
    EXPECT_EQ(split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
    EXPECT_EQ(split("", ','), (std::vector<std::string>{""}));
}

TEST(Trim, RemovesOuterWhiteSpace) {
    EXPECT_EQ(trim("  a b \n"), "a b");
}

TEST(FormatDuration, PicksReadableUnits) {
    EXPECT_EQ(format_duration(1.24), "1.2 s");
    EXPECT_EQ(format_duration(184.0), "3 min 04 s");
    EXPECT_EQ(format_duration(3720.0), "1 h 02 min");
}

}  // namespace
}  // namespace rcls
