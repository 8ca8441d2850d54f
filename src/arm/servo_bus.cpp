// SPDX-License-Identifier: MIT
#include "rcls/arm/servo_bus.hpp"

#include <algorithm>
#include <array>

#include <spdlog/spdlog.h>

#include "rcls/arm/protocol.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/strings.hpp"

namespace rcls::arm {
namespace {

using protocol::Bytes;
using Clock = SerialPort::Clock;

Clock::time_point deadline_after(const SerialPort& port, protocol::Milliseconds timeout) {
    return port.now() + std::chrono::duration_cast<Clock::duration>(timeout);
}

}  // namespace

std::string comm_text(CommResult result) {
    switch (result) {
        case CommResult::kSuccess:
            return "[TxRxResult] Communication success!";
        case CommResult::kTimeout:
            return protocol::kNoStatusText;
        case CommResult::kCorrupt:
            return protocol::kCorruptStatusText;
    }
    return "";
}

std::string error_hint(std::uint8_t error) {
    if (error & protocol::kErrorVoltage) {
        return "check the power supply: 7.4 V motors need a 5-7.4 V supply, 12 V motors 12 V";
    }
    if (error & protocol::kErrorAngleSensor) return "the motor's position sensor failed";
    if (error & protocol::kErrorOverheat) return "let the motor cool down";
    if (error & (protocol::kErrorOverCurrent | protocol::kErrorOverload)) {
        return "the motor is stalled or overloaded; free the joint, then power the arm off and on";
    }
    return "";
}

ServoBus::ServoBus(SerialPort& port, std::map<std::uint8_t, std::string> motor_names)
    : port_(port), motor_names_(std::move(motor_names)) {
    rx_buffer_.reserve(512);
}

std::string ServoBus::describe(std::uint8_t id) const {
    const auto it = motor_names_.find(id);
    const std::string number = "id " + std::to_string(id);
    return it == motor_names_.end() ? number : it->second + " (" + number + ")";
}

namespace {

/// What an echoing line is, and what to do about it.
DeviceError echo_error(const std::string& port) {
    return DeviceError(port +
                       ": the line echoes every packet sent (the reply began with the exact "
                       "instruction packet just sent: a half-duplex adapter without echo "
                       "suppression, or TX wired straight to RX); use a bus adapter that "
                       "suppresses its own echo (the Waveshare or Feetech URT-1 board LeRobot "
                       "uses), or set its jumper or switch to the servo (half-duplex) mode");
}

bool is_unicast_ping(const protocol::Bytes& request) {
    return request.size() > 4 && request[2] != protocol::kBroadcastId &&
           request[4] == static_cast<std::uint8_t>(protocol::Instruction::kPing);
}

}  // namespace

void ServoBus::send(const Bytes& request) {
    port_.flush_input();
    port_.write(request);
    ++stats_.transactions;
    rx_buffer_.clear();
    unchecked_request_ = request;
    // A unicast PING's echo is also a valid status packet (a voltage error): exchange() tells
    // them apart by the servo's own reply that follows an echo.
    if (is_unicast_ping(request)) unchecked_request_.clear();
}

bool ServoBus::receive(SerialPort::Clock::time_point deadline) {
    const std::size_t n = port_.read(rx_chunk_, deadline);
    rx_buffer_.insert(rx_buffer_.end(), rx_chunk_.begin(),
                      rx_chunk_.begin() + static_cast<std::ptrdiff_t>(n));
    return n > 0;
}

std::optional<protocol::ParseResult> ServoBus::next_status() {
    if (!unchecked_request_.empty()) {
        const std::size_t n = std::min(rx_buffer_.size(), unchecked_request_.size());
        if (!std::equal(rx_buffer_.begin(), rx_buffer_.begin() + static_cast<std::ptrdiff_t>(n),
                        unchecked_request_.begin())) {
            unchecked_request_.clear();  // a reply, not our own bytes
        } else if (n == unchecked_request_.size()) {
            throw echo_error(port_name());
        }
    }
    protocol::ParseResult parsed = protocol::parse_status(rx_buffer_);
    rx_buffer_.erase(rx_buffer_.begin(),
                     rx_buffer_.begin() + static_cast<std::ptrdiff_t>(parsed.consumed));
    if (parsed.status == protocol::ParseStatus::kIncomplete) return std::nullopt;
    return parsed;
}

ServoBus::Reply ServoBus::exchange(const Bytes& request, std::uint8_t id, std::size_t param_count) {
    send(request);
    const auto deadline = deadline_after(
        port_,
        protocol::packet_timeout(port_.baud_rate(), param_count + protocol::kStatusOverhead));
    Reply reply;
    // A unicast PING answered by a status byte for byte equal to it (error bits = the PING
    // instruction, 0x01): the servo's voltage error, or the line's echo of the PING when a second
    // status of that id follows before the deadline.
    std::optional<Reply> maybe_echo;
    const bool ping = is_unicast_ping(request);
    while (true) {
        while (const std::optional<protocol::ParseResult> status = next_status()) {
            const protocol::ParseResult& parsed = *status;
            // The SDK skips packets from other ids. A damaged reply (bad checksum, wrong
            // length) ends the attempt at once, as the SDK's COMM_RX_CORRUPT does.
            if (parsed.packet.id != id) continue;
            if (parsed.status == protocol::ParseStatus::kBadChecksum ||
                parsed.packet.params.size() != param_count) {
                reply.result = CommResult::kCorrupt;
                break;
            }
            if (maybe_echo) throw echo_error(port_name());
            reply.result = CommResult::kSuccess;
            reply.error = parsed.packet.code;
            reply.params = parsed.packet.params;
            if (ping && parsed.packet.code == request[4] && parsed.packet.params.empty()) {
                maybe_echo = reply;
                continue;
            }
            return reply;
        }
        if (reply.result == CommResult::kCorrupt || !receive(deadline)) break;
    }
    if (maybe_echo && reply.result != CommResult::kCorrupt) return *maybe_echo;
    // Bytes that never became a whole packet are a truncated reply (the SDK's COMM_RX_CORRUPT).
    if (reply.result == CommResult::kTimeout && !rx_buffer_.empty()) {
        reply.result = CommResult::kCorrupt;
    }
    if (reply.result == CommResult::kCorrupt) {
        ++stats_.corrupt;
    } else {
        ++stats_.timeouts;
    }
    return reply;
}

ServoBus::Reply ServoBus::exchange_with_retries(const Bytes& request,
                                                std::uint8_t id,
                                                std::size_t param_count,
                                                int num_retry) {
    Reply reply;
    for (int attempt = 0; attempt <= num_retry; ++attempt) {
        if (attempt > 0) {
            ++stats_.retries;
            spdlog::debug("{}: {} {}: {}, retry {}/{}", port_.name(), describe(id),
                          "no valid reply", comm_text(reply.result), attempt, num_retry);
        }
        const bool any_reply = reply.any_reply;
        reply = exchange(request, id, param_count);
        reply.any_reply = any_reply || reply.result != CommResult::kTimeout;
        if (reply.result == CommResult::kSuccess) {
            if (reply.error != 0) ++stats_.error_replies;
            return reply;
        }
    }
    return reply;
}

PingResult ServoBus::ping(std::uint8_t id, int num_retry) {
    const Reply reply = exchange_with_retries(protocol::ping(id), id, 0, num_retry);
    return {reply.result, reply.error, reply.any_reply};
}

std::vector<PingedServo> ServoBus::broadcast_ping() {
    send(protocol::ping(protocol::kBroadcastId));
    const auto deadline =
        deadline_after(port_, protocol::broadcast_ping_timeout(port_.baud_rate()));
    std::vector<PingedServo> found;
    while (receive(deadline)) {
        while (const std::optional<protocol::ParseResult> status = next_status()) {
            const protocol::ParseResult& parsed = *status;
            if (parsed.status == protocol::ParseStatus::kBadChecksum) {
                ++stats_.corrupt;
                continue;
            }
            const std::uint8_t id = parsed.packet.id;
            const bool seen = std::any_of(found.begin(), found.end(),
                                          [id](const PingedServo& s) { return s.id == id; });
            if (!seen && parsed.packet.params.empty()) found.push_back({id, parsed.packet.code});
        }
    }
    return found;
}

std::uint32_t ServoBus::encode_value(const Register& reg, std::uint8_t id, int value) const {
    std::int64_t encoded = value;
    if (reg.sign_bit != 0) {
        const auto sign_magnitude = protocol::encode_sign_magnitude(value, reg.sign_bit);
        if (!sign_magnitude) {
            throw DeviceError(std::string(reg.name) + " of " + describe(id) + " on " + port_name() +
                              ": magnitude " + std::to_string(value < 0 ? -value : value) +
                              " exceeds " + std::to_string((1 << reg.sign_bit) - 1));
        }
        encoded = *sign_magnitude;
    }
    const std::int64_t limit = std::int64_t{1} << (8 * reg.size);
    if (encoded < 0 || encoded >= limit) {
        throw DeviceError(std::string(reg.name) + " of " + describe(id) + " on " + port_name() +
                          ": value " + std::to_string(value) + " does not fit in " +
                          std::to_string(reg.size) + " byte" + (reg.size > 1 ? "s" : ""));
    }
    return static_cast<std::uint32_t>(encoded);
}

void ServoBus::check_reply(std::string_view what,
                           const Register& reg,
                           std::uint8_t id,
                           const Reply& reply,
                           int tries) const {
    const std::string subject = "failed to " + std::string(what) + " " + std::string(reg.name) +
                                " of " + describe(id) + " on " + port_name();
    if (reply.result != CommResult::kSuccess) {
        throw DeviceError(subject + " after " + std::to_string(tries) +
                          (tries == 1 ? " try: " : " tries: ") + comm_text(reply.result) +
                          (reply.result == CommResult::kTimeout
                               ? " (is the motor connected and powered?)"
                               : " (check the cable and the power supply)"));
    }
    // LeRobot raises at once on error bits, without retrying.
    if (reply.error != 0) {
        throw DeviceError(subject + ": " + protocol::error_text(reply.error) + " (" +
                          error_hint(reply.error) + ")");
    }
}

int ServoBus::read(const Register& reg, std::uint8_t id, int num_retry) {
    const Reply reply =
        exchange_with_retries(protocol::read(id, reg.address, reg.size), id, reg.size, num_retry);
    check_reply("read", reg, id, reply, num_retry + 1);
    return decode_value(reg, reply.params);
}

void ServoBus::write(const Register& reg, std::uint8_t id, int value, int num_retry) {
    const Bytes data = protocol::to_little_endian(encode_value(reg, id, value), reg.size);
    const Bytes request = protocol::write(id, reg.address, data);
    if (id == protocol::kBroadcastId) {
        send(request);
        return;
    }
    const Reply reply = exchange_with_retries(request, id, 0, num_retry);
    check_reply("write", reg, id, reply, num_retry + 1);
}

SyncReadResult ServoBus::try_sync_read(const Register& reg,
                                       std::span<const std::uint8_t> ids,
                                       int num_retry) {
    SyncReadResult result;
    std::vector<std::uint8_t> pending(ids.begin(), ids.end());
    std::vector<CommResult> outcome;
    for (int attempt = 0; attempt <= num_retry && !pending.empty(); ++attempt) {
        if (attempt > 0) {
            ++stats_.retries;
            spdlog::debug("{}: sync read {}: {} id(s) missing, retry {}/{}", port_.name(), reg.name,
                          pending.size(), attempt, num_retry);
        }
        result.attempts = attempt + 1;
        send(protocol::sync_read(reg.address, reg.size, pending));
        // One window for the whole reply stream, as the SDK's GroupSyncRead.
        const auto deadline = deadline_after(
            port_, protocol::packet_timeout(
                       port_.baud_rate(), (protocol::kStatusOverhead + reg.size) * pending.size()));
        outcome.assign(pending.size(), CommResult::kTimeout);
        std::size_t resolved = 0;  // ids with a valid or a damaged reply
        while (resolved < pending.size() && receive(deadline)) {
            while (const std::optional<protocol::ParseResult> status = next_status()) {
                const protocol::ParseResult& parsed = *status;
                const auto it = std::find(pending.begin(), pending.end(), parsed.packet.id);
                if (it == pending.end()) continue;
                const auto index = static_cast<std::size_t>(it - pending.begin());
                if (outcome[index] == CommResult::kSuccess) continue;
                if (outcome[index] == CommResult::kTimeout) ++resolved;
                if (parsed.status == protocol::ParseStatus::kBadChecksum ||
                    parsed.packet.params.size() != reg.size) {
                    outcome[index] = CommResult::kCorrupt;
                    continue;
                }
                if (parsed.packet.code != 0) ++stats_.error_replies;
                result.values[parsed.packet.id] = decode_value(reg, parsed.packet.params);
                outcome[index] = CommResult::kSuccess;
            }
        }
        std::vector<std::uint8_t> still_pending;
        for (std::size_t i = 0; i < pending.size(); ++i) {
            if (outcome[i] == CommResult::kSuccess) continue;
            // Leftover bytes mean a reply was cut short.
            const CommResult failure = outcome[i] == CommResult::kTimeout && !rx_buffer_.empty()
                                           ? CommResult::kCorrupt
                                           : outcome[i];
            if (failure == CommResult::kCorrupt) {
                ++stats_.corrupt;
            } else {
                ++stats_.timeouts;
            }
            result.failure = failure;
            still_pending.push_back(pending[i]);
        }
        pending = std::move(still_pending);
    }
    result.failed = pending;
    if (pending.empty()) result.failure = CommResult::kSuccess;
    return result;
}

std::vector<int> ServoBus::sync_read(const Register& reg,
                                     std::span<const std::uint8_t> ids,
                                     int num_retry) {
    SyncReadResult result = try_sync_read(reg, ids, num_retry);
    if (!result.failed.empty()) {
        std::vector<std::string> names;
        for (const std::uint8_t id : result.failed) {
            names.push_back(describe(id));
        }
        throw DeviceError(
            "failed to sync read " + std::string(reg.name) + " from " + join(names, ", ") + " on " +
            port_name() + " after " + std::to_string(result.attempts) +
            (result.attempts == 1 ? " try: " : " tries: ") + comm_text(result.failure) +
            (result.failure == CommResult::kTimeout ? " (is every motor connected and powered?)"
                                                    : " (check the cables and the power supply)"));
    }
    std::vector<int> values;
    values.reserve(ids.size());
    for (const std::uint8_t id : ids) {
        values.push_back(result.values.at(id));
    }
    return values;
}

void ServoBus::sync_write(const Register& reg,
                          std::span<const std::uint8_t> ids,
                          std::span<const int> values) {
    std::vector<protocol::SyncWriteEntry> entries;
    entries.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        entries.push_back(
            {ids[i], protocol::to_little_endian(encode_value(reg, ids[i], values[i]), reg.size)});
    }
    send(protocol::sync_write(reg.address, reg.size, entries));
}

