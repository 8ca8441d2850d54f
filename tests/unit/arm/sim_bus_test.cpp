// SPDX-License-Identifier: MIT
//
// The simulated STS3215 bus, driven through its in-process port on virtual time (no sleeps).
// Status bytes are checked against the golden vectors of feetech_sts3215.md §1.12.
#include "rcls/arm/sim_bus.hpp"

#include <gtest/gtest.h>

#include "rcls/arm/servo_bus.hpp"

namespace rcls::arm {
namespace {

using protocol::Bytes;
using namespace std::chrono_literals;

/// Sends `request` and collects every byte that arrives within `window`.
Bytes round_trip(SimServoPort& port,
                 const Bytes& request,
                 std::chrono::milliseconds window = 60ms) {
    port.flush_input();
    port.write(request);
    const auto deadline = port.now() + window;
    Bytes received;
    std::array<std::uint8_t, 256> buffer{};
    while (true) {
        const std::size_t n = port.read(buffer, deadline);
        if (n == 0) break;
        received.insert(received.end(), buffer.begin(), buffer.begin() + static_cast<long>(n));
    }
    return received;
}

SimOptions still_arm() {
    SimOptions options;
    options.motion = SimMotion::kStill;
    return options;
}

class SimBusTest : public ::testing::Test {
protected:
    std::unique_ptr<SimServoPort> port_ = make_sim_port(still_arm());
    SimBus& sim_ = port_->bus();
    ServoBus bus_{*port_};
};

TEST_F(SimBusTest, AnswersPingAndModelReadWithGoldenBytes) {
    EXPECT_EQ(round_trip(*port_, protocol::ping(1)), (Bytes{0xFF, 0xFF, 0x01, 0x02, 0x00, 0xFC}));
    EXPECT_EQ(round_trip(*port_, protocol::read(1, 3, 2)),
              (Bytes{0xFF, 0xFF, 0x01, 0x04, 0x00, 0x09, 0x03, 0xEE}));
}

TEST_F(SimBusTest, ReportsPositionSetByHandWithGoldenBytes) {
    sim_.set_actual_position(1, 2047);
    EXPECT_EQ(round_trip(*port_, protocol::read(1, 56, 2)),
              (Bytes{0xFF, 0xFF, 0x01, 0x04, 0x00, 0xFF, 0x07, 0xF4}));
}

TEST_F(SimBusTest, AbsentIdsStaySilent) {
    EXPECT_TRUE(round_trip(*port_, protocol::ping(9)).empty());
    EXPECT_EQ(bus_.ping(9).result, CommResult::kTimeout);
}

TEST_F(SimBusTest, SyncReadRepliesInRequestOrder) {
    sim_.set_actual_position(1, 2047);
    sim_.set_actual_position(2, 1500);
    sim_.set_actual_position(3, 3000);
    const Bytes ids{3, 1, 2};
    EXPECT_EQ(round_trip(*port_, protocol::sync_read(56, 2, ids)),
              (Bytes{0xFF, 0xFF, 0x03, 0x04, 0x00, 0xB8, 0x0B, 0x35, 0xFF, 0xFF, 0x01, 0x04,
                     0x00, 0xFF, 0x07, 0xF4, 0xFF, 0xFF, 0x02, 0x04, 0x00, 0xDC, 0x05, 0x18}));
}

TEST_F(SimBusTest, SyncWriteAndBroadcastWriteGetNoReply) {
    const std::vector<protocol::SyncWriteEntry> entries = {{1, {0x00, 0x08}}, {2, {0x00, 0x04}}};
    EXPECT_TRUE(round_trip(*port_, protocol::sync_write(42, 2, entries)).empty());
    EXPECT_EQ(sim_.register_value(1, "Goal_Position"), 2048);
    EXPECT_EQ(sim_.register_value(2, "Goal_Position"), 1024);
    const Bytes p{16};
    EXPECT_TRUE(round_trip(*port_, protocol::write(protocol::kBroadcastId, 21, p)).empty());
    EXPECT_EQ(sim_.register_value(6, "P_Coefficient"), 16);
}

TEST_F(SimBusTest, EepromWritesSurvivePowerCycleOnlyWhenUnlocked) {
    bus_.write("P_Coefficient", 1, 16);  // Lock is 1 at power-on
    EXPECT_EQ(sim_.register_value(1, "P_Coefficient"), 16);
    sim_.power_cycle();
    EXPECT_EQ(sim_.register_value(1, "P_Coefficient"), 32);
    bus_.write("Lock", 1, 0);
    bus_.write("P_Coefficient", 1, 16);
    sim_.power_cycle();
    EXPECT_EQ(sim_.register_value(1, "P_Coefficient"), 16);
    EXPECT_EQ(sim_.register_value(1, "Lock"), 1);  // RAM back to its defaults
}

TEST_F(SimBusTest, TorqueOnMovesTowardTheGoalAtFiniteSpeed) {
    sim_.set_actual_position(1, 1000);
    bus_.write("Torque_Enable", 1, 1);
    EXPECT_EQ(bus_.read("Present_Position", 1), 1000);  // torque on holds where it is
    bus_.write("Goal_Position", 1, 2500);
    const auto start = port_->now();
    port_->sleep_until(start + 100ms);
    const int after_100ms = bus_.read("Present_Position", 1);
    EXPECT_GT(after_100ms, 1250);  // 3000 steps/s: about 300 steps in 0.1 s
    EXPECT_LT(after_100ms, 1350);
    EXPECT_EQ(bus_.read("Moving", 1), 1);
    port_->sleep_until(start + 1s);
    EXPECT_EQ(bus_.read("Present_Position", 1), 2500);
    EXPECT_EQ(bus_.read("Moving", 1), 0);
}

TEST_F(SimBusTest, HomingOffsetShiftsPresentPosition) {
    sim_.set_actual_position(1, 1337);
    bus_.write("Homing_Offset", 1, -710);  // LeRobot's test: 1337 - 2047
    EXPECT_EQ(bus_.read("Present_Position", 1), 2047);
    sim_.set_actual_position(2, 100);
    bus_.write("Homing_Offset", 2, 1000);  // Present = Actual - Offset, wrapped to one turn
    EXPECT_EQ(bus_.read("Present_Position", 2), 100 - 1000 + 4096);
}

TEST_F(SimBusTest, MultiTurnPhaseGivesSignedPositions) {
    sim_.set_register(2, "Phase", 0x10);
    sim_.set_actual_position(2, 100);
    bus_.write("Homing_Offset", 2, 1000);
    EXPECT_EQ(bus_.read("Present_Position", 2), -900);  // bit 15 sign-magnitude on the wire
}

TEST_F(SimBusTest, GoalsAreClampedToThePositionLimits) {
    sim_.set_actual_position(1, 1200);
    bus_.write("Min_Position_Limit", 1, 1000);
    bus_.write("Max_Position_Limit", 1, 1500);
    bus_.write("Torque_Enable", 1, 1);
    bus_.write("Goal_Position", 1, 3000);
    port_->sleep_until(port_->now() + 2s);
    EXPECT_EQ(bus_.read("Present_Position", 1), 1500);
}

TEST_F(SimBusTest, IdWriteIsAnsweredWithTheOldId) {
    const Bytes seven{7};
    EXPECT_EQ(round_trip(*port_, protocol::write(1, 5, seven)),
              (Bytes{0xFF, 0xFF, 0x01, 0x02, 0x00, 0xFC}));
    EXPECT_EQ(bus_.ping(7).result, CommResult::kSuccess);
    EXPECT_EQ(bus_.ping(1).result, CommResult::kTimeout);
}

TEST_F(SimBusTest, RegWriteWaitsForAction) {
    const Bytes p{20};
    EXPECT_FALSE(round_trip(*port_, protocol::reg_write(2, 21, p)).empty());
    EXPECT_EQ(sim_.register_value(2, "P_Coefficient"), 32);
    EXPECT_TRUE(round_trip(*port_, protocol::action(protocol::kBroadcastId)).empty());
    EXPECT_EQ(sim_.register_value(2, "P_Coefficient"), 20);
}

TEST_F(SimBusTest, IgnoresRequestsWithABadChecksum) {
    EXPECT_TRUE(round_trip(*port_, {0xFF, 0xFF, 0x01, 0x02, 0x01, 0x00}).empty());
    EXPECT_EQ(sim_.stats().bad_requests, 1u);
}

TEST_F(SimBusTest, ServosAtAnotherSpeedHearNothing) {
    port_->set_baud_rate(500'000);
    EXPECT_EQ(bus_.ping(1).result, CommResult::kTimeout);
    port_->set_baud_rate(1'000'000);
    EXPECT_EQ(bus_.ping(1).result, CommResult::kSuccess);
}

TEST_F(SimBusTest, RepliesWaitForReturnDelayAndWireTime) {
    // Factory Return_Delay_Time 250 = 500 us; a PING is 6 bytes each way at 10 us per byte.
    port_->write(protocol::ping(1));
    const auto sent = port_->now();
    std::array<std::uint8_t, 16> buffer{};
    ASSERT_EQ(port_->read(buffer, sent + 10ms), 6u);
    EXPECT_EQ(port_->now() - sent, 620us);
}

TEST(SimBusPerson, MovesJointsWithTorqueOffWithinTheirRange) {
    auto port = make_sim_port(SimOptions{});
    ServoBus bus(*port);
    const int before = bus.read("Present_Position", 1);
    port->sleep_until(port->now() + 1s);
    const int after = bus.read("Present_Position", 1);
    EXPECT_NE(before, after);
    for (int i = 0; i < 40; ++i) {  // ten seconds of sweeping: shoulder_pan stays in 2198 +- 900
        port->sleep_until(port->now() + 250ms);
        const int position = bus.read("Present_Position", 1);
        EXPECT_GE(position, 2198 - 901);
        EXPECT_LE(position, 2198 + 901);
    }
}

TEST(SimBusFaults, CorruptsEveryTenthReply) {
    SimOptions options = still_arm();
    options.faults.corrupt = FaultRate{0.0, 10};
    auto port = make_sim_port(options);
    int bad = 0;
    for (int i = 1; i <= 30; ++i) {
        const Bytes reply = round_trip(*port, protocol::ping(1));
        ASSERT_EQ(reply.size(), 6u);
        const bool corrupt = reply.back() != 0xFC;
        EXPECT_EQ(corrupt, i % 10 == 0) << i;
        bad += corrupt ? 1 : 0;
    }
    EXPECT_EQ(bad, 3);
}

TEST(SimBusFaults, DropsTruncatesAddsGarbageAndDelays) {
    SimOptions options = still_arm();
    options.faults.drop = FaultRate{0.0, 1};
    auto dropping = make_sim_port(options);
    EXPECT_TRUE(round_trip(*dropping, protocol::ping(1)).empty());

    options.faults = {};
    options.faults.truncate = FaultRate{0.0, 1};
    auto truncating = make_sim_port(options);
    const Bytes cut = round_trip(*truncating, protocol::ping(1));
    EXPECT_GE(cut.size(), 1u);
    EXPECT_LT(cut.size(), 6u);

    options.faults = {};
    options.faults.garbage = FaultRate{0.0, 1};
    auto noisy = make_sim_port(options);
    const Bytes with_noise = round_trip(*noisy, protocol::ping(1));
    ASSERT_GT(with_noise.size(), 6u);
    EXPECT_EQ(Bytes(with_noise.end() - 6, with_noise.end()),
              (Bytes{0xFF, 0xFF, 0x01, 0x02, 0x00, 0xFC}));

    options.faults = {};
    options.faults.delay = FaultRate{0.0, 1};
    auto late = make_sim_port(options);
    EXPECT_TRUE(round_trip(*late, protocol::ping(1), 60ms).empty());     // past LeRobot's 50 ms
    EXPECT_EQ(round_trip(*late, protocol::ping(1), 200ms).size(), 12u);  // both late replies
}

TEST(SimBusFaults, ReportsErrorBitsWrongModelOldFirmwareAndMissingIds) {
    SimOptions options = still_arm();
    options.faults.error_bits = 0x20;
    options.faults.error_ids = {1};
    options.faults.wrong_model_ids = {2};
    options.faults.old_firmware_ids = {3};
    options.faults.missing_ids = {4};
    auto port = make_sim_port(options);
    ServoBus bus(*port);
    EXPECT_EQ(round_trip(*port, protocol::ping(1)), (Bytes{0xFF, 0xFF, 0x01, 0x02, 0x20, 0xDC}));
    EXPECT_EQ(bus.read("Model_Number", 2), 2825);
    EXPECT_EQ(bus.read("Firmware_Minor_Version", 3), 9);
    EXPECT_EQ(bus.read("Firmware_Minor_Version", 5), 10);
    EXPECT_EQ(bus.ping(4).result, CommResult::kTimeout);
    EXPECT_EQ(port->bus().connected_ids(), (std::vector<std::uint8_t>{1, 2, 3, 5, 6}));
}

TEST(SimBusFaults, ParsesRatesAsProbabilitiesPercentagesOrEveryNth) {
    EXPECT_DOUBLE_EQ(parse_fault_rate("0.05")->probability, 0.05);
    EXPECT_DOUBLE_EQ(parse_fault_rate("5%")->probability, 0.05);
    EXPECT_EQ(parse_fault_rate("1/10")->every, 10);
    EXPECT_FALSE(parse_fault_rate("2/10"));
    EXPECT_FALSE(parse_fault_rate("1.5"));
    EXPECT_FALSE(parse_fault_rate("often"));
    EXPECT_EQ(to_string(FaultRate{0.05, 0}), "5%");
    EXPECT_EQ(to_string(FaultRate{0.0, 10}), "1/10");
}

TEST(SimBusFactory, PlugsFreshMotorsInOneAtATime) {
    SimOptions options = still_arm();
    options.factory_setup = true;
    options.ids = {1, 2, 3};
    auto port = make_sim_port(options);
    ServoBus bus(*port);
    auto ids_of = [](const std::vector<PingedServo>& found) {
        std::vector<std::uint8_t> ids;
        for (const PingedServo& s : found)
            ids.push_back(s.id);
        return ids;
    };
    EXPECT_EQ(ids_of(bus.broadcast_ping()), (std::vector<std::uint8_t>{1}));
    EXPECT_EQ(ids_of(bus.broadcast_ping()), (std::vector<std::uint8_t>{1}));  // not set up yet
    bus.write("Lock", 1, 0);
    bus.write("ID", 1, 3);
    EXPECT_EQ(ids_of(bus.broadcast_ping()), (std::vector<std::uint8_t>{1}));  // the next one
    bus.write("ID", 1, 2);
    EXPECT_EQ(ids_of(bus.broadcast_ping()), (std::vector<std::uint8_t>{1}));
    bus.write("Baud_Rate", 1, 0);
    EXPECT_EQ(ids_of(bus.broadcast_ping()), (std::vector<std::uint8_t>{1, 2, 3}));  // assembled
}

}  // namespace
}  // namespace rcls::arm
