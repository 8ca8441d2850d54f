// SPDX-License-Identifier: MIT
//
// Camera frames of a dataset's episodes, addressed as LeRobot addresses them
// (lerobot/datasets/dataset_reader.py `_query_videos`, video_utils.py `decode_video_frames*`):
// frame t of episode e is the video frame nearest from_timestamp + timestamp[t], where timestamp is
// the episode's `timestamp` column and from_timestamp the episode's start in a v3.0 concatenated
// video (0 for v2.x per-episode videos). That frame is refused, as LeRobot refuses it, when it is
// farther than kTimestampToleranceS (LeRobot's default tolerance_s) from the wanted time, so rcls
// and LeRobot read the same frame or both refuse. An episode without a data file (a dataset shared
// as meta/ and videos only) has no timestamp column: there frame t is looked for at
// from_timestamp + t / fps, where LeRobot records it.
//
// One VideoReader stays open per file, so reading an episode in order decodes every frame once and
// a random access costs at most one group of pictures (rcls::video::VideoReader seeks to the
// keyframe before the target), never a decode from the start of the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "rcls/dataset/dataset.hpp"
#include "rcls/image/channel_order.hpp"

namespace rcls::video {
class VideoReader;
}

namespace rcls::dataset {

/// LeRobot's default tolerance_s (LeRobotDataset, 1e-4 s): a decoded frame farther than this from
/// the wanted time is refused.
inline constexpr double kTimestampToleranceS = 1e-4;

/// True when LeRobot takes the frame at `got_s` for the wanted time `wanted_s`:
/// |wanted - got| <= kTimestampToleranceS, computed as LeRobot computes it, in float32 (it compares
/// torch.tensor()s of the Python floats). False for NaN.
bool within_timestamp_tolerance(double wanted_s, double got_s);

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
    /// has no frame within kTimestampToleranceS of the wanted time (then naming the wanted and the
    /// nearest time), when the episode's data file cannot be read, and when the camera is a depth
    /// map (info.json's `is_depth_map`), which rcls does not read.
    cv::Mat frame(std::int64_t episode, const std::string& key, std::int64_t t);

    /// Where frame t of `episode` is, in seconds from the episode's start: its `timestamp` column,
    /// or nullopt when the episode has no data file or no such column (then t / fps). Reads the
    /// data file once per episode; throws DataError naming it when it cannot be read.
    const std::optional<std::vector<double>>& timestamps(std::int64_t episode);

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
    /// timestamps() of each episode asked for.
    std::map<std::int64_t, std::optional<std::vector<double>>> timestamps_;
};

}  // namespace rcls::dataset
