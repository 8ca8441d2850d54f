// SPDX-License-Identifier: MIT
#include "ffmpeg_util.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>

#include <spdlog/spdlog.h>

extern "C" {
#include <libavutil/error.h>
#include <libavutil/log.h>
}

namespace rcls::video::ffmpeg {
namespace {

/// Bytes past the end of its output that swscale's vectorised RGB writers may touch (valgrind
/// shows 8-byte stores beyond a 200x100 RGB24 image); output buffers are padded by more.
constexpr int kSwscaleOverrunBytes = 64;

int colorspace_of(const AVFrame& frame) {
    switch (frame.colorspace) {
        case AVCOL_SPC_BT709:
            return SWS_CS_ITU709;
        case AVCOL_SPC_FCC:
            return SWS_CS_FCC;
        case AVCOL_SPC_SMPTE240M:
            return SWS_CS_SMPTE240M;
        case AVCOL_SPC_BT2020_NCL:
        case AVCOL_SPC_BT2020_CL:
            return SWS_CS_BT2020;
        default:
            return SWS_CS_DEFAULT;  // BT.601, as ffmpeg assumes for unspecified streams
    }
}

bool is_full_range(const AVFrame& frame) {
    switch (frame.format) {
        case AV_PIX_FMT_YUVJ420P:
        case AV_PIX_FMT_YUVJ422P:
        case AV_PIX_FMT_YUVJ444P:
        case AV_PIX_FMT_YUVJ440P:
            return true;
        default:
            return frame.color_range == AVCOL_RANGE_JPEG;
    }
}

extern "C" void log_callback(void* avcl, int level, const char* format, va_list args) {
    if (level > AV_LOG_VERBOSE) return;
    char line[1024];
    int print_prefix = 1;
    av_log_format_line2(avcl, level, format, args, line, sizeof line, &print_prefix);
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.pop_back();
    }
    if (text.empty()) return;
    if (level <= AV_LOG_WARNING) {
        spdlog::debug("ffmpeg: {}", text);
    } else {
        spdlog::trace("ffmpeg: {}", text);
    }
}

}  // namespace

FramePtr make_frame() {
    AVFrame* frame = av_frame_alloc();
    if (frame == nullptr) throw std::bad_alloc();
    return FramePtr(frame);
}

PacketPtr make_packet() {
    AVPacket* packet = av_packet_alloc();
    if (packet == nullptr) throw std::bad_alloc();
    return PacketPtr(packet);
}

std::string error_text(int code) {
    char text[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, text, sizeof text);
    return text;
}

bool convert_to_packed(const AVFrame& src, image::ChannelOrder order, SwsPtr& sws, cv::Mat& out) {
    const AVPixelFormat target =
        order == image::ChannelOrder::kRgb ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_BGR24;
    SwsContext* context = sws_getCachedContext(
        sws.release(), src.width, src.height, static_cast<AVPixelFormat>(src.format), src.width,
        src.height, target, SWS_BILINEAR, nullptr, nullptr, nullptr);
    sws.reset(context);
    if (context == nullptr) return false;
    const int* coefficients = sws_getCoefficients(colorspace_of(src));
    sws_setColorspaceDetails(context, coefficients, is_full_range(src) ? 1 : 0, coefficients, 1, 0,
                             1 << 16, 1 << 16);
    // A fresh Mat per frame: callers may keep frames (e.g. a batch) without copying them.
    // swscale's SIMD converters write whole vectors and may run up to a few dozen bytes past the
    // last pixel, so the buffer carries spare rows that the frame's header leaves out.
    const int spare_rows = 1 + kSwscaleOverrunBytes / (3 * src.width);
    out = cv::Mat(src.height + spare_rows, src.width, CV_8UC3).rowRange(0, src.height);
    std::array<std::uint8_t*, 4> dst{out.data, nullptr, nullptr, nullptr};
    std::array<int, 4> dst_stride{static_cast<int>(out.step), 0, 0, 0};
    sws_scale(context, src.data, src.linesize, 0, src.height, dst.data(), dst_stride.data());
    return true;
}

AVRational frame_rate(const AVStream& stream) {
    const auto valid = [](AVRational r) { return r.num > 0 && r.den > 0; };
    if (valid(stream.avg_frame_rate)) return stream.avg_frame_rate;
    if (valid(stream.r_frame_rate)) return stream.r_frame_rate;
    return AVRational{0, 1};
}

void route_log_to_spdlog() {
    static std::once_flag once;
    std::call_once(once, [] {
        av_log_set_callback(log_callback);
        // libsvtav1 prints its banner straight to stderr unless told otherwise (1: errors only).
        ::setenv("SVT_LOG", "1", /*overwrite=*/0);
    });
}

}  // namespace rcls::video::ffmpeg
