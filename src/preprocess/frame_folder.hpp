// SPDX-License-Identifier: MIT
//
// PNG frames of one video or episode, written into a staged directory (AtomicOutput): the folder
// appears under its name only when complete. Shared by the file and dataset workflows.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>

#include <opencv2/core/mat.hpp>
#include <opencv2/imgcodecs.hpp>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"

namespace rcls::preprocess {

/// zlib level 1, as LeRobot's image writer: PNG frames are written fast and read often.
inline constexpr int kPngCompression = 1;

/// Frames frame_000000.png, frame_000001.png, ... of one video. Not thread-safe.
class FrameFolder {
public:
    explicit FrameFolder(const std::filesystem::path& target)
        : dir_(target, OutputKind::kDirectory) {}

    /// Writes frame `index` (BGR, as OpenCV's encoders take it). Throws DataError on failure.
    void write(std::int64_t index, const cv::Mat& bgr) {
        char name[32];
        std::snprintf(name, sizeof name, "frame_%06lld.png", static_cast<long long>(index));
        const std::filesystem::path path = dir_.temp_path() / name;
        if (!cv::imwrite(path.string(), bgr, {cv::IMWRITE_PNG_COMPRESSION, kPngCompression})) {
            throw DataError(path.string() + ": cannot write PNG frame");
        }
    }
    /// Moves the finished folder into place.
    void commit() { dir_.commit(); }

private:
    AtomicOutput dir_;
};

}  // namespace rcls::preprocess
