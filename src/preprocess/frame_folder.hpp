// SPDX-License-Identifier: MIT
//
// PNG frames of one video or episode, written into a staged directory (AtomicOutput): the folder
// appears under its name only when complete. Shared by the file and dataset workflows.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string_view>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "rcls/core/atomic_file.hpp"
#include "rcls/image/channel_order.hpp"
#include "rcls/video/image_file.hpp"

namespace rcls::preprocess {

/// Writes `image` (in `order`) as a `format` file inside a staged directory (no per-file fsync:
/// the directory's commit syncs it). Throws DataError naming the file.
inline void write_staged_image(const std::filesystem::path& path,
                               const cv::Mat& image,
                               image::ChannelOrder order,
                               video::ImageFormat format = video::ImageFormat::kPng) {
    const std::vector<std::uint8_t> bytes =
        video::encode_image(image, order, format, path.string());
    write_file(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

/// Frames frame_000000.png, frame_000001.png, ... of one video. Not thread-safe.
class FrameFolder {
public:
    explicit FrameFolder(const std::filesystem::path& target)
        : dir_(target, OutputKind::kDirectory) {}

    /// Writes frame `index` (in `order`). Throws DataError on failure.
    void write(std::int64_t index, const cv::Mat& image, image::ChannelOrder order) {
        char name[32];
        std::snprintf(name, sizeof name, "frame_%06lld.png", static_cast<long long>(index));
        write_staged_image(dir_.temp_path() / name, image, order);
    }
    /// Moves the finished folder into place.
    void commit() { dir_.commit(); }

private:
    AtomicOutput dir_;
};

}  // namespace rcls::preprocess
