// SPDX-License-Identifier: MIT
#include "rcls/image/crop.hpp"

#include <gtest/gtest.h>

#include "rcls/core/error.hpp"

#include "error_message.hpp"

namespace rcls::image {
namespace {

template <class F>
std::string config_error(F&& f) {
    return testing::error_message<ConfigError>(std::forward<F>(f));
}

TEST(CropParse, CenterAndExplicitRectangles) {
    EXPECT_TRUE(parse_crop("center").is_center());
    EXPECT_TRUE(parse_crop(" center ").is_center());
    const CropSpec spec = parse_crop("0,80,480,480");
    ASSERT_FALSE(spec.is_center());
    EXPECT_EQ(spec.resolve(640, 480), (CropRect{0, 80, 480, 480}));
    EXPECT_EQ(parse_crop(" 180, 250 ,120,150").resolve(640, 480), (CropRect{180, 250, 120, 150}));
    EXPECT_EQ(parse_crop("1,2,3,4").to_string(), "1,2,3,4");
    EXPECT_EQ(parse_crop("center").to_string(), "center");
}

TEST(CropParse, BadSyntaxIsAConfigErrorQuotingTheText) {
    for (const char* text :
         {"", "middle", "1,2,3", "1,2,3,4,5", "a,b,c,d", "1.5,0,10,10", "1,,3,4", "0,0,10,10x"}) {
        const std::string message = config_error([&] { parse_crop(text); });
        EXPECT_NE(message.find(std::string("\"") + text + "\""), std::string::npos) << message;
        EXPECT_NE(message.find("TOP,LEFT,HEIGHT,WIDTH"), std::string::npos) << message;
    }
}

TEST(CropParse, NegativeOffsetsAndEmptySizesAreRejected) {
    for (const char* text : {"-1,0,10,10", "0,-1,10,10", "0,0,0,10", "0,0,10,0", "0,0,-5,10"}) {
        EXPECT_NE(config_error([&] { parse_crop(text); }).find(text), std::string::npos) << text;
    }
}

TEST(CropCenter, IsTheLargestCentredSquare) {
    EXPECT_EQ(CropSpec::center().resolve(640, 480), (CropRect{0, 80, 480, 480}));
    EXPECT_EQ(CropSpec::center().resolve(480, 640), (CropRect{80, 0, 480, 480}));
    EXPECT_EQ(CropSpec::center().resolve(5, 3), (CropRect{0, 1, 3, 3}));  // (5-3)/2 = 1
    EXPECT_EQ(CropSpec::center().resolve(6, 3), (CropRect{0, 1, 3, 3}));  // 1.5 rounds down
    EXPECT_EQ(CropSpec::center().resolve(1, 1), (CropRect{0, 0, 1, 1}));
    EXPECT_EQ(CropSpec::center().resolve(7, 7), (CropRect{0, 0, 7, 7}));
}

TEST(CropRectCheck, OutOfBoundsNamesTheImageAndItsSize) {
    const CropSpec tall = CropSpec::rect({0, 0, 481, 480});
    const std::string message = config_error([&] { tall.resolve(640, 480, "clip.mp4"); });
    EXPECT_NE(message.find("clip.mp4"), std::string::npos) << message;
    EXPECT_NE(message.find("0,0,481,480"), std::string::npos) << message;
    EXPECT_NE(message.find("640x480"), std::string::npos) << message;
    EXPECT_FALSE(config_error([] {
                     CropSpec::rect({0, 161, 480, 480}).resolve(640, 480);
                 }).empty());
    EXPECT_FALSE(config_error([] { CropSpec::rect({1, 0, 480, 480}).resolve(640, 480); }).empty());
    EXPECT_TRUE(config_error([] { CropSpec::rect({0, 160, 480, 480}).resolve(640, 480); }).empty());
}

TEST(CropImage, IsAViewOfTheRightPixels) {
    cv::Mat image(4, 5, CV_8UC3);
    for (int y = 0; y < 4; ++y) {
        for (int x = 0; x < 5; ++x) {
            image.at<cv::Vec3b>(y, x) =
                cv::Vec3b(static_cast<std::uint8_t>(y * 10), static_cast<std::uint8_t>(x * 10), 7);
        }
    }
    const cv::Mat view = crop(image, {1, 2, 3, 2});
    ASSERT_EQ(view.rows, 3);
    ASSERT_EQ(view.cols, 2);
    EXPECT_EQ(view.at<cv::Vec3b>(0, 0), cv::Vec3b(10, 20, 7));
    EXPECT_EQ(view.at<cv::Vec3b>(2, 1), cv::Vec3b(30, 30, 7));
    EXPECT_EQ(view.data, image.ptr<std::uint8_t>(1) + 6);  // shares memory: row 1, pixel 2
}

TEST(CropImage, OutOfBoundsIsAConfigError) {
    const cv::Mat image(4, 5, CV_8UC1, cv::Scalar(0));
    EXPECT_THROW(crop(image, {0, 0, 5, 5}), ConfigError);
    EXPECT_THROW(crop(image, {3, 0, 2, 1}), ConfigError);
    EXPECT_NO_THROW(crop(image, {3, 4, 1, 1}));
}

}  // namespace
}  // namespace rcls::image
