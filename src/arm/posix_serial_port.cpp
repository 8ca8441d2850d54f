// SPDX-License-Identifier: MIT
//
// The real serial port: a USB bus-servo adapter (/dev/ttyACM*, /dev/ttyUSB*) or the simulator's
// pseudo-terminal, in raw 8N1 with absolute deadlines on poll().
#include <cerrno>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <termios.h>
#include <thread>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "rcls/arm/serial_port.hpp"
#include "rcls/core/error.hpp"

#include "termios2.hpp"
#include <sys/file.h>
#include <sys/ioctl.h>

namespace rcls::arm {

namespace {

struct StandardSpeed {
    int baud_rate;
    speed_t constant;
};

constexpr StandardSpeed kStandardSpeeds[] = {
    {4800, B4800},       {9600, B9600},       {19200, B19200},     {38400, B38400},
    {57600, B57600},     {115200, B115200},   {230400, B230400},   {460800, B460800},
    {500000, B500000},   {576000, B576000},   {921600, B921600},   {1000000, B1000000},
    {1152000, B1152000}, {1500000, B1500000}, {2000000, B2000000},
};

std::optional<speed_t> standard_speed(int baud_rate) {
    for (const StandardSpeed& speed : kStandardSpeeds) {
        if (speed.baud_rate == baud_rate) return speed.constant;
    }
    return std::nullopt;
}

std::string open_failure_message(const std::string& path, int error) {
    switch (error) {
        case ENOENT:
        case ENODEV:
        case ENXIO:
            return "serial port " + path +
                   " not found; is the arm's USB cable plugged in? (`rcls arm find-port` finds "
                   "its port)";
        case EACCES:
        case EPERM:
            return "serial port " + path +
                   ": permission denied; add yourself to the dialout group (`sudo usermod -aG "
                   "dialout $USER`, then log out and in again) or run `sudo chmod 666 " +
                   path + "`";
        case EBUSY:
            return "serial port " + path +
                   " is in use by another program (another rcls, lerobot, a serial monitor or "
                   "brltty); close it and try again";
        default:
            return "serial port " + path + ": cannot open it: " + errno_text(error);
    }
}

class PosixSerialPort final : public SerialPort {
public:
    PosixSerialPort(const std::string& path, int baud_rate) : path_(path) {
        fd_ = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (fd_ < 0) throw DeviceError(open_failure_message(path, errno));
        if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            const int error = errno == EWOULDBLOCK ? EBUSY : errno;
            ::close(fd_);
            throw DeviceError(open_failure_message(path, error));
        }
        // Keep other programs from opening it while we use it (root is exempt from TIOCEXCL).
        ::ioctl(fd_, TIOCEXCL);
        try {
            configure_raw();
            if (!set_baud_rate(baud_rate)) {
                throw DeviceError("serial port " + path + ": the adapter refuses " +
                                  std::to_string(baud_rate) + " baud (" + errno_text(EINVAL) + ")");
            }
        } catch (...) {
            close_fd();
            throw;
        }
        flush_input();
    }

    ~PosixSerialPort() override { close_fd(); }

    const std::string& name() const override { return path_; }

    void write(std::span<const std::uint8_t> bytes) override {
        std::size_t sent = 0;
        while (sent < bytes.size()) {
            const ssize_t n = ::write(fd_, bytes.data() + sent, bytes.size() - sent);
            if (n > 0) {
                sent += static_cast<std::size_t>(n);
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) {
                pollfd pfd{fd_, POLLOUT, 0};
                if (::poll(&pfd, 1, 1000) == 0) {
                    throw DeviceError("serial port " + path_ +
                                      ": write timed out; is the adapter still plugged in?");
                }
                continue;
            }
            throw DeviceError("serial port " + path_ + ": write failed", errno);
        }
        // Wait until the request is on the wire, so that reply deadlines start after it.
        while (::tcdrain(fd_) != 0) {
            if (errno != EINTR) {
                throw DeviceError("serial port " + path_ + ": tcdrain failed", errno);
            }
        }
    }

