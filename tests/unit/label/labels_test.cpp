// SPDX-License-Identifier: MIT
//
// Label parsers (the reference table verbatim, CSV, JSON, --set), validation and the span rules.
#include "rcls/label/labels.hpp"

#include <numeric>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rcls/core/error.hpp"
#include "rcls/sim/world.hpp"

#include "label_fixtures.hpp"
#include "temp_dir.hpp"

namespace rcls::label {
namespace {

using testing::kReferenceLengths;
using testing::kReferenceStarts;

std::vector<EpisodeLength> reference_episodes() {
    std::vector<EpisodeLength> out;
    for (std::size_t e = 0; e < kReferenceLengths.size(); ++e) {
        out.push_back({static_cast<std::int64_t>(e), kReferenceLengths[e]});
    }
    return out;
}

/// The message of the ConfigError `f` throws ("" when it throws none).
template <class F>
std::string config_error(F&& f) {
    try {
        f();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST(LabelParse, ReferenceTableVerbatim) {
    const LabelSet set = parse_labels(testing::kReferenceTable, "notes.txt");
    ASSERT_EQ(set.episodes.size(), 20u);
    for (std::size_t e = 0; e < 20; ++e) {
        const EpisodeLabel& l = set.episodes.at(static_cast<std::int64_t>(e));
        EXPECT_FALSE(l.never);
        EXPECT_EQ(l.start, kReferenceStarts[e]) << "episode " << e;
        EXPECT_FALSE(l.end.has_value());
    }
    EXPECT_EQ(set.sources.at(15), "notes.txt line 1");
    EXPECT_EQ(set.sources.at(19), "notes.txt line 5");
    EXPECT_EQ(detect_format(testing::kReferenceTable), LabelFormat::kTable);
}

TEST(LabelParse, TableAcceptsNeverSpansTightColonsAndUnlabelled) {
    const LabelSet set = parse_table("00:119  1: never\r\n 02 : 40-80   03: -  # comment\n", "t");
    ASSERT_EQ(set.episodes.size(), 3u);
    EXPECT_EQ(set.episodes.at(0), (EpisodeLabel::span(119)));
    EXPECT_TRUE(set.episodes.at(1).never);
    EXPECT_EQ(set.episodes.at(2), (EpisodeLabel::span(40, 80)));
    EXPECT_EQ(set.episodes.count(3), 0u);
}

TEST(LabelParse, TableErrorsNameFileAndLine) {
    EXPECT_NE(config_error([] {
                  parse_table("00: 119\n05 39\n", "n.txt");
              }).find("n.txt line 2: episode 5 has no `:`"),
              std::string::npos);
    EXPECT_NE(config_error([] {
                  parse_table("00: 1x9\n", "n.txt");
              }).find("n.txt line 1, episode 0: \"1x9\" is not a label"),
              std::string::npos);
    EXPECT_NE(config_error([] {
                  parse_table("00: 5   00: 6\n", "n.txt");
              }).find("episode 0 is labelled twice"),
              std::string::npos);
    EXPECT_NE(config_error([] { parse_table("\n\n", "n.txt"); }).find("no labels found"),
              std::string::npos);
    EXPECT_NE(config_error([] { parse_table("hello: 5\n", "n.txt"); }).find("n.txt line 1"),
              std::string::npos);
}

TEST(LabelParse, CsvWithAndWithoutEnd) {
    const std::string csv =
        "episode_index,success_start,success_end\n0,119,\n3,never,\n4,42,180\n5,-1,\n";
    EXPECT_EQ(detect_format(csv), LabelFormat::kCsv);
    const LabelSet set = parse_labels(csv, "l.csv");
    ASSERT_EQ(set.episodes.size(), 4u);
    EXPECT_EQ(set.episodes.at(0), (EpisodeLabel::span(119)));
    EXPECT_TRUE(set.episodes.at(3).never);
    EXPECT_EQ(set.episodes.at(4), (EpisodeLabel::span(42, 180)));
    EXPECT_TRUE(set.episodes.at(5).never);
    EXPECT_EQ(set.sources.at(4), "l.csv line 4");

    const LabelSet two = parse_labels("episode_index,success_start\r\n7,12\r\n", "m.csv");
    EXPECT_EQ(two.episodes.at(7), (EpisodeLabel::span(12)));
}

TEST(LabelParse, CsvErrors) {
    EXPECT_NE(config_error([] {
                  parse_csv("episode_index,start\n0,1\n", "l.csv");
              }).find("l.csv line 1: expected the header"),
              std::string::npos);
    EXPECT_NE(config_error([] {
                  parse_csv("episode_index,success_start\n0,abc\n", "l.csv");
              }).find("l.csv line 2, episode 0: success_start \"abc\""),
              std::string::npos);
    EXPECT_NE(config_error([] {
                  parse_csv("episode_index,success_start\n0,1,2\n", "l.csv");
              }).find("expected 2 fields"),
              std::string::npos);
    EXPECT_NE(config_error([] {
                  parse_csv("episode_index,success_start,success_end\n2,never,5\n", "l.csv");
              }).find("episode 2: a success_end for an episode that never succeeds"),
              std::string::npos);
}

TEST(LabelParse, JsonForms) {
    const std::string json = R"({"0": 119, "3": "never", "4": "42-180", "5": -1,
                                 "6": {"start": 10, "end": 20}, "7": {"never": true}})";
    EXPECT_EQ(detect_format(json), LabelFormat::kJson);
    const LabelSet set = parse_labels(json, "l.json");
    EXPECT_EQ(set.episodes.at(0), (EpisodeLabel::span(119)));
    EXPECT_TRUE(set.episodes.at(3).never);
    EXPECT_EQ(set.episodes.at(4), (EpisodeLabel::span(42, 180)));
    EXPECT_TRUE(set.episodes.at(5).never);
    EXPECT_EQ(set.episodes.at(6), (EpisodeLabel::span(10, 20)));
    EXPECT_TRUE(set.episodes.at(7).never);
    // The same under "episodes", as the page and --json write it.
    EXPECT_EQ(parse_json(R"({"episodes": {"2": 5}})", "x").episodes.at(2), (EpisodeLabel::span(5)));
    EXPECT_NE(config_error([] {
                  parse_json(R"({"zero": 1})", "l.json");
              }).find("l.json: /zero: \"zero\" is not an episode index"),
              std::string::npos);
    EXPECT_NE(config_error([] { parse_json(R"({"0": true})", "l.json"); }).find("l.json: /0"),
              std::string::npos);
    EXPECT_NE(
        config_error([] { parse_json(R"({"0": 1,})", "l.json"); }).find("l.json: invalid JSON"),
        std::string::npos);
}

TEST(LabelParse, SetOption) {
    EXPECT_EQ(parse_set_option("3=42").episodes.at(3), (EpisodeLabel::span(42)));
    EXPECT_TRUE(parse_set_option("7=never").episodes.at(7).never);
    EXPECT_EQ(parse_set_option("4=42-180").episodes.at(4), (EpisodeLabel::span(42, 180)));
    EXPECT_EQ(parse_set_option("4=42-180").sources.at(4), "--set 4=42-180");
    EXPECT_NE(config_error([] { parse_set_option("3:42"); }).find("--set 3:42: expected EP=SPEC"),
              std::string::npos);
    EXPECT_NE(config_error([] { parse_set_option("x=42"); }).find("not an episode index"),
              std::string::npos);
    EXPECT_NE(config_error([] { parse_set_option("3=soon"); }).find("\"soon\" is not a label"),
              std::string::npos);
    EXPECT_NE(config_error([] { parse_set_option("3=-5"); }).find("is not a label"),
              std::string::npos);
}

TEST(LabelParse, LaterInputsWin) {
    testing::TempDir dir;
    testing::write_text(dir / "a.txt", "00: 10    01: 20\n");
    const std::vector<LabelInput> inputs{{LabelInput::Kind::kFile, (dir / "a.txt").string()},
                                         {LabelInput::Kind::kSet, "1=never"},
                                         {LabelInput::Kind::kSet, "0=5-9"}};
    const LabelSet set = gather_labels(inputs, dir.path());
    EXPECT_EQ(set.episodes.at(0), (EpisodeLabel::span(5, 9)));
    EXPECT_TRUE(set.episodes.at(1).never);
    EXPECT_EQ(set.sources.at(0), "--set 0=5-9");
    EXPECT_NE(config_error([&] { load_labels_file(dir / "missing.txt"); }).find("missing.txt"),
              std::string::npos);
}

TEST(LabelParse, RecordKeysAndSimGroundTruth) {
    testing::TempDir dir;
    testing::write_text(record_keys_path(dir.path()),
                        R"({"episodes": {"0": [42], "1": [], "2": [10, 30]}})");
    const LabelSet keys = load_record_keys(dir.path());
    EXPECT_EQ(keys.episodes.at(0), (EpisodeLabel::span(42)));
    EXPECT_TRUE(keys.episodes.at(1).never);
    EXPECT_EQ(keys.episodes.at(2), (EpisodeLabel::span(10, 30)));
    // The operator's reaction taken off: every press 12 frames earlier, none before frame 0.
    const LabelSet early = load_record_keys(dir.path(), 12);
    EXPECT_EQ(early.episodes.at(0), (EpisodeLabel::span(30)));
    EXPECT_TRUE(early.episodes.at(1).never);
    EXPECT_EQ(early.episodes.at(2), (EpisodeLabel::span(0, 18)));
    sim::write_ground_truth(dir.path(),
                            {{.episode_index = 0,
                              .seed = 1,
                              .num_frames = 100,
                              .first_success_frame = 42,
                              .outcome = sim::Outcome::kSuccess},
                             {.episode_index = 1,
                              .seed = 2,
                              .num_frames = 100,
                              .first_success_frame = std::nullopt,
                              .outcome = sim::Outcome::kMiss},
                             {.episode_index = 2,
                              .seed = 3,
                              .num_frames = 100,
                              .first_success_frame = 40,
                              .outcome = sim::Outcome::kDrop},
                             {.episode_index = 3,
                              .seed = 4,
                              .num_frames = 100,
                              .first_success_frame = 44,
                              .outcome = sim::Outcome::kDrop,
                              .last_success_frame = 51}},
                            10.0);
    EXPECT_EQ(sim_ground_truth_path(dir.path()), sim::ground_truth_path(dir.path()));
    const LabelSet sim = load_sim_ground_truth(dir.path());
    EXPECT_EQ(sim.episodes.at(0), (EpisodeLabel::span(42)));
    EXPECT_TRUE(sim.episodes.at(1).never);
    EXPECT_EQ(sim.episodes.at(2), (EpisodeLabel::span(40)));
    EXPECT_EQ(sim.episodes.at(3), (EpisodeLabel::span(44, 51)));  // slipped after frame 51
    testing::TempDir empty;
    EXPECT_NE(config_error([&] {
                  load_record_keys(empty.path());
              }).find("rcls_record_keys.json: missing"),
              std::string::npos);
    testing::write_text(record_keys_path(empty.path()), R"({"episodes": {"0": [1, 2, 3]}})");
    EXPECT_NE(config_error([&] { load_record_keys(empty.path()); }).find("/episodes/0"),
              std::string::npos);
}

TEST(LabelValidate, EachErrorNamesTheEpisode) {
    const std::vector<EpisodeLength> eps{{0, 100}, {1, 50}};
    auto check = [&](const std::string& set_text, bool allow) {
        return config_error([&] { validate(parse_set_option(set_text), eps, allow); });
    };
    EXPECT_EQ(check("0=99", true), "");
    EXPECT_NE(check("2=5", true)
                  .find("episode 2: no such episode in the dataset (episodes 0-1) "
                        "(from --set 2=5)"),
              std::string::npos);
    EXPECT_NE(check("1=50", true)
                  .find("episode 1: success start 50 is past the episode's last "
                        "frame 49"),
              std::string::npos);
    EXPECT_NE(check("1=10-50", true).find("episode 1: success end 50 is past"), std::string::npos);
    EXPECT_NE(check("0=30-20", true).find("episode 0: success end 20 is before its start 30"),
              std::string::npos);
    EXPECT_NE(check("0=5", false).find("episode 1: no label"), std::string::npos);
    EXPECT_NE(check("0=5", false).find("--allow-unlabelled"), std::string::npos);
    EXPECT_EQ(check("1=never", true), "");
}

TEST(LabelSpans, RewardsAndDones) {
    EXPECT_EQ(rewards(EpisodeLabel::span(2), 5), (std::vector<float>{0, 0, 1, 1, 1}));
    EXPECT_EQ(rewards(EpisodeLabel::span(1, 2), 5), (std::vector<float>{0, 1, 1, 0, 0}));
    EXPECT_EQ(rewards(EpisodeLabel::failed(), 3), (std::vector<float>{0, 0, 0}));
    EXPECT_EQ(rewards(EpisodeLabel::span(0), 2), (std::vector<float>{1, 1}));
    EXPECT_EQ(dones(4), (std::vector<bool>{false, false, false, true}));
    EXPECT_TRUE(dones(0).empty());
    EXPECT_EQ(success_frames(EpisodeLabel::span(2), 5), 3);
    EXPECT_EQ(success_frames(EpisodeLabel::span(1, 2), 5), 2);
    EXPECT_EQ(success_frames(EpisodeLabel::failed(), 5), 0);
}

TEST(LabelSpans, LabelFromRewardsRoundTrips) {
    for (const EpisodeLabel& l : {EpisodeLabel::span(3), EpisodeLabel::span(0, 4),
                                  EpisodeLabel::failed(), EpisodeLabel::span(9)}) {
        bool contiguous = false;
        EXPECT_EQ(label_from_rewards(rewards(l, 10), &contiguous), l) << to_string(l);
        EXPECT_TRUE(contiguous);
    }
    bool contiguous = true;
    const EpisodeLabel gappy = label_from_rewards({0, 1, 0, 1, 0}, &contiguous);
    EXPECT_FALSE(contiguous);
    EXPECT_EQ(gappy, (EpisodeLabel::span(1, 3)));
}

TEST(LabelSummaryTest, ReferenceArithmetic) {
    const std::int64_t total =
        std::accumulate(kReferenceLengths.begin(), kReferenceLengths.end(), std::int64_t{0});
    ASSERT_EQ(total, 1932);
    const LabelSummary s =
        summarize(parse_labels(testing::kReferenceTable, "notes"), reference_episodes());
    EXPECT_EQ(s.frames, 1932);
    EXPECT_EQ(s.success, 869);
    EXPECT_EQ(s.failure, 1063);
    EXPECT_EQ(s.unlabelled, 0);
    // The table prints as the reference wrote it, then the totals.
    EXPECT_EQ(to_table(s), std::string(testing::kReferenceTable) +
                               "20 episodes, 1932 frames: 869 success, 1063 failure\n");
    const nlohmann::json j = nlohmann::json::parse(to_json(s));
    EXPECT_EQ(j["total_frames"], 1932);
    EXPECT_EQ(j["success_frames"], 869);
    EXPECT_EQ(j["failure_frames"], 1063);
    EXPECT_EQ(j["episodes"][0]["success_start"], 119);
    EXPECT_EQ(j["episodes"][0]["success_end"], 149);
    EXPECT_EQ(j["episodes"][0]["success_frames"], 31);
    // What to_table() prints parses back to the same labels.
    EXPECT_EQ(parse_labels(to_table(s), "again").episodes,
              parse_labels(testing::kReferenceTable, "notes").episodes);
}

TEST(LabelSummaryTest, NeverSpansAndUnlabelled) {
    LabelSet set = parse_set_option("0=never");
    set.merge(parse_set_option("1=2-3"));
    const LabelSummary s = summarize(set, {{0, 10}, {1, 10}, {2, 7}});
    EXPECT_EQ(s.success, 2);
    EXPECT_EQ(s.failure, 18);
    EXPECT_EQ(s.unlabelled, 7);
    const std::string table = to_table(s);
    EXPECT_NE(table.find("00: never  01: 2-3    02: -"), std::string::npos) << table;
    EXPECT_NE(table.find("3 episodes, 27 frames: 2 success, 18 failure, 7 unlabelled"),
              std::string::npos)
        << table;
}

}  // namespace
}  // namespace rcls::label
