// SPDX-License-Identifier: MIT
//
// Internal to rcls::dataset: what a DatasetWriter keeps between episodes (shared with the label
// rewrite, which works on an open writer's committed state).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rcls/core/atomic_file.hpp"
#include "rcls/dataset/episode_plan.hpp"
#include "rcls/dataset/lock.hpp"
#include "rcls/dataset/writer.hpp"

#include "encoder_worker.hpp"

namespace rcls::dataset {

/// The staging folder inside a dataset's root.
inline constexpr const char* kStagingDir = ".rcls-staging";

/// The one way the writer changes files: core's StagedFiles, staging in <root>/.rcls-staging,
/// traced through options.on_step when `traced`.
StagedFiles staged(const std::filesystem::path& root,
                   const WriterOptions& options,
                   bool traced = true);

/// Everything the writer keeps between episodes.
struct DatasetWriter::State {
    WriterOptions options;
    DatasetLock lock;
    CommittedState committed;
    video::EncoderSettings encoder;  ///< For camera images.
    /// Per camera: the worker encoding the current episode's images (while they come).
    std::map<std::string, std::unique_ptr<EncoderWorker>> encoders;
    std::vector<Frame> buffer;

    const Metadata& meta() const { return committed.meta; }
    std::filesystem::path episode_video(const std::string& key) const {
        return committed.meta.root / kStagingDir / ("episode-" + key + ".mp4");
    }

    /// Stops the encoders and deletes the current episode's own video files.
    void drop_episode_videos() {
        encoders.clear();
        for (const std::string& key : meta().info.video_keys()) {
            std::error_code ignored;
            std::filesystem::remove(episode_video(key), ignored);
        }
    }

    void repair();
};

}  // namespace rcls::dataset
