// SPDX-License-Identifier: MIT
#include "rcls/image/pipeline.hpp"

#include <charconv>

#include "rcls/core/error.hpp"
#include "rcls/core/strings.hpp"

namespace rcls::image {
namespace {

int parse_positive(std::string_view part, std::string_view text) {
    int value = 0;
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || error != std::errc() || end != part.data() + part.size() || value <= 0) {
        throw ConfigError("--size \"" + std::string(text) +
                          "\": expected a positive integer N (N x N) or WIDTHxHEIGHT");
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

}  // namespace rcls::image
