// SPDX-License-Identifier: MIT
//
// Still images (PNG, JPEG, BMP, TIFF, WebP, PPM/PGM/PBM) through FFmpeg's image codecs.
//
// rcls reads and writes images with the FFmpeg libraries it already links for video rather than
// OpenCV's imgcodecs: imgcodecs brings about 90 more shared libraries (GDAL, Poppler, DICOM, ...)
// whose loading and relocation cost every rcls command about 100 ms of start-up, for codecs FFmpeg
// has as well. Files are recognised by their content, not their name; PNG, BMP, TIFF, PPM and
// WebP (lossless) keep every pixel, so frames written here read back exactly, with any reader.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "rcls/image/channel_order.hpp"

namespace rcls::video {

/// The still-image formats rcls writes.
enum class ImageFormat {
    kPng,   ///< Lossless; zlib level set by ImageEncodeOptions::png_compression.
    kJpeg,  ///< Lossy, 4:2:0, quality set by ImageEncodeOptions::jpeg_qscale.
    kBmp,   ///< Uncompressed 24-bit.
    kTiff,  ///< Lossless (PackBits).
    kWebp,  ///< Lossless WebP.
    kPpm,   ///< Binary PPM (P6).
};

/// True for the file names of still images rcls reads (.png, .jpg, .jpeg, .bmp, .tif, .tiff,
/// .webp, .ppm, .pgm, .pbm), compared case-insensitively.
bool has_image_extension(const std::filesystem::path& path);

/// The format a file name asks for by its extension (case-insensitive); nullopt for others. .pgm
/// and .pbm have none: rcls reads them but writes colour images only.
std::optional<ImageFormat> image_format_for(const std::filesystem::path& path);

/// Decodes an image held in memory into an 8-bit 3-channel Mat in `order`. The format is
/// recognised from the bytes. Alpha is dropped, grey and palette images become colour, 16-bit
/// samples are reduced to 8 bits, and JPEG's YCbCr is converted with the full-range BT.601 matrix
/// (JFIF). Throws DataError starting with `name` when the bytes are not an image rcls reads or are
/// damaged.
cv::Mat decode_image(std::span<const std::uint8_t> bytes,
                     image::ChannelOrder order,
                     const std::string& name);

/// decode_image() of the whole file at `path`; errors name the path.
cv::Mat read_image(const std::filesystem::path& path, image::ChannelOrder order);

/// How images are encoded.
struct ImageEncodeOptions {
    /// zlib level for PNG, 0-9. 1, as LeRobot's image writer: frames are written fast, read often.
    int png_compression = 1;
    /// JPEG quantiser scale, 1 (best) to 31, as ffmpeg's -q:v. 2 is visually lossless.
    int jpeg_qscale = 2;
};

/// Encodes `image` (CV_8UC3 in `order`, or CV_8UC1 grey) as a complete file in `format`. Throws
/// DataError starting with `name` for other pixel types or when the encoder fails.
std::vector<std::uint8_t> encode_image(const cv::Mat& image,
                                       image::ChannelOrder order,
                                       ImageFormat format,
                                       const std::string& name,
                                       const ImageEncodeOptions& options = {});

/// encode_image() in the format of `path`'s extension, written to `path` atomically (temp file,
/// fsync, rename). Throws DataError naming the path for an extension rcls cannot write or when
/// writing fails.
void write_image(const std::filesystem::path& path,
                 const cv::Mat& image,
                 image::ChannelOrder order,
                 const ImageEncodeOptions& options = {});

}  // namespace rcls::video
