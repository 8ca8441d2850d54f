// SPDX-License-Identifier: MIT
#include "rcls/dataset/summary.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/dataset/frame_reader.hpp"

namespace rcls::dataset {
namespace fs = std::filesystem;

namespace {

/// Decodes every frame of every camera of every episode whose video is readable; a frame that does
/// not decode adds one problem for its episode (and the rest of the episode is skipped).
void decode_every_frame(const Dataset& dataset,
                        std::vector<FileProblem>& problems,
                        const std::function<void(std::int64_t, std::int64_t)>& progress) {
    const std::vector<std::string> keys = dataset.info().video_keys();
    if (keys.empty()) return;
    FrameReader reader(dataset, image::ChannelOrder::kRgb, 0);
    const auto known_bad = [&](const EpisodeMeta& e, const fs::path& file) {
        return std::any_of(problems.begin(), problems.end(), [&](const FileProblem& p) {
            return p.episode_index == e.episode_index && p.path == file;
        });
    };
    // The total counts only the frames of videos that exist and open: missing files are
    // problems already, not frames checked.
    std::int64_t total = 0;
    for (const EpisodeMeta& e : dataset.meta().episodes) {
        for (const std::string& key : keys) {
            if (!known_bad(e, reader.video_file(e.episode_index, key))) total += e.length;
        }
    }
    std::int64_t done = 0;
    for (const EpisodeMeta& e : dataset.meta().episodes) {
        for (const std::string& key : keys) {
            const fs::path file = reader.video_file(e.episode_index, key);
            if (known_bad(e, file)) continue;
            for (std::int64_t t = 0; t < e.length; ++t) {
                throw_if_interrupted();
                try {
                    reader.frame(e.episode_index, key, t);
                } catch (const DataError& err) {
                    // "episode N, <key>, frame t: <path>: what": the list prints the episode
                    // and the path itself.
                    std::string what = err.what();
                    const std::string episode = "episode " + std::to_string(e.episode_index) + ", ";
                    if (what.rfind(episode, 0) == 0) what.erase(0, episode.size());
                    if (const std::size_t at = what.find(file.string() + ": ");
                        at != std::string::npos) {
                        what.erase(at, file.string().size() + 2);
                    }
                    problems.push_back({e.episode_index, file, what});
                    break;
                }
            }
            done += e.length;
            if (progress) progress(done, total);
        }
    }
}

}  // namespace

DatasetSummary summarize(const Dataset& dataset, const SummaryOptions& options) {
    const DatasetInfo& info = dataset.info();
    DatasetSummary s;
    s.root = dataset.root().string();
    s.codebase_version = info.codebase_version;
    s.robot_type = info.robot_type;
    s.episodes = static_cast<std::int64_t>(dataset.meta().episodes.size());
    s.fps = info.fps;
    s.has_reward = info.feature("next.reward") != nullptr;
    for (const Feature& f : info.features) {
        if (!f.is_visual()) continue;
        s.cameras.push_back(f.key);
        if (s.camera.empty()) {
            int channels = 0;
            f.image_size(s.height, s.width, channels);
            if (f.video && f.video->width > 0) {
                s.width = f.video->width;
                s.height = f.video->height;
            }
            s.camera = f.key;
            if (f.video) s.codec_in_info = f.video->codec;
        }
    }
    if (!s.camera.empty()) {
        const auto codecs = dataset.video_codecs();
        if (const auto it = codecs.find(s.camera); it != codecs.end()) s.codec = it->second;
    }
    if (options.check) {
        s.problems = dataset.find_problems(true);
        decode_every_frame(dataset, s.problems, options.progress);
    }
    for (const EpisodeMeta& e : dataset.meta().episodes) {
        EpisodeSummary line;
        line.episode_index = e.episode_index;
        line.length = e.length;
        s.total_frames += e.length;
        if (s.has_reward) {
            const bool broken =
                std::any_of(s.problems.begin(), s.problems.end(), [&](const FileProblem& p) {
                    return p.episode_index == e.episode_index && p.path.extension() == ".parquet";
                });
            std::optional<parquet::Table> table;
            if (!broken) {
                try {
                    table = dataset.read_episode(e.episode_index);
                } catch (const DataError& err) {
                    if (!options.skip_missing && !options.check) throw;
                    spdlog::warn("{} (skipped)", err.what());
                }
            }
            if (table) {
                const parquet::Column& reward = table->column("next.reward");
                line.success_start = -1;
                for (std::size_t r = 0; r < static_cast<std::size_t>(table->num_rows); ++r) {
                    const double v =
                        reward.list_depth() == 0 ? reward.number(r) : reward.numbers(r).at(0);
                    if (v >= 0.5) {
                        ++line.success_frames;
                        if (*line.success_start < 0) {
                            line.success_start = static_cast<std::int64_t>(r);
                        }
                    }
                }
                s.success_frames += line.success_frames;
                s.failure_frames += e.length - line.success_frames;
            } else {
                s.unlabelled_frames += e.length;
            }
        }
        s.per_episode.push_back(line);
    }
    return s;
}

std::string to_text(const DatasetSummary& s) {
    std::string out;
    char line[512];
    const auto row = [&](const char* name, const std::string& value) {
        std::snprintf(line, sizeof(line), "%-16s %s\n", name, value.c_str());
        out += line;
    };
    row("Dataset", s.root + " (" + s.codebase_version +
                       (s.robot_type.empty() ? "" : ", " + s.robot_type) + ")");
    row("Episodes", std::to_string(s.episodes));
    row("Total frames", std::to_string(s.total_frames));
    if (s.has_reward) {
        row("Success frames", std::to_string(s.success_frames));
        row("Failure frames", std::to_string(s.failure_frames));
        if (s.unlabelled_frames > 0) {
            row("Unread frames", std::to_string(s.unlabelled_frames) + " (data missing)");
        }
    } else {
        row("Success frames", "n/a (no next.reward)");
        row("Failure frames", "n/a (no next.reward)");
    }
    std::snprintf(line, sizeof(line), "%g", s.fps);
    row("FPS", line);
    row("Resolution", s.camera.empty() ? "n/a (no camera)"
                                       : std::to_string(s.width) + "x" + std::to_string(s.height) +
                                             " (" + s.camera + ")");
    if (!s.codec.empty() || !s.codec_in_info.empty()) {
        std::string codec = s.codec.empty() ? "unknown (no readable video)" : s.codec;
        if (!s.codec_in_info.empty() && s.codec_in_info != s.codec) {
            codec += " (info.json says " + s.codec_in_info + ")";
        }
        row("Codec", codec);
    }
    out += "\nepisode  length  success_start\n";
    for (const EpisodeSummary& e : s.per_episode) {
        std::string start = s.has_reward ? "?" : "n/a";
        if (e.success_start) {
            start = *e.success_start < 0 ? "none" : std::to_string(*e.success_start);
        }
        std::snprintf(line, sizeof(line), "%7lld  %6lld  %s\n",
                      static_cast<long long>(e.episode_index), static_cast<long long>(e.length),
                      start.c_str());
        out += line;
    }
    if (!s.problems.empty()) {
        out += "\n" + std::to_string(s.problems.size()) + " problems:\n";
        for (const FileProblem& p : s.problems) {
            // episode_index -1: a problem of the whole dataset (meta/stats.json).
            out += "  " +
                   (p.episode_index >= 0 ? "episode " + std::to_string(p.episode_index) + ": "
                                         : std::string()) +
                   p.path.string() + ": " + p.what + "\n";
        }
    }
    return out;
}

std::string to_json(const DatasetSummary& s) {
    nlohmann::ordered_json j;
    j["root"] = s.root;
    j["codebase_version"] = s.codebase_version;
    j["robot_type"] = s.robot_type;
    j["episodes"] = s.episodes;
    j["total_frames"] = s.total_frames;
    j["success_frames"] =
        s.has_reward ? nlohmann::ordered_json(s.success_frames) : nlohmann::ordered_json(nullptr);
    j["failure_frames"] =
        s.has_reward ? nlohmann::ordered_json(s.failure_frames) : nlohmann::ordered_json(nullptr);
    j["unread_frames"] = s.unlabelled_frames;
    j["fps"] = s.fps;
    j["resolution"] = s.camera.empty()
                          ? nlohmann::ordered_json(nullptr)
                          : nlohmann::ordered_json{
                                {"width", s.width}, {"height", s.height}, {"camera", s.camera}};
    j["cameras"] = s.cameras;
    j["codec"] =
        s.codec.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s.codec);
    nlohmann::ordered_json episodes = nlohmann::ordered_json::array();
    for (const EpisodeSummary& e : s.per_episode) {
        nlohmann::ordered_json ej;
        ej["episode_index"] = e.episode_index;
        ej["length"] = e.length;
        ej["success_start"] = e.success_start && *e.success_start >= 0
                                  ? nlohmann::ordered_json(*e.success_start)
                                  : nlohmann::ordered_json(nullptr);
        ej["success_frames"] = e.success_start ? nlohmann::ordered_json(e.success_frames)
                                               : nlohmann::ordered_json(nullptr);
        episodes.push_back(ej);
    }
    j["per_episode"] = episodes;
    nlohmann::ordered_json problems = nlohmann::ordered_json::array();
    for (const FileProblem& p : s.problems) {
        problems.push_back(
            {{"episode_index", p.episode_index}, {"path", p.path.string()}, {"problem", p.what}});
    }
    j["problems"] = problems;
    return j.dump(2) + "\n";
}

}  // namespace rcls::dataset
