// SPDX-License-Identifier: MIT
//
// The workflows behind `rcls camera snapshot | stream`: one PNG per configured camera, and a
// timed run that measures what each camera achieves. src/cli only parses flags and prints.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "rcls/config/camera_config.hpp"
#include "rcls/core/clock.hpp"

namespace rcls::camera {

/// Cameras by name, as in a record config's `robot.cameras`.
using CameraList = std::vector<std::pair<std::string, config::CameraConfig>>;

/// Opens each camera, takes its newest frame after warm-up and writes it to
/// `<output_dir>/<name>.png` (atomically). Returns the files written. Throws DeviceError.
std::vector<std::filesystem::path> snapshot_cameras(const CameraList& cameras,
                                                    const std::filesystem::path& output_dir,
                                                    Clock& clock);

/// What one camera achieved in stream_cameras().
struct StreamReport {
    std::string name;
    std::string source;  ///< Its description.
    double requested_fps = 0;
    double achieved_fps = 0;  ///< New frames delivered per second.
    double age_p50_ms = 0;    ///< Age of the frames latest() returned, at return.
    double age_p99_ms = 0;
    std::uint64_t frames = 0;   ///< New frames delivered.
    std::uint64_t dropped = 0;  ///< Frames captured but replaced before anyone read them.
};

/// Opens every camera and reads each one's newest frame at its own rate for `seconds`.
std::vector<StreamReport> stream_cameras(const CameraList& cameras, double seconds, Clock& clock);

/// A table for people, one line per camera.
std::string format_stream_reports(const std::vector<StreamReport>& reports);

/// JSON for scripts: a list of the reports' fields.
std::string stream_reports_to_json(const std::vector<StreamReport>& reports);

}  // namespace rcls::camera
