// SPDX-License-Identifier: MIT
//
// The arm workflows on the in-process simulator (virtual time): calibration with the simulated
// person sweeping the joints, setup-motors with factory-fresh motors plugged in one at a time,
// and the find-port helpers.
#include "rcls/arm_tools/arm_tools.hpp"

#include <gtest/gtest.h>

#include "rcls/core/error.hpp"

#include "temp_dir.hpp"

namespace rcls::arm_tools {
namespace {

using namespace rcls::arm;

using namespace std::chrono_literals;

class CalibrateTest : public ::testing::Test {
protected:
    std::unique_ptr<So101Arm> connect_arm(SimOptions sim, ArmRole role = ArmRole::kFollower) {
        ArmOptions options;
        options.role = role;
        options.id = "my_arm";
        options.port = "/dev/ttyACM0";
        options.calibration_dir = dir_.path().string();
        auto port = make_sim_port(std::move(sim), "/dev/ttyACM0");
        sim_ = port->shared_bus();
        auto arm = std::make_unique<So101Arm>(std::move(port), options);
        arm->connect(ConnectOptions{.use_calibration = false, .configure = true});
        return arm;
    }

    AutoPrompter prompter_for(So101Arm& arm, double record_s) {
        return AutoPrompter(record_s, arm.port().clock());
    }

