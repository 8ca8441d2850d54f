// SPDX-License-Identifier: MIT
//
// The STS3215 wire format. Expected bytes are the verified vectors of feetech_sts3215.md §1.12
// (cross-checked there with the Feetech SDK's packet builder), never the output of encode itself.
#include "rcls/arm/protocol.hpp"

#include <gtest/gtest.h>

namespace rcls::arm::protocol {
namespace {

TEST(ProtocolEncode, PingMatchesGoldenVector) {
    EXPECT_EQ(ping(1), (Bytes{0xFF, 0xFF, 0x01, 0x02, 0x01, 0xFB}));
}

TEST(ProtocolEncode, BroadcastPingMatchesGoldenVector) {
    EXPECT_EQ(ping(kBroadcastId), (Bytes{0xFF, 0xFF, 0xFE, 0x02, 0x01, 0xFE}));
}

TEST(ProtocolEncode, ReadModelNumberMatchesGoldenVector) {
    EXPECT_EQ(read(1, 3, 2), (Bytes{0xFF, 0xFF, 0x01, 0x04, 0x02, 0x03, 0x02, 0xF3}));
}

TEST(ProtocolEncode, ReadPresentPositionMatchesGoldenVector) {
    EXPECT_EQ(read(1, 56, 2), (Bytes{0xFF, 0xFF, 0x01, 0x04, 0x02, 0x38, 0x02, 0xBE}));
}

TEST(ProtocolEncode, WriteTorqueEnableMatchesGoldenVector) {
    const Bytes data{0x01};
    EXPECT_EQ(write(1, 40, data), (Bytes{0xFF, 0xFF, 0x01, 0x04, 0x03, 0x28, 0x01, 0xCE}));
}

TEST(ProtocolEncode, WriteLockMatchesGoldenVector) {
    const Bytes data{0x00};
    EXPECT_EQ(write(3, 55, data), (Bytes{0xFF, 0xFF, 0x03, 0x04, 0x03, 0x37, 0x00, 0xBE}));
}

TEST(ProtocolEncode, WriteNegativeHomingOffsetMatchesGoldenVector) {
    const auto encoded = encode_sign_magnitude(-710, 11);
    ASSERT_TRUE(encoded);
    EXPECT_EQ(*encoded, 0x0AC6u);  // bit 11 set, magnitude 710
    const Bytes data = to_little_endian(*encoded, 2);
    EXPECT_EQ(write(1, 31, data), (Bytes{0xFF, 0xFF, 0x01, 0x05, 0x03, 0x1F, 0xC6, 0x0A, 0x07}));
}

TEST(ProtocolEncode, WriteGoalPositionMatchesGoldenVector) {
    const Bytes data = to_little_endian(2048, 2);
    EXPECT_EQ(write(2, 42, data), (Bytes{0xFF, 0xFF, 0x02, 0x05, 0x03, 0x2A, 0x00, 0x08, 0xC3}));
}

TEST(ProtocolEncode, SyncReadPresentPositionMatchesGoldenVector) {
    const Bytes ids{1, 2, 3, 4, 5, 6};
    EXPECT_EQ(sync_read(56, 2, ids), (Bytes{0xFF, 0xFF, 0xFE, 0x0A, 0x82, 0x38, 0x02, 0x01, 0x02,
                                            0x03, 0x04, 0x05, 0x06, 0x26}));
}

TEST(ProtocolEncode, SyncWriteGoalPositionMatchesGoldenVector) {
    const int goals[] = {2048, 1024, 3072, 2000, 0, 4095};
    std::vector<SyncWriteEntry> entries;
    for (std::uint8_t id = 1; id <= 6; ++id) {
        entries.push_back({id, to_little_endian(static_cast<std::uint32_t>(goals[id - 1]), 2)});
    }
    EXPECT_EQ(
        sync_write(42, 2, entries),
        (Bytes{0xFF, 0xFF, 0xFE, 0x16, 0x83, 0x2A, 0x02, 0x01, 0x00, 0x08, 0x02, 0x00, 0x04,
               0x03, 0x00, 0x0C, 0x04, 0xD0, 0x07, 0x05, 0x00, 0x00, 0x06, 0xFF, 0x0F, 0x2A}));
}

TEST(ProtocolEncode, StatusPacketsMatchGoldenVectors) {
    EXPECT_EQ(encode_status(1, 0), (Bytes{0xFF, 0xFF, 0x01, 0x02, 0x00, 0xFC}));
    EXPECT_EQ(encode_status(1, 0x20), (Bytes{0xFF, 0xFF, 0x01, 0x02, 0x20, 0xDC}));
    const Bytes model{0x09, 0x03};
    EXPECT_EQ(encode_status(1, 0, model), (Bytes{0xFF, 0xFF, 0x01, 0x04, 0x00, 0x09, 0x03, 0xEE}));
}

TEST(ProtocolEncode, RegWriteAndActionUseTheirInstructionCodes) {
    const Bytes data{0x01};
    EXPECT_EQ(reg_write(1, 40, data), (Bytes{0xFF, 0xFF, 0x01, 0x04, 0x04, 0x28, 0x01, 0xCD}));
    EXPECT_EQ(action(kBroadcastId), (Bytes{0xFF, 0xFF, 0xFE, 0x02, 0x05, 0xFA}));
}

TEST(ProtocolParse, ReadsModelNumberReply) {
    const Bytes wire{0xFF, 0xFF, 0x01, 0x04, 0x00, 0x09, 0x03, 0xEE};
    const ParseResult result = parse_status(wire);
    ASSERT_EQ(result.status, ParseStatus::kOk);
    EXPECT_EQ(result.packet.id, 1);
    EXPECT_EQ(result.packet.code, 0);
    EXPECT_EQ(from_little_endian(result.packet.params), 777u);
    EXPECT_EQ(result.consumed, 8u);
}

TEST(ProtocolParse, ReadsSyncReadRepliesOneAfterAnother) {
    const Bytes wire{0xFF, 0xFF, 0x01, 0x04, 0x00, 0xFF, 0x07, 0xF4, 0xFF, 0xFF, 0x02, 0x04,
                     0x00, 0xDC, 0x05, 0x18, 0xFF, 0xFF, 0x03, 0x04, 0x00, 0xB8, 0x0B, 0x35};
    std::span<const std::uint8_t> rest(wire);
    const std::uint32_t expected[] = {2047, 1500, 3000};
    for (std::uint8_t id = 1; id <= 3; ++id) {
        const ParseResult result = parse_status(rest);
        ASSERT_EQ(result.status, ParseStatus::kOk) << int(id);
        EXPECT_EQ(result.packet.id, id);
        EXPECT_EQ(from_little_endian(result.packet.params), expected[id - 1]);
        rest = rest.subspan(result.consumed);
    }
    EXPECT_TRUE(rest.empty());
}

TEST(ProtocolParse, ReadsTheManualsPositionExample) {
    const Bytes wire{0xFF, 0xFF, 0x01, 0x04, 0x00, 0x18, 0x05, 0xDD};
    const ParseResult result = parse_status(wire);
    ASSERT_EQ(result.status, ParseStatus::kOk);
    EXPECT_EQ(from_little_endian(result.packet.params), 1304u);
}

TEST(ProtocolParse, ReportsBadChecksumWithoutThrowing) {
    const Bytes wire{0xFF, 0xFF, 0x01, 0x04, 0x00, 0xFF, 0x07, 0x00};
    const ParseResult result = parse_status(wire);
    EXPECT_EQ(result.status, ParseStatus::kBadChecksum);
    EXPECT_EQ(result.packet.id, 1);
    EXPECT_EQ(result.consumed, 2u);  // only the header: a packet hidden behind it is still found
}

TEST(ProtocolParse, WaitsForTheRestOfAPacket) {
    const Bytes wire{0xFF, 0xFF, 0x01, 0x04, 0x00, 0xFF};
    const ParseResult result = parse_status(wire);
    EXPECT_EQ(result.status, ParseStatus::kIncomplete);
    EXPECT_EQ(result.consumed, 0u);
}

TEST(ProtocolParse, ResynchronisesAfterGarbage) {
    const Bytes wire{0x13, 0x00, 0xFF, 0x42, 0xFF, 0xFF, 0x01, 0x02, 0x00, 0xFC};
    const ParseResult result = parse_status(wire);
    ASSERT_EQ(result.status, ParseStatus::kOk);
    EXPECT_EQ(result.packet.id, 1);
    EXPECT_EQ(result.consumed, wire.size());
}

TEST(ProtocolParse, DropsOneByteForAnImpossibleIdLengthOrErrorByte) {
    // FF FF FF 01 ...: id 0xFF is noise, the real header starts one byte later.
    const Bytes run{0xFF, 0xFF, 0xFF, 0x01, 0x02, 0x00, 0xFC};
    EXPECT_EQ(parse_status(run).status, ParseStatus::kOk);
    // A length of 251 is rejected (SDK: LEN > 250), and so is an error byte above 0x7F.
    const Bytes long_length{0xFF, 0xFF, 0x01, 0xFB, 0x00, 0xFF, 0xFF, 0x02, 0x02, 0x00, 0xFB};
    const ParseResult result = parse_status(long_length);
    ASSERT_EQ(result.status, ParseStatus::kOk);
    EXPECT_EQ(result.packet.id, 2);
    const Bytes high_error{0xFF, 0xFF, 0x01, 0x02, 0x80, 0x7C};
    EXPECT_EQ(parse_status(high_error).status, ParseStatus::kIncomplete);
}

TEST(ProtocolParse, FindsAWholeReplyBehindATruncatedOne) {
    // id 2's reply was cut after its length byte; id 3's follows in full.
    const Bytes wire{0xFF, 0xFF, 0x02, 0x04, 0xFF, 0xFF, 0x03, 0x04, 0x00, 0xB8, 0x0B, 0x35};
    std::span<const std::uint8_t> rest(wire);
    ParseResult result = parse_status(rest);
    while (result.status != ParseStatus::kOk && result.consumed > 0) {
        rest = rest.subspan(result.consumed);
        result = parse_status(rest);
    }
    ASSERT_EQ(result.status, ParseStatus::kOk);
    EXPECT_EQ(result.packet.id, 3);
    EXPECT_EQ(from_little_endian(result.packet.params), 3000u);
}

TEST(ProtocolParse, KeepsALoneTrailingHeaderByte) {
    const Bytes wire{0x01, 0x02, 0xFF};
    const ParseResult result = parse_status(wire);
    EXPECT_EQ(result.status, ParseStatus::kIncomplete);
    EXPECT_EQ(result.consumed, 2u);
}

TEST(ProtocolParse, InstructionParserAcceptsBroadcastAndSyncCodes) {
    const Bytes wire{0xFF, 0xFF, 0xFE, 0x0A, 0x82, 0x38, 0x02,
                     0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x26};
    const ParseResult result = parse_instruction(wire);
    ASSERT_EQ(result.status, ParseStatus::kOk);
    EXPECT_EQ(result.packet.id, kBroadcastId);
    EXPECT_EQ(result.packet.code, 0x82);
    EXPECT_EQ(result.packet.params.size(), 8u);
    EXPECT_NE(parse_status(wire).status, ParseStatus::kOk);  // 0xFE is no status id
}

TEST(ProtocolErrors, TextsAreLeRobots) {
    EXPECT_EQ(error_text(0x00), "");
    EXPECT_EQ(error_text(0x01), "[RxPacketError] Input voltage error!");
    EXPECT_EQ(error_text(0x02), "[RxPacketError] Angle sen error!");
    EXPECT_EQ(error_text(0x04), "[RxPacketError] Overheat error!");
    EXPECT_EQ(error_text(0x08), "[RxPacketError] OverEle error!");
    EXPECT_EQ(error_text(0x20), "[RxPacketError] Overload error!");
    // Several bits: the SDK reports the first in its order.
    EXPECT_EQ(error_text(0x21), "[RxPacketError] Input voltage error!");
    EXPECT_EQ(std::string(kNoStatusText), "[TxRxResult] There is no status packet!");
    EXPECT_EQ(std::string(kCorruptStatusText), "[TxRxResult] Incorrect status packet!");
}

TEST(ProtocolValues, SignMagnitudeMatchesLeRobot) {
    EXPECT_EQ(encode_sign_magnitude(710, 11), 710u);
    EXPECT_EQ(encode_sign_magnitude(-2005, 11), 0x800u + 2005u);
    EXPECT_EQ(encode_sign_magnitude(2047, 11), 2047u);
    EXPECT_FALSE(encode_sign_magnitude(2114, 11));  // "Magnitude 2114 exceeds 2047"
    EXPECT_FALSE(encode_sign_magnitude(-2048, 11));
    EXPECT_EQ(encode_sign_magnitude(-1, 15), 0x8001u);
    EXPECT_EQ(decode_sign_magnitude(0x0AC6, 11), -710);
    EXPECT_EQ(decode_sign_magnitude(0x8001, 15), -1);
    EXPECT_EQ(decode_sign_magnitude(0x0401, 10), -1);
    EXPECT_EQ(decode_sign_magnitude(0x03FF, 10), 1023);
}

TEST(ProtocolValues, LittleEndianMatchesLeRobotsTest) {
    EXPECT_EQ(to_little_endian(0x1234, 2), (Bytes{0x34, 0x12}));
    EXPECT_EQ(to_little_endian(0x12345678, 4), (Bytes{0x78, 0x56, 0x34, 0x12}));
    const Bytes bytes{0x78, 0x56, 0x34, 0x12};
    EXPECT_EQ(from_little_endian(bytes), 0x12345678u);
}

TEST(ProtocolTiming, TimeoutsMatchLeRobotsPatchedFormula) {
    EXPECT_NEAR(packet_timeout(1'000'000, 6).count(), 50.09, 1e-9);            // WRITE, PING
    EXPECT_NEAR(packet_timeout(1'000'000, 8).count(), 50.11, 1e-9);            // READ of 2 bytes
    EXPECT_NEAR(packet_timeout(1'000'000, (6 + 2) * 6).count(), 50.51, 1e-9);  // SYNC_READ x6
    EXPECT_NEAR(broadcast_ping_timeout(1'000'000).count(), 787.12, 1e-9);
    EXPECT_NEAR(packet_timeout(115'200, 8).count(), 50.0 + 11 * 10000.0 / 115200.0, 1e-9);
}

}  // namespace
}  // namespace rcls::arm::protocol
