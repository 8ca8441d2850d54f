// SPDX-License-Identifier: MIT
//
// The C interface of librcls_highgui (camera_window_plugin.cpp), loaded by camera_window.cpp.
#pragma once

#include <cstddef>

namespace cv {
class Mat;
}

namespace rcls::cli {

inline constexpr const char* kHighguiPlugin = "librcls_highgui.so";
inline constexpr const char* kShowImageSymbol = "rcls_highgui_show_image";
inline constexpr const char* kCloseSymbol = "rcls_highgui_close";

/// Shows `rgb` (CV_8UC3, RGB) in the window titled `title`; with `pump` != 0 also lets the
/// window system draw (cv::waitKey(1)). 0 on success, else a message in `error`.
using ShowImageFn =
    int (*)(const char* title, const cv::Mat* rgb, int pump, char* error, std::size_t error_size);

/// Closes every window; call it on the thread that showed them.
using CloseWindowsFn = void (*)();

}  // namespace rcls::cli
