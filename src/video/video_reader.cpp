// SPDX-License-Identifier: MIT
#include "rcls/video/video_reader.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>

#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"
#include "rcls/core/paths.hpp"
#include "rcls/core/strings.hpp"

#include "ffmpeg_util.hpp"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace rcls::video {
namespace fs = std::filesystem;

namespace {

/// A decoder keeps going forward instead of seeking when the target is at most this far ahead and
/// the container has no keyframe index to tell whether a seek would skip work.
constexpr double kForwardWithoutIndexS = 1.0;

/// A seek throws away what the decoder has in flight (B-frame reordering, frame threads) and
/// restarts at a keyframe; it only pays when it skips more frames than this.
constexpr double kSeekCostFrames = 8.0;

/// No frame is at a time past this (about 31 years): such a time (or NaN) is refused before any
/// arithmetic on it (a time-base conversion would overflow).
constexpr double kMaxTimestampS = 1e9;

std::string seconds_text(double seconds) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3f s", seconds);
    return text;
}

}  // namespace

struct VideoReader::Impl {
    fs::path path;
    image::ChannelOrder order;
    StreamInfo info;
    AVFormatContext* format = nullptr;
    ffmpeg::CodecContextPtr decoder;
    ffmpeg::FramePtr decoded = ffmpeg::make_frame();
    ffmpeg::PacketPtr packet = ffmpeg::make_packet();
    ffmpeg::SwsPtr sws;
    int stream_index = -1;
    AVRational time_base{1, 1};
    bool input_done = false;  // the demuxer is exhausted and the decoder was told so
    std::int64_t frames_decoded = 0;
    Frame last;                // the frame read() or frame_at() returned last (index -1: none)
    bool seeked = false;       // a seek happened since opening
    bool has_pending = false;  // `pending` was decoded while seeking but not yet handed out
    ffmpeg::FramePtr pending = ffmpeg::make_frame();
    double pending_timestamp_s = 0.0;

    ~Impl() {
        if (format != nullptr) avformat_close_input(&format);
    }

    [[noreturn]] void fail(const std::string& what) const {
        throw DataError(path.string() + ": " + what);
    }

    double frame_interval() const { return info.fps > 0.0 ? 1.0 / info.fps : 0.0; }

    std::int64_t index_of(double timestamp_s) const {
        return std::llround((timestamp_s - info.start_time_s) * info.fps);
    }

    void open(const ReaderOptions& options) {
        ffmpeg::route_log_to_spdlog();
        require_regular_file(path, "video file");  // FFmpeg would block on a FIFO
        int code = avformat_open_input(&format, path.c_str(), nullptr, nullptr);
        if (code < 0) {
            format = nullptr;
            fail("cannot open as a video (" + ffmpeg::error_text(code) + ")");
        }
        code = avformat_find_stream_info(format, nullptr);
        if (code < 0) fail("cannot read stream information (" + ffmpeg::error_text(code) + ")");
        const AVCodec* codec = nullptr;
        stream_index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
        if (stream_index == AVERROR_STREAM_NOT_FOUND) fail("no video stream");
        if (stream_index < 0 || codec == nullptr) {
            fail("no decoder for its video codec in this FFmpeg build");
        }
        AVStream* stream = format->streams[stream_index];
        if (stream->codecpar->codec_id == AV_CODEC_ID_AV1) {
            // Prefer dav1d: FFmpeg 5.1's native "av1" decoder needs a hardware accelerator.
            if (const AVCodec* dav1d = avcodec_find_decoder_by_name("libdav1d")) codec = dav1d;
        }
        decoder.reset(avcodec_alloc_context3(codec));
        if (!decoder) throw std::bad_alloc();
        code = avcodec_parameters_to_context(decoder.get(), stream->codecpar);
        if (code < 0) fail("unusable codec parameters (" + ffmpeg::error_text(code) + ")");
        decoder->thread_count = std::max(0, options.threads);
        code = avcodec_open2(decoder.get(), codec, nullptr);
        if (code < 0) {
            fail("cannot open the " + std::string(codec->name) + " decoder (" +
                 ffmpeg::error_text(code) + ")");
        }
        // Only this stream's packets are read.
        for (unsigned i = 0; i < format->nb_streams; ++i) {
            if (static_cast<int>(i) != stream_index) format->streams[i]->discard = AVDISCARD_ALL;
        }
        time_base = stream->time_base;
        fill_info(*stream);
        spdlog::debug("{}: {}x{} {} {:.3f} fps, {} frames{}, decoder {}", path.string(), info.width,
                      info.height, info.codec, info.fps, info.frame_count,
                      info.frame_count_exact ? "" : " (estimated)", codec->name);
    }

