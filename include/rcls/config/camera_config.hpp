// SPDX-License-Identifier: MIT
//
// One camera of the robot, with LeRobot's OpenCVCameraConfig field names, plus rcls's simulated
// camera ("type": "sim"), which renders the simulated arm's scene.
#pragma once

#include <optional>
#include <string>
#include <variant>

namespace rcls::config {

/// `robot.cameras.<name>` in a record config.
struct CameraConfig {
    std::string type = "opencv";  ///< "opencv" (a V4L2/USB camera) or "sim" (rendered scene).
    /// /dev/videoN index, or a device path or video file. JSON: an integer or a string.
    std::variant<int, std::string> index_or_path = 0;
    int width = 640;                 ///< Capture width in pixels.
    int height = 480;                ///< Capture height in pixels.
    int fps = 30;                    ///< Capture rate asked of the camera.
    std::string color_mode = "rgb";  ///< Channel order delivered: "rgb" or "bgr".
    int rotation = 0;       ///< Clockwise rotation applied to frames: 0, 90, 180, 270 (= -90).
    double warmup_s = 1.0;  ///< Frames read and dropped at start-up, in seconds.
    std::optional<std::string> fourcc;  ///< Four-character pixel format asked of the camera.
    bool loop = true;  ///< A video file standing in for a camera: play it again at its end.
    std::string view = "front";  ///< "sim": the fixed "front" camera or the "wrist" camera.
    int seed = 1;                ///< "sim" without a recorder: seed of the camera's own scene.
    /// "sim": "session" (one look for the whole recording, small per-episode variation, as a
    /// real session) or "per_episode" (a new random look per episode).
    std::string appearance = "session";

    template <class V>
    void visit(V& v) {
        v.field("type", type, "Camera driver", {"opencv", "sim"});
        v.field("index_or_path", index_or_path, "Camera index (0 = /dev/video0) or device path");
        v.field("width", width, "Capture width in pixels");
        v.field("height", height, "Capture height in pixels");
        v.field("fps", fps, "Capture rate in frames per second");
        v.field("color_mode", color_mode, "Channel order", {"rgb", "bgr"});
        v.field("rotation", rotation, "Clockwise rotation in degrees: 0, 90, 180, 270 or -90");
        v.field("warmup_s", warmup_s, "Seconds of frames dropped after opening");
        v.field("fourcc", fourcc, "Four-character pixel format, e.g. MJPG (null: camera default)");
        v.field("loop", loop, "Video file cameras: start again at the end (false: it ends)");
        v.field("view", view, "Simulated camera: front or wrist", {"front", "wrist"});
        v.field("seed", seed, "Simulated camera: seed of its own scene");
        v.field("appearance", appearance,
                "Simulated scene's look: session (one look, small per-episode variation) or "
                "per_episode (a new random look per episode)",
                {"session", "per_episode"});
        v.require("index_or_path",
                  std::holds_alternative<std::string>(index_or_path)
                      ? !std::get<std::string>(index_or_path).empty()
                      : std::get<int>(index_or_path) >= 0,
                  "must be a non-negative index or a non-empty path");
        v.require("width", width > 0, "must be positive");
        v.require("height", height > 0, "must be positive");
        v.require("fps", fps > 0, "must be positive");
        v.require("rotation",
                  rotation == 0 || rotation == 90 || rotation == 180 || rotation == -90 ||
                      rotation == 270,
                  "must be 0, 90, 180, 270 or -90");
        v.require("seed", seed >= 0, "must not be negative");
        v.require("warmup_s", warmup_s >= 0.0, "must not be negative");
        v.require("fourcc", !fourcc || fourcc->size() == 4, "must be exactly 4 characters");
    }
};

}  // namespace rcls::config
