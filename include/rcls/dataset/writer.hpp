// SPDX-License-Identifier: MIT
//
// Writes LeRobotDataset v3.0 (lerobot_formats.md §5.2), crash-safe.
//
// Recording. add_frame() checks and buffers a frame's values and hands each camera image to that
// camera's encoder thread through a bounded queue (WriterOptions::encode_queue_frames): it waits
// for the encoder only when the queue is full, so a 30 fps control loop is not held up by AV1
// encoding. An encoder failure is thrown, naming the episode and the camera, by the next
// add_frame() or by save_episode().
//
// Crash safety. save_episode() asks plan_episode() (rcls/dataset/episode_plan.hpp) what the episode
// changes, without touching the disk, then stages every file in <root>/.rcls-staging/ (outside the
// folders LeRobot globs) with core's StagedFiles and renames them into place in a fixed order:
//   1. the data parquet holding the episode (the current file, rewritten with the episode's
//      rows appended, or a new file after LeRobot's size rollover),
//   2. per camera, the concatenated video: the current mp4 and the episode's own mp4 joined by
//      copying packets (no re-encoding), or the episode alone in a new file after rollover,
//   3. the episode metadata parquet, 4. tasks.parquet, 5. stats.json,
//   6. info.json: the commit point.
// Readers trust info.json: an episode whose index is not below total_episodes does not exist,
// and rows or metadata of such an episode (written by a process killed between steps 1 and 5)
// are ignored. DatasetWriter::open() repairs such leftovers before appending: it trims the data,
// episode and video files back to the committed episodes, deletes files only uncommitted episodes
// used, rewrites stats.json and tasks.parquet to match, and empties the staging folder. So a
// kill at any moment leaves a dataset that opens with every episode saved before it, and
// appending can resume.
//
// Locking. A writer holds the dataset's lock (rcls/dataset/lock.hpp) from create()/open() to its
// destruction: a second writer fails at once with a DataError naming the holder's pid.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "rcls/dataset/info.hpp"
#include "rcls/dataset/metadata.hpp"
#include "rcls/video/video_writer.hpp"

namespace rcls::parquet {
struct Table;
}  // namespace rcls::parquet

