// SPDX-License-Identifier: MIT
//
// The STS3215 control table against feetech_sts3215.md §2 (LeRobot's tables.py, cross-checked
// with the official C++ SDK's SMS_STS.h).
#include "rcls/arm/control_table.hpp"

#include <gtest/gtest.h>

#include "rcls/core/error.hpp"

namespace rcls::arm {
namespace {

void expect_register(std::string_view name, int address, int size, int sign_bit) {
    const Register& reg = find_register(name);
    EXPECT_EQ(reg.address, address) << name;
    EXPECT_EQ(reg.size, size) << name;
    EXPECT_EQ(reg.sign_bit, sign_bit) << name;
}

TEST(ControlTable, HasTheAddressesLeRobotUses) {
    expect_register("Firmware_Major_Version", 0, 1, 0);
    expect_register("Model_Number", 3, 2, 0);
    expect_register("ID", 5, 1, 0);
    expect_register("Baud_Rate", 6, 1, 0);
    expect_register("Return_Delay_Time", 7, 1, 0);
    expect_register("Min_Position_Limit", 9, 2, 0);
    expect_register("Max_Position_Limit", 11, 2, 0);
    expect_register("Max_Torque_Limit", 16, 2, 0);
    expect_register("Phase", 18, 1, 0);
    expect_register("P_Coefficient", 21, 1, 0);
    expect_register("D_Coefficient", 22, 1, 0);
    expect_register("I_Coefficient", 23, 1, 0);
    expect_register("Protection_Current", 28, 2, 0);
    expect_register("Homing_Offset", 31, 2, 11);
    expect_register("Operating_Mode", 33, 1, 0);
    expect_register("Overload_Torque", 36, 1, 0);
    expect_register("Torque_Enable", 40, 1, 0);
    expect_register("Acceleration", 41, 1, 0);
    expect_register("Goal_Position", 42, 2, 15);
    expect_register("Goal_Velocity", 46, 2, 15);
    expect_register("Lock", 55, 1, 0);
    expect_register("Present_Position", 56, 2, 15);
    expect_register("Present_Velocity", 58, 2, 15);
    expect_register("Present_Load", 60, 2, 10);
    expect_register("Moving", 66, 1, 0);
    expect_register("Maximum_Acceleration", 85, 1, 0);
}

TEST(ControlTable, EepromEndsAtAddress40) {
    EXPECT_LT(find_register("Velocity_closed_loop_I_integral_coefficient").address, kEepromEnd);
    EXPECT_EQ(find_register("Torque_Enable").address, kEepromEnd);
}

TEST(ControlTable, UnknownNameSuggestsTheNearest) {
    try {
        find_register("Present_Postion");
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_STREQ(
            e.what(),
            "unknown STS3215 register \"Present_Postion\" (did you mean \"Present_Position\"?)");
    }
}

TEST(ControlTable, BaudRateCodesFollowLeRobot) {
    EXPECT_EQ(baud_rate_for_code(0), 1'000'000);
    EXPECT_EQ(baud_rate_for_code(2), 250'000);
    EXPECT_EQ(baud_rate_for_code(4), 115'200);
    EXPECT_EQ(baud_rate_for_code(7), 19'200);
    EXPECT_FALSE(baud_rate_for_code(8));
    EXPECT_EQ(code_for_baud_rate(1'000'000), 0);
    EXPECT_EQ(code_for_baud_rate(128'000), 3);
    EXPECT_FALSE(code_for_baud_rate(9600));
}

}  // namespace
}  // namespace rcls::arm
