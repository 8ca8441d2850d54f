// SPDX-License-Identifier: MIT
#include <filesystem>

#include "rcls/camera/camera.hpp"
#include "rcls/core/error.hpp"

#include "sources.hpp"

namespace rcls::camera {

std::unique_ptr<Camera> open_camera(const std::string& name,
                                    const config::CameraConfig& config,
                                    Clock& clock,
                                    const SimSceneSource& sim) {
    CameraOptions options;
    options.name = name;
    options.rotation = config.rotation;
    options.warmup_s = config.warmup_s;
    options.order =
        config.color_mode == "bgr" ? image::ChannelOrder::kBgr : image::ChannelOrder::kRgb;
    std::unique_ptr<FrameSource> source;
    if (config.type == "sim") {
        source = detail::make_sim_source(config, clock, sim);
    } else if (std::holds_alternative<int>(config.index_or_path)) {
        detail::VideoioRequest request;
        request.index = std::get<int>(config.index_or_path);
        request.width = config.width;
        request.height = config.height;
        request.fps = config.fps;
        request.fourcc = config.fourcc.value_or("");
        source = detail::make_videoio_source(request);
    } else {
        const std::string& path = std::get<std::string>(config.index_or_path);
        std::error_code ec;
        const bool is_url = path.find("://") != std::string::npos;
        const bool is_file = !is_url && std::filesystem::is_regular_file(path, ec);
        if (is_file) {
            source = detail::make_video_file_source(path, config.loop, clock);
        } else if (!is_url && !std::filesystem::exists(path, ec)) {
            throw DeviceError("camera " + name + ": " + path +
                              " does not exist; `rcls camera list` shows the cameras found");
        } else {
            detail::VideoioRequest request;
            request.path = path;
            request.v4l2 = !is_url;
            request.width = config.width;
            request.height = config.height;
            request.fps = config.fps;
            request.fourcc = config.fourcc.value_or("");
            source = detail::make_videoio_source(request);
        }
    }
    return std::make_unique<Camera>(std::move(source), options, clock);
}

}  // namespace rcls::camera
