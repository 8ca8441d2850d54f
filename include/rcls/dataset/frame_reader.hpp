// SPDX-License-Identifier: MIT
//
// Camera frames of a dataset's episodes. Frame t of episode e is the frame presented at
// from_timestamp + t / fps in the episode's video (v3.0 concatenated files and v2.1 per-episode
// files alike). One VideoReader stays open per file, so reading an episode in order decodes every
// frame once and a random access costs at most one group of pictures (rcls::video::VideoReader
// seeks to the keyframe before the target), never a decode from the start of the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include <opencv2/core/mat.hpp>

#include "rcls/dataset/dataset.hpp"
#include "rcls/image/channel_order.hpp"

namespace rcls::video {
class VideoReader;
}

namespace rcls::dataset {

/// Reads camera frames of one Dataset, which must outlive it. Not thread-safe: use one reader per
/// thread.
class FrameReader {
public:
    /// Frames come in `order` (LeRobot and the model use RGB). `threads` are decoder threads per
    /// open file (0: FFmpeg chooses).
    explicit FrameReader(const Dataset& dataset,
                         image::ChannelOrder order = image::ChannelOrder::kRgb,
                         int threads = 1);
    ~FrameReader();
    FrameReader(FrameReader&&) noexcept;
    FrameReader& operator=(FrameReader&&) = delete;

    /// Frame `t` (0-based) of camera `key` in episode `episode`: 8-bit, 3 channels. Throws
    /// DataError naming the episode, camera, file and frame when the video is missing, damaged, or
    /// has no frame at that time.
    cv::Mat frame(std::int64_t episode, const std::string& key, std::int64_t t);

    /// The video file frame() reads for this episode and camera.
    std::filesystem::path video_file(std::int64_t episode, const std::string& key) const;

    /// Frames decoded so far by every open file (including ones passed over while seeking).
    std::int64_t frames_decoded() const;

private:
    video::VideoReader& reader_for(const std::filesystem::path& path);

    const Dataset& dataset_;
    image::ChannelOrder order_;
    int threads_;
    std::map<std::filesystem::path, std::unique_ptr<video::VideoReader>> readers_;
    /// The video file of each (episode, camera) asked for, resolved and checked once rather than
    /// per frame.
    std::map<std::pair<std::int64_t, std::string>, std::filesystem::path> resolved_;
    std::int64_t closed_decoded_ = 0;
};

}  // namespace rcls::dataset
