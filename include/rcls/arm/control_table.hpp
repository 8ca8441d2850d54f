// SPDX-License-Identifier: MIT
//
// The STS3215 control table with LeRobot's register names (tables.py,
// STS_SMS_SERIES_CONTROL_TABLE), addresses and sizes, plus the sign bit of the sign-magnitude
// registers. Addresses 0-39 are EEPROM (kept across power cycles when written with Lock = 0), 40
// and up are RAM.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace rcls::arm {

/// One register of the control table.
struct Register {
    std::string_view name;      ///< LeRobot's name, e.g. "Present_Position".
    std::uint8_t address = 0;   ///< First byte.
    std::uint8_t size = 1;      ///< 1 or 2 bytes, little-endian.
    std::uint8_t sign_bit = 0;  ///< Sign-magnitude sign bit (11, 10 or 15); 0: unsigned.
    bool read_only = false;     ///< Written by the servo only.
};

/// The STS3215's registers (feetech_sts3215.md §2).
inline constexpr std::array<Register, 56> kSts3215Registers = {{
    {"Firmware_Major_Version", 0, 1, 0, true},
    {"Firmware_Minor_Version", 1, 1, 0, true},
    {"Model_Number", 3, 2, 0, true},
    {"ID", 5, 1},
    {"Baud_Rate", 6, 1},
    {"Return_Delay_Time", 7, 1},
    {"Response_Status_Level", 8, 1},
    {"Min_Position_Limit", 9, 2},
    {"Max_Position_Limit", 11, 2},
    {"Max_Temperature_Limit", 13, 1},
    {"Max_Voltage_Limit", 14, 1},
    {"Min_Voltage_Limit", 15, 1},
    {"Max_Torque_Limit", 16, 2},
    {"Phase", 18, 1},
    {"Unloading_Condition", 19, 1},
    {"LED_Alarm_Condition", 20, 1},
    {"P_Coefficient", 21, 1},
    {"D_Coefficient", 22, 1},
    {"I_Coefficient", 23, 1},
    {"Minimum_Startup_Force", 24, 2},
    {"CW_Dead_Zone", 26, 1},
    {"CCW_Dead_Zone", 27, 1},
    {"Protection_Current", 28, 2},
    {"Angular_Resolution", 30, 1},
    {"Homing_Offset", 31, 2, 11},
    {"Operating_Mode", 33, 1},
    {"Protective_Torque", 34, 1},
    {"Protection_Time", 35, 1},
    {"Overload_Torque", 36, 1},
    {"Velocity_closed_loop_P_proportional_coefficient", 37, 1},
    {"Over_Current_Protection_Time", 38, 1},
    {"Velocity_closed_loop_I_integral_coefficient", 39, 1},
    {"Torque_Enable", 40, 1},
    {"Acceleration", 41, 1},
    {"Goal_Position", 42, 2, 15},
    {"Goal_Time", 44, 2},
    {"Goal_Velocity", 46, 2, 15},
    {"Torque_Limit", 48, 2},
    {"Lock", 55, 1},
    {"Present_Position", 56, 2, 15, true},
    {"Present_Velocity", 58, 2, 15, true},
    {"Present_Load", 60, 2, 10, true},
    {"Present_Voltage", 62, 1, 0, true},
    {"Present_Temperature", 63, 1, 0, true},
    {"Status", 65, 1, 0, true},
    {"Moving", 66, 1, 0, true},
    {"Present_Current", 69, 2, 0, true},
    {"Goal_Position_2", 71, 2, 0, true},
    {"Moving_Velocity", 80, 1},
    {"Moving_Velocity_Threshold", 80, 1},
    {"DTs", 81, 1},
    {"Velocity_Unit_factor", 82, 1},
    {"Hts", 83, 1},
    {"Maximum_Velocity_Limit", 84, 1},
    {"Maximum_Acceleration", 85, 1},
    {"Acceleration_Multiplier", 86, 1},
}};

/// The register called `name`, or nullptr.
constexpr const Register* try_find_register(std::string_view name) {
    for (const Register& reg : kSts3215Registers) {
        if (reg.name == name) return &reg;
    }
    return nullptr;
}

/// The register called `name`. Throws ConfigError naming the nearest register for a typo.
const Register& find_register(std::string_view name);

/// The value of `reg` from its little-endian bytes (reg.size of them), sign-magnitude decoded
/// when the register has a sign bit.
int decode_value(const Register& reg, std::span<const std::uint8_t> bytes);

/// Model number the STS3215 reports at Model_Number (bytes 09 03).
inline constexpr int kSts3215ModelNumber = 777;
/// Encoder steps per turn; LeRobot's formulas use 4095 (kResolution - 1).
inline constexpr int kResolution = 4096;
/// Addresses below this are EEPROM.
inline constexpr std::uint8_t kEepromEnd = 40;

/// Torque_Enable and Lock values.
inline constexpr int kTorqueDisabled = 0;
inline constexpr int kTorqueEnabled = 1;

/// A baud rate and the Baud_Rate register code for it.
struct BaudCode {
    int baud_rate = 0;
    std::uint8_t code = 0;
};

/// LeRobot's STS_SMS_SERIES_BAUDRATE_TABLE, in its order (codes 5-7 differ from the official SDK,
/// which has 76800/57600/38400 there; rcls only ever writes code 0).
inline constexpr std::array<BaudCode, 8> kBaudRateTable = {{
    {1'000'000, 0},
    {500'000, 1},
    {250'000, 2},
    {128'000, 3},
    {115'200, 4},
    {57'600, 5},
    {38'400, 6},
    {19'200, 7},
}};

/// LeRobot's SCAN_BAUDRATES for `scan --all-bauds`.
inline constexpr std::array<int, 11> kScanBaudRates = {
    4800, 9600, 14400, 19200, 38400, 57600, 115200, 128000, 250000, 500000, 1'000'000};

/// The bus speed (baud) for a Baud_Rate register code; nullopt for an unknown code.
std::optional<int> baud_rate_for_code(std::uint8_t code);

/// The Baud_Rate register code for a bus speed; nullopt when the servo cannot run at it.
std::optional<std::uint8_t> code_for_baud_rate(int baud_rate);

}  // namespace rcls::arm
