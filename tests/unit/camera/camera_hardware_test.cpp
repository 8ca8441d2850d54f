// SPDX-License-Identifier: MIT
//
// Needs a real camera at /dev/video0 (ctest label "hardware"; never in the default run).
#include <gtest/gtest.h>

#include "rcls/camera/camera.hpp"
#include "rcls/camera/v4l2.hpp"

namespace rcls::camera {
namespace {

TEST(CameraHardware, Video0DeliversFramesOfTheAskedSize) {
    const auto devices = list_video_devices();
    ASSERT_FALSE(devices.empty()) << "no /dev/video* device";
    ASSERT_TRUE(devices[0].capture) << devices[0].path << ": " << devices[0].error;
    config::CameraConfig config;
    config.index_or_path = devices[0].index;
    auto camera = open_camera("hw", config, steady_clock());
    camera->start();
    const Frame f = camera->latest();
    EXPECT_EQ(f.image.cols, config.width);
    EXPECT_EQ(f.image.rows, config.height);
}

}  // namespace
}  // namespace rcls::camera
