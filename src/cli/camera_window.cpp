// SPDX-License-Identifier: MIT
#include "camera_window.hpp"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <netdb.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"
#include "rcls/core/paths.hpp"

#include "camera_window_plugin.hpp"
#include <sys/socket.h>
#include <sys/un.h>

namespace rcls::cli {
namespace {

namespace fs = std::filesystem;

bool set(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0';
}

/// Whether an X server accepts a connection at `display` (":0", "unix:0", "localhost:10.0",
/// "/path/to/socket:0" as macOS's XQuartz writes it).
bool x_display_answers(const std::string& display) {
    const std::size_t colon = display.rfind(':');
    if (colon == std::string::npos) return false;
    const std::string host = display.substr(0, colon);
    int number = 0;
    try {
        number = std::stoi(display.substr(colon + 1));
    } catch (const std::exception&) {
        return false;
    }
    if (number < 0 || number > 10000) return false;
    const bool socket_path = !host.empty() && host.front() == '/';
    if (host.empty() || host == "unix" || socket_path) {
        const std::string path =
            socket_path ? display : "/tmp/.X11-unix/X" + std::to_string(number);
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return false;
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        if (path.size() >= sizeof address.sun_path) {
            ::close(fd);
            return false;
        }
        std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
        const bool ok =
            ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
        ::close(fd);
        if (ok || !host.empty()) return ok;
        // ":N" may also be served on the abstract socket only; fall through to TCP on localhost.
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string name = host.empty() || host == "unix" ? "localhost" : host;
    if (::getaddrinfo(name.c_str(), std::to_string(6000 + number).c_str(), &hints, &found) != 0) {
        return false;
    }
    bool ok = false;
    for (addrinfo* a = found; a != nullptr && !ok; a = a->ai_next) {
        const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        ok = ::connect(fd, a->ai_addr, a->ai_addrlen) == 0;
        ::close(fd);
    }
    ::freeaddrinfo(found);
    return ok;
}

const PluginSpec kHighguiSpec{
    .env_var = "RCLS_HIGHGUI_PLUGIN",
    .file_name = kHighguiPlugin,
    .part = "OpenCV's highgui part of rcls",
    .hint = "is libopencv-highgui installed?",
    .missing_part = "the camera window part of rcls",
    .fail = [](const std::string& message) { throw DeviceError(message); }};

/// The plugin's function `symbol` (the plugin is loaded once).
void* highgui_symbol(const char* symbol) {
    static const OpenedPlugin plugin = open_plugin(kHighguiSpec);
    return plugin_symbol(plugin, kHighguiSpec, "highgui", symbol);
}

}  // namespace

CameraWindow::CameraWindow(std::vector<std::string> names, Show show, std::function<void()> close)
    : names_(std::move(names)), show_(std::move(show)), close_(std::move(close)) {
    thread_ = std::thread([this] { run(); });
}

CameraWindow::~CameraWindow() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    spdlog::debug("camera window: {} image sets shown, {} skipped for newer ones", shown_,
                  replaced_);
}

void CameraWindow::post(const std::vector<cv::Mat>& images_rgb) noexcept {
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock()) {
        ++replaced_;  // the display thread is taking the previous ones: skip these
        return;
    }
    if (have_waiting_) ++replaced_;
    try {
        waiting_ = images_rgb;  // handles only; same size: no allocation after the first
    } catch (...) {
        return;
    }
    have_waiting_ = true;
    lock.unlock();
    wake_.notify_one();
}

void CameraWindow::run() {
    struct CloseAtEnd {
        const std::function<void()>& close;
        ~CloseAtEnd() {
            if (close) close();
        }
    } close_at_end{close_};
    std::vector<cv::Mat> images;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stop_ || have_waiting_; });
            if (stop_) return;
            images.swap(waiting_);
            have_waiting_ = false;
        }
        try {
            show_(names_, images);
        } catch (const std::exception& e) {
            spdlog::warn("display_cameras: the window failed ({}); recording goes on without it",
                         e.what());
            std::lock_guard lock(mutex_);
            stop_ = true;
            return;
        }
        std::lock_guard lock(mutex_);
        ++shown_;
    }
}

std::int64_t CameraWindow::shown() const {
    std::lock_guard lock(mutex_);
    return shown_;
}

std::int64_t CameraWindow::replaced() const {
    std::lock_guard lock(mutex_);
    return replaced_;
}

std::function<void()> CameraWindow::highgui_close() {
    const auto close = reinterpret_cast<CloseWindowsFn>(highgui_symbol(kCloseSymbol));
    return [close] { close(); };
}

std::optional<std::string> CameraWindow::unavailable_reason() {
    if (!set("DISPLAY") && !set("WAYLAND_DISPLAY")) {
        return std::string(
            "no display: neither DISPLAY nor WAYLAND_DISPLAY is set (over SSH use "
            "ssh -X, or watch with `rcls camera view` on a machine with a screen)");
    }
    if (!set("DISPLAY")) {
        return std::string(
            "WAYLAND_DISPLAY is set but DISPLAY is not: OpenCV's window needs X11 "
            "(XWayland)");
    }
    const std::string display = std::getenv("DISPLAY");
    if (!x_display_answers(display)) {
        // OpenCV's Qt backend would abort the whole process on a display it cannot open.
        return "no X server answers at DISPLAY=" + display;
    }
    return std::nullopt;
}

CameraWindow::Show CameraWindow::highgui_show() {
    const auto show = reinterpret_cast<ShowImageFn>(highgui_symbol(kShowImageSymbol));
    return [show](const std::vector<std::string>& names, const std::vector<cv::Mat>& images) {
        for (std::size_t i = 0; i < names.size() && i < images.size(); ++i) {
            const std::string title = "rcls record: " + names[i];
            char error[256] = {0};
            if (show(title.c_str(), &images[i], i + 1 == names.size() ? 1 : 0, error,
                     sizeof error) != 0) {
                throw DeviceError(std::string("camera window: ") + error);
            }
        }
    };
}

}  // namespace rcls::cli
