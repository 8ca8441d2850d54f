// SPDX-License-Identifier: MIT
#include "rcls/eval/eval.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <type_traits>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/events.hpp"
#include "rcls/core/strings.hpp"
#include "rcls/core/version.hpp"
#include "rcls/dataset/dataset.hpp"
#include "rcls/dataset/metadata.hpp"
#include "rcls/model/checkpoint.hpp"
#include "rcls/model/classifier_config.hpp"
#include "rcls/predict/predict.hpp"

namespace rcls::eval {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

const char* to_string(TrainingStatus status) {
    switch (status) {
        case TrainingStatus::kHeldOut:
            return "held-out";
        case TrainingStatus::kTrainingSet:
            return "training-set";
        case TrainingStatus::kUnknown:
            break;
    }
    return "unknown";
}

std::optional<TrainInfo> read_train_info(const fs::path& pretrained_dir) {
    const fs::path path = pretrained_dir / kTrainInfoFile;
    std::error_code ec;
    if (!fs::exists(path, ec)) return std::nullopt;
    const std::string text = read_file(path);
    const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) throw ModelError(path.string() + ": not a JSON object");
    TrainInfo info;
    const auto episodes = [&](const char* key) {
        std::vector<std::int64_t> out;
        if (!doc.contains(key)) return out;
        const json& list = doc.at(key);
        if (!list.is_array()) {
            throw ModelError(path.string() + ": /" + key + ": expected a list of episode indices");
        }
        for (const json& item : list) {
            if (!item.is_number_integer() || item.get<std::int64_t>() < 0) {
                throw ModelError(path.string() + ": /" + key +
                                 ": expected non-negative integers, got " + item.dump());
            }
            out.push_back(item.get<std::int64_t>());
        }
        return out;
    };
    info.train_episodes = episodes("train_episodes");
    info.val_episodes = episodes("val_episodes");
    if (doc.contains("dataset_root")) {
        if (!doc.at("dataset_root").is_string()) {
            throw ModelError(path.string() + ": /dataset_root: expected a string");
        }
        info.dataset_root = doc.at("dataset_root").get<std::string>();
    }
    return info;
}

namespace {

std::string short_name(const std::string& key) {
    const std::size_t dot = key.rfind('.');
    return dot == std::string::npos ? key : key.substr(dot + 1);
}

bool same_path(const fs::path& a, const fs::path& b) {
    std::error_code ec1, ec2;
    const fs::path ca = fs::weakly_canonical(a, ec1);
    const fs::path cb = fs::weakly_canonical(b, ec2);
    return !ec1 && !ec2 && ca == cb;
}

/// Checks that the dataset shows what the checkpoint was trained on, before any model is loaded.
void check_cameras(const fs::path& pretrained,
                   const dataset::Dataset& data,
                   const std::optional<std::string>& camera) {
    const model::ClassifierConfig config =
        model::load_classifier_config(pretrained / model::kConfigFile);
    const std::vector<std::string> wanted = config.image_keys();
    const std::vector<std::string> have = data.info().video_keys();
    const std::string have_text = have.empty() ? "none" : join(have, ", ");
    if (camera) {
        if (wanted.size() > 1) {
            throw UsageError("--camera applies to one-camera checkpoints; " + pretrained.string() +
                             " takes " + join(wanted, ", "));
        }
        const bool found = std::any_of(have.begin(), have.end(), [&](const std::string& key) {
            return key == *camera || short_name(key) == *camera;
        });
        if (!found) {
            throw UsageError("--camera " + *camera + ": the cameras of " + data.root().string() +
                             " are " + have_text);
        }
        return;
    }
    for (const std::string& key : wanted) {
        if (std::find(have.begin(), have.end(), key) == have.end()) {
            throw UsageError(data.root().string() + ": no camera " + key + ", which " +
                             pretrained.string() + " was trained on (the dataset has " + have_text +
                             "); name the dataset camera with --camera if it shows the same view");
        }
    }
}

std::vector<int> read_labels(const dataset::Dataset& data, std::int64_t episode_index) {
    const parquet::Table table = data.read_episode(episode_index);
    const parquet::Column* reward = table.find("next.reward");
    if (reward == nullptr) {
        throw DataError(data.root().string() + ": episode " + std::to_string(episode_index) +
                        " has no next.reward column; label the episodes with `rcls label`");
    }
    std::vector<int> labels(static_cast<std::size_t>(table.num_rows));
    for (std::size_t r = 0; r < labels.size(); ++r) {
        labels[r] = reward->number(r) >= 0.5 ? 1 : 0;
    }
    return labels;
}

/// Concatenation of every episode's probabilities and labels.
void all_frames(const EvalResult& result, std::vector<double>& p, std::vector<int>& y) {
    p.clear();
    y.clear();
    for (const EpisodeScores& e : result.episodes) {
        p.insert(p.end(), e.probability.begin(), e.probability.end());
        y.insert(y.end(), e.label.begin(), e.label.end());
    }
}

}  // namespace

