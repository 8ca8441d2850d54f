// SPDX-License-Identifier: MIT
//
// Contact sheets for labelling over a plain terminal: one PNG per episode with every N-th frame
// as a thumbnail, its frame number written on it, and the frames the dataset counts as success
// (next.reward >= 0.5) outlined in green.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "rcls/dataset/dataset.hpp"

namespace rcls::label {

/// How contact sheets look.
struct ContactSheetOptions {
    int every = 10;         ///< Frames between thumbnails (the last frame is always shown).
    int columns = 8;        ///< Thumbnails per row.
    int thumb_width = 160;  ///< Pixels; the height keeps the camera's aspect ratio.
    std::string camera;     ///< Camera key; empty: the first.
};

/// The frames a sheet of an episode of `length` frames shows: 0, every, 2 every, ..., last.
std::vector<std::int64_t> sheet_frames(std::int64_t length, int every);

/// The sheet of one episode as an RGB image.
cv::Mat contact_sheet(const dataset::Dataset& dataset,
                      std::int64_t episode_index,
                      const ContactSheetOptions& options);

/// Writes `dir`/episode_000000.png, ... for every episode; returns the files. Throws DataError
/// naming the episode and file for an unreadable video, ConfigError when the dataset has no
/// camera (or not `options.camera`).
std::vector<std::filesystem::path> write_contact_sheets(const dataset::Dataset& dataset,
                                                        const std::filesystem::path& dir,
                                                        const ContactSheetOptions& options);

/// The camera key `wanted` names, or the dataset's first camera. Throws ConfigError when there
/// is none or it is not a camera of the dataset.
std::string choose_camera(const dataset::Dataset& dataset, const std::string& wanted);

}  // namespace rcls::label
