// SPDX-License-Identifier: MIT
//
// The image pipeline of the reference workflow: crop, then resize. A Pipeline is the settings (a
// value: compare, print, store it); a PreparedPipeline is a Pipeline bound to one input size, with
// the crop rectangle checked and the resampling weights computed once, for streams of frames.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <opencv2/core/mat.hpp>

#include "rcls/image/crop.hpp"
#include "rcls/image/resample.hpp"

namespace rcls::image {

/// Crop (optional), then resize (optional). The defaults are the reference workflow's: centre
/// square crop, Lanczos resize to 128x128 (`crop=480:480:80:0,scale=128:128:flags=lanczos` on
/// 640x480 frames).
struct Pipeline {
    std::optional<CropSpec> crop = CropSpec::center();  ///< nullopt: keep the whole image.
    std::optional<cv::Size> size = cv::Size(128, 128);  ///< nullopt: keep the (cropped) size.
    Filter filter = Filter::kLanczos;

    /// The size of the result for a `input`-sized image. Throws ConfigError (naming `what`) when
    /// the crop does not fit.
    cv::Size output_size(cv::Size input, std::string_view what = "image") const;

    /// "crop center, resize 128x128 (lanczos)": for logs.
    std::string describe() const;

    bool operator==(const Pipeline&) const = default;
};

/// Parses --crop: "center", "none" (no crop) or "T,L,H,W". Throws ConfigError.
std::optional<CropSpec> parse_crop_option(std::string_view text);

/// Parses --size: "N" (N x N) or "WxH", positive. Throws ConfigError.
cv::Size parse_size(std::string_view text);

/// parse_size(), or nullopt for "none" (keep the size), as a command-line option takes it.
std::optional<cv::Size> parse_size_option(std::string_view text);

/// "128x128": width x height.
std::string to_string(cv::Size size);

/// A Pipeline for frames of one size. Not thread-safe (it owns the resampler's scratch memory).
class PreparedPipeline {
public:
    /// Checks the crop against `input` (ConfigError naming `what` if it does not fit) and
    /// precomputes the resampling weights.
    PreparedPipeline(const Pipeline& pipeline, cv::Size input, std::string_view what = "image");

    /// The size of the frames apply() takes.
    cv::Size input_size() const { return input_; }
    /// The size of the frames apply() makes.
    cv::Size output_size() const { return output_; }

    /// Crops and resizes `in` (8-bit, 1 to 4 channels, input_size(); channels are treated
    /// independently, so RGB and BGR both work) into `out`. Throws DataError for a wrong size/type.
    void apply(const cv::Mat& in, cv::Mat& out);

private:
    cv::Size input_;
    cv::Size output_;
    std::optional<CropRect> crop_;
    std::optional<Resampler> resampler_;
};

/// The planes of an 8-bit YUV 4:2:0 picture: y is width x height, u and v are half of that
/// (rounded up). They may be views into someone else's buffer (e.g. a decoder's).
struct Yuv420Planes {
    cv::Mat y;
    cv::Mat u;
    cv::Mat v;
};

/// A Pipeline applied to YUV 4:2:0 pictures plane by plane, as ffmpeg's scale filter does on such
/// video: luma at full resolution, chroma at half (both centre-aligned in their own grid). This
/// skips the RGB round trip when video is re-encoded as 4:2:0. 4:2:0 chroma cannot be cut at odd
/// pixels, so it needs an even output size and, when cropping, an even crop rectangle.
class PreparedYuv420Pipeline {
public:
    /// The pipeline for `input`-sized pictures, or nullopt when the output size or crop is odd.
    /// Throws ConfigError (naming `what`) when the crop does not fit.
    static std::optional<PreparedYuv420Pipeline> make(const Pipeline& pipeline,
                                                      cv::Size input,
                                                      std::string_view what = "image");

    /// The size of the luma plane apply() makes (chroma planes are half of it).
    cv::Size output_size() const { return luma_.output_size(); }

    /// Crops and resizes each plane of `in` into `out` (allocated as needed). Throws DataError
    /// when the planes have the wrong sizes.
    void apply(const Yuv420Planes& in, Yuv420Planes& out);

private:
    PreparedYuv420Pipeline(PreparedPipeline luma, PreparedPipeline chroma)
        : luma_(std::move(luma)), chroma_(std::move(chroma)) {}

    PreparedPipeline luma_;
    PreparedPipeline chroma_;
};

}  // namespace rcls::image
