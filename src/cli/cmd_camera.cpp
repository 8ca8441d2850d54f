// SPDX-License-Identifier: MIT
//
// `rcls camera list | snapshot | stream`: the V4L2 cameras of this machine and their modes (like
// lerobot-find-cameras), one PNG per configured camera, and a timed run that reports achieved
// fps, frame age and drops. Parsing and printing only; the workflows are in rcls::camera.
#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "rcls/camera/tools.hpp"
#include "rcls/camera/v4l2.hpp"
#include "rcls/config/config_file.hpp"
#include "rcls/core/clock.hpp"
#include "rcls/core/error.hpp"

#include "command.hpp"

namespace rcls::cli {
namespace {

/// Which cameras: those of a record config, or one described by flags.
struct CameraSelection {
    std::string config;              ///< Record config file (robot.cameras).
    std::vector<std::string> names;  ///< Only these cameras of the config.
    std::string type = "opencv";     ///< Without --config.
    std::string index_or_path = "0";
    int width = 640;
    int height = 480;
    int fps = 30;
    std::string fourcc;
};

void add_selection_flags(CLI::App* app, CameraSelection& s) {
    app->add_option("--config", s.config,
                    "Record config whose robot.cameras are used (e.g. "
                    "configs/sim_record_config.json)");
    app->add_option("--camera", s.names, "Only these cameras of the config (repeatable)");
    app->add_option("--type", s.type, "Without --config: camera type")
        ->check(CLI::IsMember({"opencv", "sim"}));
    app->add_option("--index-or-path", s.index_or_path,
                    "Without --config: device index, /dev/videoN, video file or URL");
    app->add_option("--width", s.width, "Without --config: width")->check(CLI::Range(16, 8192));
    app->add_option("--height", s.height, "Without --config: height")->check(CLI::Range(16, 8192));
    app->add_option("--fps", s.fps, "Without --config: frame rate")->check(CLI::Range(1, 1000));
    app->add_option("--fourcc", s.fourcc, "Without --config: pixel format, e.g. MJPG");
}

camera::CameraList selected_cameras(const CameraSelection& s) {
    camera::CameraList out;
    if (!s.config.empty()) {
        const config::RecordConfig record = config::load_record_config(s.config);
        for (const auto& [name, camera] : record.robot.cameras) {
            if (s.names.empty() ||
                std::find(s.names.begin(), s.names.end(), name) != s.names.end()) {
                out.emplace_back(name, camera);
            }
        }
        if (out.empty()) {
            throw UsageError(s.config + ": no camera named as --camera asks");
        }
        return out;
    }
    config::CameraConfig c;
    c.type = s.type;
    const bool numeric = !s.index_or_path.empty() &&
                         s.index_or_path.find_first_not_of("0123456789") == std::string::npos;
    if (numeric) {
        c.index_or_path = std::stoi(s.index_or_path);
    } else {
        c.index_or_path = s.index_or_path;
    }
    c.width = s.width;
    c.height = s.height;
    c.fps = s.fps;
    if (!s.fourcc.empty()) {
        if (s.fourcc.size() != 4) throw UsageError("--fourcc must be 4 characters, e.g. MJPG");
        c.fourcc = s.fourcc;
    }
    out.emplace_back(s.type == "sim" ? "sim" : "camera", c);
    return out;
}

struct ListOptions {
    bool json = false;
};

struct SnapshotOptions {
    CameraSelection selection;
    std::string output_dir = ".";
};

struct StreamOptions {
    CameraSelection selection;
    double seconds = 5.0;
    bool json = false;
};

}  // namespace

void register_camera(CLI::App& root, const GlobalOptions&, Commands& commands) {
    CLI::App* camera_app =
        root.add_subcommand("camera", "Cameras: list devices, take snapshots, measure streams");
    camera_app->require_subcommand(1);

    auto list = std::make_shared<ListOptions>();
    CLI::App* list_app = camera_app->add_subcommand(
        "list", "Every /dev/video* device with its capture modes (like lerobot-find-cameras)");
    list_app->add_flag("--json", list->json, "Print the devices as JSON");
    commands.push_back({list_app, [list] {
                            const auto devices = camera::list_video_devices();
                            std::cout << (list->json ? camera::devices_to_json(devices)
                                                     : camera::format_devices(devices));
                            return 0;
                        }});

    auto snapshot = std::make_shared<SnapshotOptions>();
    CLI::App* snapshot_app = camera_app->add_subcommand(
        "snapshot", "One PNG per camera (<output-dir>/<name>.png) after warm-up");
    add_selection_flags(snapshot_app, snapshot->selection);
    snapshot_app->add_option("--output-dir", snapshot->output_dir, "Where the PNGs go");
    commands.push_back({snapshot_app, [snapshot] {
                            const auto files =
                                camera::snapshot_cameras(selected_cameras(snapshot->selection),
                                                         snapshot->output_dir, steady_clock());
                            for (const auto& f : files)
                                std::cout << f.string() << "\n";
                            return 0;
                        }});

    auto stream = std::make_shared<StreamOptions>();
    CLI::App* stream_app = camera_app->add_subcommand(
        "stream", "Read every camera for --seconds: achieved fps, frame age p50/p99, drops");
    add_selection_flags(stream_app, stream->selection);
    stream_app->add_option("--seconds", stream->seconds, "How long to read")
        ->check(CLI::Range(0.1, 3600.0));
    stream_app->add_flag("--json", stream->json, "Print the reports as JSON");
    commands.push_back({stream_app, [stream] {
                            const auto reports =
                                camera::stream_cameras(selected_cameras(stream->selection),
                                                       stream->seconds, steady_clock());
                            std::cout << (stream->json ? camera::stream_reports_to_json(reports)
                                                       : camera::format_stream_reports(reports));
                            return 0;
                        }});
}

}  // namespace rcls::cli
