// SPDX-License-Identifier: MIT
#include "rcls/image/pipeline.hpp"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "rcls/core/error.hpp"

namespace rcls::image {
namespace {

TEST(PipelineParse, Sizes) {
    EXPECT_EQ(parse_size("128"), cv::Size(128, 128));
    EXPECT_EQ(parse_size("160x120"), cv::Size(160, 120));
    EXPECT_EQ(parse_size(" 64X48 "), cv::Size(64, 48));
    for (const char* bad : {"", "0", "-5", "12x", "x12", "axb", "1.5", "128x0", "12x12x12"}) {
        EXPECT_THROW(parse_size(bad), ConfigError) << bad;
    }
    EXPECT_EQ(to_string(cv::Size(160, 120)), "160x120");
}

TEST(PipelineParse, CropOptionAcceptsNone) {
    EXPECT_FALSE(parse_crop_option("none").has_value());
    EXPECT_TRUE(parse_crop_option("center")->is_center());
    EXPECT_EQ(parse_crop_option("1,2,3,4")->to_string(), "1,2,3,4");
    EXPECT_THROW(parse_crop_option("nope"), ConfigError);
}

TEST(Pipeline, DefaultsAreTheReferenceWorkflow) {
    const Pipeline pipeline;
    ASSERT_TRUE(pipeline.crop.has_value());
    EXPECT_TRUE(pipeline.crop->is_center());
    EXPECT_EQ(pipeline.size, cv::Size(128, 128));
    EXPECT_EQ(pipeline.filter, Filter::kLanczos);
    EXPECT_EQ(pipeline.output_size({640, 480}), cv::Size(128, 128));
    EXPECT_EQ(pipeline.describe(), "crop center, resize 128x128 (lanczos)");
}

TEST(Pipeline, OutputSizeWithoutResizeIsTheCrop) {
    Pipeline pipeline;
    pipeline.size.reset();
    EXPECT_EQ(pipeline.output_size({640, 480}), cv::Size(480, 480));
    pipeline.crop = CropSpec::rect({10, 20, 30, 40});
    EXPECT_EQ(pipeline.output_size({640, 480}), cv::Size(40, 30));
    pipeline.crop.reset();
    EXPECT_EQ(pipeline.output_size({640, 480}), cv::Size(640, 480));
    EXPECT_EQ(pipeline.describe(), "crop none, no resize");
}

TEST(PreparedPipeline, CropsThenResizes) {
    cv::Mat image(6, 8, CV_8UC3, cv::Scalar(0, 0, 0));
    image(cv::Rect(1, 0, 6, 6)).setTo(cv::Scalar(200, 100, 50));  // the centre square
    Pipeline pipeline;
    pipeline.size = cv::Size(3, 3);
    pipeline.filter = Filter::kArea;
    pipeline.crop = CropSpec::center();  // 8x6 -> 6x6 at left 1
    PreparedPipeline prepared(pipeline, image.size());
    EXPECT_EQ(prepared.output_size(), cv::Size(3, 3));
    cv::Mat out;
    prepared.apply(image, out);
    EXPECT_EQ(cv::norm(out, cv::Mat(3, 3, CV_8UC3, cv::Scalar(200, 100, 50)), cv::NORM_INF), 0.0);
}

TEST(PreparedPipeline, CropOnlyCopiesThePixels) {
    cv::Mat image(4, 4, CV_8UC1);
    for (int i = 0; i < 16; ++i) {
        image.data[i] = static_cast<std::uint8_t>(i);
    }
    Pipeline pipeline;
    pipeline.size.reset();
    pipeline.crop = CropSpec::rect({1, 2, 2, 2});
    PreparedPipeline prepared(pipeline, image.size());
    cv::Mat out;
    prepared.apply(image, out);
    EXPECT_EQ(out.at<std::uint8_t>(0, 0), 6);
    EXPECT_EQ(out.at<std::uint8_t>(1, 1), 11);
    EXPECT_NE(out.data, image.data + 6);  // a copy, not a view
}

TEST(PreparedPipeline, CropThatDoesNotFitNamesTheSource) {
    Pipeline pipeline;
    pipeline.crop = CropSpec::rect({0, 0, 500, 500});
    try {
        PreparedPipeline prepared(pipeline, {640, 480}, "clip.mp4");
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("clip.mp4"), std::string::npos) << e.what();
    }
}

TEST(PreparedPipeline, WrongFrameSizeIsADataError) {
    PreparedPipeline prepared(Pipeline{}, {640, 480});
    cv::Mat out;
    EXPECT_THROW(prepared.apply(cv::Mat(480, 480, CV_8UC3), out), DataError);
}

}  // namespace
}  // namespace rcls::image