    testing::TempDir dir_;
    std::shared_ptr<SimBus> sim_;
};

TEST_F(CalibrateTest, RecordsTheSweptRangesAndSavesLeRobotsFile) {
    auto arm = connect_arm(SimOptions{});  // the simulated person moves every joint
    AutoPrompter prompter = prompter_for(*arm, 8.0);
    const auto path = calibrate(*arm, prompter, CalibrateOptions{});
    EXPECT_EQ(path, dir_ / "my_arm.json");
    const Calibration calibration = load_calibration(path);
    ASSERT_EQ(calibration.size(), kNumJoints);
    // The person sweeps each joint +-amplitude steps (sim_bus.cpp): 900, 950, 950, 900, -, 600.
    const int amplitude[] = {900, 950, 950, 900, 0, 600};
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        const auto& [name, motor] = calibration[i];
        EXPECT_EQ(name, kJointNames[i]);
        EXPECT_EQ(motor.id, kJointIds[i]);
        EXPECT_EQ(motor.drive_mode, 0);
        if (i == kWristRoll) {
            EXPECT_EQ(motor.range_min, 0);
            EXPECT_EQ(motor.range_max, 4095);
            continue;
        }
        EXPECT_NEAR(motor.range_max - motor.range_min, 2 * amplitude[i], 40) << name;
        // Half-turn homing: the pose at "press ENTER" reads 2047, inside the recorded range.
        EXPECT_LT(motor.range_min, 2047) << name;
        EXPECT_GT(motor.range_max, 2047) << name;
    }
    // The motors hold the new calibration; torque stays off, as after lerobot-calibrate.
    for (const auto& [name, motor] : calibration) {
        const auto id = static_cast<std::uint8_t>(motor.id);
        EXPECT_EQ(sim_->register_value(id, "Homing_Offset"), motor.homing_offset) << name;
        EXPECT_EQ(sim_->register_value(id, "Min_Position_Limit"), motor.range_min) << name;
        EXPECT_EQ(sim_->register_value(id, "Max_Position_Limit"), motor.range_max) << name;
        EXPECT_EQ(sim_->register_value(id, "Torque_Enable"), 0) << name;
    }
    EXPECT_EQ(arm->calibration(), calibration);
}

TEST_F(CalibrateTest, AJointThatDidNotMoveIsAnError) {
    SimOptions still;
    still.motion = SimMotion::kStill;
    auto arm = connect_arm(still);
    AutoPrompter prompter = prompter_for(*arm, 1.0);
    try {
        calibrate(*arm, prompter, CalibrateOptions{});
        FAIL() << "no error";
    } catch (const DeviceError& e) {
        EXPECT_NE(std::string(e.what()).find(
                      "shoulder_pan, shoulder_lift, elbow_flex, wrist_flex, gripper did not move"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(dir_ / "my_arm.json"));
}

TEST_F(CalibrateTest, EnterUsesTheExistingFileAndWritesItToTheMotors) {
    Calibration existing;
    for (std::size_t i = 0; i < kNumJoints; ++i) {
        existing.emplace_back(std::string(kJointNames[i]),
                              MotorCalibration{kJointIds[i], 0, -100, 900, 3100});
    }
    save_calibration(dir_ / "my_arm.json", existing);
    auto arm = connect_arm(SimOptions{});
    AutoPrompter prompter = prompter_for(*arm, 1.0);
    calibrate(*arm, prompter, CalibrateOptions{});
    EXPECT_EQ(load_calibration(dir_ / "my_arm.json"), existing);
    EXPECT_EQ(sim_->register_value(4, "Homing_Offset"), -100);
    EXPECT_EQ(sim_->register_value(4, "Max_Position_Limit"), 3100);
}

TEST(SetupMotors, GivesEachFreshMotorItsIdGripperFirst) {
    SimOptions sim;
    sim.motion = SimMotion::kStill;
    sim.factory_setup = true;
    sim.factory_baud_rate = 500'000;  // found by trying LeRobot's rates in turn
    auto port = make_sim_port(sim, "/dev/ttyACM0");
    std::vector<std::string> said;
    class Recorder final : public Prompter {
    public:
        explicit Recorder(std::vector<std::string>& lines) : lines_(lines) {}
        std::string ask(const std::string& message) override {
            lines_.push_back(message);
            return "";
        }
        void begin_until_enter(const std::string&) override {}
        bool stop_requested() override { return true; }
        void show_status(const std::string&) override {}
        void say(const std::string& text) override { lines_.push_back(text); }

    private:
        std::vector<std::string>& lines_;
    } prompter(said);
    setup_motors(*port, prompter);
    ASSERT_EQ(said.size(), 12u);
    EXPECT_EQ(said[0], "Connect the controller board to the 'gripper' motor only and press ENTER.");
    EXPECT_EQ(said[1], "'gripper' motor id set to 6");
    EXPECT_EQ(said[11], "'shoulder_pan' motor id set to 1");
    EXPECT_EQ(port->baud_rate(), 1'000'000);
    ServoBus bus(*port);
    std::vector<std::uint8_t> ids;
    for (const PingedServo& servo : bus.broadcast_ping())
        ids.push_back(servo.id);  // assembled
    EXPECT_EQ(ids, (std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6}));
    port->bus().power_cycle();  // ids and speeds were written to EEPROM (with Lock = 0)
    for (const std::uint8_t id : ids) {
        EXPECT_EQ(bus.read("ID", id), id);
        EXPECT_EQ(bus.read("Baud_Rate", id), 0);
    }
}

TEST(SetupMotors, TwoMotorsConnectedAtOnceIsAnError) {
    SimOptions sim;
    sim.motion = SimMotion::kStill;
    auto port = make_sim_port(sim, "/dev/ttyACM0");
    AutoPrompter prompter(0.0, port->clock());
    try {
        setup_motors(*port, prompter);
        FAIL() << "no error";
    } catch (const DeviceError& e) {
        EXPECT_NE(std::string(e.what()).find("several motors answer on /dev/ttyACM0 at 1000000 "
                                             "baud (ids 1, 2, 3, 4, 5, 6); connect the 'gripper' "
                                             "motor alone"),
                  std::string::npos)
            << e.what();
    }
}

TEST(FindPort, ListsTtyDevicesAndFindsTheOneThatVanished) {
    testing::TempDir dev;
    for (const char* name : {"ttyACM0", "ttyUSB1", "tty0", "null", "ttyS3"}) {
        testing::write_text(dev / name, "");
    }
    const std::vector<std::string> before = list_serial_ports(dev.path());
    EXPECT_EQ(before,
              (std::vector<std::string>{(dev / "tty0").string(), (dev / "ttyACM0").string(),
                                        (dev / "ttyS3").string(), (dev / "ttyUSB1").string()}));
    EXPECT_EQ(likely_adapters(before),
              (std::vector<std::string>{(dev / "ttyACM0").string(), (dev / "ttyUSB1").string()}));
    std::filesystem::remove(dev / "ttyACM0");
    EXPECT_EQ(vanished_ports(before, list_serial_ports(dev.path())),
              (std::vector<std::string>{(dev / "ttyACM0").string()}));
}

TEST(FindPort, NothingUnpluggedIsAnError) {
    testing::TempDir dev;
    testing::write_text(dev / "ttyACM0", "");
    AutoPrompter prompter(0.0, steady_clock());
    EXPECT_THROW(find_port(prompter, dev.path(), std::chrono::milliseconds(0)), DeviceError);
}

TEST(DescribeStats, CountsRetriesInWords) {
    BusStats stats;
    stats.transactions = 12;
    stats.retries = 1;
    stats.corrupt = 1;
    EXPECT_EQ(describe_stats(stats), "12 transactions, 1 retry (1 corrupt reply, 0 timeouts)");
}

TEST(PositionsJson, MapsJointNamesToValues) {
    PositionsReport report;
    report.raw = {2047, 1000, 3000, 1500, 0, 4095};
    EXPECT_EQ(positions_to_json(report),
              R"({"shoulder_pan":2047,"shoulder_lift":1000,"elbow_flex":3000,"wrist_flex":1500,)"
              R"("wrist_roll":0,"gripper":4095})");
    report.values = JointValues{0.5, -10.25, 0.0, 1.0, 2.0, 55.5};
    EXPECT_EQ(positions_to_json(report),
              R"({"shoulder_pan":0.5,"shoulder_lift":-10.25,"elbow_flex":0.0,"wrist_flex":1.0,)"
              R"("wrist_roll":2.0,"gripper":55.5})");
}

}  // namespace
}  // namespace rcls::arm_tools