    void fill_info(const AVStream& stream) {
        info.width = stream.codecpar->width;
        info.height = stream.codecpar->height;
        if (info.width <= 0 || info.height <= 0) fail("video stream has no frame size");
        const AVRational rate = ffmpeg::frame_rate(stream);
        if (rate.num <= 0) fail("video stream has no frame rate");
        info.fps = av_q2d(rate);
        info.start_time_s = stream.start_time != AV_NOPTS_VALUE
                                ? static_cast<double>(stream.start_time) * av_q2d(time_base)
                                : 0.0;
        if (stream.duration != AV_NOPTS_VALUE && stream.duration > 0) {
            info.duration_s = static_cast<double>(stream.duration) * av_q2d(time_base);
        } else if (format->duration > 0) {
            info.duration_s = static_cast<double>(format->duration) / AV_TIME_BASE;
        }
        if (stream.nb_frames > 0) {
            info.frame_count = stream.nb_frames;
            info.frame_count_exact = true;
        } else {
            info.frame_count = std::llround(info.duration_s * info.fps);
        }
        info.codec = avcodec_get_name(stream.codecpar->codec_id);
        const char* pix = av_get_pix_fmt_name(static_cast<AVPixelFormat>(stream.codecpar->format));
        info.pixel_format = pix != nullptr ? pix : "unknown";
    }

    /// Where decoding stands, for error messages: the frame after the last one decoded.
    std::string position_text() const { return "frame " + std::to_string(last.index + 1); }

    /// Decodes the next frame into `decoded`; false at the end of the stream.
    bool decode_next() {
        while (true) {
            int code = avcodec_receive_frame(decoder.get(), decoded.get());
            if (code == 0) {
                ++frames_decoded;
                return true;
            }
            if (code == AVERROR_EOF) return false;
            if (code != AVERROR(EAGAIN)) {
                fail(position_text() + ": cannot decode (" + ffmpeg::error_text(code) + ")");
            }
            if (input_done) return false;
            code = av_read_frame(format, packet.get());
            if (code == AVERROR_EOF) {
                input_done = true;
                avcodec_send_packet(decoder.get(), nullptr);  // drain
                continue;
            }
            if (code < 0) {
                fail(position_text() + ": cannot read (" + ffmpeg::error_text(code) +
                     "); the file may be truncated or damaged");
            }
            if (packet->stream_index != stream_index) {
                av_packet_unref(packet.get());
                continue;
            }
            code = avcodec_send_packet(decoder.get(), packet.get());
            av_packet_unref(packet.get());
            if (code < 0 && code != AVERROR(EAGAIN)) {
                fail(position_text() + ": corrupt data (" + ffmpeg::error_text(code) + ")");
            }
        }
    }

    double decoded_timestamp() const {
        std::int64_t pts = decoded->best_effort_timestamp;
        if (pts == AV_NOPTS_VALUE) pts = decoded->pts;
        if (pts == AV_NOPTS_VALUE) {  // no timestamps at all: count frames
            return last.index >= 0 ? last.timestamp_s + frame_interval() : info.start_time_s;
        }
        return static_cast<double>(pts) * av_q2d(time_base);
    }

    /// Converts `decoded` into `frame`.
    void convert(Frame& frame) {
        const AVFrame& src = *decoded;
        if (src.width != info.width || src.height != info.height) {
            fail("frame " + std::to_string(index_of(decoded_timestamp())) + ": size changed to " +
                 std::to_string(src.width) + "x" + std::to_string(src.height) +
                 " (mid-stream size changes are not supported)");
        }
        if (!ffmpeg::convert_to_packed(*decoded, order, sws, frame.image)) {
            const char* name = av_get_pix_fmt_name(static_cast<AVPixelFormat>(src.format));
            fail("cannot convert pixel format " + std::string(name != nullptr ? name : "?") +
                 " to RGB");
        }
        frame.timestamp_s = decoded_timestamp();
        frame.index = index_of(frame.timestamp_s);
    }

