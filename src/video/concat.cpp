// SPDX-License-Identifier: MIT
#include "rcls/video/concat.hpp"

#include <algorithm>
#include <memory>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/mathematics.h>
#include <libavutil/pixdesc.h>
}

#include "rcls/core/error.hpp"
#include "rcls/core/paths.hpp"

#include "ffmpeg_util.hpp"

namespace rcls::video {
namespace fs = std::filesystem;
namespace {

struct InputCloser {
    void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
using Input = std::unique_ptr<AVFormatContext, InputCloser>;

struct OutputCloser {
    void operator()(AVFormatContext* c) const {
        if (c->pb != nullptr) avio_closep(&c->pb);
        avformat_free_context(c);
    }
};
using Output = std::unique_ptr<AVFormatContext, OutputCloser>;

Input open_input(const fs::path& path, int& stream_index) {
    ffmpeg::route_log_to_spdlog();
    require_regular_file(path, "video file");  // FFmpeg would block on a FIFO
    AVFormatContext* raw = nullptr;
    const int status = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
    if (status < 0) {
        throw DataError(path.string() + ": cannot open video: " + ffmpeg::error_text(status));
    }
    Input input(raw);
    if (avformat_find_stream_info(input.get(), nullptr) < 0) {
        throw DataError(path.string() + ": cannot read the video's stream information");
    }
    stream_index = av_find_best_stream(input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (stream_index < 0) throw DataError(path.string() + ": no video stream");
    return input;
}

}  // namespace

VideoProbe probe_video(const fs::path& path) {
    int index = -1;
    Input input = open_input(path, index);
    const AVStream* stream = input->streams[index];
    VideoProbe probe;
    probe.codec = avcodec_get_name(stream->codecpar->codec_id);
    const char* format = av_get_pix_fmt_name(static_cast<AVPixelFormat>(stream->codecpar->format));
    probe.pixel_format = format != nullptr ? format : "";
    probe.width = stream->codecpar->width;
    probe.height = stream->codecpar->height;
    const AVRational rate = ffmpeg::frame_rate(*stream);
    probe.fps = rate.num > 0 ? av_q2d(rate) : 0.0;
    const std::int64_t frame_duration =
        probe.fps > 0.0 ? av_rescale_q(1, av_inv_q(rate), stream->time_base) : 0;
    ffmpeg::PacketPtr packet = ffmpeg::make_packet();
    std::int64_t end = 0;
    for (;;) {
        const int status = av_read_frame(input.get(), packet.get());
        if (status == AVERROR_EOF) break;
        if (status < 0) {
            throw DataError(path.string() + ": read failed: " + ffmpeg::error_text(status));
        }
        if (packet->stream_index == index) {
            const std::int64_t pts = packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts;
            const std::int64_t duration = packet->duration > 0 ? packet->duration : frame_duration;
            if (pts != AV_NOPTS_VALUE) end = std::max(end, pts + duration);
            ++probe.frames;
        }
        av_packet_unref(packet.get());
    }
    probe.end_s = static_cast<double>(end) * av_q2d(stream->time_base);
    return probe;
}

std::vector<SegmentSpan> concatenate_videos(const std::vector<VideoSegment>& segments,
                                            const fs::path& output) {
    if (segments.empty()) throw DataError(output.string() + ": nothing to concatenate");
    ffmpeg::route_log_to_spdlog();
    AVFormatContext* raw_out = nullptr;
    if (avformat_alloc_output_context2(&raw_out, nullptr, nullptr, output.c_str()) < 0 ||
        raw_out == nullptr) {
        throw DataError(output.string() + ": no container format for this file name");
    }
    Output out(raw_out);
    AVStream* out_stream = nullptr;
    AVCodecParameters* first_params = nullptr;
    std::vector<SegmentSpan> spans;
    std::int64_t last_dts = AV_NOPTS_VALUE;  // in the output time base
    std::int64_t end_pts = 0;                // end of the previous segment, output time base
    ffmpeg::PacketPtr packet = ffmpeg::make_packet();

    for (const VideoSegment& segment : segments) {
        int index = -1;
        Input input = open_input(segment.path, index);
        AVStream* in_stream = input->streams[index];
        const AVCodecParameters* params = in_stream->codecpar;
        if (out_stream == nullptr) {
            out_stream = avformat_new_stream(out.get(), nullptr);
            if (out_stream == nullptr ||
                avcodec_parameters_copy(out_stream->codecpar, params) < 0) {
                throw DataError(output.string() + ": cannot create the video stream");
            }
            out_stream->codecpar->codec_tag = 0;
            out_stream->time_base = in_stream->time_base;
            out_stream->avg_frame_rate = in_stream->avg_frame_rate;
            out_stream->r_frame_rate = in_stream->r_frame_rate;
            if (!(out->oformat->flags & AVFMT_NOFILE)) {
                const int status = avio_open(&out->pb, output.c_str(), AVIO_FLAG_WRITE);
                if (status < 0) {
                    throw DataError(output.string() +
                                    ": cannot create: " + ffmpeg::error_text(status));
                }
            }
            const int status = avformat_write_header(out.get(), nullptr);
            if (status < 0) {
                throw DataError(output.string() +
                                ": cannot write the header: " + ffmpeg::error_text(status));
            }
            first_params = out_stream->codecpar;
        } else if (params->codec_id != first_params->codec_id ||
                   params->width != first_params->width || params->height != first_params->height) {
            throw DataError(segment.path.string() + ": its video (" +
                            std::string(avcodec_get_name(params->codec_id)) + " " +
                            std::to_string(params->width) + "x" + std::to_string(params->height) +
                            ") cannot be joined to " +
                            std::string(avcodec_get_name(first_params->codec_id)) + " " +
                            std::to_string(first_params->width) + "x" +
                            std::to_string(first_params->height));
        }
        const AVRational in_tb = in_stream->time_base;
        const AVRational out_tb = out_stream->time_base;
        const AVRational rate = ffmpeg::frame_rate(*in_stream);
        const std::int64_t frame_duration =
            rate.num > 0 ? av_rescale_q(1, av_inv_q(rate), out_tb) : 1;
        const std::int64_t keep_limit =
            segment.keep_s == std::numeric_limits<double>::infinity()
                ? INT64_MAX
                : static_cast<std::int64_t>((segment.keep_s - 0.5 * av_q2d(av_inv_q(rate))) /
                                            av_q2d(out_tb));

        SegmentSpan span;
        bool first = true;
        std::int64_t base_pts = 0;  // the segment's first pts, output time base
        std::int64_t offset = 0;
        std::int64_t seg_end = 0;
        for (;;) {
            const int status = av_read_frame(input.get(), packet.get());
            if (status == AVERROR_EOF) break;
            if (status < 0) {
                throw DataError(segment.path.string() + ": read failed after " +
                                std::to_string(span.frames) +
                                " frames: " + ffmpeg::error_text(status));
            }
            if (packet->stream_index != index) {
                av_packet_unref(packet.get());
                continue;
            }
            av_packet_rescale_ts(packet.get(), in_tb, out_tb);
            if (packet->pts == AV_NOPTS_VALUE) packet->pts = packet->dts;
            if (packet->dts == AV_NOPTS_VALUE) packet->dts = packet->pts;
            if (first) {
                base_pts = in_stream->start_time != AV_NOPTS_VALUE
                               ? av_rescale_q(in_stream->start_time, in_tb, out_tb)
                               : packet->pts;
                // Start where the previous segment ended, later if decode times would not grow.
                offset = end_pts - base_pts;
                if (last_dts != AV_NOPTS_VALUE && packet->dts + offset <= last_dts) {
                    offset = last_dts + 1 - packet->dts;
                }
                span.start_s = static_cast<double>(base_pts + offset) * av_q2d(out_tb);
                first = false;
            }
            const bool keyframe = (packet->flags & AV_PKT_FLAG_KEY) != 0;
            if (keyframe && packet->pts - base_pts >= keep_limit) {
                av_packet_unref(packet.get());
                break;  // the cut: everything from this keyframe on goes
            }
            const std::int64_t duration = packet->duration > 0 ? packet->duration : frame_duration;
            packet->pts += offset;
            packet->dts += offset;
            packet->stream_index = out_stream->index;
            packet->pos = -1;
            last_dts = packet->dts;
            seg_end = std::max(seg_end, packet->pts + duration);
            ++span.frames;
            const int written = av_interleaved_write_frame(out.get(), packet.get());
            if (written < 0) {
                throw DataError(output.string() + ": write failed: " + ffmpeg::error_text(written));
            }
        }
        if (span.frames == 0) {
            seg_end = std::max(end_pts, base_pts + offset);
            span.start_s = static_cast<double>(seg_end) * av_q2d(out_tb);
        }
        end_pts = seg_end;
        span.end_s = static_cast<double>(seg_end) * av_q2d(out_tb);
        spans.push_back(span);
    }
    const int status = av_write_trailer(out.get());
    if (status < 0) {
        throw DataError(output.string() +
                        ": cannot finish the file: " + ffmpeg::error_text(status));
    }
    return spans;
}

}  // namespace rcls::video
