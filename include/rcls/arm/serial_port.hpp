// SPDX-License-Identifier: MIT
//
// The byte seam between rcls and a servo bus. Everything above it (protocol, bus, arm) runs
// unchanged on the real adapter (PosixSerialPort, behind open_serial_port()), on the simulated bus
// served on a pseudo-terminal (also PosixSerialPort), and on the in-process simulator
// (SimServoPort, sim_bus.hpp), whose clock may be virtual so that tests never sleep. A port's
// time is a core Clock (rcls/core/clock.hpp): real ports run on steady_clock().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "rcls/core/clock.hpp"

namespace rcls::arm {

/// A half-duplex byte pipe to the servo bus: write a request, then read the reply.
/// Not thread-safe: one ServoBus owns one port.
class SerialPort {
public:
    /// The clock deadlines are measured on: rcls's Clock (time points of std::steady_clock).
    using Clock = rcls::Clock;

    virtual ~SerialPort() = default;
    SerialPort(const SerialPort&) = delete;
    SerialPort& operator=(const SerialPort&) = delete;

    /// The device path (or "sim:<n>" for the in-process simulator), for messages.
    virtual const std::string& name() const = 0;

    /// Sends every byte of `bytes` and waits until they left. Throws DeviceError.
    virtual void write(std::span<const std::uint8_t> bytes) = 0;

    /// Reads what has arrived, up to `buffer.size()` bytes, waiting until `deadline` for the first.
    /// Returns how many were read: 0 means the deadline passed, which is not an error. Throws
    /// DeviceError when the device fails (e.g. it was unplugged).
    virtual std::size_t read(std::span<std::uint8_t> buffer, Clock::time_point deadline) = 0;

    /// Drops every byte received but not read yet (stale replies, noise).
    virtual void flush_input() = 0;

    /// Switches the line speed. Returns false when the adapter refuses this rate (some CDC-ACM
    /// adapters reject 250000 and 128000 with EINVAL); throws DeviceError on other failures.
    virtual bool set_baud_rate(int baud_rate) = 0;

    /// The current line speed.
    virtual int baud_rate() const = 0;

    /// The clock this port's deadlines are on: steady_clock() for real ports; the in-process
    /// simulator's is the one it was given (virtual by default).
    virtual Clock& clock() const { return steady_clock(); }

    /// The current time on clock().
    Clock::time_point now() const { return clock().now(); }

    /// Waits until `time` on clock() (pacing loops, e.g. 20 ms between range reads).
    void sleep_until(Clock::time_point time) const { clock().sleep_until(time); }

protected:
    SerialPort() = default;
};

/// Default line speed of the STS3215 bus.
inline constexpr int kDefaultBaudRate = 1'000'000;

/// Opens the serial adapter at `path` (a /dev/tty* device, or the pseudo-terminal of `rcls arm
/// sim`) in raw 8N1 at `baud_rate`, locked for this process (flock and TIOCEXCL). Standard rates
/// use the termios B-constants; others use termios2 with BOTHER. Throws DeviceError with what to do
/// for a missing port, a port in use, a permission problem (the dialout group), or a refused baud
/// rate.
std::unique_ptr<SerialPort> open_serial_port(const std::string& path,
                                             int baud_rate = kDefaultBaudRate);

}  // namespace rcls::arm
