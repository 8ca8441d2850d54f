// SPDX-License-Identifier: MIT
//
// Still images through FFmpeg's codecs, against OpenCV's imgcodecs (libpng, libjpeg, libtiff,
// libwebp) as an independent reader and writer: lossless formats agree to the bit both ways,
// JPEG within the rounding of two different decoders.
#include "rcls/video/image_file.hpp"

#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"

#include "error_message.hpp"
#include "temp_dir.hpp"
#include "video_test_util.hpp"

namespace rcls::video {
namespace {

namespace fs = std::filesystem;
using image::ChannelOrder;
using testing::error_message;

cv::Mat random_image(int width, int height, unsigned seed, int type = CV_8UC3) {
    cv::Mat image(height, width, type);
    cv::RNG rng(seed);
    rng.fill(image, cv::RNG::UNIFORM, 0, 256);
    return image;
}

bool identical(const cv::Mat& a, const cv::Mat& b) {
    return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

std::span<const std::uint8_t> as_bytes(const std::vector<std::uint8_t>& bytes) {
    return bytes;
}

class ImageFileTest : public ::testing::Test {
protected:
    testing::TempDir dir_;
};

TEST_F(ImageFileTest, LosslessFormatsRoundTripEveryPixel) {
    for (const cv::Size size : {cv::Size(1, 1), cv::Size(7, 5), cv::Size(128, 128)}) {
        const cv::Mat bgr = random_image(size.width, size.height, 11);
        for (const ImageFormat format :
             {ImageFormat::kPng, ImageFormat::kBmp, ImageFormat::kTiff, ImageFormat::kPpm}) {
            SCOPED_TRACE(static_cast<int>(format));
            const auto bytes = encode_image(bgr, ChannelOrder::kBgr, format, "x");
            EXPECT_TRUE(identical(decode_image(as_bytes(bytes), ChannelOrder::kBgr, "x"), bgr));
            cv::Mat rgb;
            cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
            EXPECT_TRUE(identical(decode_image(as_bytes(bytes), ChannelOrder::kRgb, "x"), rgb));
        }
    }
}

TEST_F(ImageFileTest, ChannelOrderIsHonouredOnWrite) {
    const cv::Mat rgb = random_image(9, 4, 12);
    const auto bytes = encode_image(rgb, ChannelOrder::kRgb, ImageFormat::kPng, "x");
    cv::Mat bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    EXPECT_TRUE(identical(cv::imdecode(bytes, cv::IMREAD_COLOR), bgr));
}

TEST_F(ImageFileTest, OpenCvReadsWhatRclsWritesExactly) {
    const cv::Mat bgr = random_image(33, 17, 13);
    for (const char* name : {"a.png", "a.bmp", "a.tif", "a.ppm", "a.webp"}) {
        SCOPED_TRACE(name);
        write_image(dir_ / name, bgr, ChannelOrder::kBgr);
        EXPECT_TRUE(identical(cv::imread((dir_ / name).string(), cv::IMREAD_COLOR), bgr));
    }
}

TEST_F(ImageFileTest, RclsReadsWhatOpenCvWritesExactly) {
    const cv::Mat bgr = random_image(31, 19, 14);
    for (const char* name : {"b.png", "b.bmp", "b.tif", "b.ppm"}) {
        SCOPED_TRACE(name);
        ASSERT_TRUE(cv::imwrite((dir_ / name).string(), bgr));
        EXPECT_TRUE(identical(read_image(dir_ / name, ChannelOrder::kBgr), bgr));
    }
    ASSERT_TRUE(cv::imwrite((dir_ / "b.webp").string(), bgr, {cv::IMWRITE_WEBP_QUALITY, 101}));
    EXPECT_TRUE(identical(read_image(dir_ / "b.webp", ChannelOrder::kBgr), bgr));
}

TEST_F(ImageFileTest, JpegAgreesWithLibjpegAndKeepsQuality) {
    const cv::Mat rgb = synthetic_frame(160, 120, 3);
    cv::Mat bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    ASSERT_TRUE(cv::imwrite((dir_ / "c.jpg").string(), bgr, {cv::IMWRITE_JPEG_QUALITY, 95}));
    // Two decoders of one file: FFmpeg's and libjpeg's chroma upsampling differ in rounding only.
    const cv::Mat ours = read_image(dir_ / "c.jpg", ChannelOrder::kBgr);
    const cv::Mat theirs = cv::imread((dir_ / "c.jpg").string(), cv::IMREAD_COLOR);
    EXPECT_LT(cv::norm(ours, theirs, cv::NORM_L1) / static_cast<double>(ours.total() * 3), 1.5);
    EXPECT_GT(cv::PSNR(ours, bgr), 38.0);

    write_image(dir_ / "d.jpeg", bgr, ChannelOrder::kBgr);
    const cv::Mat back = cv::imread((dir_ / "d.jpeg").string(), cv::IMREAD_COLOR);
    EXPECT_GT(cv::PSNR(back, bgr), 38.0);
    // The colours stay where they were: full-range BT.601 (JFIF) both ways.
    EXPECT_LT(std::abs(cv::mean(back)[2] - cv::mean(bgr)[2]), 1.0);
}

TEST_F(ImageFileTest, GreyAlphaAndSixteenBitBecomeEightBitColour) {
    const cv::Mat grey = random_image(8, 6, 15, CV_8UC1);
    ASSERT_TRUE(cv::imwrite((dir_ / "grey.png").string(), grey));
    cv::Mat grey3;
    cv::cvtColor(grey, grey3, cv::COLOR_GRAY2BGR);
    EXPECT_TRUE(identical(read_image(dir_ / "grey.png", ChannelOrder::kBgr), grey3));
    ASSERT_TRUE(cv::imwrite((dir_ / "grey.pgm").string(), grey));
    EXPECT_TRUE(identical(read_image(dir_ / "grey.pgm", ChannelOrder::kBgr), grey3));

    const cv::Mat bgra = random_image(8, 6, 16, CV_8UC4);
    ASSERT_TRUE(cv::imwrite((dir_ / "alpha.png").string(), bgra));
    cv::Mat bgr;
    cv::cvtColor(bgra, bgr, cv::COLOR_BGRA2BGR);
    EXPECT_TRUE(identical(read_image(dir_ / "alpha.png", ChannelOrder::kBgr), bgr));

    cv::Mat deep(6, 8, CV_16UC3);
    cv::Mat eight = random_image(8, 6, 17);
    eight.convertTo(deep, CV_16UC3, 257.0);  // v * 257: 8-bit v spread over 16 bits
    ASSERT_TRUE(cv::imwrite((dir_ / "deep.png").string(), deep));
    EXPECT_LE(cv::norm(read_image(dir_ / "deep.png", ChannelOrder::kBgr), eight, cv::NORM_INF),
              1.0);

    // Writing grey gives a colour file with equal channels.
    write_image(dir_ / "grey_out.png", grey, ChannelOrder::kBgr);
    EXPECT_TRUE(identical(read_image(dir_ / "grey_out.png", ChannelOrder::kRgb), grey3));
}

TEST_F(ImageFileTest, FormatIsRecognisedByContentNotName) {
    const cv::Mat bgr = random_image(10, 10, 18);
    const auto png = encode_image(bgr, ChannelOrder::kBgr, ImageFormat::kPng, "x");
    write_file(dir_ / "really_a_png.jpg",
               std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
    EXPECT_TRUE(identical(read_image(dir_ / "really_a_png.jpg", ChannelOrder::kBgr), bgr));
}

TEST_F(ImageFileTest, BadFilesAreDataErrorsNamingThePath) {
    const fs::path missing = dir_ / "missing.png";
    EXPECT_NE(error_message<DataError>([&] {
                  read_image(missing, ChannelOrder::kBgr);
              }).find(missing.string() + ": file not found"),
              std::string::npos);

    write_file(dir_ / "empty.png", "");
    EXPECT_NE(error_message<DataError>([&] {
                  read_image(dir_ / "empty.png", ChannelOrder::kBgr);
              }).find("empty.png: empty file"),
              std::string::npos);

    write_file(dir_ / "text.png", "hello, not an image\n");
    EXPECT_NE(error_message<DataError>([&] {
                  read_image(dir_ / "text.png", ChannelOrder::kBgr);
              }).find("text.png: not an image rcls reads"),
              std::string::npos);

    // Truncated files of every lossless format and JPEG: an error, never a crash or a silent
    // half image.
    const cv::Mat bgr = random_image(64, 48, 19);
    for (const ImageFormat format : {ImageFormat::kPng, ImageFormat::kJpeg, ImageFormat::kBmp,
                                     ImageFormat::kTiff, ImageFormat::kPpm}) {
        SCOPED_TRACE(static_cast<int>(format));
        auto bytes = encode_image(bgr, ChannelOrder::kBgr, format, "x");
        bytes.resize(bytes.size() / 2);
        const std::string message = error_message<DataError>(
            [&] { decode_image(as_bytes(bytes), ChannelOrder::kBgr, "half"); });
        EXPECT_EQ(message.rfind("half: ", 0), 0U) << message;
    }
}

TEST_F(ImageFileTest, RandomBytesNeverCrashTheDecoders) {
    std::mt19937 rng(20);
    const cv::Mat bgr = random_image(24, 16, 21);
    for (const ImageFormat format : {ImageFormat::kPng, ImageFormat::kJpeg, ImageFormat::kBmp,
                                     ImageFormat::kTiff, ImageFormat::kWebp, ImageFormat::kPpm}) {
        const auto good = encode_image(bgr, ChannelOrder::kBgr, format, "x");
        for (int trial = 0; trial < 200; ++trial) {
            auto bytes = good;
            for (int flips = 0; flips < 4; ++flips) {
                bytes[rng() % bytes.size()] = static_cast<std::uint8_t>(rng());
            }
            bytes.resize(1 + rng() % bytes.size());
            try {
                const cv::Mat decoded = decode_image(as_bytes(bytes), ChannelOrder::kBgr, "fuzz");
                EXPECT_EQ(decoded.type(), CV_8UC3);
            } catch (const DataError& e) {
                EXPECT_EQ(std::string(e.what()).rfind("fuzz: ", 0), 0U) << e.what();
            }
        }
    }
}

TEST_F(ImageFileTest, WriteRefusesUnknownExtensionsAndOtherPixelTypes) {
    const cv::Mat bgr = random_image(4, 4, 22);
    EXPECT_NE(error_message<DataError>([&] {
                  write_image(dir_ / "a.gif", bgr, ChannelOrder::kBgr);
              }).find("a.gif: rcls writes images as .png"),
              std::string::npos);
    const cv::Mat floats(4, 4, CV_32FC3, cv::Scalar(0.5, 0.5, 0.5));
    EXPECT_NE(error_message<DataError>([&] {
                  write_image(dir_ / "a.png", floats, ChannelOrder::kBgr);
              }).find("expected 8-bit colour or grey pixels"),
              std::string::npos);
    EXPECT_FALSE(fs::exists(dir_ / "a.png"));
    EXPECT_FALSE(fs::exists(dir_ / "a.gif"));
}

TEST_F(ImageFileTest, WritingReplacesAtomicallyAndLeavesNoTemporaries) {
    write_image(dir_ / "frame.png", random_image(16, 16, 23), ChannelOrder::kBgr);
    const cv::Mat second = random_image(16, 16, 24);
    write_image(dir_ / "frame.png", second, ChannelOrder::kBgr);
    EXPECT_TRUE(identical(read_image(dir_ / "frame.png", ChannelOrder::kBgr), second));
    int entries = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_.path()))
        ++entries;
    EXPECT_EQ(entries, 1);
}

TEST(ImageExtensions, KnownNamesCaseInsensitively) {
    EXPECT_TRUE(has_image_extension("a/b.PNG"));
    EXPECT_TRUE(has_image_extension("x.jpeg"));
    EXPECT_TRUE(has_image_extension("x.pgm"));
    EXPECT_FALSE(has_image_extension("x.mp4"));
    EXPECT_FALSE(has_image_extension("png"));
    EXPECT_EQ(image_format_for("x.JPG"), ImageFormat::kJpeg);
    EXPECT_EQ(image_format_for("x.tif"), ImageFormat::kTiff);
    EXPECT_EQ(image_format_for("x.pgm"), std::nullopt);
}

}  // namespace
}  // namespace rcls::video
