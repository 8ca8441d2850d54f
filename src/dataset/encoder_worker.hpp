// SPDX-License-Identifier: MIT
//
// Internal to rcls::dataset: one camera's episode video encoded on a worker thread. The caller
// (DatasetWriter::add_frame, on the recording loop's control thread) hands images over through a
// bounded queue and waits only when the queue is full; the worker encodes them and accumulates
// the camera statistics. A failure on the worker is kept and thrown, naming the episode and the
// camera, by the next push() or by finish().
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <opencv2/core/mat.hpp>

#include "rcls/dataset/stats.hpp"
#include "rcls/video/video_writer.hpp"

namespace rcls::dataset {

class EncoderWorker {
public:
    using Factory = std::function<std::unique_ptr<video::VideoWriter>()>;
    /// Starts the worker, which opens its video with `open` (on its own thread: an AV1 encoder
    /// takes a while to set up); `capacity` images may wait (at least 1). `where` names the
    /// episode and camera in errors ("episode 3, camera observation.images.front").
    EncoderWorker(Factory open, std::size_t capacity, std::string where);
    /// Stops the worker, dropping queued images; the unfinished video's file is removed.
    ~EncoderWorker();
    EncoderWorker(const EncoderWorker&) = delete;
    EncoderWorker& operator=(const EncoderWorker&) = delete;

    /// Queues `image` (owned from now on), waiting while the queue is full. Throws DataError when
    /// the worker has failed.
    void push(cv::Mat image);
    /// Throws DataError when the worker has failed.
    void check() const;
    /// Waits for the queued images, finishes the video file and returns the camera's statistics.
    /// Throws DataError when encoding failed.
    FeatureStats finish();

private:
    void run();
    void stop();
    /// Keeps the first failure and stops taking images.
    void fail(const std::string& what);

    Factory open_;
    std::unique_ptr<video::VideoWriter> writer_;
    std::size_t capacity_;
    std::string where_;
    ImageStatsAccumulator stats_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<cv::Mat> queue_;
    cv::Size first_size_;   ///< Of the first image pushed (written before finish() without one).
    bool closing_ = false;  ///< No more images: drain and stop.
    bool abort_ = false;    ///< Stop now, dropping the queue.
    std::string error_;     ///< The worker's failure, once it failed.
    std::thread thread_;
};

}  // namespace rcls::dataset
