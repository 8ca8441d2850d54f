// SPDX-License-Identifier: MIT
//
// Wire format of the Feetech STS/SMS servo bus (LeRobot's "protocol 0"), as the STS3215 in the
// SO-101 arm speaks it (../shared/docs/feetech_sts3215.md §1):
//
//     FF FF <id> <length> <instruction | error> <params...> <checksum>
//     length   = number of params + 2          (a whole packet is length + 4 bytes, 250 at most)
//     checksum = ~(id + length + instruction + params...) & 0xFF
//
// Registers are little-endian; negative values are sign-magnitude (bit 11 for Homing_Offset, bit 10
// for Present_Load, bit 15 for positions and velocities).
//
// Pure functions only: no I/O, no logging, no exceptions. Expected outcomes such as a short read
// or a bad checksum come back as ParseStatus; ServoBus decides what to do about them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace rcls::arm::protocol {

/// Raw bytes on the wire.
using Bytes = std::vector<std::uint8_t>;

inline constexpr std::uint8_t kHeader = 0xFF;       ///< Each packet starts with two of these.
inline constexpr std::uint8_t kBroadcastId = 0xFE;  ///< Every servo obeys; none replies (but PING).
inline constexpr std::uint8_t kMaxId = 0xFC;        ///< Highest servo id (252).
inline constexpr std::size_t kMaxPacketSize = 250;  ///< Longest packet the SDK sends or accepts.
inline constexpr std::size_t kStatusOverhead = 6;   ///< FF FF ID LEN ERR ... CHK.

/// Instruction codes (SDK scservo_def.py).
enum class Instruction : std::uint8_t {
    kPing = 0x01,
    kRead = 0x02,
    kWrite = 0x03,
    kRegWrite = 0x04,
    kAction = 0x05,
    kSyncRead = 0x82,
    kSyncWrite = 0x83,
};

/// Error bits of a status packet's ERR byte.
inline constexpr std::uint8_t kErrorVoltage = 0x01;
inline constexpr std::uint8_t kErrorAngleSensor = 0x02;
inline constexpr std::uint8_t kErrorOverheat = 0x04;
inline constexpr std::uint8_t kErrorOverCurrent = 0x08;
inline constexpr std::uint8_t kErrorOverload = 0x20;

/// ~(sum of `body`) & 0xFF, where `body` runs from the id byte to the last parameter.
std::uint8_t checksum(std::span<const std::uint8_t> body);

/// One packet, header and checksum included. `code` is the instruction (host to servo) or the
/// error byte (servo to host). `params` must hold at most kMaxPacketSize - 6 bytes.
Bytes encode_packet(std::uint8_t id, std::uint8_t code, std::span<const std::uint8_t> params);

/// An instruction packet.
Bytes encode_instruction(std::uint8_t id,
                         Instruction instruction,
                         std::span<const std::uint8_t> params = {});

/// A status packet, as a servo sends it.
Bytes encode_status(std::uint8_t id, std::uint8_t error, std::span<const std::uint8_t> params = {});

/// PING `id` (no parameters).
Bytes ping(std::uint8_t id);

/// READ `length` bytes from register `address` of servo `id`.
Bytes read(std::uint8_t id, std::uint8_t address, std::uint8_t length);

/// WRITE `data` (already little-endian) to register `address` of servo `id`.
Bytes write(std::uint8_t id, std::uint8_t address, std::span<const std::uint8_t> data);

/// REG_WRITE: like write(), but the servo applies it only on ACTION.
Bytes reg_write(std::uint8_t id, std::uint8_t address, std::span<const std::uint8_t> data);

/// ACTION: apply buffered REG_WRITEs (`id` may be kBroadcastId).
Bytes action(std::uint8_t id);

/// SYNC_READ `length` bytes at `address` from each of `ids`; each answers in the listed order.
Bytes sync_read(std::uint8_t address, std::uint8_t length, std::span<const std::uint8_t> ids);

