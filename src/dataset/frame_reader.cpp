// SPDX-License-Identifier: MIT
#include "rcls/dataset/frame_reader.hpp"

#include <cmath>
#include <cstdio>

#include "rcls/core/error.hpp"
#include "rcls/video/video_reader.hpp"

namespace rcls::dataset {
namespace fs = std::filesystem;
namespace {

/// Files kept open at once (a dataset has one per camera and chunk file, or one per episode).
constexpr std::size_t kMaxOpenFiles = 8;

/// Seconds with the microseconds a 1e-4 s tolerance needs ("0.406667 s"); an absurd value (a
/// corrupt timestamp) short, not as 300 digits.
std::string seconds_text(double seconds) {
    char text[48];
    std::snprintf(text, sizeof text, std::fabs(seconds) < 1e9 ? "%.6f s" : "%g s", seconds);
    return text;
}

}  // namespace

bool within_timestamp_tolerance(double wanted_s, double got_s) {
    // LeRobot: dist = torch.cdist(torch.tensor(query_ts)[:, None], torch.tensor(loaded_ts)[:,
    // None], p=1); is_within_tol = dist.min(1) <= tolerance_s. Both tensors are float32, and the
    // Python float tolerance is compared as a float32 too.
    const float distance = std::fabs(static_cast<float>(wanted_s) - static_cast<float>(got_s));
    return distance <= static_cast<float>(kTimestampToleranceS);
}

FrameReader::FrameReader(const Dataset& dataset, image::ChannelOrder order, int threads)
    : dataset_(dataset), order_(order), threads_(threads) {}

FrameReader::~FrameReader() = default;
FrameReader::FrameReader(FrameReader&&) noexcept = default;

fs::path FrameReader::video_file(std::int64_t episode, const std::string& key) const {
    const Feature* f = dataset_.info().feature(key);
    if (f == nullptr || f->dtype != "video") {
        throw DataError(dataset_.root().string() + ": \"" + key + "\" is not a video feature");
    }
    return dataset_.meta().find_video_file(dataset_.episode(episode), key);
}

video::VideoReader& FrameReader::reader_for(const fs::path& path) {
    auto it = readers_.find(path);
    if (it != readers_.end()) return *it->second;
    if (readers_.size() >= kMaxOpenFiles) {
        closed_decoded_ += readers_.begin()->second->frames_decoded();
        readers_.erase(readers_.begin());
    }
    video::ReaderOptions options{order_, threads_};
    auto reader = std::make_unique<video::VideoReader>(path, options);
    return *readers_.emplace(path, std::move(reader)).first->second;
}

const std::optional<std::vector<double>>& FrameReader::timestamps(std::int64_t episode) {
    const auto found = timestamps_.find(episode);
    if (found != timestamps_.end()) return found->second;
    std::optional<std::vector<double>> times;
    // No data file (a dataset shared as meta/ and videos only, e.g. a v2.1 recording without its
    // parquet files): no timestamp column to read. LeRobot records frame t at t / fps, so frame()
    // falls back to that; there is nothing LeRobot itself could read to compare with.
    if (dataset_.has_data(episode)) {
        const parquet::Table rows = dataset_.read_episode(episode);  // throws naming the file
        // A data file without a timestamp column (not something LeRobot writes): t / fps too.
        if (const parquet::Column* column = rows.find("timestamp")) {
            times.emplace();
            times->reserve(static_cast<std::size_t>(rows.num_rows));
            for (std::size_t i = 0; i < static_cast<std::size_t>(rows.num_rows); ++i) {
                times->push_back(column->number(i));
            }
        }
    }
    return timestamps_.emplace(episode, std::move(times)).first->second;
}

cv::Mat FrameReader::frame(std::int64_t episode, const std::string& key, std::int64_t t) {
    const EpisodeMeta& e = dataset_.episode(episode);
    const auto where = [&] {  // built only for an error
        return "episode " + std::to_string(episode) + ", " + key + ", frame " + std::to_string(t);
    };
    if (t < 0 || t >= e.length) {
        throw DataError(where() + ": out of range (the episode has " + std::to_string(e.length) +
                        " frames)");
    }
    auto resolved = resolved_.find({episode, key});
    if (resolved == resolved_.end()) {
        fs::path file = video_file(episode, key);
        const Feature* f = dataset_.info().feature(key);
        if (f->video && f->video->is_depth_map) {
            throw DataError(where() + ": " + dataset_.root().string() + "/meta/info.json: \"" +
                            key +
                            "\" is a depth map (is_depth_map); rcls reads colour cameras only: "
                            "choose another camera");
        }
        std::error_code error;
        if (!fs::exists(file, error)) {
            throw DataError(where() + ": " + file.string() + ": video missing");
        }
        resolved = resolved_.emplace(std::pair{episode, key}, std::move(file)).first;
    }
    const fs::path& path = resolved->second;
    try {
        const std::optional<std::vector<double>>& times = timestamps(episode);
        const auto ref = e.videos.find(key);
        const double from = ref != e.videos.end() ? ref->second.from_timestamp : 0.0;
        // The timestamp column where there is one (as LeRobot), else frame_index / fps.
        const double offset = times ? (*times)[static_cast<std::size_t>(t)]
                                    : static_cast<double>(t) / dataset_.info().fps;
        const double wanted = from + offset;
        const auto refuse = [&](const std::string& nearest) {
            throw DataError(
                where() + ": " + path.string() + ": no frame within 0.0001 s of " +
                seconds_text(wanted) + " (" + (times ? "timestamp " : "frame_index / fps ") +
                seconds_text(offset) + " + from_timestamp " + seconds_text(from) + ")" + nearest +
                (times ? "; LeRobot refuses this frame too (tolerance_s 1e-4): correct the "
                         "episode's timestamp column, or leave the episode out"
                       : "; the video is not at the dataset's fps: re-encode it at that rate, or "
                         "leave the episode out"));
        };
        if (!std::isfinite(wanted)) refuse("");
        video::VideoReader& reader = reader_for(path);
        const video::Frame got = reader.frame_at(wanted);
        if (!within_timestamp_tolerance(wanted, got.timestamp_s)) {
            refuse(", the nearest is at " + seconds_text(got.timestamp_s));
        }
        return got.image;
    } catch (const DataError& err) {
        const std::string what = err.what();
        if (what.rfind("episode ", 0) == 0) throw;
        throw DataError(where() + ": " + what);
    }
}

std::int64_t FrameReader::frames_decoded() const {
    std::int64_t n = closed_decoded_;
    for (const auto& [path, reader] : readers_) {
        n += reader->frames_decoded();
    }
    return n;
}

}  // namespace rcls::dataset
