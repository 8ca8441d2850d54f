// SPDX-License-Identifier: MIT
//
// libFuzzer target for the status-packet parser (and the simulator's instruction parser): any
// byte stream, parsed the way ServoBus consumes a reply stream, must never crash, read out of
// bounds, stall, or accept a packet that does not re-encode to the bytes it came from.
// Built by scripts/fuzz_protocol.sh (clang, -DRCLS_BUILD_FUZZ=ON).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "rcls/arm/protocol.hpp"

namespace {

using rcls::arm::protocol::Bytes;
using rcls::arm::protocol::ParseResult;
using rcls::arm::protocol::ParseStatus;

void check(bool condition) {
    if (!condition) std::abort();
}

template <class Parse>
void consume_stream(std::span<const std::uint8_t> stream, Parse parse, bool is_status) {
    while (!stream.empty()) {
        const ParseResult result = parse(stream);
        check(result.consumed <= stream.size());
        if (result.status == ParseStatus::kOk) {
            const auto& packet = result.packet;
            check(!is_status || packet.code <= 0x7F);
            check(!is_status || packet.id <= 0xFD);
            // The accepted frame is exactly what encode_packet() builds from its fields.
            const Bytes frame =
                rcls::arm::protocol::encode_packet(packet.id, packet.code, packet.params);
            check(result.consumed >= frame.size());
            const auto tail = stream.subspan(result.consumed - frame.size(), frame.size());
            check(std::equal(frame.begin(), frame.end(), tail.begin()));
        }
        if (result.status == ParseStatus::kBadChecksum) check(result.consumed > 0);
        if (result.consumed == 0) break;  // incomplete: the bus would wait for more bytes
        stream = stream.subspan(result.consumed);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> input(data, size);
    consume_stream(input, rcls::arm::protocol::parse_status, true);
    consume_stream(input, rcls::arm::protocol::parse_instruction, false);
    // Sign-magnitude round trip on the first bytes, as registers decode them.
    if (size >= 2) {
        const std::uint32_t raw = rcls::arm::protocol::from_little_endian(input.first(2));
        for (const int bit : {10, 11, 15}) {
            const std::int32_t value = rcls::arm::protocol::decode_sign_magnitude(raw, bit);
            const auto encoded = rcls::arm::protocol::encode_sign_magnitude(value, bit);
            check(encoded.has_value());
            check(rcls::arm::protocol::decode_sign_magnitude(*encoded, bit) == value);
        }
    }
    return 0;
}
