// SPDX-License-Identifier: MIT
#include "rcls/image/channel_order.hpp"

#include <string>

#include <opencv2/imgproc.hpp>

#include "rcls/core/error.hpp"

namespace rcls::image {

std::string_view to_string(ChannelOrder order) {
    return order == ChannelOrder::kRgb ? "rgb" : "bgr";
}

cv::Mat convert_channel_order(const cv::Mat& image, ChannelOrder from, ChannelOrder to) {
    if (image.type() != CV_8UC3 && image.type() != CV_8UC4) {
        throw DataError("channel order: expected an 8-bit 3- or 4-channel image, got " +
                        std::to_string(image.channels()) + " channel(s) of depth " +
                        std::to_string(image.depth()));
    }
    if (from == to) return image;
    cv::Mat out;
    // Swapping the first and third channel is its own inverse: RGB<->BGR, RGBA<->BGRA.
    cv::cvtColor(image, out, image.channels() == 3 ? cv::COLOR_RGB2BGR : cv::COLOR_RGBA2BGRA);
    return out;
}

}  // namespace rcls::image
