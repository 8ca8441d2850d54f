// SPDX-License-Identifier: MIT
//
// Episode-level figures and the recommendation on constructed timelines, where the right answer
// can be worked out by hand.
#include "rcls/eval/episodes.hpp"

#include <cmath>

#include <gtest/gtest.h>

#include "rcls/eval/metrics.hpp"

namespace rcls::eval {
namespace {

EpisodeScores episode(std::int64_t index, std::vector<double> p, std::optional<std::size_t> onset) {
    EpisodeScores e;
    e.episode_index = index;
    e.fps = 10.0;
    e.probability = std::move(p);
    e.label.assign(e.probability.size(), 0);
    if (onset) {
        for (std::size_t t = *onset; t < e.label.size(); ++t)
            e.label[t] = 1;
    }
    return e;
}

TEST(EvalEpisodes, DetectorNeedsKConsecutiveFrames) {
    const std::vector<double> p = {0.6, 0.6, 0.2, 0.6, 0.6, 0.6};
    EXPECT_EQ(detector_states(p, 0.5, 1), (std::vector<bool>{true, true, false, true, true, true}));
    EXPECT_EQ(detector_states(p, 0.5, 2),
              (std::vector<bool>{false, true, false, false, true, true}));
    EXPECT_EQ(detector_states(p, 0.5, 3),
              (std::vector<bool>{false, false, false, false, false, true}));
    EXPECT_EQ(detector_states(p, 0.6, 3).back(), true);  // p >= threshold counts
    EXPECT_THROW(detector_states(p, 0.5, 0), std::invalid_argument);
}

TEST(EvalEpisodes, OnsetErrorFalsePositivesAndFlicker) {
    const EpisodeScores e =
        episode(7, {0.1, 0.7, 0.2, 0.1, 0.8, 0.9, 0.95, 0.4, 0.9, 0.9}, std::size_t{4});
    const EpisodeOutcome k1 = analyse_episode(e, 0.5, 1);
    EXPECT_EQ(k1.episode_index, 7);
    EXPECT_EQ(k1.length, 10);
    EXPECT_EQ(k1.labelled_onset, 4);
    EXPECT_EQ(k1.predicted_onset, 1);
    EXPECT_EQ(k1.onset_error_frames, -3);
    EXPECT_DOUBLE_EQ(*k1.onset_error_s, -0.3);
    EXPECT_EQ(k1.false_positives_before_onset, 1);
    EXPECT_EQ(k1.first_false_positive, 1);
    EXPECT_EQ(k1.flicker_after_onset, 1);  // off at frame 7
    EXPECT_FALSE(k1.missed);
    EXPECT_FALSE(k1.false_alarm);

    const EpisodeOutcome k2 = analyse_episode(e, 0.5, 2);
    EXPECT_EQ(k2.predicted_onset, 5);
    EXPECT_EQ(k2.onset_error_frames, 1);
    EXPECT_EQ(k2.false_positives_before_onset, 0);
    EXPECT_FALSE(k2.first_false_positive.has_value());
    EXPECT_EQ(k2.flicker_after_onset, 1);
}

TEST(EvalEpisodes, MissedSuccessAndWronglyDetectedFailure) {
    const EpisodeOutcome missed =
        analyse_episode(episode(0, {0.1, 0.2, 0.3, 0.4}, std::size_t{2}), 0.5, 1);
    EXPECT_TRUE(missed.missed);
    EXPECT_FALSE(missed.predicted_onset.has_value());
    EXPECT_FALSE(missed.onset_error_frames.has_value());
    EXPECT_EQ(missed.false_positives_before_onset, 0);

    const EpisodeOutcome alarm =
        analyse_episode(episode(1, {0.1, 0.9, 0.9, 0.2}, std::nullopt), 0.5, 1);
    EXPECT_TRUE(alarm.false_alarm);
    EXPECT_FALSE(alarm.labelled_onset.has_value());
    EXPECT_EQ(alarm.false_positives_before_onset, 2);  // the whole episode is "before"
    EXPECT_EQ(alarm.first_false_positive, 1);
}

TEST(EvalEpisodes, AllOneClassAndEmptyEpisodes) {
    const EpisodeOutcome all_success = analyse_episode(episode(0, {0.9, 0.9, 0.1}, 0), 0.5, 1);
    EXPECT_EQ(all_success.labelled_onset, 0);
    EXPECT_EQ(all_success.onset_error_frames, 0);
    EXPECT_EQ(all_success.false_positives_before_onset, 0);
    EXPECT_EQ(all_success.flicker_after_onset, 1);
    const EpisodeOutcome empty = analyse_episode(episode(3, {}, std::nullopt), 0.5, 1);
    EXPECT_EQ(empty.length, 0);
    EXPECT_FALSE(empty.predicted_onset.has_value());
    const GridPoint none = summarise({}, 0.5, 1);
    EXPECT_EQ(none.success_episodes, 0);
    EXPECT_FALSE(none.median_onset_error_frames.has_value());
    EXPECT_FALSE(none.episode_recall.has_value());
}

TEST(EvalEpisodes, RecommendsTheEarliestThresholdWithoutFalsePositives) {
    const std::vector<EpisodeScores> episodes = {
        // A spike to 0.6 at frame 2, before the onset at 5: any k=1 threshold <= 0.6 is unsafe.
        episode(0, {0.1, 0.2, 0.6, 0.1, 0.1, 0.7, 0.8, 0.9, 0.9, 0.9}, std::size_t{5}),
        episode(1, {0.1, 0.1, 0.3, 0.55, 0.9, 0.9, 0.9, 0.9}, std::size_t{3}),
        // A failure episode reaching 0.4 twice in a row: thresholds <= 0.4 with k <= 2 fire.
        episode(2, {0.2, 0.4, 0.4, 0.3, 0.2, 0.1}, std::nullopt),
    };
    const std::vector<GridPoint> grid = search_grid(episodes, default_thresholds(), default_ks());
    ASSERT_EQ(grid.size(), 19u * 5u);
    const Recommendation r = recommend(grid);
    ASSERT_TRUE(r.found) << r.reason;
    // 0.65 and 0.70 with k 1 both fire at frame 5 (error 0) and at frame 4 (error 1): median 0.5;
    // the tie goes to the higher threshold.
    EXPECT_DOUBLE_EQ(r.point.threshold, 0.7);
    EXPECT_EQ(r.point.k, 1);
    EXPECT_DOUBLE_EQ(*r.point.median_onset_error_frames, 0.5);
    EXPECT_DOUBLE_EQ(*r.point.episode_recall, 1.0);
    EXPECT_EQ(r.point.episodes_with_false_positives, 0);

    const GridPoint unsafe = summarise(episodes, 0.6, 1);
    EXPECT_EQ(unsafe.episodes_with_false_positives, 1);
    const GridPoint alarm = summarise(episodes, 0.4, 2);
    EXPECT_EQ(alarm.false_alarm_episodes, 1);
}

TEST(EvalEpisodes, MissedEpisodesCountAsInfinitelyLate) {
    // At 0.5 (k 1) episode 0 is detected at once but episodes 1 and 2 never: the median is
    // infinite. From 0.15 to 0.30 all three are detected (median 2 frames late); 0.10 fires at
    // frame 0. The tie goes to the highest threshold.
    const std::vector<EpisodeScores> episodes = {
        episode(0, {0.1, 0.1, 0.9, 0.9, 0.9}, std::size_t{2}),
        episode(1, {0.1, 0.1, 0.1, 0.1, 0.3}, std::size_t{2}),
        episode(2, {0.1, 0.1, 0.1, 0.1, 0.3}, std::size_t{2}),
    };
    const GridPoint half = summarise(episodes, 0.5, 1);
    EXPECT_TRUE(std::isinf(*half.median_onset_error_frames));
    EXPECT_EQ(half.missed_success_episodes, 2);
    const Recommendation r = recommend(search_grid(episodes, default_thresholds(), {1}));
    ASSERT_TRUE(r.found) << r.reason;
    EXPECT_DOUBLE_EQ(r.point.threshold, 0.3);
    EXPECT_DOUBLE_EQ(*r.point.median_onset_error_frames, 2.0);
}

TEST(EvalEpisodes, NoRecommendationWhenEveryThresholdFiresEarly) {
    const std::vector<EpisodeScores> episodes = {
        // Even k 5 fires at frame 4, before the onset at 6.
        episode(0, {0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99}, std::size_t{6}),
        episode(1, {0.99, 0.98, 0.99, 0.99, 0.99, 0.99}, std::nullopt),
    };
    const Recommendation r = recommend(search_grid(episodes, default_thresholds(), default_ks()));
    EXPECT_FALSE(r.found);
    EXPECT_NE(r.reason.find("fires before the labelled onset"), std::string::npos) << r.reason;
}

TEST(EvalEpisodes, NoRecommendationThatMissesHalfTheSuccessEpisodes) {
    // Episode 0 fires early at any threshold up to 0.6, even with k 5; above 0.6 episode 1
    // (never above 0.6) is missed: 1 of 2 detected.
    const std::vector<EpisodeScores> episodes = {
        episode(0, {0.6, 0.6, 0.6, 0.6, 0.6, 0.1, 0.9, 0.9, 0.9, 0.9}, std::size_t{6}),
        episode(1, {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.5, 0.6, 0.6, 0.6}, std::size_t{6}),
    };
    const Recommendation r = recommend(search_grid(episodes, default_thresholds(), default_ks()));
    EXPECT_FALSE(r.found) << r.point.threshold << " " << r.point.k;
    EXPECT_NE(r.reason.find("misses at least half of the success episodes"), std::string::npos)
        << r.reason;
}

TEST(EvalEpisodes, NoRecommendationWithoutSuccessEpisodes) {
    const std::vector<EpisodeScores> episodes = {episode(0, {0.1, 0.2}, std::nullopt)};
    const Recommendation r = recommend(search_grid(episodes, default_thresholds(), default_ks()));
    EXPECT_FALSE(r.found);
    EXPECT_NE(r.reason.find("none of the evaluated episodes reaches success"), std::string::npos);
    EXPECT_FALSE(recommend({}).found);
}

}  // namespace
}  // namespace rcls::eval
