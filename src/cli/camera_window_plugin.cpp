// SPDX-License-Identifier: MIT
//
// librcls_highgui: OpenCV's highgui window behind a C function (camera_window_plugin.hpp), so
// that only `display_cameras: true` loads GTK.
#include "camera_window_plugin.hpp"

#include <cstdio>
#include <exception>

#include <opencv2/highgui.hpp>
#include <opencv2/imgproc.hpp>

extern "C" __attribute__((visibility("default"))) int rcls_highgui_show_image(
    const char* title, const cv::Mat* rgb, int pump, char* error, std::size_t error_size) {
    try {
        cv::Mat bgr;
        cv::cvtColor(*rgb, bgr, cv::COLOR_RGB2BGR);
        cv::imshow(title, bgr);
        if (pump != 0) cv::waitKey(1);
        return 0;
    } catch (const std::exception& e) {
        std::snprintf(error, error_size, "%s", e.what());
        return 1;
    }
}

extern "C" __attribute__((visibility("default"))) void rcls_highgui_close() {
    try {
        cv::destroyAllWindows();
        cv::waitKey(1);
    } catch (const std::exception&) {
        // nothing left to close
    }
}
