// SPDX-License-Identifier: MIT
//
// librcls_videoio: V4L2 devices and URLs through OpenCV's videoio. A plugin the camera module
// loads on first use (videoio_loader.cpp): videoio brings OpenCV's image codecs and their ~90
// shared libraries, whose loading would cost every rcls command about 100 ms of start-up.
#include <cmath>

#include <opencv2/videoio.hpp>

#include "rcls/core/error.hpp"

#include "sources.hpp"

namespace rcls::camera::detail {
namespace {

std::string fourcc_of(double value) {
    const auto code = static_cast<std::uint32_t>(value);
    std::string s(4, ' ');
    for (int i = 0; i < 4; ++i)
        s[i] = static_cast<char>((code >> (8 * i)) & 0xFF);
    return s;
}

class VideoioSource final : public FrameSource {
public:
    explicit VideoioSource(const VideoioRequest& request)
        : name_(request.index >= 0 ? "/dev/video" + std::to_string(request.index) : request.path) {
        const int api = request.v4l2 ? cv::CAP_V4L2 : cv::CAP_FFMPEG;
        const bool opened = request.index >= 0 ? capture_.open(request.index, api)
                                               : capture_.open(request.path, api);
        if (!opened || !capture_.isOpened()) {
            throw DeviceError("camera " + name_ + ": cannot open it; " + what_to_check());
        }
        if (!request.v4l2) {
            fps_ = capture_.get(cv::CAP_PROP_FPS) > 0 ? capture_.get(cv::CAP_PROP_FPS) : 30.0;
            return;
        }
        // As LeRobot's OpenCVCamera: the pixel format first, then size and rate; then read back.
        if (!request.fourcc.empty()) {
            const auto& f = request.fourcc;
            capture_.set(cv::CAP_PROP_FOURCC, cv::VideoWriter::fourcc(f[0], f[1], f[2], f[3]));
        }
        capture_.set(cv::CAP_PROP_FRAME_WIDTH, request.width);
        capture_.set(cv::CAP_PROP_FRAME_HEIGHT, request.height);
        capture_.set(cv::CAP_PROP_FPS, request.fps);
        const int width = static_cast<int>(std::lround(capture_.get(cv::CAP_PROP_FRAME_WIDTH)));
        const int height = static_cast<int>(std::lround(capture_.get(cv::CAP_PROP_FRAME_HEIGHT)));
        fps_ = capture_.get(cv::CAP_PROP_FPS);
        const std::string fourcc = fourcc_of(capture_.get(cv::CAP_PROP_FOURCC));
        const bool fourcc_ok = request.fourcc.empty() || fourcc == request.fourcc;
        if (width != request.width || height != request.height ||
            std::abs(fps_ - request.fps) > 0.5 || !fourcc_ok) {
            throw DeviceError("camera " + name_ + ": refused the mode " +
                              std::to_string(request.width) + "x" + std::to_string(request.height) +
                              " @ " + std::to_string(request.fps) + " fps" +
                              (request.fourcc.empty() ? "" : " " + request.fourcc) + " (it gives " +
                              std::to_string(width) + "x" + std::to_string(height) + " @ " +
                              std::to_string(std::lround(fps_)) + " fps " + fourcc + ")");
        }
    }

    bool grab(cv::Mat& image, image::ChannelOrder& order) override {
        if (!capture_.read(image) || image.empty()) {
            throw DeviceError("camera " + name_ + ": reading a frame failed; " + what_to_check());
        }
        order = image::ChannelOrder::kBgr;
        return true;
    }

    std::string describe() const override { return name_; }
    std::string what_to_check() const override {
        return "check that it is plugged in, that no other program uses it, and that you may read "
               "it (the video group)";
    }
    double fps() const override { return fps_ > 0 ? fps_ : 30.0; }

private:
    std::string name_;
    cv::VideoCapture capture_;
    double fps_ = 30.0;
};

}  // namespace
}  // namespace rcls::camera::detail

extern "C" __attribute__((visibility("default"))) rcls::camera::FrameSource*
rcls_camera_create_videoio_source(const rcls::camera::detail::VideoioRequest& request) {
    return new rcls::camera::detail::VideoioSource(request);
}
