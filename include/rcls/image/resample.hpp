// SPDX-License-Identifier: MIT
//
// Separable, antialiased resampling of 8-bit images (1 to 4 channels, any channel order).
//
// Three filters:
// - lanczos: FFmpeg's swscale Lanczos (a = 3), the reference pipeline's `scale=...:flags=lanczos`:
//   the same kernel, centre alignment, tap positions and edge handling as swscale's initFilter,
//   widened by the downscale factor (so it antialiases), computed in floating point. It matches
//   ffmpeg's output to within rounding (README, "The image pipeline").
// - area: box filter weighting each source pixel by its overlap with the output pixel's footprint;
//   at integer factors it is the block mean, as cv::resize(INTER_AREA).
// - bilinear: torchvision's F.resize(..., antialias=True) (PIL's triangle filter with support
//   scaled by the downscale factor), which LeRobot's crop tool and gym_manipulator use.
//
// A Resampler precomputes the per-output-pixel weight tables for one input and output size, then
// runs one vertical and one horizontal pass (whichever order costs less) over rows; the inner loops
// are vectorised. Results are rounded to the nearest integer and clamped to [0, 255].
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core/mat.hpp>

namespace rcls::image {

/// The resampling filter.
enum class Filter {
    kLanczos,  ///< swscale's Lanczos-3 (the default; matches `ffmpeg -vf scale=...:flags=lanczos`).
    kArea,     ///< pixel-area average (cv::resize INTER_AREA at integer factors).
    kBilinear,  ///< antialiased bilinear, as torchvision F.resize(antialias=True).
};

/// "lanczos", "area" or "bilinear".
std::string_view to_string(Filter filter);

/// The filter names parse_filter() accepts, in enum order.
const std::vector<std::string>& filter_names();

/// Parses a filter name; throws ConfigError naming the valid names (and the nearest one).
Filter parse_filter(std::string_view text);

/// One axis of a resampling: output sample i is sum over k < taps of
/// weights[i * taps + k] * input[start[i] + k]. Every window lies inside [0, in_size) (weights
/// that fell outside the image were moved onto the edge pixel) and the weights of each output
/// sample sum to 1.
struct AxisWeights {
    int in_size = 0;   ///< Input samples.
    int out_size = 0;  ///< Output samples.
    int taps = 0;  ///< Weights per output sample (the widest window; shorter ones end in zeros).
    std::vector<int> start;      ///< out_size first input indices.
    std::vector<float> weights;  ///< out_size * taps weights.

    /// True when this axis copies its input (same size).
    bool is_identity() const { return in_size == out_size; }
};

/// The weights that resample `in_size` samples to `out_size` samples with `filter`, pixel
/// centres aligned (output pixel i sits at input position (i + 0.5) * in_size / out_size - 0.5).
/// Both sizes must be positive.
AxisWeights compute_axis_weights(int in_size, int out_size, Filter filter);

/// Resizes 8-bit images of one fixed size to another with precomputed weights. Reuse one per
/// stream of same-sized images; not thread-safe (it owns a scratch buffer): one per thread.
class Resampler {
public:
    /// Throws ConfigError if a size is not positive.
    Resampler(cv::Size input, cv::Size output, Filter filter);

    /// The size of the images resize() takes.
    cv::Size input_size() const { return input_; }
    /// The size of the images resize() makes.
    cv::Size output_size() const { return output_; }
    /// The filter the weights were computed for.
    Filter filter() const { return filter_; }

    /// Resizes `in` (CV_8UC1 to CV_8UC4, input_size(); a view into a larger Mat is fine) into
    /// `out`, which is (re)allocated as CV_8UC<n> of output_size() unless it already is one.
    /// Throws DataError when `in` has another size or pixel type.
    void resize(const cv::Mat& in, cv::Mat& out);

private:
    /// The horizontal pass over one float row padded as simd::kRowPadding says.
    void horizontal_row(const float* row, int channels, float* out) const;

    cv::Size input_;
    cv::Size output_;
    Filter filter_;
    AxisWeights horizontal_;
    AxisWeights vertical_;
    int horizontal_single_taps_ = 0;
    std::vector<float> horizontal_single_;  ///< horizontal_ padded for the 1-channel pass
    std::vector<float> rows_;               ///< two padded float rows
    std::vector<float> scratch_;    ///< the intermediate image when the horizontal pass runs first
    std::vector<float> row_cache_;  ///< input rows converted to float (see RowCache)
};

/// One-off convenience: `image` resized to `size` with `filter` (builds a Resampler each call).
cv::Mat resize(const cv::Mat& image, cv::Size size, Filter filter = Filter::kLanczos);

}  // namespace rcls::image
