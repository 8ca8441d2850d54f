// SPDX-License-Identifier: MIT
#include "rcls/camera/camera.hpp"

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <thread>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "rcls/camera/tools.hpp"
#include "rcls/camera/v4l2.hpp"
#include "rcls/config/config_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/video/image_file.hpp"
#include "rcls/video/video_writer.hpp"

#include "temp_dir.hpp"

namespace rcls::camera {
namespace {

using namespace std::chrono_literals;

/// A scripted source: frames numbered in their first pixel's red value, delivered every
/// `period`; it can be told to stall or fail.
class ScriptedSource final : public FrameSource {
public:
    explicit ScriptedSource(std::chrono::milliseconds period) : period_(period) {}
    bool grab(cv::Mat& image, image::ChannelOrder& order) override {
        std::this_thread::sleep_for(period_);
        while (stall_)
            std::this_thread::sleep_for(5ms);
        if (fail_) throw DeviceError("scripted failure");
        image = cv::Mat(4, 6, CV_8UC3, cv::Scalar(10, 20, 30));
        image.at<cv::Vec3b>(0, 0)[0] = static_cast<std::uint8_t>(++count_ % 256);
        order = image::ChannelOrder::kRgb;
        return true;
    }
    std::string describe() const override { return "scripted"; }
    std::string what_to_check() const override { return "check the script"; }
    double fps() const override { return 1000.0 / static_cast<double>(period_.count()); }

