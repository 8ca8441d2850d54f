// SPDX-License-Identifier: MIT
//
// Decoding video files through the FFmpeg libraries into 8-bit RGB or BGR cv::Mats.
//
// Frames are addressed by presentation time in seconds on the stream's own timeline (pts x
// time_base, as PyAV and torchcodec report them), which is how LeRobot addresses frames: frame t of
// an episode is the frame at from_timestamp + timestamp[t] (rcls/dataset/frame_reader.hpp).
// frame_at() serves such requests: moving
// forward it keeps decoding from where it is, and it seeks (to the keyframe before the target, then
// decodes forward) only when going backward or when a seek would skip more than a few frames. So
// reading an episode frame by frame decodes every frame once, and random access costs at most one
// group of pictures.
//
// Damaged input never crashes: unreadable, truncated or corrupt files throw DataError naming the
// file and the frame (or time) where decoding failed. FFmpeg's own log messages go to the debug
// log.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <opencv2/core/mat.hpp>

#include "rcls/image/channel_order.hpp"
#include "rcls/image/pipeline.hpp"

namespace rcls::video {

/// What a video file holds (its best video stream).
struct StreamInfo {
    int width = 0;
    int height = 0;
    double fps = 0.0;                ///< Average frame rate.
    std::int64_t frame_count = 0;    ///< Frames in the stream: from the container when it states
                                     ///< it, else estimated as duration x fps.
    bool frame_count_exact = false;  ///< Whether frame_count came from the container.
    double start_time_s = 0.0;       ///< Timestamp of the first frame (usually 0).
    double duration_s = 0.0;         ///< Stream duration (0 when unknown).
    std::string codec;               ///< FFmpeg's codec name: "av1", "h264", "mpeg4", ...
    std::string pixel_format;        ///< The decoded pixel format, e.g. "yuv420p".
};

/// One decoded frame.
struct Frame {
    cv::Mat image;             ///< 8-bit, 3 channels, in the reader's channel order.
    std::int64_t index = -1;   ///< round((timestamp_s - start_time_s) x fps).
    double timestamp_s = 0.0;  ///< Presentation time in seconds (pts x time_base).
};

/// One decoded frame as the decoder's 8-bit YUV 4:2:0 planes (see VideoReader::read_yuv420()).
struct Yuv420Frame {
    image::Yuv420Planes planes;  ///< Views into the decoder's buffers, valid until the next read.
    std::int64_t index = -1;
    double timestamp_s = 0.0;
};

/// How to decode.
struct ReaderOptions {
    /// Channel order of the frames handed out. No default: callers say what they want.
    image::ChannelOrder order;
    /// Decoder threads; 0 lets FFmpeg choose (all cores). 1 suits many files decoded in parallel
    /// and frequent seeking (frame threading delays output by one frame per thread).
    int threads = 1;
};

/// Reads one video file. Not thread-safe; movable.
class VideoReader {
public:
    /// Opens `path` and its best video stream. Throws DataError naming the file when it is missing,
    /// not a video FFmpeg can read, or has no video stream or no decoder.
    VideoReader(const std::filesystem::path& path, const ReaderOptions& options);
    ~VideoReader();
    VideoReader(VideoReader&&) noexcept;
    VideoReader& operator=(VideoReader&&) noexcept;
    VideoReader(const VideoReader&) = delete;
    VideoReader& operator=(const VideoReader&) = delete;

    /// What the stream holds (size, rate, frame count, codec).
    const StreamInfo& info() const;
    /// The file this reader reads.
    const std::filesystem::path& path() const;
    /// The channel order of the frames read() and frame_at() hand out.
    image::ChannelOrder order() const;

    /// Decodes the next frame in presentation order into `frame`; false at the end of the stream.
    /// Throws DataError naming the file and frame on corrupt data, and when the stream ends before
    /// the frame count the container states (a truncated file).
    bool read(Frame& frame);

    /// True when the stream decodes to 8-bit limited-range YUV 4:2:0 (yuv420p) with the BT.601
    /// matrix or none stated, so that read_yuv420() can hand out its planes and a yuv420p
    /// VideoWriter can take them without any colour conversion.
    bool yuv420_available() const;

    /// Like read(), but hands out the decoded planes themselves (no copy, no conversion); they
    /// stay valid until the next call on this reader. Needs yuv420_available(); throws DataError
    /// otherwise.
    bool read_yuv420(Yuv420Frame& frame);

    /// The frame shown at `timestamp_s`: the first one whose timestamp is at least
    /// timestamp_s - 0.5 / fps (the nearest frame for a constant frame rate). Check
    /// Frame::timestamp_s when a tolerance matters. Throws DataError when no frame is there (also
    /// for NaN, infinite and absurd times, refused before any seek).
    Frame frame_at(double timestamp_s);

    /// frame_at() of the frame with this index: start_time_s + index / fps.
    Frame frame_at_index(std::int64_t index);

    /// Positions the reader so that read() continues with the frame frame_at(timestamp_s) would
    /// return. Seeks to the preceding keyframe and decodes up to the target.
    void seek(double timestamp_s);

    /// Frames the decoder produced since opening (including ones skipped while seeking): lets tests
    /// and benchmarks check that seeking does not decode from the start.
    std::int64_t frames_decoded() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// True for file names FFmpeg commonly holds video in (.mp4, .mkv, .avi, .mov, .webm, ...),
/// compared case-insensitively.
bool has_video_extension(const std::filesystem::path& path);

}  // namespace rcls::video
