// SPDX-License-Identifier: MIT
//
// The order of the colour channels in an 8-bit 3-channel cv::Mat. OpenCV's own I/O (imread,
// imwrite, VideoCapture) works in BGR; LeRobot, torchvision and the model work in RGB. rcls never
// guesses: every function that produces or consumes colour pixels takes a ChannelOrder, and
// crop/resize treat channels independently, so they work for either order unchanged.
#pragma once

#include <string_view>

#include <opencv2/core/mat.hpp>

namespace rcls::image {

/// Channel order of a 3-channel colour image (a 4th channel, if any, is alpha and stays last).
enum class ChannelOrder {
    kRgb,  ///< red, green, blue: LeRobot, torchvision, the model.
    kBgr,  ///< blue, green, red: OpenCV's imread/imwrite/VideoCapture.
};

/// "rgb" or "bgr".
std::string_view to_string(ChannelOrder order);

/// `image` (CV_8UC3 or CV_8UC4) with its channels reordered from `from` to `to`. Returns `image`
/// itself (no copy) when the orders are equal; a new Mat otherwise. Throws DataError for other
/// pixel types.
cv::Mat convert_channel_order(const cv::Mat& image, ChannelOrder from, ChannelOrder to);

}  // namespace rcls::image
