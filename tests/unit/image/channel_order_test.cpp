// SPDX-License-Identifier: MIT
#include "rcls/image/channel_order.hpp"

#include <gtest/gtest.h>

#include "rcls/core/error.hpp"

namespace rcls::image {
namespace {

TEST(ChannelOrder, ConvertingSwapsFirstAndThirdChannel) {
    const cv::Mat rgb(2, 2, CV_8UC3, cv::Scalar(10, 20, 30));
    const cv::Mat bgr = convert_channel_order(rgb, ChannelOrder::kRgb, ChannelOrder::kBgr);
    EXPECT_EQ(bgr.at<cv::Vec3b>(1, 1), cv::Vec3b(30, 20, 10));
    const cv::Mat back = convert_channel_order(bgr, ChannelOrder::kBgr, ChannelOrder::kRgb);
    EXPECT_EQ(back.at<cv::Vec3b>(0, 1), cv::Vec3b(10, 20, 30));

    const cv::Mat rgba(1, 1, CV_8UC4, cv::Scalar(1, 2, 3, 4));
    EXPECT_EQ(
        convert_channel_order(rgba, ChannelOrder::kRgb, ChannelOrder::kBgr).at<cv::Vec4b>(0, 0),
        cv::Vec4b(3, 2, 1, 4));
}

TEST(ChannelOrder, SameOrderReturnsTheSamePixels) {
    const cv::Mat rgb(2, 2, CV_8UC3, cv::Scalar(10, 20, 30));
    EXPECT_EQ(convert_channel_order(rgb, ChannelOrder::kRgb, ChannelOrder::kRgb).data, rgb.data);
}

TEST(ChannelOrder, GrayImagesAreRejected) {
    const cv::Mat gray(2, 2, CV_8UC1, cv::Scalar(1));
    EXPECT_THROW(convert_channel_order(gray, ChannelOrder::kRgb, ChannelOrder::kBgr), DataError);
}

TEST(ChannelOrder, Names) {
    EXPECT_EQ(to_string(ChannelOrder::kRgb), "rgb");
    EXPECT_EQ(to_string(ChannelOrder::kBgr), "bgr");
}

}  // namespace
}  // namespace rcls::image