void compute_figures(EvalResult& result) {
    std::vector<double> p;
    std::vector<int> y;
    all_frames(result, p, y);
    result.frames = static_cast<std::int64_t>(p.size());
    result.at_threshold = threshold_metrics(p, y, result.threshold);
    result.roc_auc = roc_auc(p, y);
    result.average_precision = average_precision(p, y);
    result.log_loss = log_loss(p, y);
    result.brier = brier_score(p, y);
    result.ece = expected_calibration_error(p, y);
    result.reliability = reliability_bins(p, y);
    result.roc = roc_curve(p, y);
    result.pr = pr_curve(p, y);
    result.sweep.clear();
    for (const double t : default_thresholds()) {
        result.sweep.push_back(threshold_metrics(p, y, t));
    }
    result.outcomes.clear();
    for (const EpisodeScores& e : result.episodes) {
        result.outcomes.push_back(analyse_episode(e, result.threshold, result.k));
    }
    result.summary = summarise(result.episodes, result.threshold, result.k);
    result.grid = search_grid(result.episodes, default_thresholds(), default_ks());
    result.recommendation = recommend(result.grid);
    result.recommendation_frame_recall.reset();
    if (result.recommendation.found) {
        const double recall = threshold_metrics(p, y, result.recommendation.point.threshold).recall;
        if (!std::isnan(recall)) result.recommendation_frame_recall = recall;
    }
}

