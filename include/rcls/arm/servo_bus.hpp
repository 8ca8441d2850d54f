// SPDX-License-Identifier: MIT
//
// Transactions on a Feetech STS3215 bus, with LeRobot's semantics (FeetechMotorsBus,
// feetech_sts3215.md §3): ping and broadcast ping, register read and write by name, sync read and
// sync write, torque with the Lock register, the configuration written on connect. Every
// transaction flushes stale input first and waits for its reply until an absolute deadline
// (LeRobot's timeout formula). Retries are immediate, 1 + num_retry attempts, as in LeRobot; a
// transaction that still fails throws DeviceError naming the motor, the port and LeRobot's message.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rcls/arm/control_table.hpp"
#include "rcls/arm/protocol.hpp"
#include "rcls/arm/serial_port.hpp"

namespace rcls::arm {

/// How a transaction ended (the SDK's COMM_* results that LeRobot can see).
enum class CommResult {
    kSuccess,  ///< A valid status packet came back.
    kTimeout,  ///< Nothing usable arrived before the deadline ("There is no status packet!").
    kCorrupt,  ///< A reply arrived damaged: bad checksum or cut short ("Incorrect status packet!").
};

/// LeRobot's text for a result, e.g. "[TxRxResult] There is no status packet!".
std::string comm_text(CommResult result);

/// Counters of one bus, for "N retries" reports and benchmarks.
struct BusStats {
    std::uint64_t transactions = 0;   ///< Requests sent (retries included).
    std::uint64_t retries = 0;        ///< Requests sent again after a failed attempt.
    std::uint64_t timeouts = 0;       ///< Expected replies that never came.
    std::uint64_t corrupt = 0;        ///< Replies with a bad checksum or cut short.
    std::uint64_t error_replies = 0;  ///< Valid replies with error bits set.
};

/// What ping() found.
struct PingResult {
    CommResult result = CommResult::kTimeout;
    std::uint8_t error = 0;  ///< The servo's error bits (valid when result is kSuccess).
    bool any_reply = false;  ///< Some attempt got bytes back from this id, even if corrupt.
};

/// A servo that answered a broadcast ping.
struct PingedServo {
    std::uint8_t id = 0;
    std::uint8_t error = 0;
};

/// What try_sync_read() got: values of the ids that answered, and the ids that did not.
struct SyncReadResult {
    std::map<std::uint8_t, int> values;         ///< Decoded (sign-magnitude) register values.
    std::vector<std::uint8_t> failed;           ///< Ids without a valid reply after every attempt.
    CommResult failure = CommResult::kSuccess;  ///< Why the last failed id failed.
    int attempts = 0;
};

/// One SO-101 servo bus. Not thread-safe; it borrows `port`, which must outlive it.
class ServoBus {
public:
    /// `motor_names` maps ids to joint names for messages ("wrist_flex (id 4)").
    explicit ServoBus(SerialPort& port, std::map<std::uint8_t, std::string> motor_names = {});

    /// The port it talks through.
    SerialPort& port() { return port_; }
    /// The port's device path, for messages.
    const std::string& port_name() const { return port_.name(); }

    /// "wrist_flex (id 4)" when the id has a name, else "id 4".
    std::string describe(std::uint8_t id) const;

    /// PING `id` up to 1 + num_retry times. An answer with error bits counts as success here
    /// (the caller decides); see PingResult.
    PingResult ping(std::uint8_t id, int num_retry = 0);

    /// Broadcast PING: every servo that answers within LeRobot's window (787 ms at 1 Mbaud), in
    /// arrival order, each id once.
    std::vector<PingedServo> broadcast_ping();

    /// Reads register `reg` of servo `id` (sign-magnitude decoded). Retries communication
    /// failures; throws DeviceError when they persist, or at once when the servo reports error
    /// bits (LeRobot's "[RxPacketError] ..." text).
    int read(const Register& reg, std::uint8_t id, int num_retry = 0);
    int read(std::string_view name, std::uint8_t id, int num_retry = 0) {
        return read(find_register(name), id, num_retry);
    }

    /// Writes `value` to register `reg` of servo `id` and waits for the acknowledgement (none for
    /// the broadcast id). Throws DeviceError as read() does, and for a value the register cannot
    /// hold (e.g. a homing offset beyond +-2047).
    void write(const Register& reg, std::uint8_t id, int value, int num_retry = 0);
    void write(std::string_view name, std::uint8_t id, int value, int num_retry = 0) {
        write(find_register(name), id, value, num_retry);
    }

