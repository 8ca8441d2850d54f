// SPDX-License-Identifier: MIT
#include "rcls/core/paths.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

namespace rcls {
namespace {

/// Sets environment variables for one test and restores them afterwards.
class PathsTest : public ::testing::Test {
protected:
    void SetUp() override {
        for (const char* name :
             {"HOME", "HF_HOME", "HF_LEROBOT_HOME", "HF_LEROBOT_CALIBRATION", "HF_HUB_CACHE"}) {
            const char* value = std::getenv(name);
            saved_.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
            ::unsetenv(name);
        }
        ::setenv("HOME", "/home/ada", 1);
    }
    void TearDown() override {
        for (const auto& [name, value] : saved_) {
            if (value) {
                ::setenv(name.c_str(), value->c_str(), 1);
            } else {
                ::unsetenv(name.c_str());
            }
        }
    }

private:
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST_F(PathsTest, DefaultsFollowLeRobot) {
    EXPECT_EQ(hf_lerobot_home(), "/home/ada/.cache/huggingface/lerobot");
    EXPECT_EQ(hf_lerobot_calibration(), "/home/ada/.cache/huggingface/lerobot/calibration");
    EXPECT_EQ(hf_hub_cache(), "/home/ada/.cache/huggingface/hub");
}

TEST_F(PathsTest, EnvironmentOverrides) {
    ::setenv("HF_HOME", "/data/hf", 1);
    EXPECT_EQ(hf_lerobot_home(), "/data/hf/lerobot");
    ::setenv("HF_LEROBOT_HOME", "~/lr", 1);
    EXPECT_EQ(hf_lerobot_home(), "/home/ada/lr");
    EXPECT_EQ(hf_lerobot_calibration(), "/home/ada/lr/calibration");
    ::setenv("HF_LEROBOT_CALIBRATION", "/cal", 1);
    EXPECT_EQ(hf_lerobot_calibration(), "/cal");
}

/// open_plugin() with a failure that throws std::runtime_error; returns the message.
std::string open_plugin_error(const char* env_value) {
    ::setenv("RCLS_TEST_PLUGIN", env_value, 1);
    std::string message;
    try {
        open_plugin({.env_var = "RCLS_TEST_PLUGIN",
                     .file_name = "librcls_test.so",
                     .part = "the test part of rcls",
                     .hint = "is it built?",
                     .missing_part = "the testing part of rcls",
                     .fail = [](const std::string& m) { throw std::runtime_error(m); }});
    } catch (const std::runtime_error& error) {
        message = error.what();
    }
    ::unsetenv("RCLS_TEST_PLUGIN");
    return message;
}

TEST(OpenPlugin, NamesWhereItLookedOrWhyItWouldNotLoad) {
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("rcls_open_plugin_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string missing = (dir / "missing.so").string();
    EXPECT_EQ(open_plugin_error(missing.c_str()),
              "the testing part of rcls (librcls_test.so) is missing; looked at " + missing +
                  "; build it (cmake --build build) or set RCLS_TEST_PLUGIN");
    const std::string text = (dir / "text.so").string();
    std::ofstream(text) << "not a shared object\n";
    const std::string message = open_plugin_error(text.c_str());
    EXPECT_EQ(message.rfind(text + ": cannot load the test part of rcls: ", 0), 0u) << message;
    EXPECT_NE(message.find(" (is it built?)"), std::string::npos) << message;
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rcls