EvalResult run_eval(const EvalOptions& options) {
    if (!(options.threshold >= 0.0 && options.threshold <= 1.0)) {
        throw UsageError("--threshold " + std::to_string(options.threshold) +
                         ": must be between 0 and 1");
    }
    if (options.k < 1 || options.k > 1000) {
        throw UsageError("--k " + std::to_string(options.k) + ": must be between 1 and 1000");
    }
    EvalResult result;
    result.threshold = options.threshold;
    result.k = options.k;
    result.checkpoint = model::resolve_pretrained_dir(options.checkpoint);

    const fs::path root = dataset::resolve_root(options.dataset);
    if (!dataset::is_dataset_root(root)) {
        throw DataError(options.dataset + ": not a LeRobot dataset (no meta/info.json at " +
                        root.string() + ")");
    }
    const dataset::Dataset data = dataset::Dataset::open(root);
    result.dataset_root = root;
    result.fps = data.info().fps > 0 ? data.info().fps : 10.0;
    if (data.info().feature("next.reward") == nullptr) {
        throw DataError(root.string() +
                        ": no next.reward labels; mark each episode's first success frame with "
                        "`rcls label " +
                        options.dataset + "` first");
    }
    check_cameras(result.checkpoint, data, options.camera);

    // Which episodes, and were they used in training?
    std::set<std::int64_t> present;
    for (const dataset::EpisodeMeta& episode : data.meta().episodes) {
        present.insert(episode.episode_index);
    }
    const std::optional<TrainInfo> train = read_train_info(result.checkpoint);
    const bool same_dataset =
        train && !train->dataset_root.empty() && same_path(train->dataset_root, root);
    std::vector<std::int64_t> selected = options.episodes;
    bool defaulted_to_all = false;
    if (selected.empty()) {
        if (same_dataset && !train->val_episodes.empty()) {
            for (const std::int64_t e : train->val_episodes) {
                if (present.count(e) != 0) selected.push_back(e);
            }
        }
        if (selected.empty()) {
            selected.assign(present.begin(), present.end());
            defaulted_to_all = true;
        }
    } else {
        std::set<std::int64_t> seen;
        for (const std::int64_t e : selected) {
            if (present.count(e) == 0) {
                throw UsageError("--episodes " + std::to_string(e) + ": " + root.string() +
                                 " has " + std::to_string(present.size()) + " episodes" +
                                 (present.empty()
                                      ? std::string()
                                      : " (" + std::to_string(*present.begin()) + " to " +
                                            std::to_string(*present.rbegin()) + ")"));
            }
            if (!seen.insert(e).second) {
                throw UsageError("--episodes " + std::to_string(e) + ": given twice");
            }
        }
    }
    if (!train) {
        result.status = TrainingStatus::kUnknown;
        result.status_note = "the checkpoint has no " + std::string(kTrainInfoFile);
    } else if (!same_dataset) {
        result.status = TrainingStatus::kUnknown;
        result.status_note = "the checkpoint was trained on " +
                             (train->dataset_root.empty() ? std::string("an unnamed dataset")
                                                          : train->dataset_root) +
                             ", not " + root.string();
    } else {
        const std::set<std::int64_t> trained(train->train_episodes.begin(),
                                             train->train_episodes.end());
        const std::set<std::int64_t> held(train->val_episodes.begin(), train->val_episodes.end());
        std::vector<std::string> in_training;
        bool all_held = true;
        for (const std::int64_t e : selected) {
            if (trained.count(e) != 0) in_training.push_back(std::to_string(e));
            if (held.count(e) == 0) all_held = false;
        }
        if (!in_training.empty()) {
            result.status = TrainingStatus::kTrainingSet;
            result.status_note = "episodes " + join(in_training, ", ") + " were used in training";
        } else if (all_held) {
            result.status = TrainingStatus::kHeldOut;
            result.status_note = "every episode was held out from training";
        } else {
            result.status = TrainingStatus::kUnknown;
            result.status_note =
                "some episodes are in neither list of " + std::string(kTrainInfoFile);
        }
    }

    // Labels first: an unlabelled or unreadable episode fails before the model is loaded.
    std::map<std::int64_t, EpisodeScores> by_episode;
    std::map<std::int64_t, std::int64_t> episode_of_first;  // first global index -> episode
    std::int64_t total = 0;
    for (const std::int64_t e : selected) {
        const dataset::EpisodeMeta& meta = data.episode(e);
        EpisodeScores scores;
        scores.episode_index = e;
        scores.first_index = meta.dataset_from_index;
        scores.fps = result.fps;
        scores.label = read_labels(data, e);
        if (static_cast<std::int64_t>(scores.label.size()) != meta.length) {
            throw DataError(root.string() + ": episode " + std::to_string(e) + " has " +
                            std::to_string(scores.label.size()) + " rows, its metadata says " +
                            std::to_string(meta.length));
        }
        scores.probability.reserve(scores.label.size());
        total += meta.length;
        episode_of_first[meta.dataset_from_index] = e;
        by_episode.emplace(e, std::move(scores));
    }

    predict::PredictOptions predict_options;
    predict_options.checkpoint = result.checkpoint;
    predict_options.inputs = {root};
    predict_options.threshold = options.threshold;
    predict_options.camera = options.camera;
    predict_options.num_threads = options.num_threads;
    // All episodes by default: then episodes whose videos are missing are skipped with a warning.
    if (!defaulted_to_all) predict_options.episodes = selected;

    ProgressEvent progress;
    progress.id = next_progress_id();
    progress.label = "eval";
    progress.unit = "frames";
    progress.total = static_cast<std::uint64_t>(total);
    const auto start = std::chrono::steady_clock::now();
    const auto elapsed = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    predict::run_predict(predict_options, [&](const predict::FrameResult& frame) {
        auto it = episode_of_first.upper_bound(frame.frame);
        if (it == episode_of_first.begin()) return;
        --it;
        EpisodeScores& scores = by_episode.at(it->second);
        const std::int64_t t = frame.frame - scores.first_index;
        if (t != static_cast<std::int64_t>(scores.probability.size())) {
            throw DataError(root.string() + ": episode " + std::to_string(scores.episode_index) +
                            ": frame " + std::to_string(t) + " scored out of order");
        }
        scores.probability.push_back(frame.prediction.probability);
        ++progress.done;
        if (progress.done % 25 == 0) {
            progress.elapsed_s = elapsed();
            emit(progress);
        }
    });
    result.scoring_seconds = elapsed();
    progress.elapsed_s = result.scoring_seconds;
    progress.finished = true;
    emit(progress);

    for (const std::int64_t e : selected) {
        EpisodeScores& scores = by_episode.at(e);
        if (scores.probability.empty() && !scores.label.empty()) continue;  // skipped by predict
        if (scores.probability.size() != scores.label.size()) {
            throw DataError(root.string() + ": episode " + std::to_string(e) + ": scored " +
                            std::to_string(scores.probability.size()) + " of " +
                            std::to_string(scores.label.size()) + " frames");
        }
        result.episodes.push_back(std::move(scores));
    }
    const model::ClassifierConfig config =
        model::load_classifier_config(result.checkpoint / model::kConfigFile);
    if (options.camera) {
        for (const std::string& key : data.info().video_keys()) {
            if (key == *options.camera || short_name(key) == *options.camera) {
                result.cameras = {key};
            }
        }
    } else {
        result.cameras = config.image_keys();
    }
    compute_figures(result);
    return result;
}