namespace rcls::dataset {

class Dataset;

/// What a new dataset holds.
struct DatasetSpec {
    std::string robot_type;
    double fps = 30.0;
    /// The dataset's own features (e.g. observation.state, action, next.reward, next.done);
    /// timestamp, frame_index, episode_index, index and task_index are added after them.
    std::vector<Feature> features;
    std::int64_t chunks_size = 1000;
    double data_files_size_in_mb = 100.0;
    double video_files_size_in_mb = 200.0;
};

/// The features of an SO-101 reward-classifier dataset without cameras: observation.state and
/// action (float32[6], names shoulder_pan.pos ... gripper.pos), next.reward (float32) and
/// next.done (bool).
std::vector<Feature> so101_reward_features();

/// A feature of `dtype` ("float32", "float64", "int64", "int32", "bool", "string") and `shape`.
Feature make_feature(std::string key,
                     std::string dtype,
                     std::vector<std::int64_t> shape,
                     std::vector<std::string> names = {});

/// One frame: a value list per non-default feature (its shape's size; bools as 0/1), and an image
/// per camera.
struct Frame {
    std::map<std::string, std::vector<double>> values;
    /// Per video feature: an 8-bit RGB image of the feature's height and width. The writer
    /// encodes it into the episode's video as it comes. A camera may instead get a finished
    /// episode video through DatasetWriter::episode_video_path().
    std::map<std::string, cv::Mat> images;
    std::string task;                 ///< The frame's task description.
    std::optional<double> timestamp;  ///< Seconds; default frame_index / fps.
};

/// Frame `t` of episode `episode_index` of `source` (row `t` of `table`, its read_episode()) as the
/// writer takes it: the values of every non-visual feature in `features`, the task and the
/// timestamp; the caller adds images. Throws DataError naming the frame when its task_index has
/// no task. Used when a dataset is copied (preprocess, a labelled copy).
Frame frame_from_row(const Dataset& source,
                     const parquet::Table& table,
                     std::int64_t episode_index,
                     std::int64_t t,
                     const std::vector<Feature>& features);

/// Frame `t` of episode `episode_index` of a source without data files (Dataset::has_any_data()
/// false) as the writer takes it: no feature values, the episode's first task (meta/episodes; else
/// the dataset's first task) and the timestamp t / fps. Throws DataError when meta/ names no task.
Frame frame_from_metadata(const Dataset& source, std::int64_t episode_index, std::int64_t t);

/// Bounds of WriterOptions::encode_queue_frames.
inline constexpr int kMinEncodeQueueFrames = 1;
inline constexpr int kMaxEncodeQueueFrames = 1024;

/// How the writer works, and hooks for tracing and fault-injection tests.
struct WriterOptions {
    /// Called before every file operation (write of a block, flush, rename) with a short label.
    std::function<void(std::string_view step)> on_step;
    /// fsync every file and folder before it counts (survives power loss). Without it, files are
    /// still replaced atomically, which is all a killed process needs.
    bool durable = true;
    /// How camera images are encoded. Default: LeRobot's (libsvtav1, yuv420p, g=2, crf=30) for a
    /// new dataset; for an existing one, the codec its info.json names, with LeRobot's g and crf.
    std::optional<video::EncoderSettings> video;
    /// Camera images that may wait for each camera's encoder thread (1 to 1024; create() and
    /// open() throw ConfigError otherwise). add_frame() waits only when the queue is full. Each
    /// waiting image is a copy: 32 frames of 640x480 RGB are 29 MB per camera, about 1 s of
    /// recording at 30 fps.
    int encode_queue_frames = 32;
};

struct EpisodeLabels;

/// Appends episodes to a v3.0 dataset. Not thread-safe (call it from one thread); one writer per
/// dataset, which the dataset's lock enforces across processes.
class DatasetWriter {
public:
    /// Creates a dataset at `root`, which must not exist or be an empty folder. Throws DataError
    /// if it is not, cannot be written, or another writer holds its lock.
    static DatasetWriter create(const std::filesystem::path& root,
                                const DatasetSpec& spec,
                                WriterOptions options = {});
    /// Opens an existing v3.0 dataset for appending, repairing what an interrupted writer left
    /// (see the file comment). Throws DataError for v2.x datasets, corrupt metadata, or when
    /// another writer holds the dataset's lock (naming its pid).
    static DatasetWriter open(const std::filesystem::path& root, WriterOptions options = {});

    DatasetWriter(DatasetWriter&&) noexcept;
    DatasetWriter& operator=(DatasetWriter&&) noexcept;
    ~DatasetWriter();

    /// Buffers one frame of the current episode and queues its images for encoding. Throws
    /// DataError naming the feature when a value is missing or has the wrong size, and naming the
    /// episode and camera when an earlier image failed to encode.
    void add_frame(const Frame& frame);
    /// Writes the buffered frames as the next episode and commits it; returns its index. Throws
    /// DataError when nothing is buffered or a file cannot be written (the dataset then still
    /// holds every episode committed before).
    std::int64_t save_episode();
    /// Drops the buffered frames (LeRobot's clear_episode_buffer, for re-recording).
    void clear_episode();

    /// Where the current episode's video of camera `video_key` must be before save_episode(): an
    /// mp4 in the staging folder with one frame per add_frame(), encoded by the caller with the
    /// dataset's codec settings (the same for every episode, so that files can be joined). Throws
    /// DataError when `video_key` is not a video feature.
    std::filesystem::path episode_video_path(const std::string& video_key) const;

    /// Frames buffered for the current episode.
    std::int64_t buffered_frames() const;
    /// The committed metadata (what a reader opening the dataset now would see).
    const Metadata& meta() const;

private:
    friend void rewrite_labels(const std::filesystem::path& root,
                               const std::map<std::int64_t, EpisodeLabels>& labels,
                               WriterOptions options);
    struct State;
    explicit DatasetWriter(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

}  // namespace rcls::dataset
