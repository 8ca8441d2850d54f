// SPDX-License-Identifier: MIT
#include "rcls/camera/camera.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <opencv2/core.hpp>

#include "rcls/core/error.hpp"

namespace rcls::camera {
namespace {

std::string seconds_text(double s) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.2f s", s);
    return buffer;
}

}  // namespace

Camera::Camera(std::unique_ptr<FrameSource> source, CameraOptions options, Clock& clock)
    : source_(std::move(source)), options_(std::move(options)), clock_(clock) {
    if (options_.rotation == -90) options_.rotation = 270;
    if (options_.rotation != 0 && options_.rotation != 90 && options_.rotation != 180 &&
        options_.rotation != 270) {
        throw ConfigError(label() + ": rotation must be 0, 90, 180 or 270 (or -90), not " +
                          std::to_string(options_.rotation));
    }
}

Camera::~Camera() {
    stop();
}

std::string Camera::label() const {
    return "camera " + options_.name + " (" + source_->describe() + ")";
}

void Camera::finish(cv::Mat& image, image::ChannelOrder order) const {
    if (image.empty() || image.type() != CV_8UC3) {
        throw DeviceError(label() + ": delivered an empty or non-colour frame; " +
                          source_->what_to_check());
    }
    if (order != options_.order) {
        // Swap red and blue with core's mixChannels (image::convert_channel_order uses imgproc,
        // which the rcls binary does not load otherwise).
        cv::Mat swapped(image.size(), image.type());
        const int from_to[] = {0, 2, 1, 1, 2, 0};
        cv::mixChannels(&image, 1, &swapped, 1, from_to, 3);
        image = swapped;
    }
    if (options_.rotation != 0) {
        cv::Mat rotated;
        const int code = options_.rotation == 90    ? cv::ROTATE_90_CLOCKWISE
                         : options_.rotation == 180 ? cv::ROTATE_180
                                                    : cv::ROTATE_90_COUNTERCLOCKWISE;
        cv::rotate(image, rotated, code);
        image = rotated;
    }
}

Frame Camera::capture_now() {
    cv::Mat image;
    image::ChannelOrder order = image::ChannelOrder::kRgb;
    if (!source_->grab(image, order)) {
        throw DeviceError(label() +
                          ": no more frames (the video ended); set \"loop\": true to "
                          "play it again");
    }
    finish(image, order);
    Frame f;
    f.image = image;
    f.order = options_.order;
    f.captured = clock_.now();
    std::lock_guard lock(mutex_);
    f.sequence = ++stats_.captured;
    return f;
}

void Camera::start() {
    if (running_) return;
    started_ = clock_.now();
    if (!clock_.sleeps_in_real_time()) {
        // Simulated time: frames are captured on demand in latest(); nothing to warm up.
        running_ = true;
        return;
    }
    running_ = true;
    thread_ = std::thread([this] { capture_loop(); });
    const auto limit =
        std::chrono::duration<double>(options_.warmup_s + options_.no_frame_timeout_s);
    std::unique_lock lock(mutex_);
    new_frame_.wait_for(lock, limit, [this] { return have_frame_ || !error_.empty(); });
    if (!error_.empty()) {
        const std::string message = error_;
        lock.unlock();
        stop();
        throw DeviceError(message);
    }
    if (!have_frame_) {
        lock.unlock();
        stop();
        throw DeviceError(label() + ": no frame within " +
                          seconds_text(options_.warmup_s + options_.no_frame_timeout_s) +
                          " of opening; " + source_->what_to_check());
    }
}

void Camera::capture_loop() {
    const auto warm_until = started_ + seconds_to_duration(options_.warmup_s);
    while (running_) {
        cv::Mat image;
        image::ChannelOrder order = image::ChannelOrder::kRgb;
        try {
            if (!source_->grab(image, order)) {
                std::lock_guard lock(mutex_);
                error_ = label() +
                         ": no more frames (the video ended); set \"loop\": true to "
                         "play it again";
                new_frame_.notify_all();
                return;
            }
            finish(image, order);
        } catch (const std::exception& error) {
            std::lock_guard lock(mutex_);
            error_ = error.what();
            new_frame_.notify_all();
            return;
        }
        const auto now = clock_.now();
        if (now < warm_until) continue;  // warm-up: auto-exposure and white balance settle
        std::lock_guard lock(mutex_);
        if (have_frame_ && latest_.sequence != last_delivered_) ++stats_.dropped;
        latest_.image = image;
        latest_.order = options_.order;
        latest_.captured = now;
        latest_.sequence = ++stats_.captured;
        have_frame_ = true;
        new_frame_.notify_all();
    }
}

Frame Camera::latest() {
    return read(true);
}

Frame Camera::newest() {
    return read(false);
}

Frame Camera::read(bool wait_for_new) {
    if (!running_) start();
    if (!clock_.sleeps_in_real_time()) {
        Frame f = capture_now();
        std::lock_guard lock(mutex_);
        last_delivered_ = f.sequence;
        ++stats_.delivered;
        return f;
    }
    const double period = 1.0 / std::max(1e-3, source_->fps());
    std::unique_lock lock(mutex_);
    const auto ready = [this] {
        return (have_frame_ && latest_.sequence != last_delivered_) || !error_.empty();
    };
    if (wait_for_new) {
        new_frame_.wait_for(lock, std::chrono::duration<double>(period), ready);
    } else if (!have_frame_ && error_.empty()) {
        // Only before the first frame (start() normally waited for it): at most one period.
        new_frame_.wait_for(lock, std::chrono::duration<double>(period),
                            [this] { return have_frame_ || !error_.empty(); });
    }
    if (!error_.empty()) throw DeviceError(error_);
    const auto now = clock_.now();
    if (!have_frame_) {
        throw DeviceError(label() + ": no frame for " +
                          seconds_text(seconds_between(started_, now)) + "; " +
                          source_->what_to_check());
    }
    const double age = seconds_between(latest_.captured, now);
    const double limit = options_.max_age_s;
    if (age > limit) {
        throw DeviceError(label() + ": the newest frame is " + seconds_text(age) + " old (limit " +
                          seconds_text(limit) + "); " + source_->what_to_check());
    }
    if (latest_.sequence != last_delivered_) ++stats_.delivered;
    last_delivered_ = latest_.sequence;
    return latest_;
}

void Camera::stop() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
}

CameraStats Camera::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

}  // namespace rcls::camera