// ---- output ------------------------------------------------------------------------------------

namespace {

json number(double v) {
    if (!std::isfinite(v)) return nullptr;
    return v;
}

template <class T>
json optional_json(const std::optional<T>& v) {
    if (!v) return nullptr;
    if constexpr (std::is_floating_point_v<T>) return number(*v);
    return *v;
}

json threshold_json(const ThresholdMetrics& m) {
    json j;
    j["threshold"] = m.threshold;
    j["accuracy"] = number(m.accuracy);
    j["precision"] = number(m.precision);
    j["recall"] = number(m.recall);
    j["f1"] = number(m.f1);
    j["true_positive_frames"] = m.confusion.tp;
    j["false_positive_frames"] = m.confusion.fp;
    j["true_negative_frames"] = m.confusion.tn;
    j["false_negative_frames"] = m.confusion.fn;
    return j;
}

json grid_json(const GridPoint& g, double fps) {
    json j;
    j["threshold"] = g.threshold;
    j["k"] = g.k;
    j["success_episodes"] = g.success_episodes;
    j["failure_episodes"] = g.failure_episodes;
    j["detected_success_episodes"] = g.detected_success_episodes;
    j["missed_success_episodes"] = g.missed_success_episodes;
    j["false_alarm_failure_episodes"] = g.false_alarm_episodes;
    j["episodes_with_false_positives_before_onset"] = g.episodes_with_false_positives;
    j["false_positive_frames_before_onset"] = g.false_positive_frames;
    j["flicker_after_onset"] = g.flicker;
    j["median_onset_error_frames"] = optional_json(g.median_onset_error_frames);
    j["median_onset_error_seconds"] =
        g.median_onset_error_frames ? number(*g.median_onset_error_frames / fps) : json(nullptr);
    j["mean_detected_onset_error_frames"] = optional_json(g.mean_detected_onset_error_frames);
    j["episode_recall"] = optional_json(g.episode_recall);
    return j;
}

std::string fixed(double v, int digits = 4) {
    if (std::isnan(v)) return "n/a";
    if (std::isinf(v)) return v > 0 ? "never" : "-inf";
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
    return buffer;
}

std::string heading(const EvalResult& result, const std::string& title) {
    return result.status == TrainingStatus::kTrainingSet ? "TRAINING-SET  " + title : title;
}

std::string iso_date_utc() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buffer;
}

std::vector<std::int64_t> episode_indices(const EvalResult& result) {
    std::vector<std::int64_t> out;
    for (const EpisodeScores& e : result.episodes)
        out.push_back(e.episode_index);
    return out;
}

std::string recommendation_sentence(const EvalResult& result) {
    const Recommendation& r = result.recommendation;
    if (!r.found) return "No recommendation: " + r.reason + ".";
    const GridPoint& g = r.point;
    std::ostringstream s;
    s << "Use threshold " << fixed(g.threshold, 2) << " with k " << g.k << " (reward after " << g.k
      << " consecutive frame" << (g.k == 1 ? "" : "s")
      << " with p >= threshold): no false positive before the onset on these episodes; median "
         "onset delay "
      << fixed(*g.median_onset_error_frames, 1) << " frames ("
      << fixed(*g.median_onset_error_frames / result.fps, 2) << " s); detects "
      << g.detected_success_episodes << " of " << g.success_episodes
      << " success episodes (episode recall " << fixed(*g.episode_recall, 2) << ")";
    if (result.recommendation_frame_recall) {
        s << ", frame recall " << fixed(*result.recommendation_frame_recall, 2);
    }
    s << ".";
    return s.str();
}

}  // namespace

