// SPDX-License-Identifier: MIT
//
// `rcls camera ...` and `rcls arm sim --scene reach_grasp` through the real binary.
#include <filesystem>

#include <gtest/gtest.h>

#include "run_process.hpp"
#include "temp_dir.hpp"

namespace rcls::testing {
namespace {

const std::filesystem::path kSimConfig =
    std::filesystem::path(RCLS_SOURCE_DIR) / "configs/sim_record_config.json";

TEST(CameraCli, ConfigCheckAcceptsTheSimRecordConfig) {
    const ProcessResult r = run_rcls({"config", "check", kSimConfig.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("valid record config"), std::string::npos) << r.out;
}

TEST(CameraCli, SnapshotOfTheSimConfigWritesOnePng) {
    TempDir dir;
    const ProcessResult r = run_rcls({"camera", "snapshot", "--config", kSimConfig.string(),
                                      "--output-dir", dir.path().string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "front.png"));
    EXPECT_GT(std::filesystem::file_size(dir.path() / "front.png"), 10000u);
}

TEST(CameraCli, StreamReportsFpsAgeAndDrops) {
    const ProcessResult r =
        run_rcls({"camera", "stream", "--type", "sim", "--fps", "10", "--seconds", "1", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\"achieved_fps\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"age_p99_ms\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"dropped\""), std::string::npos) << r.out;
}

TEST(CameraCli, AMissingDeviceExits4WithOneLineNamingIt) {
    const ProcessResult r = run_rcls(
        {"camera", "snapshot", "--index-or-path", "/dev/video_rcls_absent", "--output-dir", "."});
    EXPECT_EQ(r.exit_code, 4);
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("/dev/video_rcls_absent"), std::string::npos) << r.err;
}

TEST(CameraCli, ListRuns) {
    const ProcessResult r = run_rcls({"camera", "list", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.front(), '[');
}

TEST(CameraCli, ArmSimServesTheSceneBuses) {
    TempDir dir;
    const ProcessResult r = run_rcls({"arm", "sim", "--scene", "reach_grasp", "--link",
                                      (dir.path() / "follower").string(), "--leader-link",
                                      (dir.path() / "leader").string(), "--duration", "1"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find((dir.path() / "follower").string()), std::string::npos) << r.out;
    EXPECT_NE(r.out.find((dir.path() / "leader").string()), std::string::npos) << r.out;
}

}  // namespace
}  // namespace rcls::testing
