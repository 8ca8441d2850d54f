// SPDX-License-Identifier: MIT
//
// `display_cameras: true` while recording (issue 12): the recorder hands each recorded frame's
// images (RecordOptions::on_images) to a CameraWindow, which shows them on a display thread of its
// own. The control loop never waits for the window: post() only tries the lock the display thread
// takes for moments and swaps in the newest images (the ones still waiting are replaced, counted
// in replaced()); a slow or stuck window drops frames, never steps.
//
// The window is OpenCV's highgui, in the librcls_highgui plugin (camera_window_plugin.cpp) loaded
// on first use like the videoio one, so that rcls does not load GTK at every start. Without a
// display (no DISPLAY or WAYLAND_DISPLAY) there is no window: unavailable_reason() says why, and
// `rcls record` logs it on one line and records on.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core/mat.hpp>

namespace rcls::cli {

class CameraWindow {
public:
    /// Draws one set of images (RGB, one per camera, in `names` order). Runs on the display
    /// thread only.
    using Show =
        std::function<void(const std::vector<std::string>& names, const std::vector<cv::Mat>&)>;

    /// Starts the display thread; `show` draws (highgui_show() for the real window); `close`,
    /// when given, runs on the display thread when it ends (highgui_close()).
    CameraWindow(std::vector<std::string> names, Show show, std::function<void()> close = {});
    /// Stops the display thread (after the images being drawn).
    ~CameraWindow();
    CameraWindow(const CameraWindow&) = delete;
    CameraWindow& operator=(const CameraWindow&) = delete;

    /// Hands over the newest images (cv::Mat handles: the pixels are shared, not copied; they
    /// must not be written afterwards). Never waits: when the display thread holds the lock at
    /// that moment, these images are skipped. Callable from one thread at a time.
    void post(const std::vector<cv::Mat>& images_rgb) noexcept;

    /// Image sets drawn so far, and those replaced or skipped before being drawn.
    std::int64_t shown() const;
    std::int64_t replaced() const;

    /// Why no window can be shown on this machine ("no display: neither DISPLAY nor
    /// WAYLAND_DISPLAY is set", "no X server answers at DISPLAY=localhost:10.0"), or nullopt
    /// when an X server accepts a connection at DISPLAY (OpenCV's Qt window aborts the process
    /// on a display it cannot open, so this is checked first).
    static std::optional<std::string> unavailable_reason();

    /// The real window: OpenCV's highgui through the librcls_highgui plugin (loaded now). Throws
    /// DeviceError when the plugin cannot be loaded.
    static Show highgui_show();
    /// Closes the real window's windows (on the display thread that drew them).
    static std::function<void()> highgui_close();

private:
    void run();

    std::vector<std::string> names_;
    Show show_;
    std::function<void()> close_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<cv::Mat> waiting_;
    bool have_waiting_ = false;
    bool stop_ = false;
    std::int64_t shown_ = 0;
    std::int64_t replaced_ = 0;
    std::thread thread_;
};

}  // namespace rcls::cli