std::string data_sentence(const EvalResult& result) {
    std::ostringstream s;
    const std::size_t n = result.episodes.size();
    s << "Based on " << n << " episode" << (n == 1 ? "" : "s") << " ("
      << result.summary.success_episodes << " reaching success, " << result.summary.failure_episodes
      << " not) and " << result.frames << " frames";
    switch (result.status) {
        case TrainingStatus::kHeldOut:
            s << ", all held out from training";
            break;
        case TrainingStatus::kTrainingSet:
            s << ", TRAINING-SET: " << result.status_note << ", so these figures flatter the model";
            break;
        case TrainingStatus::kUnknown:
            s << ", episodes of unknown training status (" << result.status_note << ")";
            break;
    }
    s << ".";
    if (n < 10) s << " Few episodes: treat the recommendation as provisional.";
    return s.str();
}

std::string to_json(const EvalResult& result) {
    json j;
    j["checkpoint"] = result.checkpoint.string();
    j["dataset"] = result.dataset_root.string();
    j["cameras"] = result.cameras;
    j["fps"] = result.fps;
    j["training_status"] = to_string(result.status);
    j["training_status_note"] = result.status_note;
    j["figures_heading"] = result.status == TrainingStatus::kTrainingSet ? "TRAINING-SET" : "";
    j["episodes_evaluated"] = episode_indices(result);
    j["frames"] = result.frames;
    j["scoring_seconds"] = result.scoring_seconds;
    j["based_on"] = data_sentence(result);
    j["threshold"] = result.threshold;
    j["k"] = result.k;

    json frame;
    const ThresholdMetrics& m = result.at_threshold;
    frame["threshold"] = m.threshold;
    frame["accuracy"] = number(m.accuracy);
    frame["precision"] = number(m.precision);
    frame["recall"] = number(m.recall);
    frame["f1"] = number(m.f1);
    frame["confusion_matrix"] = {{"true_negative", m.confusion.tn},
                                 {"false_positive", m.confusion.fp},
                                 {"false_negative", m.confusion.fn},
                                 {"true_positive", m.confusion.tp}};
    frame["roc_auc"] = number(result.roc_auc);
    frame["pr_auc_average_precision"] = number(result.average_precision);
    frame["log_loss"] = number(result.log_loss);
    frame["brier_score"] = number(result.brier);
    frame["expected_calibration_error"] = number(result.ece);
    frame["expected_calibration_error_bins"] = static_cast<int>(result.reliability.size());
    j["frame_level"] = frame;

    json sweep = json::array();
    for (const ThresholdMetrics& row : result.sweep)
        sweep.push_back(threshold_json(row));
    j["threshold_sweep"] = sweep;
    json bins = json::array();
    for (const ReliabilityBin& b : result.reliability) {
        bins.push_back({{"lower", b.lower},
                        {"upper", b.upper},
                        {"frames", b.count},
                        {"mean_probability", number(b.mean_probability)},
                        {"fraction_success", number(b.fraction_positive)}});
    }
    j["reliability_diagram"] = bins;
    json roc = json::array();
    for (const CurvePoint& c : result.roc) {
        roc.push_back({{"false_positive_rate", c.x},
                       {"true_positive_rate", c.y},
                       {"threshold", number(c.threshold)}});
    }
    j["roc_curve"] = roc;
    json pr = json::array();
    for (const CurvePoint& c : result.pr) {
        pr.push_back({{"recall", c.x}, {"precision", c.y}, {"threshold", number(c.threshold)}});
    }
    j["pr_curve"] = pr;

    j["episode_level"] = grid_json(result.summary, result.fps);
    json episodes = json::array();
    for (const EpisodeOutcome& o : result.outcomes) {
        json e;
        e["episode_index"] = o.episode_index;
        e["frames"] = o.length;
        e["labelled_onset_frame"] = optional_json(o.labelled_onset);
        e["predicted_onset_frame"] = optional_json(o.predicted_onset);
        e["onset_error_frames"] = optional_json(o.onset_error_frames);
        e["onset_error_seconds"] = optional_json(o.onset_error_s);
        e["false_positives_before_onset"] = o.false_positives_before_onset;
        e["first_false_positive_frame"] = optional_json(o.first_false_positive);
        e["flicker_after_onset"] = o.flicker_after_onset;
        e["success_never_detected"] = o.missed;
        e["failure_wrongly_detected"] = o.false_alarm;
        episodes.push_back(e);
    }
    j["episodes"] = episodes;

    json rec;
    const Recommendation& r = result.recommendation;
    rec["found"] = r.found;
    if (r.found) {
        rec["threshold"] = r.point.threshold;
        rec["k"] = r.point.k;
        rec["median_onset_error_frames"] = optional_json(r.point.median_onset_error_frames);
        rec["median_onset_error_seconds"] = number(*r.point.median_onset_error_frames / result.fps);
        rec["episode_recall"] = optional_json(r.point.episode_recall);
        rec["frame_recall"] = optional_json(result.recommendation_frame_recall);
        rec["detected_success_episodes"] = r.point.detected_success_episodes;
        rec["success_episodes"] = r.point.success_episodes;
    } else {
        rec["threshold"] = nullptr;
        rec["k"] = nullptr;
        rec["reason"] = r.reason;
    }
    rec["sentence"] = recommendation_sentence(result);
    rec["based_on"] = data_sentence(result);
    j["recommendation"] = rec;
    json grid = json::array();
    for (const GridPoint& g : result.grid)
        grid.push_back(grid_json(g, result.fps));
    j["grid"] = grid;
    return j.dump(2);
}

