// SPDX-License-Identifier: MIT
//
// LeRobot's calibration arithmetic and file format. The normalisation vectors are those of
// feetech_sts3215.md §3.8 (min 1000, max 3000); the homing offsets come from LeRobot's own test
// (positions 1337, 42, 3672 give offsets -710, -2005, +1625).
#include "rcls/arm/calibration.hpp"

#include <cstdlib>

#include <gtest/gtest.h>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"

#include "temp_dir.hpp"

namespace rcls::arm {
namespace {

const MotorCalibration kRange{1, 0, 0, 1000, 3000};

TEST(Normalize, DegreesMatchTheDocsVectors) {
    EXPECT_NEAR(normalize(1000, kRange, NormMode::kDegrees), -87.912088, 1e-6);
    EXPECT_NEAR(normalize(2000, kRange, NormMode::kDegrees), 0.0, 1e-12);
    EXPECT_NEAR(normalize(2047, kRange, NormMode::kDegrees), 4.131868, 1e-6);
    EXPECT_NEAR(normalize(3500, kRange, NormMode::kDegrees), 131.868132, 1e-6);  // not clamped
}

TEST(Normalize, RangeModesMatchTheDocsVectorsAndClamp) {
    EXPECT_NEAR(normalize(1000, kRange, NormMode::kRangeM100To100), -100.0, 1e-12);
    EXPECT_NEAR(normalize(2000, kRange, NormMode::kRangeM100To100), 0.0, 1e-12);
    EXPECT_NEAR(normalize(2047, kRange, NormMode::kRangeM100To100), 4.7, 1e-9);
    EXPECT_NEAR(normalize(3500, kRange, NormMode::kRangeM100To100), 100.0, 1e-12);
    EXPECT_NEAR(normalize(1000, kRange, NormMode::kRange0To100), 0.0, 1e-12);
    EXPECT_NEAR(normalize(2000, kRange, NormMode::kRange0To100), 50.0, 1e-12);
    EXPECT_NEAR(normalize(2047, kRange, NormMode::kRange0To100), 52.35, 1e-9);
    EXPECT_NEAR(normalize(3500, kRange, NormMode::kRange0To100), 100.0, 1e-12);
    EXPECT_NEAR(normalize(500, kRange, NormMode::kRange0To100), 0.0, 1e-12);
}

TEST(Normalize, DriveModeInvertsRangeModesOnly) {
    const MotorCalibration inverted{1, 1, 0, 1000, 3000};
    EXPECT_NEAR(normalize(1500, inverted, NormMode::kRangeM100To100), 50.0, 1e-9);
    EXPECT_NEAR(normalize(1500, inverted, NormMode::kRange0To100), 75.0, 1e-9);
    EXPECT_NEAR(normalize(1500, inverted, NormMode::kDegrees),
                normalize(1500, kRange, NormMode::kDegrees), 1e-12);
}

TEST(Unnormalize, MatchesTheDocsVectors) {
    EXPECT_EQ(unnormalize(45.0, kRange, NormMode::kDegrees), 2511);
    EXPECT_EQ(unnormalize(-45.0, kRange, NormMode::kDegrees), 1488);  // int() truncates
    EXPECT_EQ(unnormalize(200.0, kRange, NormMode::kDegrees), 4275);  // not clamped
    EXPECT_EQ(unnormalize(150.0, kRange, NormMode::kRangeM100To100), 3000);
    EXPECT_EQ(unnormalize(33.3, kRange, NormMode::kRange0To100), 1666);
}

TEST(Unnormalize, EmptyRangeIsADeviceError) {
    const MotorCalibration empty{1, 0, 0, 2000, 2000};
    EXPECT_THROW(normalize(2000, empty, NormMode::kDegrees), DeviceError);
    EXPECT_THROW(unnormalize(0.0, empty, NormMode::kDegrees), DeviceError);
}

TEST(HalfTurnHoming, MatchesLeRobotsTest) {
    EXPECT_EQ(half_turn_homing_offset(1337), -710);
    EXPECT_EQ(half_turn_homing_offset(42), -2005);
    EXPECT_EQ(half_turn_homing_offset(3672), 1625);
}

// The exact text Python's json.dump(calibration, f, indent=4) writes: 4-space indents, ": "
// between keys and values, no space before line ends, no final newline.
constexpr const char* kLeRobotFile = R"({
    "shoulder_pan": {
        "id": 1,
        "drive_mode": 0,
        "homing_offset": -1396,
        "range_min": 620,
        "range_max": 3440
    },
    "gripper": {
        "id": 6,
        "drive_mode": 0,
        "homing_offset": 1625,
        "range_min": 2020,
        "range_max": 3350
    }
})";

TEST(CalibrationFile, WritesLeRobotsExactFormat) {
    const Calibration calibration = {{"shoulder_pan", {1, 0, -1396, 620, 3440}},
                                     {"gripper", {6, 0, 1625, 2020, 3350}}};
    EXPECT_EQ(to_json(calibration), kLeRobotFile);
}

TEST(CalibrationFile, RoundTripsThroughDisk) {
    testing::TempDir dir;
    const auto path = dir / "robots/so_follower/my_arm.json";
    const Calibration calibration = calibration_from_json(kLeRobotFile, "test");
    save_calibration(path, calibration);
    EXPECT_EQ(read_file(path), kLeRobotFile);
    const Calibration loaded = load_calibration(path);
    ASSERT_EQ(loaded.size(), 2u);
    EXPECT_EQ(loaded[0].first, "shoulder_pan");
    EXPECT_EQ(loaded[0].second, (MotorCalibration{1, 0, -1396, 620, 3440}));
    EXPECT_EQ(loaded[1].first, "gripper");
    EXPECT_EQ(loaded[1].second, (MotorCalibration{6, 0, 1625, 2020, 3350}));
}

