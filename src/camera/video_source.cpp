// SPDX-License-Identifier: MIT
#include <optional>

#include "rcls/core/error.hpp"
#include "rcls/video/video_reader.hpp"

#include "sources.hpp"

namespace rcls::camera::detail {
namespace {

class VideoFileSource final : public FrameSource {
public:
    VideoFileSource(const std::filesystem::path& path, bool loop, Clock& clock)
        : path_(path), loop_(loop), clock_(clock) {
        try {
            reader_.emplace(path, video::ReaderOptions{.order = image::ChannelOrder::kRgb});
        } catch (const Error& error) {
            throw DeviceError(std::string("camera video file: ") + error.what());
        }
        fps_ = reader_->info().fps > 0 ? reader_->info().fps : 30.0;
        next_ = clock_.now();
    }

    bool grab(cv::Mat& image, image::ChannelOrder& order) override {
        if (clock_.sleeps_in_real_time()) {
            const auto now = clock_.now();
            if (next_ < now - seconds_to_duration(1.0 / fps_)) next_ = now;
            clock_.sleep_until(next_);
            next_ += seconds_to_duration(1.0 / fps_);
        }
        video::Frame frame;
        bool ok = false;
        try {
            ok = reader_->read(frame);
            if (!ok && loop_ && frames_read_ > 0) {
                reader_->seek(reader_->info().start_time_s);
                frames_read_ = 0;
                ok = reader_->read(frame);
            }
        } catch (const Error& error) {
            throw DeviceError(std::string("camera video file: ") + error.what());
        }
        if (!ok) return false;
        ++frames_read_;
        image = frame.image.clone();
        order = image::ChannelOrder::kRgb;
        return true;
    }

    std::string describe() const override { return "video file " + path_.string(); }
    std::string what_to_check() const override {
        return "check that " + path_.string() + " is a complete video FFmpeg can read";
    }
    double fps() const override { return fps_; }

private:
    std::filesystem::path path_;
    bool loop_;
    Clock& clock_;
    std::optional<video::VideoReader> reader_;
    double fps_ = 30.0;
    Clock::time_point next_;
    std::int64_t frames_read_ = 0;
};

}  // namespace

std::unique_ptr<FrameSource> make_video_file_source(const std::filesystem::path& path,
                                                    bool loop,
                                                    Clock& clock) {
    return std::make_unique<VideoFileSource>(path, loop, clock);
}

}  // namespace rcls::camera::detail