std::string to_text(const EvalResult& result) {
    std::ostringstream out;
    char line[256];
    out << "rcls eval: " << result.checkpoint.string() << "\n  on " << result.dataset_root.string()
        << " (" << join(result.cameras, ", ") << ")\n";
    if (result.status == TrainingStatus::kTrainingSet) {
        out << "TRAINING-SET: " << result.status_note
            << "; every figure below is on frames the model was trained on.\n";
    }
    const ThresholdMetrics& m = result.at_threshold;
    out << "\n"
        << heading(result, "Frame level") << " (" << result.frames << " frames, threshold "
        << fixed(result.threshold, 2) << ")\n";
    const auto row = [&](const char* name, double value) {
        std::snprintf(line, sizeof line, "  %-28s %s\n", name, fixed(value).c_str());
        out << line;
    };
    row("accuracy", m.accuracy);
    row("precision", m.precision);
    row("recall", m.recall);
    row("F1", m.f1);
    row("ROC-AUC", result.roc_auc);
    row("PR-AUC (average precision)", result.average_precision);
    row("log-loss", result.log_loss);
    row("Brier score", result.brier);
    row("expected calibration error", result.ece);
    std::snprintf(line, sizeof line,
                  "  confusion matrix             predicted 0  predicted 1\n"
                  "                    label 0    %11lld  %11lld\n"
                  "                    label 1    %11lld  %11lld\n",
                  static_cast<long long>(m.confusion.tn), static_cast<long long>(m.confusion.fp),
                  static_cast<long long>(m.confusion.fn), static_cast<long long>(m.confusion.tp));
    out << line;

    out << "\n" << heading(result, "Threshold sweep") << "\n";
    out << "  threshold  accuracy  precision  recall      F1  false positive frames\n";
    for (const ThresholdMetrics& s : result.sweep) {
        std::snprintf(line, sizeof line, "  %9.2f  %8s  %9s  %6s  %6s  %21lld\n", s.threshold,
                      fixed(s.accuracy, 3).c_str(), fixed(s.precision, 3).c_str(),
                      fixed(s.recall, 3).c_str(), fixed(s.f1, 3).c_str(),
                      static_cast<long long>(s.confusion.fp));
        out << line;
    }

    out << "\n"
        << heading(result, "Episode level") << " (threshold " << fixed(result.threshold, 2)
        << ", k " << result.k
        << "; onset = first frame labelled 1 / first frame the reward fires)\n";
    out << "  episode  frames  labelled onset  predicted onset  error (frames)  error (s)  "
           "false positives before onset  first false positive  flicker\n";
    const auto opt = [](const auto& v) { return v ? std::to_string(*v) : std::string("-"); };
    for (const EpisodeOutcome& o : result.outcomes) {
        std::snprintf(
            line, sizeof line, "  %7lld  %6lld  %14s  %15s  %14s  %9s  %28lld  %20s  %7lld\n",
            static_cast<long long>(o.episode_index), static_cast<long long>(o.length),
            opt(o.labelled_onset).c_str(),
            o.predicted_onset ? std::to_string(*o.predicted_onset).c_str() : "never",
            opt(o.onset_error_frames).c_str(),
            o.onset_error_s ? fixed(*o.onset_error_s, 2).c_str() : "-",
            static_cast<long long>(o.false_positives_before_onset),
            opt(o.first_false_positive).c_str(), static_cast<long long>(o.flicker_after_onset));
        out << line;
    }
    const GridPoint& g = result.summary;
    out << "  success episodes never detected:   " << g.missed_success_episodes << " of "
        << g.success_episodes << "\n";
    out << "  failure episodes wrongly detected: " << g.false_alarm_episodes << " of "
        << g.failure_episodes << "\n";
    out << "  episodes with false positives before the onset: " << g.episodes_with_false_positives
        << " (" << g.false_positive_frames << " frames)\n";

    out << "\n"
        << heading(result, "Recommendation") << "\n  " << recommendation_sentence(result) << "\n  "
        << data_sentence(result) << "\n";
    return out.str();
}