    std::atomic<bool> stall_{false};
    std::atomic<bool> fail_{false};
    std::atomic<int> count_{0};

private:
    std::chrono::milliseconds period_;
};

std::string device_error(const std::function<void()>& f) {
    try {
        f();
    } catch (const DeviceError& e) {
        return e.what();
    }
    return "no error";
}

TEST(Camera, LatestFrameSemanticsDropOldFramesAndNeverWaitLong) {
    auto source = std::make_unique<ScriptedSource>(5ms);  // 200 fps
    Camera camera(std::move(source), {.name = "front"}, steady_clock());
    camera.start();
    std::uint64_t last = 0;
    for (int i = 0; i < 10; ++i) {
        std::this_thread::sleep_for(30ms);  // a slow reader
        const auto t0 = std::chrono::steady_clock::now();
        const Frame f = camera.latest();
        const auto waited = std::chrono::steady_clock::now() - t0;
        EXPECT_LE(waited, 5ms + 60ms);  // at most one period (plus slack on a loaded machine)
        EXPECT_GT(f.sequence, last);    // a new frame every time
        last = f.sequence;
        EXPECT_LT(seconds_between(f.captured, steady_clock().now()), 0.3);
        EXPECT_EQ(f.order, image::ChannelOrder::kRgb);
    }
    camera.stop();
    // Every frame captured was handed out once, replaced unseen (dropped), or is the newest one
    // still unseen: latest() hands out the newest frame, never an older one.
    const CameraStats s = camera.stats();
    EXPECT_EQ(s.delivered, 10u);
    EXPECT_GT(s.dropped, 0u);  // the frames the slow reader never saw
    EXPECT_EQ(s.captured, s.delivered + s.dropped + (s.captured > last ? 1u : 0u));
}

TEST(Camera, AStalledSourceIsADeviceErrorNamingTheCamera) {
    auto source = std::make_unique<ScriptedSource>(10ms);
    ScriptedSource* raw = source.get();
    Camera camera(std::move(source), {.name = "wrist", .max_age_s = 0.2}, steady_clock());
    camera.start();
    camera.latest();
    raw->stall_ = true;
    std::this_thread::sleep_for(300ms);
    const std::string message = device_error([&] { camera.latest(); });
    EXPECT_NE(message.find("camera wrist (scripted)"), std::string::npos) << message;
    EXPECT_NE(message.find("old"), std::string::npos) << message;
    EXPECT_NE(message.find("check the script"), std::string::npos) << message;
    raw->stall_ = false;
}

TEST(Camera, AFailingSourceIsADeviceError) {
    auto source = std::make_unique<ScriptedSource>(5ms);
    ScriptedSource* raw = source.get();
    Camera camera(std::move(source), {.name = "front"}, steady_clock());
    camera.start();
    raw->fail_ = true;
    std::this_thread::sleep_for(50ms);
    EXPECT_NE(device_error([&] { camera.latest(); }).find("scripted failure"), std::string::npos);
}

TEST(Camera, WarmUpDropsTheFirstFrames) {
    auto source = std::make_unique<ScriptedSource>(10ms);
    Camera camera(std::move(source), {.name = "front", .warmup_s = 0.2}, steady_clock());
    const auto opened = steady_clock().now();
    camera.start();
    const Frame f = camera.latest();
    // Published frames are numbered from 1 after the warm-up; the source's own count (in the
    // first pixel) shows the frames dropped during it.
    EXPECT_LE(f.sequence, 3u);
    EXPECT_GE(seconds_between(opened, f.captured), 0.2);
    EXPECT_GT(f.image.at<cv::Vec3b>(0, 0)[0], f.sequence + 2);
}

TEST(Camera, RotatesAndReordersChannels) {
    for (const int rotation : {90, 180, 270, -90}) {
        auto source = std::make_unique<ScriptedSource>(5ms);
        Camera camera(std::move(source),
                      {.name = "front", .rotation = rotation, .order = image::ChannelOrder::kBgr},
                      steady_clock());
        const Frame f = camera.latest();
        const bool quarter = rotation != 180;
        EXPECT_EQ(f.image.rows, quarter ? 6 : 4);
        EXPECT_EQ(f.image.cols, quarter ? 4 : 6);
        EXPECT_EQ(f.order, image::ChannelOrder::kBgr);
        const cv::Vec3b p = f.image.at<cv::Vec3b>(1, 1);
        EXPECT_EQ(p[0], 30);  // blue first
        EXPECT_EQ(p[2], 10);
    }
    EXPECT_THROW(Camera(std::make_unique<ScriptedSource>(5ms), {.rotation = 45}, steady_clock()),
                 ConfigError);
}

TEST(SimCamera, RendersTheSceneOnAVirtualClock) {
    VirtualClock clock;
    config::CameraConfig config;
    config.type = "sim";
    config.fps = 10;
    auto camera = open_camera("front", config, clock);
    camera->start();
    const Frame a = camera->latest();
    EXPECT_EQ(a.image.rows, 480);
    EXPECT_EQ(a.image.cols, 640);
    EXPECT_EQ(a.image.type(), CV_8UC3);
    EXPECT_EQ(a.captured, clock.now());
    clock.advance(3s);  // the scripted person has moved the arm
    const Frame b = camera->latest();
    EXPECT_EQ(b.sequence, a.sequence + 1);
    EXPECT_EQ(b.captured, clock.now());
    EXPECT_GT(cv::norm(a.image, b.image, cv::NORM_L1), 1e5);
    config.view = "wrist";
    const Frame w = open_camera("wrist", config, clock)->latest();
    EXPECT_EQ(w.image.cols, 640);
}

TEST(SimCamera, RunsInRealTimeAtItsRate) {
    config::CameraConfig config;
    config.type = "sim";
    config.fps = 20;
    config.warmup_s = 0.0;
    const auto reports = stream_cameras({{"front", config}}, 1.0, steady_clock());
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_GT(reports[0].achieved_fps, 10.0);
    EXPECT_LT(reports[0].achieved_fps, 22.0);
    EXPECT_LT(reports[0].age_p50_ms, 100.0);
}

TEST(VideoFileCamera, PlaysAtTheFileRateLoopsOrEnds) {
    testing::TempDir dir;
    const auto file = dir.path() / "clip.mp4";
    {
        video::EncoderSettings settings;
        settings.codec = video::Codec::kMpeg4;
        video::VideoWriter writer(file, 64, 48, 50.0, image::ChannelOrder::kRgb, settings);
        for (int i = 0; i < 10; ++i) {
            writer.write(cv::Mat(48, 64, CV_8UC3, cv::Scalar(i * 20, 100, 50)));
        }
        writer.finish();
    }
    config::CameraConfig config;
    config.index_or_path = file.string();
    config.warmup_s = 0.0;
    {
        auto camera = open_camera("file", config, steady_clock());
        EXPECT_DOUBLE_EQ(camera->fps(), 50.0);
        camera->start();
        std::this_thread::sleep_for(400ms);  // 20 frames: twice through the file
        const Frame f = camera->latest();
        EXPECT_EQ(f.image.cols, 64);
        EXPECT_GE(f.sequence, 15u);
    }
    config.loop = false;
    auto camera = open_camera("file", config, steady_clock());
    camera->start();
    std::this_thread::sleep_for(400ms);
    const std::string message = device_error([&] { camera->latest(); });
    EXPECT_NE(message.find("camera file (video file"), std::string::npos) << message;
    EXPECT_NE(message.find("ended"), std::string::npos) << message;
}

TEST(OpenCamera, AMissingDeviceIsADeviceErrorNamingIt) {
    config::CameraConfig config;
    config.index_or_path = "/dev/video_rcls_absent";
    const std::string message = device_error([&] { open_camera("front", config, steady_clock()); });
    EXPECT_NE(message.find("camera front: /dev/video_rcls_absent does not exist"),
              std::string::npos)
        << message;
}

TEST(Snapshot, WritesOnePngPerCamera) {
    testing::TempDir dir;
    const config::RecordConfig record = config::load_record_config(
        std::filesystem::path(RCLS_SOURCE_DIR) / "configs/sim_record_config.json");
    CameraList cameras(record.robot.cameras.begin(), record.robot.cameras.end());
    ASSERT_FALSE(cameras.empty());
    EXPECT_EQ(record.robot.type, "so101_follower_sim");
    EXPECT_EQ(record.teleop.type, "so101_leader_sim");
    EXPECT_EQ(cameras[0].second.type, "sim");
    const auto files = snapshot_cameras(cameras, dir.path(), steady_clock());
    ASSERT_EQ(files.size(), cameras.size());
    const cv::Mat png = video::read_image(files[0], image::ChannelOrder::kRgb);
    EXPECT_EQ(png.cols, 640);
    EXPECT_EQ(png.rows, 480);
}

TEST(V4l2, ListsOnlyVideoNodes) {
    testing::TempDir dir;
    video::write_image(dir.path() / "not_a_camera.png", cv::Mat(2, 2, CV_8UC3, cv::Scalar(0)),
                       image::ChannelOrder::kRgb);
    { std::ofstream(dir.path() / "video7") << "x"; }
    { std::ofstream(dir.path() / "videox") << "x"; }
    const auto devices = list_video_devices(dir.path());
    ASSERT_EQ(devices.size(), 1u);
    EXPECT_EQ(devices[0].index, 7);
    EXPECT_FALSE(devices[0].capture);
    EXPECT_FALSE(devices[0].error.empty());  // a plain file is no V4L2 device
    EXPECT_NE(format_devices(devices).find("video7"), std::string::npos);
    EXPECT_EQ(describe_modes({{"MJPG", 1280, 720, {30, 15}}, {"YUYV", 640, 480, {30}}}),
              "MJPG 1280x720 @ 30/15 fps; YUYV 640x480 @ 30 fps");
}

}  // namespace
}  // namespace rcls::camera
