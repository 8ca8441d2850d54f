// SPDX-License-Identifier: MIT
//
// ServoBus transactions against a scripted port: the exact bytes sent (golden vectors of
// feetech_sts3215.md §1.12), flushing, LeRobot's timeouts, retries, error texts, and sync reads
// that accept replies in any order and report the ids that failed.
#include "rcls/arm/servo_bus.hpp"

#include <gtest/gtest.h>

#include "rcls/core/error.hpp"

#include "scripted_serial_port.hpp"

namespace rcls::arm {
namespace {

using testing::Bytes;
using testing::ScriptedSerialPort;

const Bytes kPingReply1{0xFF, 0xFF, 0x01, 0x02, 0x00, 0xFC};
const Bytes kPosition2047Id1{0xFF, 0xFF, 0x01, 0x04, 0x00, 0xFF, 0x07, 0xF4};
const Bytes kPosition1500Id2{0xFF, 0xFF, 0x02, 0x04, 0x00, 0xDC, 0x05, 0x18};
const Bytes kPosition3000Id3{0xFF, 0xFF, 0x03, 0x04, 0x00, 0xB8, 0x0B, 0x35};
const Bytes kCorruptPositionId1{0xFF, 0xFF, 0x01, 0x04, 0x00, 0xFF, 0x07, 0x00};
const Bytes kOverloadAck1{0xFF, 0xFF, 0x01, 0x02, 0x20, 0xDC};

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes all;
    for (const Bytes& part : parts)
        all.insert(all.end(), part.begin(), part.end());
    return all;
}

double waited_ms(const ScriptedSerialPort& port) {
    return std::chrono::duration<double, std::milli>(port.waited()).count();
}

class ServoBusTest : public ::testing::Test {
protected:
    ScriptedSerialPort port_;
    ServoBus bus_{
        port_, {{1, "shoulder_pan"}, {2, "shoulder_lift"}, {3, "elbow_flex"}, {4, "wrist_flex"}}};
    const std::vector<std::uint8_t> ids_{1, 2, 3};
    const Register& present_ = find_register("Present_Position");
};

TEST_F(ServoBusTest, PingSendsGoldenBytesAfterFlushing) {
    port_.push_reply(kPingReply1);
    const PingResult result = bus_.ping(1);
    EXPECT_EQ(result.result, CommResult::kSuccess);
    EXPECT_EQ(result.error, 0);
    ASSERT_EQ(port_.writes().size(), 1u);
    EXPECT_EQ(port_.writes()[0], (Bytes{0xFF, 0xFF, 0x01, 0x02, 0x01, 0xFB}));
    EXPECT_EQ(port_.flushes(), 1);
    EXPECT_DOUBLE_EQ(waited_ms(port_), 0.0);  // the reply was there: no waiting
}

TEST_F(ServoBusTest, SilentServoTimesOutAfterLeRobotsWindow) {
    const PingResult result = bus_.ping(1);
    EXPECT_EQ(result.result, CommResult::kTimeout);
    EXPECT_FALSE(result.any_reply);
    EXPECT_NEAR(waited_ms(port_), 50.09, 1e-6);
}

TEST_F(ServoBusTest, ReadsPresentPositionWithGoldenRequest) {
    port_.push_reply(kPosition2047Id1);
    EXPECT_EQ(bus_.read(present_, 1), 2047);
    EXPECT_EQ(port_.writes()[0], (Bytes{0xFF, 0xFF, 0x01, 0x04, 0x02, 0x38, 0x02, 0xBE}));
}

TEST_F(ServoBusTest, DecodesSignMagnitudeRegisters) {
    port_.push_reply({0xFF, 0xFF, 0x01, 0x04, 0x00, 0xC6, 0x0A, 0x2A});
    EXPECT_EQ(bus_.read("Homing_Offset", 1), -710);
}

TEST_F(ServoBusTest, WritesWithGoldenBytesAndWaitsForTheAcknowledgement) {
    port_.push_reply(kPingReply1);
    port_.push_reply({0xFF, 0xFF, 0x01, 0x02, 0x00, 0xFC});
    bus_.write("Torque_Enable", 1, 1);
    bus_.write("Homing_Offset", 1, -710);
    ASSERT_EQ(port_.writes().size(), 2u);
    EXPECT_EQ(port_.writes()[0], (Bytes{0xFF, 0xFF, 0x01, 0x04, 0x03, 0x28, 0x01, 0xCE}));
    EXPECT_EQ(port_.writes()[1], (Bytes{0xFF, 0xFF, 0x01, 0x05, 0x03, 0x1F, 0xC6, 0x0A, 0x07}));
}

TEST_F(ServoBusTest, RetriesAfterCorruptReplyAndCountsIt) {
    port_.push_reply(kCorruptPositionId1);
    port_.push_reply(kPosition2047Id1);
    EXPECT_EQ(bus_.read(present_, 1, 2), 2047);
    EXPECT_EQ(port_.writes().size(), 2u);
    EXPECT_EQ(port_.flushes(), 2);
    EXPECT_EQ(bus_.stats().retries, 1u);
    EXPECT_EQ(bus_.stats().corrupt, 1u);
    EXPECT_DOUBLE_EQ(waited_ms(port_), 0.0);  // a damaged reply ends the attempt at once
}

TEST_F(ServoBusTest, ThrowsNamingMotorPortAndLeRobotsTextAfterRetries) {
    try {
        bus_.read(present_, 4, 2);
        FAIL() << "no error";
    } catch (const DeviceError& e) {
        EXPECT_STREQ(e.what(),
                     "failed to read Present_Position of wrist_flex (id 4) on /dev/ttyTEST after 3 "
                     "tries: [TxRxResult] There is no status packet! (is the motor connected and "
                     "powered?)");
    }
    EXPECT_EQ(port_.writes().size(), 3u);
    EXPECT_EQ(bus_.stats().timeouts, 3u);
}

TEST_F(ServoBusTest, ErrorBitsThrowLeRobotsTextWithoutRetrying) {
    port_.push_reply(kOverloadAck1);
    try {
        bus_.write("Goal_Position", 1, 2048, 2);
        FAIL() << "no error";
    } catch (const DeviceError& e) {
        const std::string message = e.what();
        EXPECT_NE(
            message.find("shoulder_pan (id 1) on /dev/ttyTEST: [RxPacketError] Overload error!"),
            std::string::npos)
            << message;
    }
    EXPECT_EQ(port_.writes().size(), 1u);
}

TEST_F(ServoBusTest, SkipsRepliesFromOtherIds) {
    port_.push_reply(concat({kPosition1500Id2, kPosition2047Id1}));
    EXPECT_EQ(bus_.read(present_, 1), 2047);
}

TEST_F(ServoBusTest, TruncatedReplyIsCorruptNotMissing) {
    port_.push_reply({0xFF, 0xFF, 0x01, 0x04, 0x00});
    const PingResult result = bus_.ping(1);
    EXPECT_EQ(result.result, CommResult::kCorrupt);
    EXPECT_TRUE(result.any_reply);
}

TEST_F(ServoBusTest, SyncReadSendsGoldenRequestAndAcceptsAnyReplyOrder) {
    port_.push_reply(concat({kPosition1500Id2, kPosition3000Id3, kPosition2047Id1}));
    EXPECT_EQ(bus_.sync_read(present_, ids_), (std::vector<int>{2047, 1500, 3000}));
    ASSERT_EQ(port_.writes().size(), 1u);
    EXPECT_EQ(port_.writes()[0],
              (Bytes{0xFF, 0xFF, 0xFE, 0x07, 0x82, 0x38, 0x02, 0x01, 0x02, 0x03, 0x38}));
    EXPECT_DOUBLE_EQ(waited_ms(port_), 0.0);  // all replies in: no wait for the deadline
}

TEST_F(ServoBusTest, SyncReadAsksAgainOnlyForMissingIds) {
    port_.push_reply(concat({kPosition2047Id1, kPosition3000Id3}));
    port_.push_reply(kPosition1500Id2);
    EXPECT_EQ(bus_.sync_read(present_, ids_, 2), (std::vector<int>{2047, 1500, 3000}));
    ASSERT_EQ(port_.writes().size(), 2u);
    EXPECT_EQ(port_.writes()[1], (Bytes{0xFF, 0xFF, 0xFE, 0x05, 0x82, 0x38, 0x02, 0x02, 0x3E}));
    EXPECT_EQ(bus_.stats().retries, 1u);
    // One window for the whole reply stream of three: (6 + 2) * 3 bytes.
    EXPECT_NEAR(waited_ms(port_), 50.27, 1e-6);
}

TEST_F(ServoBusTest, SyncReadReportsWhichIdsFailed) {
    for (int i = 0; i < 3; ++i)
        port_.push_reply(kPosition2047Id1);
    const SyncReadResult result = bus_.try_sync_read(present_, ids_, 2);
    EXPECT_EQ(result.values.at(1), 2047);
    EXPECT_EQ(result.failed, (std::vector<std::uint8_t>{2, 3}));
    EXPECT_EQ(result.failure, CommResult::kTimeout);
    EXPECT_EQ(result.attempts, 3);
}

TEST_F(ServoBusTest, SyncReadFailureNamesEveryMissingMotor) {
    port_.push_reply(kPosition2047Id1);
    try {
        bus_.sync_read(present_, ids_);
        FAIL() << "no error";
    } catch (const DeviceError& e) {
        EXPECT_STREQ(e.what(),
                     "failed to sync read Present_Position from shoulder_lift (id 2), elbow_flex "
                     "(id 3) on /dev/ttyTEST after 1 try: [TxRxResult] There is no status packet! "
                     "(is every motor connected and powered?)");
    }
}

TEST_F(ServoBusTest, SyncReadIgnoresErrorBitsAsLeRobotDoes) {
    port_.push_reply({0xFF, 0xFF, 0x01, 0x04, 0x20, 0xFF, 0x07, 0xD4});
    const std::uint8_t one[] = {1};
    EXPECT_EQ(bus_.sync_read(present_, one), (std::vector<int>{2047}));
    EXPECT_EQ(bus_.stats().error_replies, 1u);
}

TEST_F(ServoBusTest, SyncReadResynchronisesAfterGarbageAndACutReply) {
    // Noise, id 1 cut short, then ids 2 and 3 whole; id 1 is asked again.
    port_.push_reply(
        concat({{0x00, 0xFF, 0x13}, {0xFF, 0xFF, 0x01, 0x04}, kPosition1500Id2, kPosition3000Id3}));
    port_.push_reply(kPosition2047Id1);
    EXPECT_EQ(bus_.sync_read(present_, ids_, 2), (std::vector<int>{2047, 1500, 3000}));
    EXPECT_EQ(bus_.stats().retries, 1u);
    ASSERT_EQ(port_.writes().size(), 2u);
    EXPECT_EQ(port_.writes()[1], (Bytes{0xFF, 0xFF, 0xFE, 0x05, 0x82, 0x38, 0x02, 0x01, 0x3F}));
}

TEST_F(ServoBusTest, SyncWriteSendsGoldenBytesAndWaitsForNoReply) {
    const std::uint8_t ids[] = {1, 2, 3, 4, 5, 6};
    const int goals[] = {2048, 1024, 3072, 2000, 0, 4095};
    bus_.sync_write(find_register("Goal_Position"), ids, goals);
    ASSERT_EQ(port_.writes().size(), 1u);
    EXPECT_EQ(port_.writes()[0], (Bytes{0xFF, 0xFF, 0xFE, 0x16, 0x83, 0x2A, 0x02, 0x01, 0x00,
                                        0x08, 0x02, 0x00, 0x04, 0x03, 0x00, 0x0C, 0x04, 0xD0,
                                        0x07, 0x05, 0x00, 0x00, 0x06, 0xFF, 0x0F, 0x2A}));
    EXPECT_DOUBLE_EQ(waited_ms(port_), 0.0);
}

TEST_F(ServoBusTest, RejectsAHomingOffsetBeyond2047LikeLeRobot) {
    try {
        bus_.write("Homing_Offset", 1, 2114);
        FAIL() << "no error";
    } catch (const DeviceError& e) {
        EXPECT_NE(std::string(e.what()).find("magnitude 2114 exceeds 2047"), std::string::npos);
    }
    EXPECT_TRUE(port_.writes().empty());
}

TEST_F(ServoBusTest, BroadcastPingCollectsEveryAnswerWithinItsWindow) {
    port_.push_reply(concat(
        {kPingReply1, {0xFF, 0xFF, 0x02, 0x02, 0x00, 0xFB}, {0xFF, 0xFF, 0x03, 0x02, 0x01, 0xF9}}));
    const std::vector<PingedServo> found = bus_.broadcast_ping();
    ASSERT_EQ(found.size(), 3u);
    EXPECT_EQ(found[0].id, 1);
    EXPECT_EQ(found[2].id, 3);
    EXPECT_EQ(found[2].error, 0x01);
    EXPECT_EQ(port_.writes()[0], (Bytes{0xFF, 0xFF, 0xFE, 0x02, 0x01, 0xFE}));
    EXPECT_NEAR(waited_ms(port_), 787.12, 1e-6);
}

TEST_F(ServoBusTest, TorqueOffWritesTorqueThenUnlocksEeprom) {
    const std::uint8_t ids[] = {3};
    port_.push_reply({0xFF, 0xFF, 0x03, 0x02, 0x00, 0xFA});
    port_.push_reply({0xFF, 0xFF, 0x03, 0x02, 0x00, 0xFA});
    bus_.disable_torque(ids);
    ASSERT_EQ(port_.writes().size(), 2u);
    EXPECT_EQ(port_.writes()[0], (Bytes{0xFF, 0xFF, 0x03, 0x04, 0x03, 0x28, 0x00, 0xCD}));
    EXPECT_EQ(port_.writes()[1], (Bytes{0xFF, 0xFF, 0x03, 0x04, 0x03, 0x37, 0x00, 0xBE}));
}

// Issue 10 item 10: an adapter without echo suppression sends every packet back before the
// servo's reply; read as status packets they looked like "Input voltage error" on every motor.
TEST_F(ServoBusTest, AnEchoedRequestIsSaidAsSuchNotAsServoErrors) {
    const Bytes read_request{0xFF, 0xFF, 0x01, 0x04, 0x02, 0x38, 0x02, 0xBE};
    port_.push_reply(concat({read_request, kPosition2047Id1}));
    try {
        (void)bus_.read(present_, 1);
        FAIL() << "no error";
    } catch (const DeviceError& e) {
        EXPECT_EQ(
            std::string(e.what()).rfind("/dev/ttyTEST: the line echoes every packet sent (", 0), 0u)
            << e.what();
    }
    // A unicast PING's echo equals a voltage-error status: the servo's reply after it tells.
    port_.push_reply(concat({Bytes{0xFF, 0xFF, 0x01, 0x02, 0x01, 0xFB}, kPingReply1}));
    EXPECT_THROW((void)bus_.ping(1), DeviceError);
}

TEST_F(ServoBusTest, AVoltageErrorAnswerToAPingIsStillAVoltageError) {
    port_.push_reply(Bytes{0xFF, 0xFF, 0x01, 0x02, 0x01, 0xFB});  // no second status follows
    const PingResult result = bus_.ping(1);
    EXPECT_EQ(result.result, CommResult::kSuccess);
    EXPECT_EQ(result.error, 0x01);
}

}  // namespace
}  // namespace rcls::arm
