// SPDX-License-Identifier: MIT
//
// A simulated STS3215 servo bus: product code, so that every arm command runs and is tested without
// hardware (feetech_sts3215.md §5). SimBus models the servos: 256 bytes of register memory each,
// EEPROM (addresses 0-39, kept across power_cycle() only when written with Lock = 0) and RAM;
// replies in request order, silence for absent ids, after SYNC_WRITE and broadcasts; with torque
// on a servo moves toward its goal at a finite speed, with torque off a simulated person moves it
// through its joint's range; Present = Actual - Homing_Offset (mod 4096), goals clamped to the
// position limits. Faults are injected per reply on request.
//
// Two ways to reach it:
//   - SimServoPort, an in-process SerialPort on a Clock (virtual: tests never sleep);
//   - PtySimServer, which serves it on a pseudo-terminal in raw mode (`rcls arm sim`), so that the
//     real PosixSerialPort drives it exactly as it drives a USB adapter.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "rcls/arm/calibration.hpp"
#include "rcls/arm/protocol.hpp"
#include "rcls/arm/serial_port.hpp"

namespace rcls::arm {

/// How often a fault hits the replies: with a probability, or exactly every n-th reply.
struct FaultRate {
    double probability = 0.0;  ///< 0..1 per reply (seeded).
    int every = 0;             ///< > 0: every n-th reply instead.

    bool active() const { return probability > 0.0 || every > 0; }
};

/// Parses "0.05", "5%" or "1/10" (every tenth reply). nullopt when it is none of these.
std::optional<FaultRate> parse_fault_rate(std::string_view text);

/// "5%" or "1/10".
std::string to_string(const FaultRate& rate);

/// Faults the simulator injects (feetech_sts3215.md §5.6).
struct SimFaults {
    FaultRate drop;      ///< The reply is never sent.
    FaultRate corrupt;   ///< The checksum byte is wrong ("Incorrect status packet!").
    FaultRate truncate;  ///< Only the first bytes are sent.
    FaultRate garbage;   ///< Noise bytes arrive before the reply (the host must resynchronise).
    FaultRate delay;     ///< The reply comes 100 ms late, past LeRobot's ~50 ms timeout.
    std::uint8_t error_bits = 0;                 ///< Set in every reply of error_ids (e.g. 0x20).
    std::vector<std::uint8_t> error_ids;         ///< Servos reporting error_bits.
    std::vector<std::uint8_t> missing_ids;       ///< Servos that never answer (unplugged).
    std::vector<std::uint8_t> wrong_model_ids;   ///< Report model 2825 (an STS3250).
    std::vector<std::uint8_t> old_firmware_ids;  ///< Report firmware 3.9 instead of 3.10.
    /// The line echoes every byte the host sends back to it before any reply (a half-duplex
    /// adapter without echo suppression).
    bool echo = false;
};

/// What moves a servo whose torque is off.
enum class SimMotion {
    kPerson,  ///< A person sweeps each joint through its range (a leader "moved by hand").
    kStill,   ///< Nothing: it stays where it is (tests move it with set_actual_position()).
};

/// Settings of a simulated bus.
struct SimOptions {
    std::vector<std::uint8_t> ids = {1, 2, 3, 4, 5, 6};  ///< Servos on the bus.
    SimMotion motion = SimMotion::kPerson;
    /// Motors fresh from the factory (all id 1): the simulated person plugs them in one at a time
    /// for `rcls arm setup-motors`; see SimBus.
    bool factory_setup = false;
    int factory_baud_rate = 1'000'000;  ///< Line speed of the fresh motors.
    SimFaults faults;
    std::uint32_t seed = 1;           ///< Seeds the person's motion and the faults.
    bool wire_time = true;            ///< Bytes take 10 bits' time at the bus speed.
    double speed_steps_per_s = 3000;  ///< Top speed with torque on (about 260 degrees/s).
    /// Keep every request for request_log() (tests); off for a bus served until stopped, whose
    /// log would grow by about 25 MB an hour under teleoperation.
    bool log_requests = true;
};

/// Counters of what the simulator did.
struct SimStats {
    std::uint64_t requests = 0;
    std::uint64_t replies = 0;
    std::uint64_t dropped = 0;
    std::uint64_t corrupted = 0;
    std::uint64_t truncated = 0;
    std::uint64_t garbage = 0;
    std::uint64_t delayed = 0;
    std::uint64_t bad_requests = 0;  ///< Instruction packets with a bad checksum (ignored).
};

/// The simulated servos of one bus. Thread-safe.
///
/// With factory_setup, the bus starts with one fresh motor (id 1) plugged in. At each broadcast
/// PING after that motor was written to (its id or baud rate set), the person unplugs it and plugs
/// in the next one; after the last, they connect all of them (the assembled arm).
class SimBus {
public:
    using Clock = rcls::Clock;

    /// A reply: its bytes and when their last byte is on the wire.
    struct Reply {
        protocol::Bytes bytes;
        Clock::time_point due;
    };

    /// `start` is time zero of the person's motion.
    SimBus(SimOptions options, Clock::time_point start);
    ~SimBus();
    SimBus(const SimBus&) = delete;
    SimBus& operator=(const SimBus&) = delete;

    /// Takes bytes the host sent at `now` with its line at `host_baud_rate` (0: unknown, taken to
    /// match). Servos at another speed hear noise and stay silent. Returns the replies, in
    /// the order they go out.
    std::vector<Reply> receive(std::span<const std::uint8_t> bytes,
                               Clock::time_point now,
                               int host_baud_rate);

