// SPDX-License-Identifier: MIT
//
// Expected values are literals worked out from the filters' published formulas (swscale's
// initFilter for Lanczos, ATen's _compute_indices_weights_aa for antialiased bilinear, block means
// for area) with an independent script, or come from cv::resize(INTER_AREA) at integer factors.
#include "rcls/image/resample.hpp"

#include <random>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "rcls/core/error.hpp"

namespace rcls::image {
namespace {

constexpr Filter kFilters[] = {Filter::kLanczos, Filter::kArea, Filter::kBilinear};

cv::Mat random_image(int width, int height, int type, unsigned seed) {
    cv::Mat image(height, width, type);
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> value(0, 255);
    for (int y = 0; y < height; ++y) {
        std::uint8_t* row = image.ptr<std::uint8_t>(y);
        for (int x = 0; x < width * image.channels(); ++x) {
            row[x] = static_cast<std::uint8_t>(value(rng));
        }
    }
    return image;
}

/// A 1-row image holding `values`, or a 1-column image when `vertical`.
cv::Mat line(const std::vector<int>& values, bool vertical = false) {
    cv::Mat row(1, static_cast<int>(values.size()), CV_8UC1);
    for (std::size_t i = 0; i < values.size(); ++i) {
        row.at<std::uint8_t>(0, static_cast<int>(i)) = static_cast<std::uint8_t>(values[i]);
    }
    return vertical ? cv::Mat(row.t()) : row;
}

std::vector<int> values_of(const cv::Mat& image) {
    std::vector<int> out;
    for (int y = 0; y < image.rows; ++y) {
        for (int x = 0; x < image.cols; ++x) {
            out.push_back(image.at<std::uint8_t>(y, x));
        }
    }
    return out;
}

/// `values` resized along one axis with `filter`, checked along rows and along columns.
void expect_line(Filter filter, const std::vector<int>& in, const std::vector<int>& expected) {
    const int n = static_cast<int>(expected.size());
    EXPECT_EQ(values_of(resize(line(in), {n, 1}, filter)), expected)
        << to_string(filter) << " rows";
    EXPECT_EQ(values_of(resize(line(in, true), {1, n}, filter)), expected)
        << to_string(filter) << " columns";
}

TEST(ResampleFilter, NamesRoundTripAndTyposAreConfigErrors) {
    for (const Filter filter : kFilters) {
        EXPECT_EQ(parse_filter(to_string(filter)), filter);
    }
    try {
        parse_filter("lanczso");
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("did you mean \"lanczos\""), std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("lanczos, area, bilinear"), std::string::npos)
            << e.what();
    }
}

TEST(ResampleWeights, WindowsLieInsideAndWeightsSumToOne) {
    for (const Filter filter : kFilters) {
        for (const auto& [in, out] : std::vector<std::pair<int, int>>{{480, 128},
                                                                      {640, 97},
                                                                      {7, 3},
                                                                      {3, 7},
                                                                      {1, 5},
                                                                      {5, 1},
                                                                      {2, 3},
                                                                      {128, 480},
                                                                      {13, 12}}) {
            const AxisWeights w = compute_axis_weights(in, out, filter);
            ASSERT_EQ(w.start.size(), static_cast<std::size_t>(out));
            ASSERT_EQ(w.weights.size(), static_cast<std::size_t>(out * w.taps));
            for (int i = 0; i < out; ++i) {
                EXPECT_GE(w.start[i], 0);
                EXPECT_LE(w.start[i] + w.taps, in) << to_string(filter) << " " << in << "->" << out;
                double sum = 0.0;
                for (int k = 0; k < w.taps; ++k) {
                    sum += w.weights[i * w.taps + k];
                }
                EXPECT_NEAR(sum, 1.0, 1e-5)
                    << to_string(filter) << " " << in << "->" << out << " i=" << i;
            }
        }
    }
}

TEST(ResampleWeights, LanczosWidensItsSupportWhenDownscaling) {
    // swscale: 1 + ceil-ish(6 * 480 / 128) = 24 taps; the outermost is exactly zero and dropped.
    EXPECT_EQ(compute_axis_weights(480, 128, Filter::kLanczos).taps, 23);
    EXPECT_LE(compute_axis_weights(128, 480, Filter::kLanczos).taps,
              7);  // upscaling: 6 + 1 at most
    EXPECT_EQ(compute_axis_weights(8, 4, Filter::kArea).taps, 2);
    EXPECT_EQ(compute_axis_weights(8, 4, Filter::kBilinear).taps, 4);  // support 2 * scale
}

TEST(Resample, ConstantImagesStayConstant) {
    const std::vector<std::pair<cv::Size, cv::Size>> sizes = {
        {{37, 23}, {11, 7}},      {{5, 5}, {17, 13}}, {{1, 1}, {5, 3}}, {{7, 1}, {3, 1}},
        {{640, 480}, {128, 128}}, {{3, 2}, {480, 1}}, {{2, 9}, {1, 1}}, {{101, 3}, {33, 64}}};
    for (const Filter filter : kFilters) {
        for (const auto& [in, out] : sizes) {
            for (const int channels : {1, 3, 4}) {
                const cv::Scalar value(173, 0, 255, 42);
                const cv::Mat image(in, CV_8UC(channels), value);
                const cv::Mat result = resize(image, out, filter);
                ASSERT_EQ(result.size(), out);
                ASSERT_EQ(result.type(), image.type());
                const cv::Mat expected(out, CV_8UC(channels), value);
                EXPECT_EQ(cv::norm(result, expected, cv::NORM_INF), 0.0)
                    << to_string(filter) << " " << in << " -> " << out << " x" << channels;
            }
        }
    }
}

TEST(Resample, SameSizeIsAnExactCopy) {
    const cv::Mat image = random_image(31, 17, CV_8UC3, 1);
    for (const Filter filter : kFilters) {
        EXPECT_EQ(cv::norm(resize(image, image.size(), filter), image, cv::NORM_INF), 0.0);
    }
}

TEST(Resample, OnePixelImagesSpreadAndCollapse) {
    const cv::Mat pixel(1, 1, CV_8UC3, cv::Scalar(9, 99, 199));
    for (const Filter filter : kFilters) {
        const cv::Mat big = resize(pixel, {6, 4}, filter);
        EXPECT_EQ(cv::norm(big, cv::Mat(4, 6, CV_8UC3, cv::Scalar(9, 99, 199)), cv::NORM_INF), 0.0);
    }
    expect_line(Filter::kArea, {10, 20, 30, 40, 50}, {30});
    expect_line(Filter::kBilinear, {10, 20, 30, 40, 50}, {30});
    expect_line(Filter::kLanczos, {10, 20, 30, 40, 50, 60, 70, 80, 90, 100}, {55});
}

TEST(Resample, BilinearMatchesTorchvisionAntialias) {
    // ATen: centre = scale * (i + 0.5), support = scale, weights 1 - |x - centre + 0.5| / scale
    // over [int(centre - support + 0.5), int(centre + support + 0.5)) clipped and renormalised.
    expect_line(Filter::kBilinear, {0, 70, 140, 210}, {50, 160});  // (3a+3b+c)/7, (b+3c+3d)/7
    expect_line(Filter::kBilinear, {0, 100}, {0, 25, 75, 100});    // plain bilinear upscale
    expect_line(Filter::kBilinear, {10, 200, 30, 40, 250, 60, 0},
                {96, 98, 79});  // 95.71 97.65 79.29
}

TEST(Resample, LanczosMatchesSwscaleKernel) {
    // swscale's Lanczos-3 tap positions in 1/2^17 pixel units, kernel widened by in/out, edge
    // pixels repeated; overshoot is clamped (-25.66 -> 0).
    expect_line(Filter::kLanczos, {0, 0, 0, 255, 255, 0, 0, 0}, {0, 148, 148, 0});
    expect_line(Filter::kLanczos, {0, 0, 0, 255, 255, 0, 0, 0}, {8, 180, 8});  // 7.571 180.04 7.569
    expect_line(Filter::kLanczos, {0, 100, 200, 50}, {0, 8, 48, 109, 178, 202, 154, 73, 31});
}

TEST(Resample, AreaIsTheOverlapWeightedMean) {
    cv::Mat image = (cv::Mat_<std::uint8_t>(2, 4) << 10, 20, 30, 40, 50, 60, 70, 80);
    EXPECT_EQ(values_of(resize(image, {2, 1}, Filter::kArea)), (std::vector<int>{35, 55}));
    expect_line(Filter::kArea, {0, 30, 60}, {10, 50});  // (0 + 30/2) / 1.5, (30/2 + 60) / 1.5
}

TEST(Resample, AreaIsTheBlockMeanAtIntegerFactors) {
    const cv::Mat image = random_image(96, 72, CV_8UC3, 7);
    for (const int factor : {2, 3, 4, 8}) {
        const cv::Size size(96 / factor, 72 / factor);
        const cv::Mat result = resize(image, size, Filter::kArea);
        // The exact block mean, computed here; ties (x.5) round up.
        for (int y = 0; y < size.height; ++y) {
            for (int x = 0; x < size.width; ++x) {
                for (int c = 0; c < 3; ++c) {
                    int sum = 0;
                    for (int dy = 0; dy < factor; ++dy) {
                        for (int dx = 0; dx < factor; ++dx) {
                            sum += image.at<cv::Vec3b>(y * factor + dy, x * factor + dx)[c];
                        }
                    }
                    const int n = factor * factor;
                    ASSERT_EQ(result.at<cv::Vec3b>(y, x)[c], (2 * sum + n) / (2 * n))
                        << factor << " at " << x << "," << y;
                }
            }
        }
        // OpenCV's INTER_AREA computes the same means (it may round ties the other way).
        cv::Mat expected;
        cv::resize(image, expected, size, 0, 0, cv::INTER_AREA);
        EXPECT_LE(cv::norm(result, expected, cv::NORM_INF), 1.0) << factor;
    }
}

TEST(Resample, ChannelsAreIndependentSoRgbAndBgrCommute) {
    const cv::Mat rgb = random_image(57, 43, CV_8UC3, 3);
    for (const Filter filter : kFilters) {
        cv::Mat bgr;
        cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
        cv::Mat resized_bgr = resize(bgr, {20, 31}, filter);
        cv::Mat back;
        cv::cvtColor(resized_bgr, back, cv::COLOR_BGR2RGB);
        EXPECT_EQ(cv::norm(back, resize(rgb, {20, 31}, filter), cv::NORM_INF), 0.0)
            << to_string(filter);

        std::vector<cv::Mat> planes;
        cv::split(rgb, planes);
        for (int c = 0; c < 3; ++c) {
            std::vector<cv::Mat> resized_planes;
            cv::split(resize(rgb, {20, 31}, filter), resized_planes);
            EXPECT_LE(
                cv::norm(resize(planes[c], {20, 31}, filter), resized_planes[c], cv::NORM_INF), 1.0)
                << to_string(filter) << " channel " << c;
        }
    }
}

TEST(Resample, BothPassOrdersAgreeWithSeparateAxes) {
    // 400x20 -> 10x10 runs the horizontal pass first (cheaper), 20x400 -> 10x10 the vertical.
    for (const auto& [in, mid] :
         std::vector<std::pair<cv::Size, cv::Size>>{{{400, 20}, {10, 20}}, {{20, 400}, {20, 10}}}) {
        const cv::Mat image = random_image(in.width, in.height, CV_8UC3, 11);
        for (const Filter filter : kFilters) {
            const cv::Mat direct = resize(image, {10, 10}, filter);
            const cv::Mat two_steps = resize(resize(image, mid, filter), {10, 10}, filter);
            EXPECT_LE(cv::norm(direct, two_steps, cv::NORM_INF), 1.0)
                << to_string(filter) << " " << in;
        }
    }
}

TEST(Resample, OddSizesAndViewsWork) {
    const cv::Mat image = random_image(101, 77, CV_8UC4, 5);
    const cv::Mat view = image(cv::Rect(3, 5, 61, 49));
    for (const Filter filter : kFilters) {
        const cv::Mat from_view = resize(view, {13, 29}, filter);
        const cv::Mat from_copy = resize(view.clone(), {13, 29}, filter);
        EXPECT_EQ(cv::norm(from_view, from_copy, cv::NORM_INF), 0.0) << to_string(filter);
    }
}

TEST(Resample, WrongInputsAreErrors) {
    Resampler resampler({64, 48}, {16, 16}, Filter::kLanczos);
    cv::Mat out;
    EXPECT_THROW(resampler.resize(cv::Mat(47, 64, CV_8UC3), out), DataError);
    EXPECT_THROW(resampler.resize(cv::Mat(48, 64, CV_16UC3), out), DataError);
    EXPECT_THROW(Resampler({64, 48}, {0, 16}, Filter::kArea), ConfigError);
}

}  // namespace
}  // namespace rcls::image
