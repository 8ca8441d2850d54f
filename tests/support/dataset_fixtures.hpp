// SPDX-License-Identifier: MIT
//
// Deterministic synthetic SO-101 episodes for dataset writer tests: what frame t of episode e
// holds is a formula, so a test can check every value read back without keeping the input.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "rcls/dataset/writer.hpp"
#include "rcls/parquet/table.hpp"

namespace rcls::testing {

/// Frames of synthetic episode `e`.
inline std::int64_t synthetic_length(std::int64_t e) {
    return 5 + (e * 7) % 11;
}

/// The task of synthetic episode `e`.
inline std::string synthetic_task(std::int64_t e) {
    return e % 3 == 2 ? "Put the cube back" : "Reach and grasp the cube";
}

/// Joint j of frame t of episode e, as float32 (what the dataset stores).
inline float synthetic_joint(std::int64_t e, std::int64_t t, int j, bool action) {
    const double x = std::sin(0.37 * static_cast<double>(e) + 0.11 * static_cast<double>(t) + j) *
                     (action ? 90.0 : 100.0);
    return static_cast<float>(x);
}

inline bool synthetic_success(std::int64_t e, std::int64_t t) {
    return t >= synthetic_length(e) / 2;
}

inline dataset::Frame synthetic_frame(std::int64_t e, std::int64_t t) {
    dataset::Frame f;
    std::vector<double> state, action;
    for (int j = 0; j < 6; ++j) {
        state.push_back(synthetic_joint(e, t, j, false));
        action.push_back(synthetic_joint(e, t, j, true));
    }
    f.values["observation.state"] = state;
    f.values["action"] = action;
    f.values["next.reward"] = {synthetic_success(e, t) ? 1.0 : 0.0};
    f.values["next.done"] = {t == synthetic_length(e) - 1 ? 1.0 : 0.0};
    f.task = synthetic_task(e);
    return f;
}

inline dataset::DatasetSpec synthetic_spec(double data_files_size_in_mb = 100.0,
                                           std::int64_t chunks_size = 1000) {
    dataset::DatasetSpec spec;
    spec.robot_type = "so101_follower";
    spec.fps = 10;
    spec.features = dataset::so101_reward_features();
    spec.data_files_size_in_mb = data_files_size_in_mb;
    spec.chunks_size = chunks_size;
    return spec;
}

/// Relabelled values of synthetic episode `e` (tests of dataset::rewrite_labels): next.reward 0.75
/// from a third of the episode on (instead of 1 from its half), next.done at the last frame but
/// one (instead of the last). Every episode's old and new labels differ.
inline float synthetic_new_reward(std::int64_t e, std::int64_t t) {
    return t >= synthetic_length(e) / 3 ? 0.75f : 0.0f;
}
inline bool synthetic_new_done(std::int64_t e, std::int64_t t) {
    return t == synthetic_length(e) - 2;
}

/// Writes synthetic episodes [first, last) with `writer`.
inline void write_synthetic_episodes(dataset::DatasetWriter& writer,
                                     std::int64_t first,
                                     std::int64_t last) {
    for (std::int64_t e = first; e < last; ++e) {
        for (std::int64_t t = 0; t < synthetic_length(e); ++t)
            writer.add_frame(synthetic_frame(e, t));
        writer.save_episode();
    }
}

/// Empty when `table` holds exactly synthetic episode `e` starting at global index `first_index`
/// with task index `task_index`, else what differs.
inline std::string synthetic_mismatch(const parquet::Table& table,
                                      std::int64_t e,
                                      std::int64_t first_index,
                                      std::int64_t task_index) {
    const std::int64_t n = synthetic_length(e);
    if (table.num_rows != n)
        return "rows " + std::to_string(table.num_rows) + " != " + std::to_string(n);
    for (std::int64_t t = 0; t < n; ++t) {
        const auto r = static_cast<std::size_t>(t);
        const std::string at = "frame " + std::to_string(t) + ": ";
        const auto state = table.column("observation.state").list<float>(r);
        const auto action = table.column("action").list<float>(r);
        if (state.size() != 6 || action.size() != 6) return at + "vector size";
        for (int j = 0; j < 6; ++j) {
            if (state[static_cast<std::size_t>(j)] != synthetic_joint(e, t, j, false))
                return at + "state";
            if (action[static_cast<std::size_t>(j)] != synthetic_joint(e, t, j, true))
                return at + "action";
        }
        if (table.column("next.reward").as<float>()[r] != (synthetic_success(e, t) ? 1.0f : 0.0f)) {
            return at + "next.reward";
        }
        if (table.column("next.done").as<std::uint8_t>()[r] != (t == n - 1 ? 1 : 0))
            return at + "next.done";
        if (table.column("timestamp").as<float>()[r] !=
            static_cast<float>(static_cast<double>(t) / 10.0)) {
            return at + "timestamp";
        }
        if (table.column("frame_index").integer(r) != t) return at + "frame_index";
        if (table.column("episode_index").integer(r) != e) return at + "episode_index";
        if (table.column("index").integer(r) != first_index + t) return at + "index";
        if (table.column("task_index").integer(r) != task_index) return at + "task_index";
    }
    return "";
}

}  // namespace rcls::testing