    /// Register `name` of the servo now answering to `id` (decoded), or nullopt.
    std::optional<int> register_value(std::uint8_t id, std::string_view name) const;

    /// Sets register `name` of servo `id` directly (EEPROM kept as if Lock were 0).
    void set_register(std::uint8_t id, std::string_view name, int value);

    /// The person puts joint `id` at `steps` (encoder position, 0..4095) at once.
    void set_actual_position(std::uint8_t id, double steps);

    /// The encoder position of servo `id` (before the homing offset).
    double actual_position(std::uint8_t id) const;

    /// Power off and on: EEPROM as last saved with Lock = 0, RAM back to defaults, torque off.
    void power_cycle();

    /// Every valid instruction packet received so far, in order (empty unless
    /// SimOptions::log_requests).
    std::vector<protocol::Bytes> request_log() const;

    /// Ids answering now, ascending.
    std::vector<std::uint8_t> connected_ids() const;

    SimStats stats() const;
    const SimOptions& options() const { return options_; }

private:
    struct Servo;

    void advance(Clock::time_point now);
    Servo* find_servo(std::uint8_t id, int host_baud_rate);
    const Servo* find_any(std::uint8_t id) const;
    void handle(const protocol::Packet& packet,
                int host_baud_rate,
                std::vector<std::pair<const Servo*, protocol::Bytes>>& replies);
    bool hits(const FaultRate& rate, std::uint64_t& counter);
    void plug_next_motor();

    SimOptions options_;
    Clock::time_point start_;
    Clock::time_point last_update_;
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<Servo>> servos_;
    protocol::Bytes input_;
    std::vector<protocol::Bytes> log_;
    SimStats stats_;
    std::mt19937 rng_;
    std::array<std::uint64_t, 5> fault_counters_{};
    std::size_t setup_index_ = 0;  ///< Factory set-up: the motor plugged in alone.
    bool assembled_ = false;       ///< Factory set-up: every motor connected.
};

/// The simulator as an in-process SerialPort on a Clock. On a VirtualClock (its own by default, or
/// one shared with the other devices of a simulation) time moves only when a read waits (to the
/// next reply or the deadline) or someone sleeps, so tests are fast and deterministic; on
/// steady_clock() reads wait in real time, as on a real adapter. Not thread-safe.
class SimServoPort final : public SerialPort {
public:
    /// `clock` must outlive the port; null: the port's own VirtualClock at time zero.
    explicit SimServoPort(std::shared_ptr<SimBus> bus,
                          std::string name = "sim",
                          Clock* clock = nullptr);

    const std::string& name() const override { return name_; }
    void write(std::span<const std::uint8_t> bytes) override;
    std::size_t read(std::span<std::uint8_t> buffer, Clock::time_point deadline) override;
    void flush_input() override;
    bool set_baud_rate(int baud_rate) override;
    int baud_rate() const override { return baud_rate_; }
    Clock& clock() const override { return *clock_; }

    /// Moves the clock forward (waits, on a real-time clock).
    void advance(std::chrono::nanoseconds duration) { clock_->sleep_for(duration); }

    SimBus& bus() { return *bus_; }
    std::shared_ptr<SimBus> shared_bus() const { return bus_; }

private:
    struct Chunk {
        Clock::time_point due;
        protocol::Bytes bytes;
        std::size_t offset = 0;
    };

    std::shared_ptr<SimBus> bus_;
    std::string name_;
    int baud_rate_ = kDefaultBaudRate;
    std::unique_ptr<VirtualClock> own_clock_;
    Clock* clock_;
    std::deque<Chunk> incoming_;  ///< Sorted by due time.
};

/// The calibration of the simulated SO-101 (ids 1-6) as it comes: homing offset 0, each joint's
/// range the span the simulated person sweeps (wrist_roll a full turn). The simulated arm types
/// use it when no calibration file exists, so that they run without `rcls arm calibrate`.
Calibration simulated_calibration();

/// A SimBus behind a SimServoPort on `clock` (null: the port's own VirtualClock, at time zero);
/// the person's motion starts at the clock's present time.
std::unique_ptr<SimServoPort> make_sim_port(SimOptions options,
                                            std::string name = "sim",
                                            SerialPort::Clock* clock = nullptr);

/// Serves a SimBus on a pseudo-terminal (openpty, raw mode), on real time. The host opens path()
/// like any serial port; the server keeps its own handle on the terminal so that hosts can come
/// and go. Replies go out when due; the host's line speed is read from the terminal, so a host at
/// the wrong baud rate hears nothing, as on a real bus.
class PtySimServer {
public:
    /// Opens the pseudo-terminal; with `link`, also a symbolic link there to it (an existing link
    /// is replaced; any other file there is a DeviceError).
    explicit PtySimServer(std::shared_ptr<SimBus> bus,
                          std::optional<std::filesystem::path> link = std::nullopt);
    ~PtySimServer();
    PtySimServer(const PtySimServer&) = delete;
    PtySimServer& operator=(const PtySimServer&) = delete;

    /// The path hosts open: the link when there is one, else the terminal (/dev/pts/N).
    const std::string& path() const { return path_; }

    /// Serves in a background thread until stop() or destruction.
    void start();

    /// Stops the background thread.
    void stop();

    /// Serves in the calling thread while `keep_running()` is true (asked every 50 ms).
    void serve(const std::function<bool()>& keep_running);

    SimBus& bus() { return *bus_; }

private:
    std::shared_ptr<SimBus> bus_;
    int master_ = -1;
    int slave_ = -1;
    std::string path_;
    std::optional<std::filesystem::path> link_;
    std::thread thread_;
    std::atomic<bool> running_{false};
};

}  // namespace rcls::arm
