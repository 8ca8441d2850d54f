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

}  // namespace

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
        std::error_code error;
        if (!fs::exists(file, error)) {
            throw DataError(where() + ": " + file.string() + ": video missing");
        }
        resolved = resolved_.emplace(std::pair{episode, key}, std::move(file)).first;
    }
    const fs::path& path = resolved->second;
    const auto ref = e.videos.find(key);
    const double from = ref != e.videos.end() ? ref->second.from_timestamp : 0.0;
    const double fps = dataset_.info().fps;
    const double wanted = from + static_cast<double>(t) / fps;
    try {
        video::VideoReader& reader = reader_for(path);
        video::Frame got = reader.frame_at(wanted);
        if (std::abs(got.timestamp_s - wanted) > 0.5 / fps + 1e-6) {
            char text[128];
            std::snprintf(text, sizeof(text), ": no frame at %.3f s (nearest at %.3f s)", wanted,
                          got.timestamp_s);
            throw DataError(where() + ": " + path.string() + text);
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