    /// Makes the next frame current in `decoded`; false at the end of a complete stream.
    bool advance() {
        if (has_pending) {
            has_pending = false;
            av_frame_unref(decoded.get());
            av_frame_move_ref(decoded.get(), pending.get());
            return true;
        }
        if (decode_next()) return true;
        // Read from the start without seeking: every frame went through the decoder.
        if (!seeked && frames_decoded == 0) fail("no frame could be decoded");
        if (!seeked && info.frame_count_exact && frames_decoded < info.frame_count) {
            fail("truncated or damaged: the stream ends after frame " +
                 std::to_string(frames_decoded - 1) + " of the " +
                 std::to_string(info.frame_count) + " frames its header lists");
        }
        return false;
    }

    /// Decodes the next frame into `frame`, or returns false at the end of a complete stream.
    bool next(Frame& frame) {
        if (!advance()) return false;
        convert(frame);
        last.index = frame.index;
        last.timestamp_s = frame.timestamp_s;
        last.image = frame.image;
        return true;
    }

    bool yuv420_available() const {
        // Limited range and the BT.601 matrix (or none stated, which players take as BT.601 at
        // these sizes): planes passed on untouched mean the same colours in an untagged output.
        const AVColorSpace space = decoder->colorspace;
        return decoder->pix_fmt == AV_PIX_FMT_YUV420P && decoder->color_range != AVCOL_RANGE_JPEG &&
               (space == AVCOL_SPC_UNSPECIFIED || space == AVCOL_SPC_BT470BG ||
                space == AVCOL_SPC_SMPTE170M);
    }

    /// Hands out the next frame's planes without conversion.
    bool next_yuv420(Yuv420Frame& frame) {
        if (!advance()) return false;
        const AVFrame& src = *decoded;
        if (src.format != AV_PIX_FMT_YUV420P || src.width != info.width ||
            src.height != info.height) {
            fail("frame " + std::to_string(last.index + 1) +
                 ": not 8-bit YUV 4:2:0 at the stream's size; read it as RGB instead");
        }
        const int chroma_width = (src.width + 1) / 2;
        const int chroma_height = (src.height + 1) / 2;
        const auto plane = [](const AVFrame& f, int i, int w, int h) {
            return cv::Mat(h, w, CV_8UC1, f.data[i], static_cast<std::size_t>(f.linesize[i]));
        };
        frame.planes.y = plane(src, 0, src.width, src.height);
        frame.planes.u = plane(src, 1, chroma_width, chroma_height);
        frame.planes.v = plane(src, 2, chroma_width, chroma_height);
        frame.timestamp_s = decoded_timestamp();
        frame.index = index_of(frame.timestamp_s);
        last.index = frame.index;
        last.timestamp_s = frame.timestamp_s;
        last.image.release();
        return true;
    }

    /// Refuses a time no frame can be at: NaN, infinite, or past kMaxTimestampS.
    void check_time(double timestamp_s) const {
        if (!std::isfinite(timestamp_s) || std::abs(timestamp_s) > kMaxTimestampS) {
            char text[48];
            std::snprintf(text, sizeof text, "%g s", timestamp_s);
            fail(std::string("no frame at ") + text);
        }
    }

    /// Seeks to the keyframe at or before `timestamp_s` and drops frames before the target.
    void seek_to(double timestamp_s) {
        check_time(timestamp_s);
        const double earliest = timestamp_s - 0.5 * frame_interval();
        const auto target = static_cast<std::int64_t>(std::floor(earliest / av_q2d(time_base)));
        int code = avformat_seek_file(format, stream_index,
                                      std::numeric_limits<std::int64_t>::min(), target, target, 0);
        if (code < 0) code = av_seek_frame(format, stream_index, target, AVSEEK_FLAG_BACKWARD);
        if (code < 0) {
            fail("cannot seek to " + seconds_text(timestamp_s) + " (" + ffmpeg::error_text(code) +
                 ")");
        }
        avcodec_flush_buffers(decoder.get());
        seeked = true;
        input_done = false;
        has_pending = false;
        last = Frame{};
        skip_to(timestamp_s);
    }