void ServoBus::write_torque(std::span<const std::uint8_t> ids, int value, int num_retry) {
    static const Register& torque = find_register("Torque_Enable");
    static const Register& lock = find_register("Lock");
    for (const std::uint8_t id : ids) {
        write(torque, id, value, num_retry);
        write(lock, id, value == kTorqueEnabled ? 1 : 0, num_retry);
    }
}

void ServoBus::disable_torque(std::span<const std::uint8_t> ids, int num_retry) {
    write_torque(ids, kTorqueDisabled, num_retry);
}

void ServoBus::enable_torque(std::span<const std::uint8_t> ids, int num_retry) {
    write_torque(ids, kTorqueEnabled, num_retry);
}

void ServoBus::configure_motors(std::span<const std::uint8_t> ids, int num_retry) {
    static const Register& phase = find_register("Phase");
    constexpr int kMultiTurnBit = 0x10;
    for (const std::uint8_t id : ids) {
        write("Return_Delay_Time", id, 0, num_retry);
        write("Maximum_Acceleration", id, 254, num_retry);
        write("Acceleration", id, 254, num_retry);
        const int value = read(phase, id, num_retry);
        if ((value & kMultiTurnBit) != 0) write(phase, id, value & ~kMultiTurnBit, num_retry);
    }
}

}  // namespace rcls::arm
