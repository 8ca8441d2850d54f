// SPDX-License-Identifier: MIT
#include "rcls/core/paths.hpp"

#include <cstdlib>

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

}  // namespace
}  // namespace rcls
