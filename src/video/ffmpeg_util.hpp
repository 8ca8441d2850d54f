// SPDX-License-Identifier: MIT
//
// Small helpers over the FFmpeg C API, private to the video module: owning pointers, error text,
// and routing FFmpeg's log to spdlog.
#pragma once

#include <memory>
#include <string>

#include <opencv2/core/mat.hpp>

#include "rcls/image/channel_order.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>

#include <libswscale/swscale.h>
}

namespace rcls::video::ffmpeg {

struct FrameDeleter {
    void operator()(AVFrame* frame) const noexcept { av_frame_free(&frame); }
};
struct PacketDeleter {
    void operator()(AVPacket* packet) const noexcept { av_packet_free(&packet); }
};
struct CodecContextDeleter {
    void operator()(AVCodecContext* context) const noexcept { avcodec_free_context(&context); }
};
struct SwsDeleter {
    void operator()(SwsContext* context) const noexcept { sws_freeContext(context); }
};

using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;

/// av_frame_alloc() / av_packet_alloc(); throw std::bad_alloc on failure.
FramePtr make_frame();
PacketPtr make_packet();

/// FFmpeg's text for an AVERROR code, e.g. "Invalid data found when processing input".
std::string error_text(int code);

/// Converts a decoded frame of any pixel format swscale reads (YUV of any range and matrix,
/// palette, grey, RGBA, 16-bit) into a fresh 8-bit 3-channel Mat in `order`. YUV is converted with
/// the frame's own matrix (BT.601 when unstated) and range (full for the yuvj formats). `sws`
/// caches the conversion context between calls. False when swscale cannot read the format.
bool convert_to_packed(const AVFrame& src, image::ChannelOrder order, SwsPtr& sws, cv::Mat& out);

/// The stream's frame rate: its average rate, else its base rate; {0, 1} when it states neither.
AVRational frame_rate(const AVStream& stream);

/// Sends FFmpeg's log messages to spdlog (debug; verbose ones to trace) instead of stderr, so
/// that rcls prints one error line of its own. Idempotent and thread-safe.
void route_log_to_spdlog();

}  // namespace rcls::video::ffmpeg
