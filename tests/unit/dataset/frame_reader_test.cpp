// SPDX-License-Identifier: MIT
// Camera frames: every available frame of the real datasets decodes; images written through the
// dataset writer come back close to what was given; random access does not decode from the start.
#include "rcls/dataset/frame_reader.hpp"

#include <cmath>
#include <filesystem>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/dataset/dataset.hpp"
#include "rcls/dataset/writer.hpp"
#include "rcls/parquet/reader.hpp"
#include "rcls/parquet/writer.hpp"
#include "rcls/video/video_reader.hpp"

#include "dataset_fixtures.hpp"
#include "prerequisite.hpp"
#include "temp_dir.hpp"

namespace rcls::dataset {
namespace {
namespace fs = std::filesystem;

fs::path realdata(const std::string& name) {
    const fs::path root = testing::realdata_dir();
    return root.empty() ? fs::path() : root / name;
}

/// Decodes every frame of every episode whose video exists; returns how many.
std::int64_t decode_all(const Dataset& d, const std::string& key, int width, int height) {
    FrameReader reader(d, image::ChannelOrder::kRgb, 0);
    std::int64_t frames = 0;
    for (const EpisodeMeta& e : d.meta().episodes) {
        if (!fs::exists(reader.video_file(e.episode_index, key))) continue;
        for (std::int64_t t = 0; t < e.length; ++t) {
            const cv::Mat image = reader.frame(e.episode_index, key, t);
            EXPECT_EQ(image.cols, width);
            EXPECT_EQ(image.rows, height);
            ++frames;
        }
    }
    return frames;
}

TEST(FrameReaderRealData, EveryAvailableChessFrameDecodes) {
    const fs::path root = realdata("so101_chess_wrist_lerobot_pr1138");
    if (root.empty() || !fs::exists(root))
        RCLS_PREREQUISITE_MISSING() << "realdata not on this machine";
    const Dataset d = Dataset::open(root);
    // Episodes 0, 3 and 4 have videos: 775 + 762 + 1 frames (SOURCE.txt).
    EXPECT_EQ(decode_all(d, "observation.images.follower_wrist", 640, 480), 775 + 762 + 1);
}

TEST(FrameReaderRealData, EveryAvailableLingzuFrameDecodesFromItsVideoFolder) {
    const fs::path root = realdata("lingzu_hand_press_button_open50");
    if (root.empty() || !fs::exists(root))
        RCLS_PREREQUISITE_MISSING() << "realdata not on this machine";
    const Dataset d = Dataset::open(root);
    std::int64_t expected = 0;
    for (std::int64_t e : {0, 3, 4, 5, 6, 8, 10, 11, 12, 13, 14, 15, 16, 17})
        expected += d.episode(e).length;
    EXPECT_EQ(decode_all(d, "image", 640, 480), expected);
}

TEST(FrameReaderRealData, EveryAvailableUnitreeFrameDecodes) {
    const fs::path root = realdata("unitree_g1_pick_bottle_YifanTian07");
    if (root.empty() || !fs::exists(root))
        RCLS_PREREQUISITE_MISSING() << "realdata not on this machine";
    const Dataset d = Dataset::open(root);
    std::int64_t expected = 0;
    for (const EpisodeMeta& e : d.meta().episodes) {
        if (fs::exists(d.meta().find_video_file(e, "observation.images.cam_high")))
            expected += e.length;
    }
    EXPECT_EQ(decode_all(d, "observation.images.cam_high", 640, 480), expected);
}

TEST(FrameReaderRealData, RandomAccessDoesNotDecodeFromTheStart) {
    const fs::path root = realdata("so101_chess_wrist_lerobot_pr1138");
    if (root.empty() || !fs::exists(root))
        RCLS_PREREQUISITE_MISSING() << "realdata not on this machine";
    const Dataset d = Dataset::open(root);
    FrameReader reader(d);
    const std::string key = "observation.images.follower_wrist";
    const cv::Mat late = reader.frame(0, key, 700);
    EXPECT_LT(reader.frames_decoded(), 100) << "decoded " << reader.frames_decoded();
    // The same frame reached by decoding forward from 690 is identical.
    FrameReader sequential(d);
    cv::Mat again;
    for (std::int64_t t = 690; t <= 700; ++t)
        again = sequential.frame(0, key, t);
    EXPECT_EQ(testing::mean_abs_diff(late, again), 0.0);
    EXPECT_THROW(reader.frame(0, key, 775), DataError);
    EXPECT_THROW(reader.frame(1, key, 0), DataError);  // video missing
}

TEST(FrameReaderWriter, ImagesWrittenComeBackCloseAndInOrder) {
    testing::TempDir dir;
    const fs::path root = dir / "d";
    WriterOptions options;
    video::EncoderSettings settings = video::lerobot_encoder_settings();
    settings.crf = 20;
    options.video = settings;
    {
        DatasetWriter writer =
            DatasetWriter::create(root, testing::synthetic_spec_with_camera(), options);
        for (std::int64_t e = 0; e < 3; ++e) {
            for (std::int64_t t = 0; t < testing::synthetic_length(e); ++t) {
                Frame frame = testing::synthetic_frame(e, t);
                frame.images[testing::kSyntheticCamera] = testing::synthetic_image(e, t);
                writer.add_frame(frame);
            }
            writer.save_episode();
        }
    }
    const Dataset d = Dataset::open(root);
    EXPECT_EQ(d.info().feature(testing::kSyntheticCamera)->video->codec, "av1");
    FrameReader reader(d);
    std::mt19937 rng(5);
    for (std::int64_t e = 0; e < 3; ++e) {
        for (std::int64_t t = 0; t < testing::synthetic_length(e); ++t) {
            const cv::Mat got = reader.frame(e, testing::kSyntheticCamera, t);
            const double diff = testing::mean_abs_diff(got, testing::synthetic_image(e, t));
            EXPECT_LT(diff, 6.0) << "episode " << e << " frame " << t;
            // ... and clearly further from the neighbouring frames' images.
            if (t > 0) {
                EXPECT_GT(testing::mean_abs_diff(got, testing::synthetic_image(e, t - 1)), diff);
            }
        }
    }
}

TEST(FrameReaderWriter, CameraStatisticsMatchThePixelsGivenShapedThreeOneOne) {
    testing::TempDir dir;
    const fs::path root = dir / "d";
    {
        DatasetWriter writer = DatasetWriter::create(root, testing::synthetic_spec_with_camera());
        for (std::int64_t e = 0; e < 2; ++e) {
            for (std::int64_t t = 0; t < testing::synthetic_length(e); ++t) {
                Frame frame = testing::synthetic_frame(e, t);
                frame.images[testing::kSyntheticCamera] = testing::synthetic_image(e, t);
                writer.add_frame(frame);
            }
            writer.save_episode();
        }
    }
    // Every pixel of every image (64x64: LeRobot does not downsample below 300 px), in [0, 1].
    double lo[3] = {1, 1, 1}, hi[3] = {0, 0, 0}, sum[3] = {0, 0, 0}, squares[3] = {0, 0, 0};
    double n = 0;
    std::int64_t images = 0;
    for (std::int64_t e = 0; e < 2; ++e) {
        for (std::int64_t t = 0; t < testing::synthetic_length(e); ++t, ++images) {
            const cv::Mat image = testing::synthetic_image(e, t);
            for (int y = 0; y < image.rows; ++y) {
                for (int x = 0; x < image.cols; ++x, ++n) {
                    for (int c = 0; c < 3; ++c) {
                        const double v = image.at<cv::Vec3b>(y, x)[c] / 255.0;
                        lo[c] = std::min(lo[c], v);
                        hi[c] = std::max(hi[c], v);
                        sum[c] += v;
                        squares[c] += v * v;
                    }
                }
            }
        }
    }
    const auto stats =
        nlohmann::json::parse(read_file(root / "meta/stats.json"))[testing::kSyntheticCamera];
    EXPECT_EQ(stats["count"][0].get<std::int64_t>(), images);
    for (int c = 0; c < 3; ++c) {
        const double mean = sum[c] / n;
        EXPECT_DOUBLE_EQ(stats["min"][c][0][0].get<double>(), lo[c]) << "channel " << c;
        EXPECT_DOUBLE_EQ(stats["max"][c][0][0].get<double>(), hi[c]) << "channel " << c;
        EXPECT_NEAR(stats["mean"][c][0][0].get<double>(), mean, 1e-9) << "channel " << c;
        EXPECT_NEAR(stats["std"][c][0][0].get<double>(), std::sqrt(squares[c] / n - mean * mean),
                    1e-6);
        EXPECT_GE(stats["q99"][c][0][0].get<double>(), stats["q01"][c][0][0].get<double>());
    }
    const parquet::Table episodes =
        parquet::read_table(root / "meta/episodes/chunk-000/file-000.parquet");
    const parquet::Column& means = episodes.column("stats/observation.images.front/mean");
    EXPECT_EQ(means.list_depth(), 3);
    EXPECT_EQ(means.numbers(1).size(), 3u);
}

TEST(FrameReaderWriter, WrongImagesAreDataErrors) {
    testing::TempDir dir;
    DatasetWriter writer = DatasetWriter::create(dir / "d", testing::synthetic_spec_with_camera());
    Frame frame = testing::synthetic_frame(0, 0);
    frame.images[testing::kSyntheticCamera] = testing::synthetic_image(0, 0, 32, 32);
    EXPECT_THROW(writer.add_frame(frame), DataError);
    frame.images[testing::kSyntheticCamera] = testing::synthetic_image(0, 0);
    writer.add_frame(frame);
    Frame without = testing::synthetic_frame(0, 1);
    EXPECT_THROW(writer.add_frame(without), DataError);
    writer.clear_episode();
    EXPECT_EQ(writer.buffered_frames(), 0);
}

// LeRobot's tolerance check, to the bit: its float32 comparison (values checked against torch
// 1.13: torch.cdist of torch.tensor()s, `<= 1e-4`).
TEST(FrameReaderTolerance, ComparesInFloat32AsLeRobot) {
    EXPECT_TRUE(within_timestamp_tolerance(1.0, 1.0 + 0.9e-4));
    EXPECT_FALSE(within_timestamp_tolerance(1.0, 1.0 + 1.1e-4));
    EXPECT_FALSE(within_timestamp_tolerance(0.1 + 1e-4, 0.1));     // 1.0000169e-4 in float32
    EXPECT_TRUE(within_timestamp_tolerance(3000.00011, 3000.0));   // both 3000.0f
    EXPECT_FALSE(within_timestamp_tolerance(3000.00013, 3000.0));  // one float32 step apart
    EXPECT_FALSE(within_timestamp_tolerance(std::nan(""), 0.0));
}

/// A v3.0 dataset with one camera (H.264, two episodes in one video file) whose data file's
/// `timestamp` column a test changes in place.
class FrameReaderTimestamps : public ::testing::Test {
protected:
    void SetUp() override {
        WriterOptions options;
        video::EncoderSettings settings;
        settings.codec = video::Codec::kH264;
        options.video = settings;
        DatasetWriter writer =
            DatasetWriter::create(root(), testing::synthetic_spec_with_camera(), options);
        for (std::int64_t e = 0; e < 2; ++e) {
            for (std::int64_t t = 0; t < testing::synthetic_length(e); ++t) {
                Frame frame = testing::synthetic_frame(e, t);
                frame.images[testing::kSyntheticCamera] = testing::synthetic_image(e, t);
                writer.add_frame(frame);
            }
            writer.save_episode();
        }
    }
    fs::path root() const { return dir_ / "d"; }

