// SPDX-License-Identifier: MIT
//
// The real binary: help, version, usage errors and exit codes.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "run_process.hpp"

namespace rcls::testing {
namespace {

TEST(CliBasics, HelpListsSubcommandsAndExitCodes) {
    const ProcessResult r = run_rcls({"--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("config"), std::string::npos);
    EXPECT_NE(r.out.find("Exit codes"), std::string::npos);
    EXPECT_NE(r.out.find("--print-config"), std::string::npos);
    EXPECT_NE(r.out.find("--log-file"), std::string::npos);
}

TEST(CliBasics, VersionPrintsVersion) {
    const ProcessResult r = run_rcls({"--version"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out.rfind("rcls 0.", 0), 0u) << r.out;
}

// Every rcls command pays for the libraries the binary loads: libtorch comes as a plugin only when
// a model runs, and images go through FFmpeg, not OpenCV's imgcodecs (about 90 more libraries and
// 100 ms of start-up).
TEST(CliBasics, BinaryLoadsNeitherTorchNorImgcodecs) {
    const ProcessResult r =
        run_rcls({"--version"}, std::chrono::seconds(60), {"LD_TRACE_LOADED_OBJECTS=1"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("libavcodec"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("libtorch"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("libopencv_imgcodecs"), std::string::npos) << r.out;
}

// --print-config never runs the command: commands without a config print their options.
TEST(CliBasics, PrintConfigShowsOptionsAndDoesNotRun) {
    const ProcessResult scan =
        run_rcls({"--print-config", "arm", "scan", "--port", "/nonexistent/ttyACM9"});
    EXPECT_EQ(scan.exit_code, 0) << scan.err;
    const nlohmann::json options = nlohmann::json::parse(scan.out);
    EXPECT_EQ(options.at("port"), "/nonexistent/ttyACM9");
    EXPECT_EQ(options.at("baud"), 1000000);
    EXPECT_EQ(options.at("json"), false);

    const ProcessResult sim = run_rcls({"arm", "sim", "--print-config", "--ids", "1,2"});
    EXPECT_EQ(sim.exit_code, 0) << sim.err;
    EXPECT_EQ(nlohmann::json::parse(sim.out).at("ids"), nlohmann::json::array({1, 2}));

    const ProcessResult info = run_rcls({"--print-config", "dataset", "info", "/nonexistent"});
    EXPECT_EQ(info.exit_code, 0) << info.err;
    EXPECT_EQ(nlohmann::json::parse(info.out).at("root"), "/nonexistent");
}

TEST(CliBasics, NoSubcommandIsAUsageError) {
    const ProcessResult r = run_rcls({});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("rcls --help"), std::string::npos);
}

TEST(CliBasics, UnknownFlagIsOneLineUsageError) {
    const ProcessResult r = run_rcls({"config", "check", "--no-such-flag", "x.json"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("rcls: error: config check:"), std::string::npos) << r.err;
}

TEST(CliBasics, EverySubcommandHasHelp) {
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"config", "--help"},
                                               {"config", "check", "--help"},
                                               {"config", "show", "record", "--help"}}) {
        const ProcessResult r = run_rcls(args);
        EXPECT_EQ(r.exit_code, 0) << args[0];
        EXPECT_NE(r.out.find("Options:"), std::string::npos) << args[0];
    }
}

TEST(CliBasics, LogFileReceivesTheError) {
    const std::string log = ::testing::TempDir() + "/rcls_cli_log_test.log";
    std::remove(log.c_str());
    const ProcessResult r = run_rcls({"--log-file", log, "config", "check", "/nonexistent.json"});
    EXPECT_EQ(r.exit_code, 3);
    FILE* file = std::fopen(log.c_str(), "r");
    ASSERT_NE(file, nullptr);
    char buffer[4096] = {};
    const std::size_t n = std::fread(buffer, 1, sizeof buffer - 1, file);
    std::fclose(file);
    EXPECT_NE(std::string(buffer, n).find("/nonexistent.json: config file not found"),
              std::string::npos);
}

}  // namespace
}  // namespace rcls::testing
