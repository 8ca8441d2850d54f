// SPDX-License-Identifier: MIT
#include <algorithm>
#include <array>
#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "rcls/arm/sim_bus.hpp"
#include "rcls/core/error.hpp"

#include "termios2.hpp"

namespace rcls::arm {
namespace fs = std::filesystem;
namespace {

constexpr auto kPollPeriod = std::chrono::milliseconds(50);

}  // namespace

PtySimServer::PtySimServer(std::shared_ptr<SimBus> bus, std::optional<fs::path> link)
    : bus_(std::move(bus)) {
    std::array<char, 256> name{};
    if (::openpty(&master_, &slave_, name.data(), nullptr, nullptr) != 0) {
        throw DeviceError("simulated bus: cannot open a pseudo-terminal", errno);
    }
    ::fcntl(master_, F_SETFD, FD_CLOEXEC);
    ::fcntl(slave_, F_SETFD, FD_CLOEXEC);
    ::fcntl(master_, F_SETFL, ::fcntl(master_, F_GETFL) | O_NONBLOCK);
    // Raw mode before anyone opens it: no echo, no line editing, 0x0D/0x11/0x13 pass unchanged.
    termios settings{};
    ::tcgetattr(slave_, &settings);
    ::cfmakeraw(&settings);
    ::cfsetispeed(&settings, B1000000);
    ::cfsetospeed(&settings, B1000000);
    ::tcsetattr(slave_, TCSANOW, &settings);
    path_ = name.data();
    if (link) {
        std::error_code error;
        if (fs::is_symlink(fs::symlink_status(*link, error))) {
            fs::remove(*link, error);
        } else if (fs::exists(fs::symlink_status(*link, error))) {
            ::close(master_);
            ::close(slave_);
            throw DeviceError("simulated bus: " + link->string() +
                              " exists and is not a link; choose another --link path");
        }
        fs::create_symlink(path_, *link, error);
        if (error) {
            ::close(master_);
            ::close(slave_);
            throw DeviceError("simulated bus: cannot create the link " + link->string() + ": " +
                              error.message());
        }
        link_ = *link;
        path_ = link->string();
    }
}

PtySimServer::~PtySimServer() {
    stop();
    if (link_) {
        std::error_code error;
        fs::remove(*link_, error);
    }
    ::close(master_);
    ::close(slave_);
}

void PtySimServer::start() {
    if (thread_.joinable()) return;
    running_ = true;
    thread_ = std::thread([this] { serve([this] { return running_.load(); }); });
}

void PtySimServer::stop() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
}

void PtySimServer::serve(const std::function<bool()>& keep_running) {
    using Clock = SimBus::Clock;
    Clock& clock = steady_clock();       // a pty is served on real time
    std::vector<SimBus::Reply> pending;  // sorted by due time
    std::array<std::uint8_t, 1024> buffer{};
    while (keep_running()) {
        auto now = clock.now();
        auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(kPollPeriod);
        if (!pending.empty()) {
            wait = std::clamp(
                std::chrono::duration_cast<std::chrono::nanoseconds>(pending.front().due - now),
                std::chrono::nanoseconds::zero(), wait);
        }
        const timespec timeout{static_cast<time_t>(wait.count() / 1'000'000'000),
                               static_cast<long>(wait.count() % 1'000'000'000)};
        pollfd pfd{master_, POLLIN, 0};
        const int ready = ::ppoll(&pfd, 1, &timeout, nullptr);
        if (ready < 0 && errno != EINTR) throw DeviceError("simulated bus: poll failed", errno);
        if (ready > 0 && (pfd.revents & POLLIN) != 0) {
            const ssize_t n = ::read(master_, buffer.data(), buffer.size());
            if (n > 0) {
                const int host_baud = detail::get_termios2_speed(master_);
                auto replies = bus_->receive(std::span(buffer.data(), static_cast<std::size_t>(n)),
                                             clock.now(), host_baud);
                for (SimBus::Reply& reply : replies) {
                    const auto position = std::upper_bound(
                        pending.begin(), pending.end(), reply.due,
                        [](Clock::time_point due, const SimBus::Reply& r) { return due < r.due; });
                    pending.insert(position, std::move(reply));
                }
            }
        }
        now = clock.now();
        std::size_t sent = 0;
        while (sent < pending.size() && pending[sent].due <= now) {
            const protocol::Bytes& bytes = pending[sent].bytes;
            // A host that does not read loses the bytes, as on a real line.
            const ssize_t written = ::write(master_, bytes.data(), bytes.size());
            if (written < 0 && errno != EAGAIN) {
                spdlog::debug("simulated bus: write failed: {}", errno_text(errno));
            }
            ++sent;
        }
        pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(sent));
    }
}

}  // namespace rcls::arm
