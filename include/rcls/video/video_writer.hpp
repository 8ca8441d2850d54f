// SPDX-License-Identifier: MIT
//
// Encoding 8-bit RGB or BGR frames into a video file through the FFmpeg libraries: H.264
// (libx264), AV1 (libsvtav1) or MPEG-4 part 2. The file is written to a temporary name beside the
// target and renamed into place by finish() (core/atomic_file.hpp): an interrupted or failed
// encode never leaves a half-written video under the target's name.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "rcls/image/channel_order.hpp"
#include "rcls/image/pipeline.hpp"

namespace rcls::video {

/// The encoders rcls writes with.
enum class Codec {
    kH264,   ///< libx264: what `ffmpeg -i in out.mp4` writes.
    kAv1,    ///< libsvtav1: LeRobot's dataset videos.
    kMpeg4,  ///< FFmpeg's MPEG-4 part 2 encoder.
};

/// "h264", "av1" or "mpeg4".
std::string_view to_string(Codec codec);

/// The codec names parse_codec() accepts.
const std::vector<std::string>& codec_names();

/// Parses "h264", "av1" or "mpeg4" (also the encoder names "libx264", "libsvtav1"). Throws
/// ConfigError naming the valid names.
Codec parse_codec(std::string_view text);

/// Encoder settings. Unset values take the encoder's defaults.
struct EncoderSettings {
    Codec codec = Codec::kH264;
    /// Constant rate factor (lower is better): libx264 0-51 (its default is 23), libsvtav1 0-63
    /// (LeRobot uses 30). For MPEG-4 part 2 it is the quantiser scale, 1-31 (default 4).
    std::optional<int> crf;
    std::optional<int> gop;  ///< Keyframe interval in frames (LeRobot: 2).
    std::string preset;      ///< Encoder preset ("medium", "veryfast"; libsvtav1: "0"-"13").
    std::string pixel_format = "yuv420p";
    int threads = 1;  ///< Encoder threads; 0 lets FFmpeg choose.
};

/// LeRobot's dataset video settings (lerobot_formats.md 5.3): libsvtav1, yuv420p, g=2, crf=30,
/// and preset 12 as LeRobot's VideoEncoderConfig sets at HEAD.
EncoderSettings lerobot_encoder_settings();

/// A video being written. Not thread-safe; movable.
class VideoWriter {
public:
    /// Prepares `target` (its extension picks the container, e.g. .mp4) for frames of
    /// `width` x `height` at `fps`, given in channel order `order`. Throws DataError naming the
    /// target when the encoder is missing from this FFmpeg build or rejects the settings.
    VideoWriter(const std::filesystem::path& target,
                int width,
                int height,
                double fps,
                image::ChannelOrder order,
                const EncoderSettings& settings);
    /// Without finish(), removes the temporary file: the target is left as it was.
    ~VideoWriter();
    VideoWriter(VideoWriter&&) noexcept;
    VideoWriter& operator=(VideoWriter&&) noexcept;
    VideoWriter(const VideoWriter&) = delete;
    VideoWriter& operator=(const VideoWriter&) = delete;

    /// Encodes one 8-bit 3-channel frame of the writer's size. Throws DataError on failure.
    void write(const cv::Mat& frame);

    /// Encodes one frame given as 8-bit YUV 4:2:0 planes of the writer's size (no colour
    /// conversion). Needs the pixel format yuv420p; throws DataError otherwise.
    void write_yuv420(const image::Yuv420Planes& planes);

    /// Flushes the encoder, finishes the container and moves the file to its target name.
    void finish();

    /// Frames written so far.
    std::int64_t frames_written() const;

    /// The name the file gets when finish() succeeds.
    const std::filesystem::path& target() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace rcls::video
