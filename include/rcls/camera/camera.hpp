// SPDX-License-Identifier: MIT
//
// Cameras: one small interface for every kind (a V4L2/USB camera through OpenCV's videoio, a
// video file or stream standing in for one, the simulated scene), chosen by the config's `type`
// and `index_or_path` (LeRobot's OpenCVCameraConfig fields).
//
//     auto camera = camera::open_camera("front", config.robot.cameras.at("front"), steady_clock());
//     camera->start();                          // opens, warms up (warmup_s), first frame
//     camera::Frame f = camera->latest();       // the newest frame; waits at most one period
//
// A camera captures in a thread of its own with latest-frame semantics: latest() returns the
// newest frame, waiting at most one frame period for one newer than the last it returned. A
// newest frame older than max_age_s, no frame for no_frame_timeout_s, a read error or the end of a
// non-looping file is a DeviceError (exit 4) naming the camera and what to check. On a simulated
// clock that does not wait in real time (VirtualClock) there is no thread: latest() captures the
// frame of the current time in the caller's thread. A clock whose sleeps are real waits
// (steady_clock, record's ScaledClock: Clock::sleeps_in_real_time()) gets the capture thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <opencv2/core/mat.hpp>

#include "rcls/config/camera_config.hpp"
#include "rcls/core/clock.hpp"
#include "rcls/image/channel_order.hpp"

namespace rcls::sim {
struct SceneSnapshot;
struct Appearance;
}  // namespace rcls::sim

namespace rcls::camera {

/// One captured frame.
struct Frame {
    cv::Mat image;  ///< 8-bit, 3 channels, in `order`, after rotation.
    image::ChannelOrder order = image::ChannelOrder::kRgb;
    Clock::time_point captured{};  ///< When it was captured (the camera's clock).
    std::uint64_t sequence = 0;    ///< 1, 2, ... in capture order (after warm-up).
};

/// Where frames come from. grab() waits for the source's next frame: a device delivers at its
/// rate; files and the scene pace themselves on the clock they were given (on a simulated clock,
/// they return the frame of the current time at once).
class FrameSource {
public:
    virtual ~FrameSource() = default;
    /// The next frame's image and channel order; false when the source has ended. Throws
    /// DeviceError when the device fails.
    virtual bool grab(cv::Mat& image, image::ChannelOrder& order) = 0;
    /// What it is, for messages: "/dev/video0", "video file demo.mp4", "simulated scene".
    virtual std::string describe() const = 0;
    /// What a user should check when it stops delivering.
    virtual std::string what_to_check() const = 0;
    /// Its frame rate.
    virtual double fps() const = 0;
};

/// How a Camera treats its source's frames.
struct CameraOptions {
    std::string name = "camera";  ///< Its key in the config, e.g. "front".
    int rotation = 0;             ///< Clockwise: 0, 90, 180, 270 (or -90).
    double warmup_s = 0.0;        ///< Frames of the first seconds are dropped.
    image::ChannelOrder order = image::ChannelOrder::kRgb;  ///< Order handed out.
    double max_age_s = 0.5;           ///< A newest frame older than this is a device error.
    double no_frame_timeout_s = 1.0;  ///< No frame at all for this long: a device error.
};

/// What a camera did so far.
struct CameraStats {
    std::uint64_t captured = 0;   ///< Frames published (after warm-up).
    std::uint64_t delivered = 0;  ///< Frames latest() returned (each counted once).
    std::uint64_t dropped = 0;    ///< Frames replaced by a newer one before any reader saw them.
};

/// A camera with latest-frame semantics. Thread-safe.
class Camera {
public:
    Camera(std::unique_ptr<FrameSource> source, CameraOptions options, Clock& clock);
    ~Camera();
    Camera(const Camera&) = delete;
    Camera& operator=(const Camera&) = delete;

    /// Starts capturing and warms up: returns once the first frame after warm-up is there.
    /// Throws DeviceError when none comes within warmup_s + no_frame_timeout_s.
    void start();

    /// The newest frame (see the file comment). Throws DeviceError.
    Frame latest();

    /// The newest frame now, without waiting for one newer than the last returned (the
    /// recording loop's read: the control step never waits for a camera; a frame it already had
    /// comes back with the same sequence, a stale frame). On a simulated clock, as latest().
    /// Throws DeviceError as latest() does.
    Frame newest();

    /// Stops the capture thread. Idempotent.
    void stop();

    const CameraOptions& options() const { return options_; }
    /// "camera front (/dev/video0)".
    std::string label() const;
    double fps() const { return source_->fps(); }
    CameraStats stats() const;

private:
    void capture_loop();
    Frame capture_now();
    Frame read(bool wait_for_new);
    void finish(cv::Mat& image, image::ChannelOrder order) const;

    std::unique_ptr<FrameSource> source_;
    CameraOptions options_;
    Clock& clock_;
    mutable std::mutex mutex_;
    std::condition_variable new_frame_;
    std::thread thread_;
    std::atomic<bool> running_{false};
    Frame latest_;
    bool have_frame_ = false;
    std::uint64_t last_delivered_ = 0;
    std::string error_;  ///< Set by the capture thread when the source failed or ended.
    CameraStats stats_;
    Clock::time_point started_{};
    Clock::time_point last_capture_{};
};

/// What the simulated camera shows: a function giving the scene of the current instant and its
/// looks. Without one (the default), a sim camera runs a reach-and-grasp world of its own,
/// seeded by the config's `seed`, on the camera's clock.
struct SimSceneSource {
    std::function<sim::SceneSnapshot()> scene;
    std::function<sim::Appearance()> appearance;
};

/// Opens camera `name` as `config` says: type "sim" renders the simulated scene; type "opencv"
/// opens a V4L2 device (an index or /dev/videoN) through OpenCV's videoio, a video file through
/// FFmpeg (looping or ending as `loop` says, paced at the file's rate), or a URL through OpenCV's
/// FFmpeg backend. Throws DeviceError (ConfigError for an unusable config value).
std::unique_ptr<Camera> open_camera(const std::string& name,
                                    const config::CameraConfig& config,
                                    Clock& clock,
                                    const SimSceneSource& sim = {});

}  // namespace rcls::camera