    /// Decodes forward until the frame for `timestamp_s`, which becomes pending.
    void skip_to(double timestamp_s) {
        const double earliest = timestamp_s - 0.5 * frame_interval();
        while (decode_next()) {
            const double decoded_s = decoded_timestamp();
            if (decoded_s < earliest) {
                last.index = index_of(decoded_s);
                last.timestamp_s = decoded_s;
                continue;
            }
            av_frame_unref(pending.get());
            av_frame_move_ref(pending.get(), decoded.get());
            pending_timestamp_s = decoded_s;
            has_pending = true;
            return;
        }
        fail("no frame at " + seconds_text(timestamp_s) + " (the video has " +
             std::to_string(info.frame_count) + " frames, " + seconds_text(info.duration_s) + ")");
    }

    /// Whether decoding forward from the current position reaches `timestamp_s` about as fast as
    /// seeking: the last keyframe before the target is at most kSeekCostFrames ahead of here.
    bool forward_is_cheaper(double timestamp_s) {
        if (last.index < 0 && !has_pending) return false;
        const double here = has_pending ? pending_timestamp_s : last.timestamp_s;
        if (timestamp_s < here) return false;
        AVStream* stream = format->streams[stream_index];
        const auto target = static_cast<std::int64_t>(std::floor(timestamp_s / av_q2d(time_base)));
        const AVIndexEntry* keyframe =
            avformat_index_get_entry_from_timestamp(stream, target, AVSEEK_FLAG_BACKWARD);
        if (keyframe == nullptr || avformat_index_get_entries_count(stream) == 0) {
            return timestamp_s - here <= kForwardWithoutIndexS;
        }
        const double keyframe_s = static_cast<double>(keyframe->timestamp) * av_q2d(time_base);
        return keyframe_s <= here + kSeekCostFrames * frame_interval() + 1e-9;
    }

    Frame frame_at(double timestamp_s) {
        check_time(timestamp_s);
        const double half = 0.5 * frame_interval();
        if (!has_pending && last.index >= 0 && !last.image.empty() &&
            std::abs(last.timestamp_s - timestamp_s) < half) {
            return last;  // asked again for the frame in hand
        }
        if (forward_is_cheaper(timestamp_s)) {
            if (!(has_pending && pending_timestamp_s >= timestamp_s - half)) {
                has_pending = false;
                skip_to(timestamp_s);
            }
        } else {
            seek_to(timestamp_s);
        }
        Frame frame;
        next(frame);
        return frame;
    }
};

VideoReader::VideoReader(const fs::path& path, const ReaderOptions& options)
    : impl_(std::make_unique<Impl>()) {
    impl_->path = path;
    impl_->order = options.order;
    impl_->open(options);
}

VideoReader::~VideoReader() = default;
VideoReader::VideoReader(VideoReader&&) noexcept = default;
VideoReader& VideoReader::operator=(VideoReader&&) noexcept = default;

const StreamInfo& VideoReader::info() const {
    return impl_->info;
}
const fs::path& VideoReader::path() const {
    return impl_->path;
}
image::ChannelOrder VideoReader::order() const {
    return impl_->order;
}
std::int64_t VideoReader::frames_decoded() const {
    return impl_->frames_decoded;
}

bool VideoReader::read(Frame& frame) {
    return impl_->next(frame);
}

bool VideoReader::yuv420_available() const {
    return impl_->yuv420_available();
}

bool VideoReader::read_yuv420(Yuv420Frame& frame) {
    return impl_->next_yuv420(frame);
}

Frame VideoReader::frame_at(double timestamp_s) {
    return impl_->frame_at(timestamp_s);
}

Frame VideoReader::frame_at_index(std::int64_t index) {
    if (index < 0) impl_->fail("frame " + std::to_string(index) + " does not exist");
    return impl_->frame_at(impl_->info.start_time_s + static_cast<double>(index) / impl_->info.fps);
}

void VideoReader::seek(double timestamp_s) {
    impl_->seek_to(timestamp_s);
}

bool has_video_extension(const fs::path& path) {
    const std::string ext = ascii_lower(path.extension().string());
    static constexpr std::array<const char*, 14> kExtensions = {
        ".mp4",  ".mkv", ".avi", ".mov", ".webm", ".m4v", ".mpg",
        ".mpeg", ".ts",  ".flv", ".wmv", ".ogv",  ".3gp", ".mts"};
    return std::find(kExtensions.begin(), kExtensions.end(), ext) != kExtensions.end();
}

}  // namespace rcls::video
