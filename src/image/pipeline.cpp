// SPDX-License-Identifier: MIT
#include "rcls/image/pipeline.hpp"

#include <charconv>

#include "rcls/core/error.hpp"
#include "rcls/core/strings.hpp"

namespace rcls::image {
namespace {

/// The largest image side rcls resizes to (what video encoders accept: 16384).
constexpr int kMaxImageSide = 16384;

int parse_positive(std::string_view part, std::string_view text) {
    int value = 0;
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || error != std::errc() || end != part.data() + part.size() || value <= 0) {
        throw ConfigError("--size \"" + std::string(text) +
                          "\": expected a positive integer N (N x N) or WIDTHxHEIGHT");
    }
    if (value > kMaxImageSide) {
        throw ConfigError("--size \"" + std::string(text) + "\": " + std::to_string(value) +
                          " is out of range (1 to " + std::to_string(kMaxImageSide) +
                          " pixels a side)");
    }
    return value;
}

}  // namespace

cv::Size Pipeline::output_size(cv::Size input, std::string_view what) const {
    cv::Size out = input;
    if (crop) {
        const CropRect r = crop->resolve(input.width, input.height, what);
        out = cv::Size(r.width, r.height);
    }
    return size ? *size : out;
}

std::string Pipeline::describe() const {
    std::string out = "crop " + (crop ? crop->to_string() : std::string("none"));
    out += size ? ", resize " + to_string(*size) + " (" + std::string(to_string(filter)) + ")"
                : ", no resize";
    return out;
}

std::optional<CropSpec> parse_crop_option(std::string_view text) {
    if (trim(text) == "none") return std::nullopt;
    return parse_crop(text);
}

std::optional<cv::Size> parse_size_option(std::string_view text) {
    if (trim(text) == "none") return std::nullopt;
    return parse_size(text);
}

cv::Size parse_size(std::string_view text) {
    const std::string_view trimmed = trim(text);
    const std::size_t x = trimmed.find_first_of("xX");
    if (x == std::string_view::npos) {
        const int side = parse_positive(trimmed, text);
        return {side, side};
    }
    return {parse_positive(trimmed.substr(0, x), text),
            parse_positive(trimmed.substr(x + 1), text)};
}

std::string to_string(cv::Size size) {
    return std::to_string(size.width) + "x" + std::to_string(size.height);
}

PreparedPipeline::PreparedPipeline(const Pipeline& pipeline, cv::Size input, std::string_view what)
    : input_(input) {
    cv::Size cropped = input;
    if (pipeline.crop) {
        crop_ = pipeline.crop->resolve(input.width, input.height, what);
        cropped = cv::Size(crop_->width, crop_->height);
    }
    output_ = pipeline.size ? *pipeline.size : cropped;
    if (output_ != cropped) resampler_.emplace(cropped, output_, pipeline.filter);
}

void PreparedPipeline::apply(const cv::Mat& in, cv::Mat& out) {
    if (in.size() != input_) {
        throw DataError("pipeline: expected a " + to_string(input_) + " image, got " +
                        to_string(in.size()));
    }
    const cv::Mat cropped = crop_ ? crop(in, *crop_) : in;
    if (resampler_) {
        resampler_->resize(cropped, out);
    } else {
        cropped.copyTo(out);
    }
}

std::optional<PreparedYuv420Pipeline> PreparedYuv420Pipeline::make(const Pipeline& pipeline,
                                                                   cv::Size input,
                                                                   std::string_view what) {
    const auto even = [](int value) { return value % 2 == 0; };
    const cv::Size output = pipeline.output_size(input, what);
    if (!even(output.width) || !even(output.height)) return std::nullopt;
    Pipeline luma;
    luma.crop.reset();
    luma.size = output;
    luma.filter = pipeline.filter;
    Pipeline chroma = luma;
    chroma.size = cv::Size(output.width / 2, output.height / 2);
    if (pipeline.crop) {
        const CropRect rect = pipeline.crop->resolve(input.width, input.height, what);
        if (!even(rect.top) || !even(rect.left) || !even(rect.height) || !even(rect.width)) {
            return std::nullopt;
        }
        luma.crop = CropSpec::rect(rect);
        chroma.crop =
            CropSpec::rect({rect.top / 2, rect.left / 2, rect.height / 2, rect.width / 2});
    }
    // Without a crop the chroma planes are used whole (their size is rounded up, as ffmpeg's).
    const cv::Size chroma_input((input.width + 1) / 2, (input.height + 1) / 2);
    return PreparedYuv420Pipeline(PreparedPipeline(luma, input, what),
                                  PreparedPipeline(chroma, chroma_input, what));
}

void PreparedYuv420Pipeline::apply(const Yuv420Planes& in, Yuv420Planes& out) {
    luma_.apply(in.y, out.y);
    chroma_.apply(in.u, out.u);
    chroma_.apply(in.v, out.v);
}

}  // namespace rcls::image