    std::size_t read(std::span<std::uint8_t> buffer, Clock::time_point deadline) override {
        while (true) {
            const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
            if (n > 0) return static_cast<std::size_t>(n);
            // With VMIN = VTIME = 0 an empty tty reads as 0 bytes; a vanished one as EIO.
            if (n < 0 && errno == EIO) throw_gone();
            if (n < 0 && errno != EAGAIN && errno != EINTR) {
                throw DeviceError("serial port " + path_ + ": read failed", errno);
            }
            const auto left = deadline - std::chrono::steady_clock::now();
            if (left <= Clock::duration::zero()) return 0;
            const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
            const timespec timeout{static_cast<time_t>(ns / 1'000'000'000),
                                   static_cast<long>(ns % 1'000'000'000)};
            pollfd pfd{fd_, POLLIN, 0};
            const int ready = ::ppoll(&pfd, 1, &timeout, nullptr);
            if (ready < 0 && errno != EINTR) {
                throw DeviceError("serial port " + path_ + ": poll failed", errno);
            }
            if (ready > 0 && (pfd.revents & POLLIN) == 0 &&
                (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) {
                throw_gone();
            }
        }
    }

    void flush_input() override { ::tcflush(fd_, TCIFLUSH); }

    bool set_baud_rate(int baud_rate) override {
        int error = 0;
        if (const auto constant = standard_speed(baud_rate)) {
            termios settings{};
            if (::tcgetattr(fd_, &settings) != 0) {
                throw DeviceError("serial port " + path_ + ": tcgetattr failed", errno);
            }
            ::cfsetispeed(&settings, *constant);
            ::cfsetospeed(&settings, *constant);
            if (::tcsetattr(fd_, TCSANOW, &settings) != 0) error = errno;
        } else {
            error = detail::set_termios2_speed(fd_, baud_rate);
        }
        if (error == EINVAL) {
            spdlog::debug("{}: the adapter refuses {} baud", path_, baud_rate);
            return false;
        }
        if (error != 0) {
            throw DeviceError(
                "serial port " + path_ + ": cannot set " + std::to_string(baud_rate) + " baud",
                error);
        }
        baud_rate_ = baud_rate;
        return true;
    }

    int baud_rate() const override { return baud_rate_; }

private:
    void configure_raw() {
        termios settings{};
        if (::tcgetattr(fd_, &settings) != 0) {
            throw DeviceError("serial port " + path_ + " is not a serial device (tcgetattr failed)",
                              errno);
        }
        ::cfmakeraw(&settings);
        settings.c_cflag &= ~static_cast<tcflag_t>(PARENB | CSTOPB | CSIZE | CRTSCTS);
        settings.c_cflag |= CS8 | CREAD | CLOCAL;
        settings.c_iflag &= ~static_cast<tcflag_t>(BRKINT | ICRNL | INPCK | ISTRIP | IXON | IXOFF);
        settings.c_cc[VMIN] = 0;
        settings.c_cc[VTIME] = 0;
        if (::tcsetattr(fd_, TCSANOW, &settings) != 0) {
            throw DeviceError("serial port " + path_ + ": cannot set raw 8N1 mode", errno);
        }
    }

    [[noreturn]] void throw_gone() const {
        throw DeviceError("serial port " + path_ +
                          ": the device went away (unplugged?); reconnect it and try again");
    }

    void close_fd() noexcept {
        if (fd_ < 0) return;
        ::ioctl(fd_, TIOCNXCL);  // the simulator keeps its pty open: leave it openable
        ::close(fd_);
        fd_ = -1;
    }

    std::string path_;
    int fd_ = -1;
    int baud_rate_ = 0;
};

}  // namespace

std::unique_ptr<SerialPort> open_serial_port(const std::string& path, int baud_rate) {
    return std::make_unique<PosixSerialPort>(path, baud_rate);
}

}  // namespace rcls::arm
