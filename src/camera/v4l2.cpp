// SPDX-License-Identifier: MIT
#include "rcls/camera/v4l2.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "rcls/core/error.hpp"

#include <linux/videodev2.h>
#include <sys/ioctl.h>

namespace rcls::camera {
namespace {

int xioctl(int fd, unsigned long request, void* arg) {
    int r = 0;
    do {
        r = ::ioctl(fd, request, arg);
    } while (r == -1 && errno == EINTR);
    return r;
}

std::string fourcc_text(std::uint32_t f) {
    std::string s(4, ' ');
    for (int i = 0; i < 4; ++i)
        s[i] = static_cast<char>((f >> (8 * i)) & 0xFF);
    return s;
}

std::vector<double> rates(int fd, std::uint32_t format, std::uint32_t w, std::uint32_t h) {
    std::vector<double> out;
    v4l2_frmivalenum iv{};
    iv.pixel_format = format;
    iv.width = w;
    iv.height = h;
    for (iv.index = 0; xioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &iv) == 0; ++iv.index) {
        if (iv.type == V4L2_FRMIVAL_TYPE_DISCRETE) {
            if (iv.discrete.numerator > 0) {
                out.push_back(static_cast<double>(iv.discrete.denominator) / iv.discrete.numerator);
            }
        } else {
            if (iv.stepwise.min.numerator > 0) {
                out.push_back(static_cast<double>(iv.stepwise.min.denominator) /
                              iv.stepwise.min.numerator);
            }
            break;
        }
    }
    return out;
}

std::vector<VideoMode> modes_of(int fd) {
    std::vector<VideoMode> out;
    v4l2_fmtdesc fmt{};
    fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    for (fmt.index = 0; xioctl(fd, VIDIOC_ENUM_FMT, &fmt) == 0; ++fmt.index) {
        v4l2_frmsizeenum size{};
        size.pixel_format = fmt.pixelformat;
        for (size.index = 0; xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &size) == 0; ++size.index) {
            if (size.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
                out.push_back(
                    {fourcc_text(fmt.pixelformat), static_cast<int>(size.discrete.width),
                     static_cast<int>(size.discrete.height),
                     rates(fd, fmt.pixelformat, size.discrete.width, size.discrete.height)});
            } else {
                out.push_back({fourcc_text(fmt.pixelformat),
                               static_cast<int>(size.stepwise.max_width),
                               static_cast<int>(size.stepwise.max_height),
                               {}});
                break;
            }
        }
    }
    return out;
}

std::string fps_text(double f) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g", std::round(f * 100) / 100);
    return buffer;
}

}  // namespace

std::vector<VideoMode> video_modes(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return {};
    std::vector<VideoMode> modes = modes_of(fd);
    ::close(fd);
    return modes;
}

std::vector<VideoDevice> list_video_devices(const std::filesystem::path& dev_dir) {
    std::vector<VideoDevice> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dev_dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("video", 0) != 0) continue;
        const std::string digits = name.substr(5);
        if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit)) continue;
        VideoDevice d;
        d.path = entry.path().string();
        d.index = std::stoi(digits);
        const int fd = ::open(d.path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            d.error = errno_text(errno);
            out.push_back(d);
            continue;
        }
        v4l2_capability cap{};
        if (xioctl(fd, VIDIOC_QUERYCAP, &cap) == 0) {
            d.card = reinterpret_cast<const char*>(cap.card);
            d.driver = reinterpret_cast<const char*>(cap.driver);
            d.bus = reinterpret_cast<const char*>(cap.bus_info);
            const std::uint32_t caps =
                (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
            d.capture = (caps & V4L2_CAP_VIDEO_CAPTURE) != 0;
            if (d.capture) d.modes = modes_of(fd);
        } else {
            d.error = "not a V4L2 device (" + errno_text(errno) + ")";
        }
        ::close(fd);
        out.push_back(d);
    }
    std::sort(out.begin(), out.end(),
              [](const VideoDevice& a, const VideoDevice& b) { return a.index < b.index; });
    return out;
}

std::string describe_modes(const std::vector<VideoMode>& modes, std::size_t limit) {
    if (modes.empty()) return "no modes reported";
    std::string s;
    for (std::size_t i = 0; i < modes.size() && i < limit; ++i) {
        const VideoMode& m = modes[i];
        if (!s.empty()) s += "; ";
        s += m.fourcc + " " + std::to_string(m.width) + "x" + std::to_string(m.height);
        if (!m.fps.empty()) {
            s += " @ ";
            for (std::size_t k = 0; k < m.fps.size(); ++k) {
                s += (k ? "/" : "") + fps_text(m.fps[k]);
            }
            s += " fps";
        }
    }
    if (modes.size() > limit) s += "; ... (" + std::to_string(modes.size() - limit) + " more)";
    return s;
}

std::string format_devices(const std::vector<VideoDevice>& devices) {
    if (devices.empty()) return "no video devices (/dev/video*) found\n";
    std::string s;
    for (const VideoDevice& d : devices) {
        s += d.path + " (index " + std::to_string(d.index) + ")";
        if (!d.card.empty()) s += ": " + d.card;
        if (!d.driver.empty()) s += " [" + d.driver + ", " + d.bus + "]";
        s += "\n";
        if (!d.error.empty()) {
            s += "    cannot query: " + d.error + "\n";
        } else if (!d.capture) {
            s += "    no video capture (a metadata node)\n";
        } else {
            for (const VideoMode& m : d.modes)
                s += "    " + describe_modes({m}) + "\n";
        }
    }
    return s;
}

std::string devices_to_json(const std::vector<VideoDevice>& devices) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const VideoDevice& d : devices) {
        nlohmann::ordered_json j;
        j["path"] = d.path;
        j["index"] = d.index;
        j["card"] = d.card;
        j["driver"] = d.driver;
        j["bus"] = d.bus;
        j["capture"] = d.capture;
        j["error"] = d.error;
        j["modes"] = nlohmann::ordered_json::array();
        for (const VideoMode& m : d.modes) {
            j["modes"].push_back(
                {{"fourcc", m.fourcc}, {"width", m.width}, {"height", m.height}, {"fps", m.fps}});
        }
        list.push_back(j);
    }
    return list.dump(2) + "\n";
}

}  // namespace rcls::camera
