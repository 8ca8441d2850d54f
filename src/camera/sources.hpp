// SPDX-License-Identifier: MIT
//
// The frame sources behind open_camera() (private to the camera module).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "rcls/camera/camera.hpp"

namespace rcls::camera::detail {

/// The simulated scene, rendered at the config's size and rate.
std::unique_ptr<FrameSource> make_sim_source(const config::CameraConfig& config,
                                             Clock& clock,
                                             const SimSceneSource& scene);

/// A video file through FFmpeg, paced at its frame rate.
std::unique_ptr<FrameSource> make_video_file_source(const std::filesystem::path& path,
                                                    bool loop,
                                                    Clock& clock);

/// What the videoio plugin is asked to open.
struct VideoioRequest {
    int index = -1;    ///< >= 0: a V4L2 device by index.
    std::string path;  ///< Otherwise a device path or a URL.
    bool v4l2 = true;  ///< V4L2 backend (devices); false: FFmpeg backend (URLs).
    int width = 640;
    int height = 480;
    int fps = 30;
    std::string fourcc;  ///< Empty: the device's default.
};

/// OpenCV's videoio (librcls_videoio.so, loaded on first use so that the rcls binary does not
/// pay for OpenCV's video and image codecs at every start).
std::unique_ptr<FrameSource> make_videoio_source(const VideoioRequest& request);

/// The plugin's entry point.
using CreateVideoioSource = FrameSource* (*)(const VideoioRequest& request);
inline constexpr const char* kCreateVideoioSymbol = "rcls_camera_create_videoio_source";

}  // namespace rcls::camera::detail
