// SPDX-License-Identifier: MIT
//
// Loads librcls_videoio (videoio_plugin.cpp) with dlopen on first use. It is looked for in
// $RCLS_VIDEOIO_PLUGIN (a file), next to the executable (the build tree), then in
// <prefix>/lib/rcls/ (an installed rcls), as the libtorch plugin is.
#include <cstdlib>
#include <mutex>
#include <vector>

#include "rcls/camera/v4l2.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/paths.hpp"

#include "sources.hpp"

namespace rcls::camera::detail {
namespace {

namespace fs = std::filesystem;
constexpr const char* kPluginName = "librcls_videoio.so";

CreateVideoioSource load_plugin() {
    const PluginSpec spec{.env_var = "RCLS_VIDEOIO_PLUGIN",
                          .file_name = kPluginName,
                          .part = "OpenCV's videoio part of rcls",
                          .hint = "is libopencv-videoio installed? scripts/install_deps.sh",
                          .missing_part = "the OpenCV camera part of rcls",
                          .fail = [](const std::string& message) { throw DeviceError(message); }};
    return reinterpret_cast<CreateVideoioSource>(
        plugin_symbol(open_plugin(spec), spec, "videoio", kCreateVideoioSymbol));
}

}  // namespace

std::unique_ptr<FrameSource> make_videoio_source(const VideoioRequest& request) {
    static std::once_flag once;
    static CreateVideoioSource create = nullptr;
    std::call_once(once, [] { create = load_plugin(); });
    try {
        return std::unique_ptr<FrameSource>(create(request));
    } catch (const DeviceError& error) {
        const std::string message = error.what();
        if (message.find("refused the mode") == std::string::npos || !request.v4l2) throw;
        const std::string path =
            request.index >= 0 ? "/dev/video" + std::to_string(request.index) : request.path;
        throw DeviceError(message + "; it offers: " + describe_modes(video_modes(path)) +
                          "; set width, height, fps and fourcc to one of these");
    }
}

}  // namespace rcls::camera::detail
