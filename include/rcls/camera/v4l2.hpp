// SPDX-License-Identifier: MIT
//
// What the V4L2 video devices of this machine offer (like lerobot-find-cameras): every
// /dev/video* node with its driver, card name, and capture modes (pixel format, size, rates),
// read with the V4L2 ioctls directly (no OpenCV).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace rcls::camera {

/// One capture mode.
struct VideoMode {
    std::string fourcc;  ///< "MJPG", "YUYV", ...
    int width = 0;
    int height = 0;
    std::vector<double> fps;  ///< Discrete rates offered (empty: unknown or stepwise).
};

/// One /dev/video* node.
struct VideoDevice {
    std::string path;  ///< "/dev/video0".
    int index = -1;    ///< 0 for /dev/video0.
    std::string card;  ///< "HD USB Camera".
    std::string driver;
    std::string bus;
    bool capture = false;  ///< Offers video capture (metadata nodes do not).
    std::string error;     ///< Why it could not be queried (e.g. "Permission denied").
    std::vector<VideoMode> modes;
};

/// Every /dev/video* node under `dev_dir`, in index order, each queried.
std::vector<VideoDevice> list_video_devices(const std::filesystem::path& dev_dir = "/dev");

/// The modes of one device (empty when it cannot be opened or offers none).
std::vector<VideoMode> video_modes(const std::string& path);

/// "MJPG 1280x720 @ 30/15 fps; YUYV 640x480 @ 30 fps; ..." (at most `limit` modes).
std::string describe_modes(const std::vector<VideoMode>& modes, std::size_t limit = 12);

/// A table for people: one block per device.
std::string format_devices(const std::vector<VideoDevice>& devices);

/// JSON for scripts: a list of {"path", "index", "card", "driver", "bus", "capture", "error",
/// "modes": [{"fourcc", "width", "height", "fps"}]}.
std::string devices_to_json(const std::vector<VideoDevice>& devices);

}  // namespace rcls::camera
