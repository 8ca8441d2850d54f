// SPDX-License-Identifier: MIT
#include "ffmpeg_util.hpp"

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

void route_log_to_spdlog() {
    static std::once_flag once;
    std::call_once(once, [] {
        av_log_set_callback(log_callback);
        // libsvtav1 prints its banner straight to stderr unless told otherwise (1: errors only).
        ::setenv("SVT_LOG", "1", /*overwrite=*/0);
    });
}

}  // namespace rcls::video::ffmpeg
