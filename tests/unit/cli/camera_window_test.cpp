// SPDX-License-Identifier: MIT
//
// `display_cameras`: the camera window's handoff never makes the recording loop wait, whatever
// the window does, and without a display there is no window and a reason says why.
#include "camera_window.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

namespace rcls::cli {
namespace {

using namespace std::chrono_literals;

TEST(CameraWindow, PostNeverWaitsForAStuckWindowAndTheNewestImagesWin) {
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<int> calls{0};
    std::atomic<int> last_value{-1};
    {
        CameraWindow window({"front"}, [&](const std::vector<std::string>& names,
                                           const std::vector<cv::Mat>& images) {
            ASSERT_EQ(names.size(), 1u);
            ASSERT_EQ(images.size(), 1u);
            last_value = images[0].at<cv::Vec3b>(0, 0)[0];
            if (calls++ == 0) released.wait();  // the first draw hangs (a stuck window)
        });
        double worst_ms = 0;
        for (int i = 0; i < 200; ++i) {
            const std::vector<cv::Mat> images = {cv::Mat(48, 64, CV_8UC3, cv::Scalar(i, 0, 0))};
            const auto t0 = std::chrono::steady_clock::now();
            window.post(images);
            worst_ms = std::max(worst_ms, std::chrono::duration<double, std::milli>(
                                              std::chrono::steady_clock::now() - t0)
                                              .count());
            if (i == 0) std::this_thread::sleep_for(20ms);  // the display thread takes it
        }
        EXPECT_LT(worst_ms, 5.0) << "post() waited for the window";
        EXPECT_EQ(window.shown(), 0);  // still stuck in the first draw
        EXPECT_GE(window.replaced(), 190);
        release.set_value();
        for (int i = 0; i < 200 && window.shown() < 2; ++i)
            std::this_thread::sleep_for(5ms);
        EXPECT_EQ(window.shown(), 2);  // the first images, then only the newest
    }
    EXPECT_EQ(last_value.load(), 199);
}

TEST(CameraWindow, NoDisplayMeansNoWindowAndSaysWhy) {
    const char* display = std::getenv("DISPLAY");
    const char* wayland = std::getenv("WAYLAND_DISPLAY");
    const std::string saved_display = display ? display : "";
    const std::string saved_wayland = wayland ? wayland : "";
    ::unsetenv("DISPLAY");
    ::unsetenv("WAYLAND_DISPLAY");
    const std::optional<std::string> reason = CameraWindow::unavailable_reason();
    ASSERT_TRUE(reason.has_value());
    EXPECT_NE(reason->find("DISPLAY"), std::string::npos);
    ::setenv("WAYLAND_DISPLAY", "wayland-0", 1);
    ASSERT_TRUE(CameraWindow::unavailable_reason().has_value());
    EXPECT_NE(CameraWindow::unavailable_reason()->find("X11"), std::string::npos);
    ::unsetenv("WAYLAND_DISPLAY");
    // A display nobody serves (a stale `ssh -X` session): no window rather than OpenCV's abort.
    ::setenv("DISPLAY", ":731", 1);
    ASSERT_TRUE(CameraWindow::unavailable_reason().has_value());
    EXPECT_NE(CameraWindow::unavailable_reason()->find("no X server answers at DISPLAY=:731"),
              std::string::npos);
    ::unsetenv("DISPLAY");
    if (display) ::setenv("DISPLAY", saved_display.c_str(), 1);
    if (wayland) ::setenv("WAYLAND_DISPLAY", saved_wayland.c_str(), 1);
}

}  // namespace
}  // namespace rcls::cli
