// SPDX-License-Identifier: MIT
//
// The samples of a dataset for training, evaluation and prediction: one per frame of the chosen
// episodes, each with its global index, episode and frame index, timestamp, camera frame,
// observation.state and label (next.reward) when the dataset has one. Constructing reads only the
// metadata; an episode's tabular values are read the first time one of its samples is asked for
// (and kept: a few numbers per frame), and camera frames are decoded on request through
// FrameReader (reading in order decodes each frame once; a random access at most one group of
// pictures). No frame is kept in memory.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "rcls/dataset/dataset.hpp"
#include "rcls/dataset/frame_reader.hpp"
#include "rcls/image/channel_order.hpp"

namespace rcls::dataset {

/// One frame of an episode.
struct Sample {
    std::int64_t index = 0;  ///< Global frame index (the `index` column).
    std::int64_t episode_index = 0;
    std::int64_t frame_index = 0;
    double timestamp = 0.0;      ///< Seconds from the episode's start.
    cv::Mat image;               ///< The camera frame; empty when no camera was chosen.
    std::vector<float> state;    ///< observation.state; empty when the dataset has none.
    std::optional<float> label;  ///< next.reward, when the dataset has it.
};

/// Which samples, and how.
struct SampleOptions {
    /// Episodes in the order their samples come; empty: every episode.
    std::vector<std::int64_t> episodes;
    /// The camera (video key) whose frames samples carry; empty: the dataset's first camera,
    /// none when it has no camera.
    std::string camera;
    bool images = true;  ///< false: samples without camera frames (no decoding at all).
    image::ChannelOrder order = image::ChannelOrder::kRgb;
    int decoder_threads = 1;  ///< Per open video file (0: FFmpeg chooses).
};

/// Random access and iteration over samples. Borrows the Dataset, which must outlive it. Not
/// thread-safe (it keeps decoders open): one Samples per thread.
class Samples {
public:
    /// Throws DataError naming the episode or camera when the dataset has no such one.
    explicit Samples(const Dataset& dataset, SampleOptions options = {});

    /// Number of samples (frames of the chosen episodes).
    std::int64_t size() const { return total_; }
    /// True when the dataset has next.reward.
    bool has_labels() const { return has_labels_; }
    /// The camera whose frames samples carry; empty when none.
    const std::string& camera() const { return camera_; }

    /// Sample `i` in [0, size()): episodes in the chosen order, frames in order. Throws
    /// DataError naming the episode (and file, frame) when its data or video cannot be read,
    /// UsageError when `i` is out of range.
    Sample at(std::int64_t i);
    /// The sample of frame `frame_index` of episode `episode_index` (one of the chosen).
    Sample get(std::int64_t episode_index, std::int64_t frame_index);

    /// Calls `visit` with every sample in order; stops early when it returns false.
    template <class Visit>
    void for_each(Visit&& visit) {
        for (std::int64_t i = 0; i < total_; ++i) {
            if (!visit(at(i))) return;
        }
    }

private:
    /// Tabular values of one episode.
    struct EpisodeRows {
        std::vector<std::int64_t> index;
        std::vector<double> timestamp;
        std::vector<float> state;  ///< state_size values per frame.
        std::vector<float> label;
    };
    const EpisodeRows& rows(std::int64_t episode_index);
    Sample make(std::int64_t episode_index, std::int64_t frame_index, std::int64_t length);

    const Dataset& dataset_;
    SampleOptions options_;
    std::string camera_;
    bool has_labels_ = false;
    bool has_state_ = false;
    std::size_t state_size_ = 0;
    std::vector<std::int64_t> episodes_;
    std::vector<std::int64_t> lengths_;
    std::vector<std::int64_t> starts_;  ///< First sample of each chosen episode.
    std::int64_t total_ = 0;
    std::map<std::int64_t, EpisodeRows> rows_;
    std::optional<FrameReader> frames_;
};

}  // namespace rcls::dataset