    /// SYNC_READ of `reg` from `ids` with one deadline for all replies, accepted in any order.
    /// Error bits are ignored, as in LeRobot. Ids without a valid reply are asked again (only
    /// them) up to num_retry times. Never throws for missing replies: see SyncReadResult.
    SyncReadResult try_sync_read(const Register& reg,
                                 std::span<const std::uint8_t> ids,
                                 int num_retry = 0);

    /// try_sync_read(), returning the values in the order of `ids`; throws DeviceError naming every
    /// motor that did not answer, e.g. "failed to sync read Present_Position from wrist_flex (id 4)
    /// on /dev/ttyACM0 after 3 tries: [TxRxResult] There is no status packet!".
    std::vector<int> sync_read(const Register& reg,
                               std::span<const std::uint8_t> ids,
                               int num_retry = 0);

    /// SYNC_WRITE of `values[i]` to `ids[i]`; no servo replies. Throws DeviceError for values the
    /// register cannot hold, or when the port fails.
    void sync_write(const Register& reg,
                    std::span<const std::uint8_t> ids,
                    std::span<const int> values);

    /// LeRobot's disable_torque(): Torque_Enable = 0, then Lock = 0 (EEPROM writable), per motor.
    void disable_torque(std::span<const std::uint8_t> ids, int num_retry = 0);

    /// LeRobot's enable_torque(): Torque_Enable = 1, then Lock = 1, per motor.
    void enable_torque(std::span<const std::uint8_t> ids, int num_retry = 0);

    /// LeRobot's configure_motors(): Return_Delay_Time 0, Maximum_Acceleration 254,
    /// Acceleration 254, and Phase bit 4 (multi-turn readings) cleared when set.
    void configure_motors(std::span<const std::uint8_t> ids, int num_retry = 0);

    /// Switches the port's line speed; false when the adapter refuses it.
    bool set_baud_rate(int baud_rate) { return port_.set_baud_rate(baud_rate); }

    /// Counters since construction (transactions, retries, timeouts, damaged replies).
    const BusStats& stats() const { return stats_; }

private:
    struct Reply {
        CommResult result = CommResult::kTimeout;
        std::uint8_t error = 0;
        protocol::Bytes params;
        bool any_reply = false;  ///< Some attempt got bytes back (set by exchange_with_retries).
    };

    /// Starts a transaction: drops stale input, sends `request`, counts it, empties rx_buffer_.
    void send(const protocol::Bytes& request);
    /// Appends what the port delivers before `deadline` to rx_buffer_; false when nothing came.
    bool receive(SerialPort::Clock::time_point deadline);
    /// The next whole status packet in rx_buffer_ (consumed from it), or nullopt when what is
    /// there is not yet a whole packet. Throws DeviceError when the reply begins with the exact
    /// request just sent: the line echoes (only where no status packet can look the same: a
    /// unicast PING's echo is a voltage-error status, byte for byte).
    std::optional<protocol::ParseResult> next_status();

    /// Sends `request` once and waits for the status packet of `id` with `param_count` data bytes.
    Reply exchange(const protocol::Bytes& request, std::uint8_t id, std::size_t param_count);

    /// exchange() up to 1 + num_retry times while it fails to communicate.
    Reply exchange_with_retries(const protocol::Bytes& request,
                                std::uint8_t id,
                                std::size_t param_count,
                                int num_retry);

    std::uint32_t encode_value(const Register& reg, std::uint8_t id, int value) const;
    /// Throws DeviceError for a failed transaction or for error bits in its reply.
    void check_reply(std::string_view what,
                     const Register& reg,
                     std::uint8_t id,
                     const Reply& reply,
                     int tries) const;
    /// Torque_Enable = `value`, then Lock = 1 when on, 0 when off, per motor.
    void write_torque(std::span<const std::uint8_t> ids, int value, int num_retry);

    SerialPort& port_;
    std::map<std::uint8_t, std::string> motor_names_;
    BusStats stats_;
    std::vector<std::uint8_t> rx_buffer_;
    /// The request just sent, until the first bytes after it show it was not echoed back.
    std::vector<std::uint8_t> unchecked_request_;
    std::array<std::uint8_t, 512> rx_chunk_{};
};

/// A short hint for the error bits a servo reports ("check the power supply ..."); "" for none.
std::string error_hint(std::uint8_t error);

}  // namespace rcls::arm
