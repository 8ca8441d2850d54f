// SPDX-License-Identifier: MIT
//
// Cropping: a rectangle given as LeRobot gives it, (top, left, height, width), or the centred
// square ("center": 640x480 -> the 480x480 square at left 80, as `crop=480:480:80:0`).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <opencv2/core/mat.hpp>

namespace rcls::image {

/// A crop rectangle in pixels, in LeRobot's order (crop_params_dict: top, left, height, width).
struct CropRect {
    int top = 0;
    int left = 0;
    int height = 0;
    int width = 0;

    bool operator==(const CropRect&) const = default;
};

/// "T,L,H,W".
std::string to_string(const CropRect& rect);

/// What to crop: the centred square of each image, or one fixed rectangle.
class CropSpec {
public:
    /// The largest centred square: side min(width, height), offsets rounded down.
    static CropSpec center();
    /// A fixed rectangle; its size must be positive (throws ConfigError otherwise).
    static CropSpec rect(const CropRect& rect);

    /// True for the centred square, false for a fixed rectangle.
    bool is_center() const { return !rect_.has_value(); }

    /// The rectangle this spec selects in a `width` x `height` image. Throws ConfigError naming
    /// `what` (e.g. the file) when the rectangle does not lie inside the image.
    CropRect resolve(int width, int height, std::string_view what = "image") const;

    /// "center" or "T,L,H,W" (the syntax parse_crop() reads).
    std::string to_string() const;

    bool operator==(const CropSpec&) const = default;

private:
    std::optional<CropRect> rect_;
};

/// Parses the command-line syntax: "center", or "T,L,H,W" (four non-negative integers, height
/// and width positive). Throws ConfigError quoting `text` and the expected syntax.
CropSpec parse_crop(std::string_view text);

/// The pixels of `rect` in `image`, as a view that shares `image`'s memory (no copy). Throws
/// ConfigError naming `what` when `rect` does not lie inside the image.
cv::Mat crop(const cv::Mat& image, const CropRect& rect, std::string_view what = "image");

}  // namespace rcls::image