    /// Sets the timestamp of frame `t` of episode `e` to `seconds` (stored as float32, as LeRobot
    /// stores it).
    void set_timestamp(std::int64_t e, std::int64_t t, double seconds) {
        const Dataset d = Dataset::open(root());
        const fs::path file = d.meta().data_file(d.episode(e));
        parquet::Table table = parquet::read_table(file);
        const parquet::Column& episodes = table.column("episode_index");
        const parquet::Column& frames = table.column("frame_index");
        std::vector<float>& timestamps = table.find("timestamp")->as<float>();
        for (std::size_t row = 0; row < timestamps.size(); ++row) {
            if (episodes.integer(row) == e && frames.integer(row) == t) {
                timestamps[row] = static_cast<float>(seconds);
                parquet::write_table(file, table);
                return;
            }
        }
        FAIL() << "no row for episode " << e << " frame " << t;
    }

    /// The frame of the episode's video nearest `seconds` after the episode's start, decoded
    /// directly.
    cv::Mat video_frame_at(std::int64_t e, double seconds) {
        const Dataset d = Dataset::open(root());
        const EpisodeMeta& episode = d.episode(e);
        video::VideoReader reader(d.meta().find_video_file(episode, testing::kSyntheticCamera),
                                  {.order = image::ChannelOrder::kRgb, .threads = 1});
        return reader
            .frame_at(episode.videos.at(testing::kSyntheticCamera).from_timestamp + seconds)
            .image;
    }

