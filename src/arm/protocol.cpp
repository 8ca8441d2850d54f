// SPDX-License-Identifier: MIT
#include "rcls/arm/protocol.hpp"

#include <cstdlib>

namespace rcls::arm::protocol {
namespace {

constexpr std::uint8_t kHighestStatusId = 0xFD;  // SDK rxPacket: ids above this are noise
constexpr std::uint8_t kHighestErrorByte = 0x7F;

ParseResult parse_packet(std::span<const std::uint8_t> buffer, bool is_status) {
    std::size_t start = 0;
    while (true) {
        while (start + 1 < buffer.size() &&
               !(buffer[start] == kHeader && buffer[start + 1] == kHeader)) {
            ++start;
        }
        // Keep a lone trailing FF: it may be the first half of the next header.
        if (start + 1 >= buffer.size()) {
            const bool half_header = start < buffer.size() && buffer[start] == kHeader;
            return {ParseStatus::kIncomplete, {}, half_header ? start : buffer.size()};
        }
        if (buffer.size() - start < 5) return {ParseStatus::kIncomplete, {}, start};
        const std::uint8_t id = buffer[start + 2];
        const std::size_t length = buffer[start + 3];
        const std::uint8_t code = buffer[start + 4];
        // Runs of FF (FF FF FF ...) land here with id 0xFF: step one byte, as the SDK does.
        const std::uint8_t highest_id = is_status ? kHighestStatusId : kBroadcastId;
        if (id > highest_id || length < 2 || length > kMaxPacketSize ||
            (is_status && code > kHighestErrorByte)) {
            ++start;
            continue;
        }
        const std::size_t total = length + 4;
        if (buffer.size() - start < total) return {ParseStatus::kIncomplete, {}, start};
        const auto frame = buffer.subspan(start, total);
        Packet packet{id, code, Bytes(frame.begin() + 5, frame.end() - 1)};
        if (checksum(frame.subspan(2, total - 3)) != frame.back()) {
            packet.params.clear();
            return {ParseStatus::kBadChecksum, std::move(packet), start + 2};
        }
        return {ParseStatus::kOk, std::move(packet), start + total};
    }
}

}  // namespace

std::uint8_t checksum(std::span<const std::uint8_t> body) {
    unsigned sum = 0;
    for (const std::uint8_t byte : body) {
        sum += byte;
    }
    return static_cast<std::uint8_t>(~sum & 0xFFu);
}

Bytes encode_packet(std::uint8_t id, std::uint8_t code, std::span<const std::uint8_t> params) {
    Bytes packet;
    packet.reserve(params.size() + kStatusOverhead);
    packet.push_back(kHeader);
    packet.push_back(kHeader);
    packet.push_back(id);
    packet.push_back(static_cast<std::uint8_t>(params.size() + 2));
    packet.push_back(code);
    packet.insert(packet.end(), params.begin(), params.end());
    packet.push_back(checksum(std::span(packet).subspan(2)));
    return packet;
}

Bytes encode_instruction(std::uint8_t id,
                         Instruction instruction,
                         std::span<const std::uint8_t> params) {
    return encode_packet(id, static_cast<std::uint8_t>(instruction), params);
}

Bytes encode_status(std::uint8_t id, std::uint8_t error, std::span<const std::uint8_t> params) {
    return encode_packet(id, error, params);
}

Bytes ping(std::uint8_t id) {
    return encode_instruction(id, Instruction::kPing);
}

Bytes read(std::uint8_t id, std::uint8_t address, std::uint8_t length) {
    const std::uint8_t params[] = {address, length};
    return encode_instruction(id, Instruction::kRead, params);
}

namespace {

Bytes address_and_data(std::uint8_t address, std::span<const std::uint8_t> data) {
    Bytes params;
    params.reserve(data.size() + 1);
    params.push_back(address);
    params.insert(params.end(), data.begin(), data.end());
    return params;
}

}  // namespace

Bytes write(std::uint8_t id, std::uint8_t address, std::span<const std::uint8_t> data) {
    return encode_instruction(id, Instruction::kWrite, address_and_data(address, data));
}

Bytes reg_write(std::uint8_t id, std::uint8_t address, std::span<const std::uint8_t> data) {
    return encode_instruction(id, Instruction::kRegWrite, address_and_data(address, data));
}

Bytes action(std::uint8_t id) {
    return encode_instruction(id, Instruction::kAction);
}

Bytes sync_read(std::uint8_t address, std::uint8_t length, std::span<const std::uint8_t> ids) {
    Bytes params{address, length};
    params.insert(params.end(), ids.begin(), ids.end());
    return encode_instruction(kBroadcastId, Instruction::kSyncRead, params);
}

Bytes sync_write(std::uint8_t address,
                 std::uint8_t length,
                 std::span<const SyncWriteEntry> entries) {
    Bytes params{address, length};
    for (const SyncWriteEntry& entry : entries) {
        params.push_back(entry.id);
        params.insert(params.end(), entry.data.begin(), entry.data.end());
    }
    return encode_instruction(kBroadcastId, Instruction::kSyncWrite, params);
}

ParseResult parse_status(std::span<const std::uint8_t> buffer) {
    return parse_packet(buffer, true);
}

ParseResult parse_instruction(std::span<const std::uint8_t> buffer) {
    return parse_packet(buffer, false);
}

std::string error_text(std::uint8_t error) {
    if (error & kErrorVoltage) return "[RxPacketError] Input voltage error!";
    if (error & kErrorAngleSensor) return "[RxPacketError] Angle sen error!";
    if (error & kErrorOverheat) return "[RxPacketError] Overheat error!";
    if (error & kErrorOverCurrent) return "[RxPacketError] OverEle error!";
    if (error & kErrorOverload) return "[RxPacketError] Overload error!";
    return "";
}

std::optional<std::uint32_t> encode_sign_magnitude(std::int64_t value, int sign_bit) {
    const std::int64_t max_magnitude = (std::int64_t{1} << sign_bit) - 1;
    const std::int64_t magnitude = value < 0 ? -value : value;
    if (magnitude > max_magnitude) return std::nullopt;
    const std::uint32_t direction = value < 0 ? 1u : 0u;
    return (direction << sign_bit) | static_cast<std::uint32_t>(magnitude);
}

std::int32_t decode_sign_magnitude(std::uint32_t encoded, int sign_bit) {
    const std::uint32_t magnitude = encoded & ((1u << sign_bit) - 1u);
    const bool negative = ((encoded >> sign_bit) & 1u) != 0;
    return negative ? -static_cast<std::int32_t>(magnitude) : static_cast<std::int32_t>(magnitude);
}

Bytes to_little_endian(std::uint32_t value, std::size_t size) {
    Bytes bytes(size);
    for (std::size_t i = 0; i < size; ++i) {
        bytes[i] = static_cast<std::uint8_t>((value >> (8 * i)) & 0xFFu);
    }
    return bytes;
}

std::uint32_t from_little_endian(std::span<const std::uint8_t> bytes) {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < bytes.size() && i < 4; ++i) {
        value |= static_cast<std::uint32_t>(bytes[i]) << (8 * i);
    }
    return value;
}

Milliseconds packet_timeout(int baud_rate, std::size_t packet_length) {
    // SDK: tx_time_per_byte = (1000 / baudrate) * 10 ms; LeRobot's patch adds 3 bytes and 50 ms.
    const double byte_ms = 1000.0 / baud_rate * 10.0;
    return Milliseconds(byte_ms * static_cast<double>(packet_length) + byte_ms * 3.0 + 50.0);
}

Milliseconds broadcast_ping_timeout(int baud_rate) {
    const double byte_ms = 1000.0 / baud_rate * 10.0;
    const double wait_length = static_cast<double>(kStatusOverhead) * kMaxId;
    return Milliseconds(wait_length * byte_ms + 3.0 * kMaxId + 16.0);
}

}  // namespace rcls::arm::protocol
