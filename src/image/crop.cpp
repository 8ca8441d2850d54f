// SPDX-License-Identifier: MIT
#include "rcls/image/crop.hpp"

#include <algorithm>
#include <charconv>

#include "rcls/core/error.hpp"
#include "rcls/core/strings.hpp"

namespace rcls::image {
namespace {

constexpr const char* kSyntax = "expected \"center\" or TOP,LEFT,HEIGHT,WIDTH in pixels";

std::string size_text(int width, int height) {
    return std::to_string(width) + "x" + std::to_string(height);
}

void check_inside(const CropRect& r, int width, int height, std::string_view what) {
    if (r.top < 0 || r.left < 0 || r.height <= 0 || r.width <= 0 || r.top + r.height > height ||
        r.left + r.width > width) {
        throw ConfigError(std::string(what) + ": crop " + to_string(r) +
                          " (top,left,height,width) " + "does not fit in the " +
                          size_text(width, height) +
                          " image; choose a rectangle inside it or --crop center");
    }
}

}  // namespace

std::string to_string(const CropRect& rect) {
    return std::to_string(rect.top) + "," + std::to_string(rect.left) + "," +
           std::to_string(rect.height) + "," + std::to_string(rect.width);
}

CropSpec CropSpec::center() {
    return CropSpec{};
}

CropSpec CropSpec::rect(const CropRect& rect) {
    if (rect.top < 0 || rect.left < 0 || rect.height <= 0 || rect.width <= 0) {
        throw ConfigError("crop " + image::to_string(rect) +
                          ": top and left must be >= 0, height and width > 0");
    }
    CropSpec spec;
    spec.rect_ = rect;
    return spec;
}

CropRect CropSpec::resolve(int width, int height, std::string_view what) const {
    if (rect_) {
        check_inside(*rect_, width, height, what);
        return *rect_;
    }
    const int side = std::min(width, height);
    if (side <= 0) throw ConfigError(std::string(what) + ": cannot crop an empty image");
    return CropRect{(height - side) / 2, (width - side) / 2, side, side};
}

std::string CropSpec::to_string() const {
    return rect_ ? image::to_string(*rect_) : "center";
}

CropSpec parse_crop(std::string_view text) {
    const std::string_view trimmed = trim(text);
    if (trimmed == "center" || trimmed == "centre") return CropSpec::center();
    const std::vector<std::string> parts = split(trimmed, ',');
    if (parts.size() != 4) {
        throw ConfigError("--crop \"" + std::string(text) + "\": " + kSyntax);
    }
    int values[4] = {};
    for (std::size_t i = 0; i < 4; ++i) {
        const std::string_view part = trim(parts[i]);
        const auto [end, error] =
            std::from_chars(part.data(), part.data() + part.size(), values[i]);
        if (part.empty() || error != std::errc() || end != part.data() + part.size()) {
            throw ConfigError("--crop \"" + std::string(text) + "\": \"" + std::string(part) +
                              "\" is not an integer; " + kSyntax);
        }
    }
    const CropRect rect{values[0], values[1], values[2], values[3]};
    if (rect.top < 0 || rect.left < 0 || rect.height <= 0 || rect.width <= 0) {
        throw ConfigError("--crop \"" + std::string(text) +
                          "\": top and left must be >= 0, height and width > 0");
    }
    return CropSpec::rect(rect);
}

cv::Mat crop(const cv::Mat& image, const CropRect& rect, std::string_view what) {
    check_inside(rect, image.cols, image.rows, what);
    return image(cv::Rect(rect.left, rect.top, rect.width, rect.height));
}

}  // namespace rcls::image