/// One servo's share of a SYNC_WRITE.
struct SyncWriteEntry {
    std::uint8_t id = 0;
    Bytes data;  ///< Exactly `length` bytes, little-endian.
};

/// SYNC_WRITE `length` bytes at `address` to several servos at once; no servo replies.
Bytes sync_write(std::uint8_t address,
                 std::uint8_t length,
                 std::span<const SyncWriteEntry> entries);

/// A decoded packet: a status (code = error bits) or an instruction (code = instruction).
struct Packet {
    std::uint8_t id = 0;
    std::uint8_t code = 0;
    Bytes params;
};

/// What parse_status() / parse_instruction() found at the front of a buffer.
enum class ParseStatus {
    kOk,           ///< `packet` holds a packet with a valid checksum.
    kIncomplete,   ///< No whole packet yet: read more bytes (or time out).
    kBadChecksum,  ///< A whole frame whose checksum is wrong; `packet.id` is its (suspect) id.
};

/// Result of parsing the front of a receive buffer.
struct ParseResult {
    ParseStatus status = ParseStatus::kIncomplete;
    Packet packet;             ///< Meaningful for kOk (and the id for kBadChecksum).
    std::size_t consumed = 0;  ///< Bytes at the front that can be dropped (noise included).
};

/// Looks for the first status packet in `buffer` with the SDK's rules (§1.10): skip to the next
/// FF FF; drop one byte when the id is above 0xFD, the length is below 2 or above 250, or the
/// error byte is above 0x7F (resynchronisation on garbage); wait for length + 4 bytes; check the
/// checksum. A bad frame consumes only its two header bytes, so that a whole packet hidden behind
/// a truncated one is still found.
ParseResult parse_status(std::span<const std::uint8_t> buffer);

/// The same for instruction packets (what a servo receives): ids up to the broadcast id 0xFE,
/// and the code byte is not range-checked.
ParseResult parse_instruction(std::span<const std::uint8_t> buffer);

/// LeRobot's text for the first error bit set, checked in the SDK's order (voltage, angle sensor,
/// overheat, over-current, overload), e.g. "[RxPacketError] Overload error!"; "" when none.
std::string error_text(std::uint8_t error);

/// "[TxRxResult] There is no status packet!" (nothing came back in time).
inline constexpr const char* kNoStatusText = "[TxRxResult] There is no status packet!";
/// "[TxRxResult] Incorrect status packet!" (a reply came back damaged).
inline constexpr const char* kCorruptStatusText = "[TxRxResult] Incorrect status packet!";

/// Sign-magnitude encoding with the sign at bit `sign_bit` (LeRobot encoding_utils). nullopt when
/// |value| does not fit in `sign_bit` bits (e.g. 2114 with bit 11: "Magnitude 2114 exceeds 2047").
std::optional<std::uint32_t> encode_sign_magnitude(std::int64_t value, int sign_bit);

/// Inverse of encode_sign_magnitude(); bits above `sign_bit` are ignored.
std::int32_t decode_sign_magnitude(std::uint32_t encoded, int sign_bit);

/// The low `size` bytes of `value`, least significant first (size 1, 2 or 4).
Bytes to_little_endian(std::uint32_t value, std::size_t size);

/// Inverse of to_little_endian() for 1 to 4 bytes.
std::uint32_t from_little_endian(std::span<const std::uint8_t> bytes);

/// Milliseconds, as the SDK counts them.
using Milliseconds = std::chrono::duration<double, std::milli>;

/// LeRobot's (monkey-patched) reply timeout for a transaction whose reply stream is
/// `packet_length` bytes: 10000/baud * (packet_length + 3) + 50 ms. About 50 ms at 1 Mbaud.
Milliseconds packet_timeout(int baud_rate, std::size_t packet_length);

/// LeRobot's broadcast-ping window: 6 * 252 bytes + 3 ms * 252 + 16 ms (787.1 ms at 1 Mbaud).
Milliseconds broadcast_ping_timeout(int baud_rate);

}  // namespace rcls::arm::protocol
