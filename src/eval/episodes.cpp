// SPDX-License-Identifier: MIT
#include "rcls/eval/episodes.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>

namespace rcls::eval {

std::optional<std::int64_t> labelled_onset(const std::vector<int>& label) {
    for (std::size_t t = 0; t < label.size(); ++t) {
        if (label[t] != 0) return static_cast<std::int64_t>(t);
    }
    return std::nullopt;
}

std::vector<bool> detector_states(const std::vector<double>& probability, double threshold, int k) {
    if (k < 1) throw std::invalid_argument("eval: k must be >= 1, got " + std::to_string(k));
    std::vector<bool> on(probability.size(), false);
    int run = 0;
    for (std::size_t t = 0; t < probability.size(); ++t) {
        run = probability[t] >= threshold ? run + 1 : 0;
        on[t] = run >= k;
    }
    return on;
}

EpisodeOutcome analyse_episode(const EpisodeScores& episode, double threshold, int k) {
    if (episode.probability.size() != episode.label.size()) {
        throw std::invalid_argument("eval: episode " + std::to_string(episode.episode_index) +
                                    " has " + std::to_string(episode.probability.size()) +
                                    " probabilities for " + std::to_string(episode.label.size()) +
                                    " labels");
    }
    EpisodeOutcome out;
    out.episode_index = episode.episode_index;
    out.length = static_cast<std::int64_t>(episode.label.size());
    out.labelled_onset = labelled_onset(episode.label);
    const std::vector<bool> on = detector_states(episode.probability, threshold, k);
    const std::int64_t onset = out.labelled_onset.value_or(out.length);
    for (std::int64_t t = 0; t < out.length; ++t) {
        const auto i = static_cast<std::size_t>(t);
        if (on[i] && !out.predicted_onset) out.predicted_onset = t;
        if (on[i] && t < onset) {
            ++out.false_positives_before_onset;
            if (!out.first_false_positive) out.first_false_positive = t;
        }
        if (t > onset && on[i - 1] && !on[i]) ++out.flicker_after_onset;
    }
    if (out.labelled_onset && out.predicted_onset) {
        out.onset_error_frames = *out.predicted_onset - *out.labelled_onset;
        out.onset_error_s =
            static_cast<double>(*out.onset_error_frames) / (episode.fps > 0 ? episode.fps : 1.0);
    }
    out.missed = out.labelled_onset.has_value() && !out.predicted_onset.has_value();
    out.false_alarm = !out.labelled_onset.has_value() && out.predicted_onset.has_value();
    return out;
}

namespace {

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    if (n % 2 == 1) return values[n / 2];
    const double a = values[n / 2 - 1], b = values[n / 2];
    if (std::isinf(a) || std::isinf(b)) return std::numeric_limits<double>::infinity();
    return (a + b) / 2.0;
}

}  // namespace

GridPoint summarise(const std::vector<EpisodeScores>& episodes, double threshold, int k) {
    GridPoint g;
    g.threshold = threshold;
    g.k = k;
    std::vector<double> errors;
    double detected_sum = 0.0;
    for (const EpisodeScores& episode : episodes) {
        const EpisodeOutcome o = analyse_episode(episode, threshold, k);
        if (o.labelled_onset) {
            ++g.success_episodes;
            if (o.predicted_onset) {
                ++g.detected_success_episodes;
                detected_sum += static_cast<double>(*o.onset_error_frames);
            }
            errors.push_back(o.onset_error_frames ? static_cast<double>(*o.onset_error_frames)
                                                  : std::numeric_limits<double>::infinity());
        } else {
            ++g.failure_episodes;
        }
        if (o.false_positives_before_onset > 0) ++g.episodes_with_false_positives;
        g.false_positive_frames += o.false_positives_before_onset;
        g.missed_success_episodes += o.missed ? 1 : 0;
        g.false_alarm_episodes += o.false_alarm ? 1 : 0;
        g.flicker += o.flicker_after_onset;
    }
    if (g.success_episodes > 0) {
        g.median_onset_error_frames = median(errors);
        g.episode_recall = static_cast<double>(g.detected_success_episodes) /
                           static_cast<double>(g.success_episodes);
    }
    if (g.detected_success_episodes > 0) {
        g.mean_detected_onset_error_frames =
            detected_sum / static_cast<double>(g.detected_success_episodes);
    }
    return g;
}

std::vector<GridPoint> search_grid(const std::vector<EpisodeScores>& episodes,
                                   const std::vector<double>& thresholds,
                                   const std::vector<int>& ks) {
    std::vector<GridPoint> grid;
    for (const double threshold : thresholds) {
        for (const int k : ks) {
            grid.push_back(summarise(episodes, threshold, k));
        }
    }
    return grid;
}

Recommendation recommend(const std::vector<GridPoint>& grid) {
    Recommendation out;
    if (grid.empty()) {
        out.reason = "no episodes were evaluated";
        return out;
    }
    if (grid.front().success_episodes == 0) {
        out.reason =
            "none of the evaluated episodes reaches success (no frame labelled 1), so "
            "no onset can be timed";
        return out;
    }
    const GridPoint* best = nullptr;
    const auto key = [](const GridPoint& g) {
        // Smaller is better in every component.
        return std::make_tuple(*g.median_onset_error_frames, -*g.episode_recall,
                               g.mean_detected_onset_error_frames.value_or(0.0), -g.threshold, g.k);
    };
    bool any_safe = false;
    for (const GridPoint& g : grid) {
        if (g.episodes_with_false_positives != 0) continue;
        any_safe = true;
        // Over half the success episodes missed: the median delay is infinite.
        if (std::isinf(*g.median_onset_error_frames)) continue;
        if (best == nullptr || key(g) < key(*best)) best = &g;
    }
    if (best == nullptr) {
        out.reason = any_safe ? "every threshold and k without false positives before the onset "
                                "misses at least half of the success episodes"
                              : "every threshold and k on the grid fires before the labelled "
                                "onset (or in a failure episode) somewhere";
        return out;
    }
    out.found = true;
    out.point = *best;
    return out;
}

std::vector<int> default_ks() {
    return {1, 2, 3, 4, 5};
}

}  // namespace rcls::eval
