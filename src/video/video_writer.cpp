// SPDX-License-Identifier: MIT
#include "rcls/video/video_writer.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include <spdlog/spdlog.h>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/strings.hpp"
#include "rcls/video/encoder_check.hpp"

#include "ffmpeg_util.hpp"

extern "C" {
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

namespace rcls::video {
namespace fs = std::filesystem;

namespace {

/// MPEG-4 part 2 quantiser scale when none is given: visually transparent at small sizes.
constexpr int kDefaultMpeg4Quantiser = 4;

/// Each codec's name (as rcls spells it) and the FFmpeg encoder that writes it.
struct CodecNames {
    Codec codec;
    const char* name;
    const char* encoder;
};
constexpr std::array<CodecNames, 3> kCodecs = {{{Codec::kH264, "h264", "libx264"},
                                                {Codec::kAv1, "av1", "libsvtav1"},
                                                {Codec::kMpeg4, "mpeg4", "mpeg4"}}};

const CodecNames& names_of(Codec codec) {
    for (const CodecNames& names : kCodecs) {
        if (names.codec == codec) return names;
    }
    return kCodecs[0];
}

const char* encoder_name(Codec codec) {
    return names_of(codec).encoder;
}

/// A dictionary of encoder options, freed on scope exit.
struct Options {
    AVDictionary* dict = nullptr;
    ~Options() { av_dict_free(&dict); }
    void set(const char* key, const std::string& value) {
        av_dict_set(&dict, key, value.c_str(), 0);
    }
};

}  // namespace

std::string_view to_string(Codec codec) {
    return names_of(codec).name;
}

const std::vector<std::string>& codec_names() {
    static const std::vector<std::string> kNames = [] {
        std::vector<std::string> names;
        names.reserve(kCodecs.size());
        for (const CodecNames& codec : kCodecs) {
            names.emplace_back(codec.name);
        }
        return names;
    }();
    return kNames;
}

Codec parse_codec(std::string_view text) {
    for (const CodecNames& names : kCodecs) {
        if (text == names.name || text == names.encoder) return names.codec;
    }
    throw ConfigError("unknown video codec \"" + std::string(text) + "\"" +
                      did_you_mean(text, codec_names()) +
                      "; valid codecs: " + join(codec_names(), ", "));
}

namespace {

struct CodecLimits {
    int crf_min, crf_max;              ///< crf (mpeg4: the quantiser scale).
    int min_side, max_side;            ///< Frame width and height, in pixels.
    std::vector<std::string> presets;  ///< Empty: the encoder has no presets.
};

const CodecLimits& limits_of(Codec codec) {
    static const CodecLimits kH264{0,
                                   51,
                                   2,
                                   16384,
                                   {"ultrafast", "superfast", "veryfast", "faster", "fast",
                                    "medium", "slow", "slower", "veryslow", "placebo"}};
    static const CodecLimits kAv1{
        0,
        63,
        64,
        16384,
        {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13"}};
    static const CodecLimits kMpeg4{1, 31, 2, 8190, {}};
    switch (codec) {
        case Codec::kAv1:
            return kAv1;
        case Codec::kMpeg4:
            return kMpeg4;
        case Codec::kH264:
            break;
    }
    return kH264;
}

}  // namespace

void check_encoder_settings(const EncoderSettings& settings, std::optional<cv::Size> size) {
    const std::string codec(to_string(settings.codec));
    const CodecLimits& limits = limits_of(settings.codec);
    if (settings.crf && (*settings.crf < limits.crf_min || *settings.crf > limits.crf_max)) {
        throw ConfigError(
            "crf " + std::to_string(*settings.crf) + " is out of range for " + codec + " (" +
            std::to_string(limits.crf_min) + "-" + std::to_string(limits.crf_max) +
            (settings.codec == Codec::kMpeg4 ? ", the quantiser scale)" : ", lower is better)"));
    }
    constexpr int kMaxGop = 100000;
    if (settings.gop && (*settings.gop < 1 || *settings.gop > kMaxGop)) {
        throw ConfigError("gop " + std::to_string(*settings.gop) +
                          " is out of range: the keyframe interval is 1 to " +
                          std::to_string(kMaxGop) + " frames");
    }
    if (!settings.preset.empty()) {
        if (limits.presets.empty()) {
            throw ConfigError("preset \"" + settings.preset + "\": " + codec +
                              " has no presets; leave it out (or use --crf)");
        }
        if (std::find(limits.presets.begin(), limits.presets.end(), settings.preset) ==
            limits.presets.end()) {
            throw ConfigError("preset \"" + settings.preset + "\" is not a " + codec + " preset" +
                              did_you_mean(settings.preset, limits.presets) +
                              " (valid: " + join(limits.presets, ", ") + ")");
        }
    }
    if (size) {
        const auto side_ok = [&](int side) {
            return side >= limits.min_side && side <= limits.max_side;
        };
        if (!side_ok(size->width) || !side_ok(size->height)) {
            throw ConfigError("size " + std::to_string(size->width) + "x" +
                              std::to_string(size->height) + " is out of range for " + codec +
                              " (" + std::to_string(limits.min_side) + " to " +
                              std::to_string(limits.max_side) + " pixels a side)");
        }
        if (settings.pixel_format == "yuv420p" && (size->width % 2 != 0 || size->height % 2 != 0)) {
            throw ConfigError("size " + std::to_string(size->width) + "x" +
                              std::to_string(size->height) +
                              ": yuv420p video needs an even width and height");
        }
    }
}

EncoderSettings lerobot_encoder_settings() {
    EncoderSettings settings;
    settings.codec = Codec::kAv1;
    settings.crf = 30;
    settings.gop = 2;
    settings.preset = "12";  // LeRobot's VideoEncoderConfig at HEAD
    settings.pixel_format = "yuv420p";
    return settings;
}

struct VideoWriter::Impl {
    AtomicOutput output;
    int width;
    int height;
    image::ChannelOrder order;
    AVFormatContext* format = nullptr;
    AVStream* stream = nullptr;
    ffmpeg::CodecContextPtr encoder;
    ffmpeg::FramePtr frame = ffmpeg::make_frame();
    ffmpeg::PacketPtr packet = ffmpeg::make_packet();
    ffmpeg::SwsPtr sws;
    std::int64_t written = 0;
    bool header_written = false;
    bool finished = false;

    Impl(const fs::path& target, int w, int h, image::ChannelOrder o)
        : output(target), width(w), height(h), order(o) {}

    ~Impl() {
        if (format != nullptr) {
            if (format->pb != nullptr) avio_closep(&format->pb);
            avformat_free_context(format);
        }
        // `output` removes the temporary file unless finish() committed it.
    }

    [[noreturn]] void fail(const std::string& what) const {
        throw DataError(output.target().string() + ": " + what);
    }

    void open(double fps, const EncoderSettings& settings) {
        ffmpeg::route_log_to_spdlog();
        if (width <= 0 || height <= 0) fail("cannot write a video of size 0");
        if (!(fps > 0.0) || !std::isfinite(fps)) fail("frame rate must be positive");
        // The settings are configuration (ConfigError); the frames' size is the data's, so a size
        // the codec cannot take is a DataError naming the file.
        check_encoder_settings(settings, std::nullopt);
        try {
            check_encoder_settings(settings, cv::Size(width, height));
        } catch (const ConfigError& e) {
            fail(e.what());
        }
        const AVPixelFormat pix_fmt = av_get_pix_fmt(settings.pixel_format.c_str());
        if (pix_fmt == AV_PIX_FMT_NONE) {
            fail("unknown pixel format \"" + settings.pixel_format + "\"");
        }
        const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(pix_fmt);
        if ((width % (1 << desc->log2_chroma_w)) != 0 ||
            (height % (1 << desc->log2_chroma_h)) != 0) {
            fail(settings.pixel_format + " needs a width and height divisible by " +
                 std::to_string(1 << desc->log2_chroma_w) + " (got " + std::to_string(width) + "x" +
                 std::to_string(height) + "); choose an even size");
        }
        const char* name = encoder_name(settings.codec);
        const AVCodec* codec = avcodec_find_encoder_by_name(name);
        if (codec == nullptr) fail(std::string("this FFmpeg build has no ") + name + " encoder");

        const std::string temp = output.temp_path().string();
        int code = avformat_alloc_output_context2(&format, nullptr, nullptr, temp.c_str());
        if (code < 0 || format == nullptr) {
            format = nullptr;
            fail("no container format for the extension \"" + output.target().extension().string() +
                 "\" (" + ffmpeg::error_text(code) + "); use .mp4 or .mkv");
        }
        stream = avformat_new_stream(format, nullptr);
        if (stream == nullptr) throw std::bad_alloc();

        encoder.reset(avcodec_alloc_context3(codec));
        if (!encoder) throw std::bad_alloc();
        const AVRational rate = av_d2q(fps, 1001000);
        encoder->width = width;
        encoder->height = height;
        encoder->pix_fmt = pix_fmt;
        encoder->time_base = av_inv_q(rate);
        encoder->framerate = rate;
        encoder->thread_count = std::max(0, settings.threads);
        if (settings.gop) encoder->gop_size = *settings.gop;
        if (format->oformat->flags & AVFMT_GLOBALHEADER) {
            encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        }

        Options options;
        if (settings.codec == Codec::kMpeg4) {
            encoder->flags |= AV_CODEC_FLAG_QSCALE;
            encoder->global_quality = FF_QP2LAMBDA * settings.crf.value_or(kDefaultMpeg4Quantiser);
        } else if (settings.crf) {
            options.set("crf", std::to_string(*settings.crf));
        }
        if (!settings.preset.empty()) options.set("preset", settings.preset);
        code = avcodec_open2(encoder.get(), codec, &options.dict);
        if (code < 0) {
            fail(std::string("cannot open the ") + name + " encoder (" + ffmpeg::error_text(code) +
                 ")");
        }
        if (const AVDictionaryEntry* unused =
                av_dict_get(options.dict, "", nullptr, AV_DICT_IGNORE_SUFFIX)) {
            fail(std::string(name) + " does not accept the option \"" + unused->key + "\"");
        }
        code = avcodec_parameters_from_context(stream->codecpar, encoder.get());
        if (code < 0) fail("cannot set stream parameters (" + ffmpeg::error_text(code) + ")");
        stream->time_base = encoder->time_base;
        stream->avg_frame_rate = rate;

        code = avio_open(&format->pb, temp.c_str(), AVIO_FLAG_WRITE);
        if (code < 0) fail("cannot create " + temp + " (" + ffmpeg::error_text(code) + ")");
        code = avformat_write_header(format, nullptr);
        if (code < 0) fail("cannot write the container header (" + ffmpeg::error_text(code) + ")");
        header_written = true;

        frame->format = pix_fmt;
        frame->width = width;
        frame->height = height;
        code = av_frame_get_buffer(frame.get(), 0);
        if (code < 0) throw std::bad_alloc();
        sws.reset(sws_getContext(
            width, height, order == image::ChannelOrder::kRgb ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_BGR24,
            width, height, pix_fmt, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP, nullptr,
            nullptr, nullptr));
        if (!sws) fail("cannot convert RGB to " + settings.pixel_format);
        spdlog::debug("{}: writing {}x{} {} {} at {:.3f} fps", output.target().string(), width,
                      height, name, settings.pixel_format, fps);
    }

    /// Sends `input` (nullptr: flush) and writes every packet the encoder has ready.
    void encode(AVFrame* input) {
        int code = avcodec_send_frame(encoder.get(), input);
        if (code < 0) {
            fail("frame " + std::to_string(written) + ": cannot encode (" +
                 ffmpeg::error_text(code) + ")");
        }
        while (true) {
            code = avcodec_receive_packet(encoder.get(), packet.get());
            if (code == AVERROR(EAGAIN) || code == AVERROR_EOF) return;
            if (code < 0) fail("cannot encode (" + ffmpeg::error_text(code) + ")");
            av_packet_rescale_ts(packet.get(), encoder->time_base, stream->time_base);
            packet->stream_index = stream->index;
            code = av_interleaved_write_frame(format, packet.get());
            if (code < 0) {
                fail("cannot write (" + ffmpeg::error_text(code) + "); is the disk full?");
            }
        }
    }

    void write(const cv::Mat& image) {
        if (finished) fail("write after finish()");
        if (image.type() != CV_8UC3 || image.cols != width || image.rows != height) {
            fail("frame " + std::to_string(written) + ": expected an 8-bit 3-channel " +
                 std::to_string(width) + "x" + std::to_string(height) + " image, got " +
                 std::to_string(image.cols) + "x" + std::to_string(image.rows) + " with " +
                 std::to_string(image.channels()) + " channel(s)");
        }
        int code = av_frame_make_writable(frame.get());
        if (code < 0) throw std::bad_alloc();
        const std::array<const std::uint8_t*, 4> src{image.data, nullptr, nullptr, nullptr};
        const std::array<int, 4> src_stride{static_cast<int>(image.step), 0, 0, 0};
        sws_scale(sws.get(), src.data(), src_stride.data(), 0, height, frame->data,
                  frame->linesize);
        frame->pts = written;
        encode(frame.get());
        ++written;
    }

    void write_yuv420(const image::Yuv420Planes& planes) {
        if (finished) fail("write after finish()");
        if (encoder->pix_fmt != AV_PIX_FMT_YUV420P) {
            fail("YUV 4:2:0 frames need the pixel format yuv420p");
        }
        const cv::Size luma(width, height);
        const cv::Size chroma((width + 1) / 2, (height + 1) / 2);
        const auto check = [&](const cv::Mat& plane, cv::Size size, const char* name) {
            if (plane.type() != CV_8UC1 || plane.size() != size) {
                fail("frame " + std::to_string(written) + ": plane " + name + " must be 8-bit " +
                     std::to_string(size.width) + "x" + std::to_string(size.height));
            }
        };
        check(planes.y, luma, "y");
        check(planes.u, chroma, "u");
        check(planes.v, chroma, "v");
        if (av_frame_make_writable(frame.get()) < 0) throw std::bad_alloc();
        const std::array<const cv::Mat*, 3> sources{&planes.y, &planes.u, &planes.v};
        for (int i = 0; i < 3; ++i) {
            const cv::Mat& plane = *sources[static_cast<std::size_t>(i)];
            for (int row = 0; row < plane.rows; ++row) {
                std::memcpy(frame->data[i] + static_cast<std::ptrdiff_t>(row) * frame->linesize[i],
                            plane.ptr(row), static_cast<std::size_t>(plane.cols));
            }
        }
        frame->pts = written;
        encode(frame.get());
        ++written;
    }

    void finish() {
        if (finished) return;
        encode(nullptr);
        const int code = av_write_trailer(format);
        if (code < 0) fail("cannot finish the file (" + ffmpeg::error_text(code) + ")");
        avio_closep(&format->pb);
        finished = true;
        output.commit();
    }
};

VideoWriter::VideoWriter(const fs::path& target,
                         int width,
                         int height,
                         double fps,
                         image::ChannelOrder order,
                         const EncoderSettings& settings)
    : impl_(std::make_unique<Impl>(target, width, height, order)) {
    impl_->open(fps, settings);
}

VideoWriter::~VideoWriter() = default;
VideoWriter::VideoWriter(VideoWriter&&) noexcept = default;
VideoWriter& VideoWriter::operator=(VideoWriter&&) noexcept = default;

void VideoWriter::write(const cv::Mat& frame) {
    impl_->write(frame);
}
void VideoWriter::write_yuv420(const image::Yuv420Planes& planes) {
    impl_->write_yuv420(planes);
}
void VideoWriter::finish() {
    impl_->finish();
}
std::int64_t VideoWriter::frames_written() const {
    return impl_->written;
}
const fs::path& VideoWriter::target() const {
    return impl_->output.target();
}

}  // namespace rcls::video