TEST(CalibrationFile, RejectsUnknownOrMissingFieldsNamingThem) {
    try {
        calibration_from_json(R"({"gripper": {"id": 6, "drive_mode": 0, "homing_offset": 1,
                                  "range_min": 2, "range_max": 3, "offset": 4}})",
                              "f.json");
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_STREQ(e.what(), "f.json: /gripper: unknown key \"offset\"");
    }
    try {
        calibration_from_json(R"({"gripper": {"id": 6, "drive_mode": 0, "homing_offset": 1,
                                  "range_min": 2}})",
                              "f.json");
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_STREQ(e.what(), "f.json: /gripper: missing \"range_max\"");
    }
    EXPECT_THROW(calibration_from_json("[1, 2]", "f.json"), ConfigError);
    EXPECT_THROW(calibration_from_json("{", "f.json"), ConfigError);
}

// Issue 10 items 7 and 9: drive_mode 7 was accepted, and a value the servos cannot hold was found
// only while writing, after the motors before it had been written. The whole file is checked on
// load, naming the file, motor and key.
TEST(CalibrationFile, ValuesTheServosCannotHoldAreRefusedOnLoad) {
    const auto error_of = [](const std::string& motor) -> std::string {
        try {
            calibration_from_json(R"({"shoulder_pan": {"id": 1, "drive_mode": 0,
                "homing_offset": 0, "range_min": 620, "range_max": 3440}, "gripper": )" +
                                      motor + "}",
                                  "f.json");
        } catch (const ConfigError& e) {
            return e.what();
        }
        return "no error";
    };
    EXPECT_EQ(error_of(R"({"id": 6, "drive_mode": 7, "homing_offset": 1, "range_min": 2,
                           "range_max": 3})"),
              "f.json: /gripper/drive_mode: 7 is out of range (0 or 1); fix the file or "
              "calibrate again (`rcls arm calibrate`)");
    EXPECT_NE(error_of(R"({"id": 6, "drive_mode": 0, "homing_offset": 5000, "range_min": 2,
                           "range_max": 3})")
                  .find("f.json: /gripper/homing_offset: 5000 is out of range"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"id": 254, "drive_mode": 0, "homing_offset": 0, "range_min": 2,
                           "range_max": 3})")
                  .find("/gripper/id: 254 is out of range"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"id": 6, "drive_mode": 0, "homing_offset": 0, "range_min": 0,
                           "range_max": 4096})")
                  .find("/gripper/range_max: 4096 is out of range"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"id": 6, "drive_mode": 0, "homing_offset": 0, "range_min": 3000,
                           "range_max": 2000})")
                  .find("/gripper: range_min 3000 is above range_max 2000"),
              std::string::npos);
    EXPECT_EQ(error_of(R"({"id": 6, "drive_mode": 1, "homing_offset": -2047, "range_min": 0,
                           "range_max": 4095})"),
              "no error");
}

TEST(CalibrationFile, MissingFileSaysHowToMakeOne) {
    testing::TempDir dir;
    try {
        load_calibration(dir / "absent.json");
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("run `rcls arm calibrate`"), std::string::npos);
    }
}

class CalibrationPaths : public ::testing::Test {
protected:
    void SetUp() override {
        const char* old = std::getenv("HF_LEROBOT_CALIBRATION");
        if (old != nullptr) saved_ = old;
        ::setenv("HF_LEROBOT_CALIBRATION", dir_.path().c_str(), 1);
    }
    void TearDown() override {
        if (saved_) {
            ::setenv("HF_LEROBOT_CALIBRATION", saved_->c_str(), 1);
        } else {
            ::unsetenv("HF_LEROBOT_CALIBRATION");
        }
    }
    testing::TempDir dir_;
    std::optional<std::string> saved_;
};

TEST_F(CalibrationPaths, FollowLeRobotsCurrentFolders) {
    EXPECT_EQ(calibration_path(ArmRole::kFollower, "blue"), dir_ / "robots/so_follower/blue.json");
    EXPECT_EQ(calibration_path(ArmRole::kLeader, "red"), dir_ / "teleoperators/so_leader/red.json");
    EXPECT_EQ(calibration_path(ArmRole::kLeader, "red", std::string("/x/y")),
              std::filesystem::path("/x/y/red.json"));
}

TEST_F(CalibrationPaths, FindOldSo101FoldersWhenTheNewOneIsAbsent) {
    EXPECT_FALSE(find_calibration_file(ArmRole::kFollower, "blue"));
    testing::write_text(dir_ / "robots/so101_follower/blue.json", kLeRobotFile);
    EXPECT_EQ(find_calibration_file(ArmRole::kFollower, "blue"),
              dir_ / "robots/so101_follower/blue.json");
    testing::write_text(dir_ / "robots/so_follower/blue.json", kLeRobotFile);
    EXPECT_EQ(find_calibration_file(ArmRole::kFollower, "blue"),
              dir_ / "robots/so_follower/blue.json");
    testing::write_text(dir_ / "teleoperators/so100_leader/red.json", kLeRobotFile);
    EXPECT_EQ(find_calibration_file(ArmRole::kLeader, "red"),
              dir_ / "teleoperators/so100_leader/red.json");
}

}  // namespace
}  // namespace rcls::arm