std::string save_recommendation(const EvalResult& result) {
    if (!result.recommendation.found) {
        return "no recommendation to save (" + result.recommendation.reason + ")";
    }
    if (result.status == TrainingStatus::kTrainingSet) {
        return "the recommendation is not saved: it rests on episodes used in training (" +
               result.status_note + ")";
    }
    const GridPoint& g = result.recommendation.point;
    json j;
    j["threshold"] = g.threshold;
    j["k"] = g.k;
    j["episodes"] = episode_indices(result);
    j["dataset"] = result.dataset_root.string();
    j["date"] = iso_date_utc();
    j["training_status"] = to_string(result.status);
    j["frames"] = result.frames;
    j["median_onset_error_frames"] = optional_json(g.median_onset_error_frames);
    j["episode_recall"] = optional_json(g.episode_recall);
    j["frame_recall"] = optional_json(result.recommendation_frame_recall);
    j["rcls_version"] = kVersion;
    const fs::path path = result.checkpoint / kEvalFile;
    try {
        write_file_atomic(path, j.dump(2) + "\n");
    } catch (const Error& e) {
        return std::string("cannot save the recommendation: ") + e.what();
    }
    return "";
}

std::optional<SavedRecommendation> read_recommendation(const fs::path& pretrained_dir) {
    const fs::path path = pretrained_dir / kEvalFile;
    std::error_code ec;
    if (!fs::exists(path, ec)) return std::nullopt;
    const json doc = json::parse(read_file(path), nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) throw ModelError(path.string() + ": not a JSON object");
    SavedRecommendation out;
    const auto missing = [&](const char* key) {
        return ModelError(path.string() + ": /" + key + ": missing; run `rcls eval` again");
    };
    if (!doc.contains("threshold")) throw missing("threshold");
    if (!doc.contains("k")) throw missing("k");
    const json& threshold = doc.at("threshold");
    if (!threshold.is_number() || !(threshold.get<double>() >= 0.0) ||
        threshold.get<double>() > 1.0) {
        throw ModelError(path.string() + ": /threshold: expected a number in [0, 1], got " +
                         threshold.dump());
    }
    const json& k = doc.at("k");
    if (!k.is_number_integer() || k.get<std::int64_t>() < 1 ||
        k.get<std::int64_t>() > std::numeric_limits<int>::max()) {
        throw ModelError(path.string() + ": /k: expected an integer >= 1, got " + k.dump());
    }
    out.threshold = threshold.get<double>();
    out.k = static_cast<int>(k.get<std::int64_t>());
    return out;
}

std::vector<std::pair<std::size_t, std::int64_t>> worst_frames(const EvalResult& result,
                                                               std::size_t count) {
    std::vector<std::tuple<double, std::size_t, std::int64_t>> all;
    for (std::size_t e = 0; e < result.episodes.size(); ++e) {
        const EpisodeScores& s = result.episodes[e];
        for (std::size_t t = 0; t < s.probability.size(); ++t) {
            all.emplace_back(-frame_loss(s.probability[t], s.label[t]), e,
                             static_cast<std::int64_t>(t));
        }
    }
    const std::size_t n = std::min(count, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end());
    std::vector<std::pair<std::size_t, std::int64_t>> out;
    for (std::size_t i = 0; i < n; ++i)
        out.emplace_back(std::get<1>(all[i]), std::get<2>(all[i]));
    return out;
}

}  // namespace rcls::eval