    testing::TempDir dir_;
};

TEST_F(FrameReaderTimestamps, OnGridTimestampsReadTheFramesAtIndexOverFps) {
    const Dataset d = Dataset::open(root());
    FrameReader reader(d);
    for (std::int64_t e = 0; e < 2; ++e) {
        for (std::int64_t t = 0; t < testing::synthetic_length(e); ++t) {
            ASSERT_EQ(
                testing::mean_abs_diff(reader.frame(e, testing::kSyntheticCamera, t),
                                       video_frame_at(e, static_cast<double>(t) / d.info().fps)),
                0.0)
                << "episode " << e << " frame " << t;
        }
    }
}

TEST_F(FrameReaderTimestamps, ATimestampWithinTheToleranceReadsTheSameFrame) {
    const double fps = Dataset::open(root()).info().fps;
    set_timestamp(1, 3, 3.0 / fps + 0.5e-4);
    const Dataset d = Dataset::open(root());
    FrameReader reader(d);
    EXPECT_EQ(testing::mean_abs_diff(reader.frame(1, testing::kSyntheticCamera, 3),
                                     video_frame_at(1, 3.0 / fps)),
              0.0);
}

TEST_F(FrameReaderTimestamps, ATimestampOffByMoreThanTheToleranceIsRefused) {
    const double fps = Dataset::open(root()).info().fps;
    set_timestamp(1, 3, 3.0 / fps + 2e-4);
    set_timestamp(1, 5, 5.0 / fps - 2e-4);
    const Dataset d = Dataset::open(root());
    FrameReader reader(d);
    const fs::path video = reader.video_file(1, testing::kSyntheticCamera);
    for (const std::int64_t t : {3, 5}) {
        try {
            reader.frame(1, testing::kSyntheticCamera, t);
            ADD_FAILURE() << "frame " << t << " was read";
        } catch (const DataError& err) {
            const std::string what = err.what();
            EXPECT_EQ(what.rfind("episode 1, " + std::string(testing::kSyntheticCamera) +
                                     ", frame " + std::to_string(t) + ": " + video.string() +
                                     ": no frame within 0.0001 s of ",
                                 0),
                      0u)
                << what;
            EXPECT_NE(what.find(", the nearest is at "), std::string::npos) << what;
            EXPECT_NE(what.find("LeRobot refuses this frame too"), std::string::npos) << what;
            EXPECT_EQ(what.find('\n'), std::string::npos) << what;
        }
    }
    // The frames around them are read as before.
    EXPECT_EQ(testing::mean_abs_diff(reader.frame(1, testing::kSyntheticCamera, 4),
                                     video_frame_at(1, 4.0 / fps)),
              0.0);
}

// A timestamp a whole frame late is on the video's grid: LeRobot reads the next frame there, and
// so does rcls (not the frame at index / fps).
TEST_F(FrameReaderTimestamps, ATimestampOneFrameLateReadsTheNextFrameAsLeRobotDoes) {
    const double fps = Dataset::open(root()).info().fps;
    set_timestamp(0, 2, 3.0 / fps);
    const Dataset d = Dataset::open(root());
    FrameReader reader(d);
    EXPECT_EQ(testing::mean_abs_diff(reader.frame(0, testing::kSyntheticCamera, 2),
                                     video_frame_at(0, 3.0 / fps)),
              0.0);
}

// Without data files (a dataset shared as meta/ and videos only) there is no timestamp column:
// frame t is read at t / fps.
TEST_F(FrameReaderTimestamps, WithoutDataFilesFramesAreAtIndexOverFps) {
    const double fps = Dataset::open(root()).info().fps;
    set_timestamp(1, 3, 3.0 / fps + 2e-4);  // would be refused, were it read
    fs::remove_all(root() / "data");
    const Dataset d = Dataset::open(root());
    FrameReader reader(d);
    EXPECT_FALSE(reader.timestamps(1).has_value());
    EXPECT_EQ(testing::mean_abs_diff(reader.frame(1, testing::kSyntheticCamera, 3),
                                     video_frame_at(1, 3.0 / fps)),
              0.0);
}

// LeRobot's current marker of a depth camera is info["is_depth_map"]; older datasets carry
// info["video.is_depth_map"]. Either one makes the camera one rcls refuses to read as colour.
TEST_F(FrameReaderTimestamps, ADepthCameraIsRefusedByEitherMarker) {
    for (const char* marker : {"is_depth_map", "video.is_depth_map"}) {
        nlohmann::ordered_json info =
            nlohmann::ordered_json::parse(read_file(root() / "meta/info.json"));
        nlohmann::ordered_json& camera_info = info["features"][testing::kSyntheticCamera]["info"];
        camera_info.erase("video.is_depth_map");
        camera_info.erase("is_depth_map");
        camera_info[marker] = true;
        write_file_atomic(root() / "meta/info.json", info.dump(4));
        const Dataset d = Dataset::open(root());
        EXPECT_TRUE(d.info().feature(testing::kSyntheticCamera)->video->is_depth_map) << marker;
        FrameReader reader(d);
        try {
            reader.frame(0, testing::kSyntheticCamera, 0);
            ADD_FAILURE() << marker << ": a depth camera was read";
        } catch (const DataError& err) {
            EXPECT_NE(std::string(err.what()).find("is a depth map"), std::string::npos)
                << err.what();
        }
    }
}

}  // namespace
}  // namespace rcls::dataset