// ---- cameras -----------------------------------------------------------------------------------
// Episode videos are made by the ffmpeg program (testsrc, MPEG-4 part 2, g=2, 10 fps) and their
// frames compared by ffmpeg's framemd5 muxer: both independent of rcls.

#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "run_process.hpp"

namespace rcls::testing {

inline constexpr const char* kSyntheticCamera = "observation.images.front";

/// synthetic_spec() plus a 64x64 camera.
inline dataset::DatasetSpec synthetic_spec_with_camera(double data_files_size_in_mb = 100.0,
                                                       std::int64_t chunks_size = 1000,
                                                       double video_files_size_in_mb = 200.0) {
    dataset::DatasetSpec spec = synthetic_spec(data_files_size_in_mb, chunks_size);
    spec.features.push_back(dataset::make_feature(kSyntheticCamera, "video", {3, 64, 64},
                                                  {"channels", "height", "width"}));
    spec.video_files_size_in_mb = video_files_size_in_mb;
    return spec;
}

/// Writes synthetic episode `e`'s video (distinct frames per episode) to `path`.
inline void make_synthetic_video(const std::filesystem::path& path, std::int64_t e) {
    const ProcessResult r =
        run_process({"/usr/bin/ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                     "testsrc=size=64x64:rate=10,trim=start_frame=" + std::to_string(e * 37),
                     "-frames:v", std::to_string(synthetic_length(e)), "-c:v", "mpeg4", "-g", "2",
                     "-pix_fmt", "yuv420p", path.string()});
    if (r.exit_code != 0) throw std::runtime_error("ffmpeg failed: " + r.err);
}

/// Frame hashes of `path` with their presentation times, in presentation order.
inline std::vector<std::pair<double, std::string>> video_frames(const std::filesystem::path& path) {
    const ProcessResult r =
        run_process({"/usr/bin/ffmpeg", "-v", "error", "-i", path.string(), "-f", "framemd5", "-"});
    std::vector<std::pair<double, std::string>> frames;
    double time_base = 0.0;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("#tb 0:", 0) == 0) {
            const std::size_t slash = line.find('/');
            time_base = std::stod(line.substr(6, slash - 6)) / std::stod(line.substr(slash + 1));
        }
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> fields;
        std::istringstream parts(line);
        for (std::string field; std::getline(parts, field, ',');)
            fields.push_back(field);
        if (fields.size() < 6) continue;
        const std::string& hash = fields[5];
        frames.emplace_back(std::stod(fields[2]) * time_base,
                            hash.substr(hash.find_first_not_of(' ')));
    }
    return frames;
}

/// Hashes of the frames of `path` presented in [from_s, to_s).
inline std::vector<std::string> video_hashes_between(const std::filesystem::path& path,
                                                     double from_s,
                                                     double to_s) {
    std::vector<std::string> out;
    for (const auto& [t, hash] : video_frames(path)) {
        if (t >= from_s - 1e-6 && t < to_s - 1e-6) out.push_back(hash);
    }
    return out;
}

/// Hashes of every frame of `path`.
inline std::vector<std::string> video_hashes(const std::filesystem::path& path) {
    return video_hashes_between(path, -1e9, 1e9);
}

}  // namespace rcls::testing

// ---- camera images -----------------------------------------------------------------------------

#include <opencv2/core.hpp>

namespace rcls::testing {

/// A smooth synthetic RGB image for frame t of episode e (gradients and a moving square), so
/// that lossy video keeps it close.
inline cv::Mat synthetic_image(std::int64_t e, std::int64_t t, int width = 64, int height = 64) {
    cv::Mat image(height, width, CV_8UC3);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            image.at<cv::Vec3b>(y, x) =
                cv::Vec3b(static_cast<unsigned char>((x * 3 + t * 5) % 256),
                          static_cast<unsigned char>((y * 3 + e * 40) % 256),
                          static_cast<unsigned char>(((x + y) * 2) % 256));
        }
    }
    const int side = std::max(4, width / 5);
    const int left = static_cast<int>((t * 3) % (width - side));
    image(cv::Rect(left, height / 3, side, side)).setTo(cv::Scalar(250, 250, 250));
    return image;
}

/// Mean absolute difference of two images of the same size and type.
inline double mean_abs_diff(const cv::Mat& a, const cv::Mat& b) {
    cv::Mat diff;
    cv::absdiff(a, b, diff);
    const cv::Scalar m = cv::mean(diff);
    return (m[0] + m[1] + m[2]) / 3.0;
}

}  // namespace rcls::testing
