// SPDX-License-Identifier: MIT
//
// Contact sheets (contact_sheet.hpp).
#include "rcls/label/contact_sheet.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/core/strings.hpp"
#include "rcls/dataset/frame_reader.hpp"
#include "rcls/label/apply.hpp"
#include "rcls/video/image_file.hpp"

namespace rcls::label {
namespace fs = std::filesystem;

std::string choose_camera(const dataset::Dataset& d, const std::string& wanted) {
    const std::vector<std::string> cameras = d.info().video_keys();
    if (cameras.empty()) {
        throw ConfigError(d.root().string() + ": the dataset has no camera to show");
    }
    if (wanted.empty()) return cameras.front();
    if (std::find(cameras.begin(), cameras.end(), wanted) == cameras.end()) {
        throw ConfigError("--camera " + wanted + ": not a camera of " + d.root().string() +
                          did_you_mean(wanted, cameras) + " (cameras: " + join(cameras, ", ") +
                          ")");
    }
    return wanted;
}

std::vector<std::int64_t> sheet_frames(std::int64_t length, int every) {
    std::vector<std::int64_t> frames;
    const std::int64_t step = std::max(every, 1);
    for (std::int64_t t = 0; t < length; t += step)
        frames.push_back(t);
    if (length > 0 && frames.back() != length - 1) frames.push_back(length - 1);
    return frames;
}

cv::Mat contact_sheet(const dataset::Dataset& d,
                      std::int64_t episode_index,
                      const ContactSheetOptions& options) {
    const std::string camera = choose_camera(d, options.camera);
    const dataset::EpisodeMeta& e = d.episode(episode_index);
    std::vector<float> reward;
    if (d.info().feature("next.reward") != nullptr && d.has_data(episode_index)) {
        const parquet::Table table = d.read_episode(episode_index);
        const parquet::Column& column = table.column("next.reward");
        for (std::size_t row = 0; row < static_cast<std::size_t>(table.num_rows); ++row) {
            reward.push_back(static_cast<float>(
                column.list_depth() == 0 ? column.number(row) : column.numbers(row).at(0)));
        }
    }
    dataset::FrameReader reader(d, image::ChannelOrder::kRgb);
    const std::vector<std::int64_t> frames = sheet_frames(e.length, options.every);
    const int columns = std::max(1, options.columns);
    const int rows = static_cast<int>((frames.size() + static_cast<std::size_t>(columns) - 1) /
                                      static_cast<std::size_t>(columns));
    const int pad = 4;
    const int header = 24;
    int thumb_w = std::max(16, options.thumb_width);
    int thumb_h = thumb_w * 3 / 4;
    cv::Mat sheet;
    char title[160];
    std::snprintf(title, sizeof title, "episode %lld, %lld frames, every %d (green: success)",
                  static_cast<long long>(episode_index), static_cast<long long>(e.length),
                  options.every);
    for (std::size_t i = 0; i < frames.size(); ++i) {
        throw_if_interrupted();
        const cv::Mat frame = reader.frame(episode_index, camera, frames[i]);
        if (sheet.empty()) {
            thumb_h = std::max(1, thumb_w * frame.rows / std::max(frame.cols, 1));
            sheet = cv::Mat(header + rows * (thumb_h + pad) + pad, columns * (thumb_w + pad) + pad,
                            CV_8UC3, cv::Scalar(32, 32, 32));
            cv::putText(sheet, title, {pad, 17}, cv::FONT_HERSHEY_SIMPLEX, 0.5,
                        cv::Scalar(230, 230, 230), 1, cv::LINE_AA);
        }
        const int x =
            pad + static_cast<int>(i % static_cast<std::size_t>(columns)) * (thumb_w + pad);
        const int y =
            header + static_cast<int>(i / static_cast<std::size_t>(columns)) * (thumb_h + pad);
        cv::Mat cell = sheet(cv::Rect(x, y, thumb_w, thumb_h));
        cv::resize(frame, cell, cell.size(), 0, 0, cv::INTER_AREA);
        const auto t = static_cast<std::size_t>(frames[i]);
        const bool success = t < reward.size() && reward[t] >= 0.5f;
        if (success) {
            cv::rectangle(sheet, cv::Rect(x - 2, y - 2, thumb_w + 4, thumb_h + 4),
                          cv::Scalar(40, 220, 60), 2);
        }
        const std::string number = std::to_string(frames[i]);
        int baseline = 0;
        const cv::Size text = cv::getTextSize(number, cv::FONT_HERSHEY_SIMPLEX, 0.5, 1, &baseline);
        cv::rectangle(sheet, cv::Rect(x, y, text.width + 6, text.height + baseline + 4),
                      cv::Scalar(0, 0, 0), cv::FILLED);
        cv::putText(sheet, number, {x + 3, y + text.height + 2}, cv::FONT_HERSHEY_SIMPLEX, 0.5,
                    success ? cv::Scalar(120, 255, 120) : cv::Scalar(255, 255, 255), 1,
                    cv::LINE_AA);
    }
    if (sheet.empty()) sheet = cv::Mat(header, 320, CV_8UC3, cv::Scalar(32, 32, 32));
    return sheet;
}

std::vector<fs::path> write_contact_sheets(const dataset::Dataset& d,
                                           const fs::path& dir,
                                           const ContactSheetOptions& options) {
    const std::string camera = choose_camera(d, options.camera);  // fails before any work
    // Real datasets miss files: episodes whose video is missing are left out, in one warning.
    std::set<std::int64_t> missing;
    for (const dataset::FileProblem& problem : d.find_problems()) {
        if (problem.path.string().find(camera) != std::string::npos ||
            problem.path.extension() == ".mp4") {
            missing.insert(problem.episode_index);
        }
    }
    if (!missing.empty()) {
        std::vector<std::string> names;
        for (const std::int64_t e : missing)
            names.push_back(std::to_string(e));
        spdlog::warn("{}: {} episodes left out, their video is missing: {}", d.root().string(),
                     missing.size(), join(names, ", "));
    }
    std::vector<fs::path> written;
    for (const dataset::EpisodeMeta& e : d.meta().episodes) {
        if (missing.count(e.episode_index) > 0) continue;
        char name[48];
        std::snprintf(name, sizeof name, "episode_%06lld.png",
                      static_cast<long long>(e.episode_index));
        const fs::path path = dir / name;
        video::write_image(path, contact_sheet(d, e.episode_index, options),
                           image::ChannelOrder::kRgb);
        written.push_back(path);
    }
    return written;
}

}  // namespace rcls::label