namespace rcls::image {
namespace {

Yuv420Planes random_planes(cv::Size size, unsigned seed) {
    cv::RNG rng(seed);
    Yuv420Planes planes{cv::Mat(size, CV_8UC1), cv::Mat((size + cv::Size(1, 1)) / 2, CV_8UC1),
                        cv::Mat((size + cv::Size(1, 1)) / 2, CV_8UC1)};
    rng.fill(planes.y, cv::RNG::UNIFORM, 16, 236);
    rng.fill(planes.u, cv::RNG::UNIFORM, 16, 241);
    rng.fill(planes.v, cv::RNG::UNIFORM, 16, 241);
    return planes;
}

TEST(PreparedYuv420Pipeline, OddCropsAndSizesHaveNoPlanarForm) {
    Pipeline pipeline;
    EXPECT_TRUE(PreparedYuv420Pipeline::make(pipeline, {640, 480}).has_value());
    pipeline.crop = CropSpec::rect({1, 0, 100, 100});
    EXPECT_FALSE(PreparedYuv420Pipeline::make(pipeline, {640, 480}).has_value());
    pipeline.crop = CropSpec::rect({0, 0, 100, 101});
    EXPECT_FALSE(PreparedYuv420Pipeline::make(pipeline, {640, 480}).has_value());
    pipeline.crop = CropSpec::center();
    pipeline.size = cv::Size(97, 64);
    EXPECT_FALSE(PreparedYuv420Pipeline::make(pipeline, {640, 480}).has_value());
    pipeline.crop = CropSpec::rect({0, 0, 600, 600});
    EXPECT_THROW(PreparedYuv420Pipeline::make(pipeline, {640, 480}, "x.mp4"), ConfigError);
}

TEST(PreparedYuv420Pipeline, LumaAtFullAndChromaAtHalfResolution) {
    const Yuv420Planes in = random_planes({640, 480}, 3);
    Pipeline pipeline;  // centre crop 480x480 at left 80, Lanczos to 128x128
    auto planar = PreparedYuv420Pipeline::make(pipeline, {640, 480});
    ASSERT_TRUE(planar.has_value());
    EXPECT_EQ(planar->output_size(), cv::Size(128, 128));
    Yuv420Planes out;
    planar->apply(in, out);
    ASSERT_EQ(out.y.size(), cv::Size(128, 128));
    ASSERT_EQ(out.u.size(), cv::Size(64, 64));
    ASSERT_EQ(out.v.size(), cv::Size(64, 64));
    EXPECT_EQ(cv::norm(out.y, resize(in.y(cv::Rect(80, 0, 480, 480)), {128, 128}), cv::NORM_INF),
              0.0);
    EXPECT_EQ(cv::norm(out.u, resize(in.u(cv::Rect(40, 0, 240, 240)), {64, 64}), cv::NORM_INF),
              0.0);
    EXPECT_EQ(cv::norm(out.v, resize(in.v(cv::Rect(40, 0, 240, 240)), {64, 64}), cv::NORM_INF),
              0.0);
}

TEST(PreparedYuv420Pipeline, OddInputSizesRoundChromaUp) {
    Pipeline pipeline;
    pipeline.crop.reset();
    pipeline.size = cv::Size(20, 10);
    auto planar = PreparedYuv420Pipeline::make(pipeline, {41, 21});
    ASSERT_TRUE(planar.has_value());
    Yuv420Planes in{cv::Mat(21, 41, CV_8UC1, cv::Scalar(100)),
                    cv::Mat(11, 21, CV_8UC1, cv::Scalar(90)),
                    cv::Mat(11, 21, CV_8UC1, cv::Scalar(160))};
    Yuv420Planes out;
    planar->apply(in, out);
    EXPECT_EQ(cv::norm(out.y, cv::Mat(10, 20, CV_8UC1, cv::Scalar(100)), cv::NORM_INF), 0.0);
    EXPECT_EQ(cv::norm(out.u, cv::Mat(5, 10, CV_8UC1, cv::Scalar(90)), cv::NORM_INF), 0.0);
    EXPECT_EQ(cv::norm(out.v, cv::Mat(5, 10, CV_8UC1, cv::Scalar(160)), cv::NORM_INF), 0.0);
    EXPECT_THROW(planar->apply(Yuv420Planes{in.y, in.y, in.y}, out), DataError);
}

}  // namespace
}  // namespace rcls::image
