// SPDX-License-Identifier: MIT
//
// model::ImageTransforms: each colour op against torchvision's functional formulas run by
// python3-torch (tests/reference/image_transforms_reference.py), LeRobot's subset sampling
// (max_num_transforms, weights, random_order), ranges, determinism, identity when disabled, and
// rcls's geometric crop + translation measured on a synthetic blob.
#include "rcls/model/image_transforms.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/types.h>

#include "rcls/core/error.hpp"
#include "rcls/core/json_struct.hpp"

#include "prerequisite.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"

namespace rcls::model {
namespace {

using config::GeometricAugmentConfig;
using config::ImageTransformConfig;
using config::ImageTransformsConfig;
using rcls::testing::TempDir;

torch::Generator seeded(std::uint64_t seed) {
    return at::make_generator<at::CPUGeneratorImpl>(seed);
}

/// A LeRobot config with only these transforms, enabled.
ImageTransformsConfig lerobot_with(Dict<ImageTransformConfig> tfs, int max_num, bool random_order) {
    ImageTransformsConfig c;
    c.enable = true;
    c.max_num_transforms = max_num;
    c.random_order = random_order;
    c.tfs = std::move(tfs);
    return c;
}

ImageTransformsConfig lerobot_off() {
    ImageTransformsConfig c;
    c.enable = false;
    return c;
}

ImageTransformConfig jitter(const std::string& key, double lo, double hi, double weight = 1.0) {
    return {weight, key == "sharpness" ? "SharpnessJitter" : "ColorJitter", {{key, {lo, hi}}}};
}

/// Geometric config with the colour part off, for measuring the geometry.
GeometricAugmentConfig geometry_only() {
    GeometricAugmentConfig g;
    g.enable = true;
    g.brightness = g.contrast = g.saturation = g.gain = 0.0;
    return g;
}

/// Images in [0, 1] with grey pixels (r = g = b), exact 0 and 1, and each channel the largest
/// somewhere, so every branch of the HSV conversion runs.
torch::Tensor test_images(std::int64_t b, std::int64_t h, std::int64_t w) {
    auto gen = seeded(7);
    auto x = torch::rand({b, 3, h, w}, gen);
    x.select(2, 0).copy_(
        x.select(2, 0).select(1, 0).unsqueeze(1).expand({b, 3, w}).clone());  // grey row
    x.select(2, 1).select(2, 0).fill_(0.0);
    x.select(2, 1).select(2, 1).fill_(1.0);
    x.select(2, 2).select(2, 3).select(1, 1).fill_(1.0);
    return x;
}

void write_floats(const std::filesystem::path& path, const torch::Tensor& t) {
    auto c = t.contiguous();
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(c.data_ptr<float>()),
              static_cast<std::streamsize>(c.numel() * 4));
}

torch::Tensor read_floats(const std::filesystem::path& path, at::IntArrayRef shape) {
    auto t = torch::empty(shape, torch::kFloat32);
    std::ifstream in(path, std::ios::binary);
    in.read(reinterpret_cast<char*>(t.data_ptr<float>()),
            static_cast<std::streamsize>(t.numel() * 4));
    EXPECT_EQ(in.gcount(), t.numel() * 4) << path;
    return t;
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a - b).abs().max().item<double>();
}

// ---- colour ops against torchvision's formulas --------------------------------------------

TEST(ImageTransformsColour, EachOpMatchesTorchvisionFormulas) {
    const testing::ProcessResult probe = testing::run_process(
        {RCLS_PYTHON3, "-c", "import torch, numpy"}, std::chrono::seconds(120));
    if (probe.exit_code != 0) {
        RCLS_PREREQUISITE_MISSING()
            << RCLS_PYTHON3 << " with torch and numpy is needed "
            << "(scripts/install_deps.sh installs python3-torch): " << probe.err;
    }
    TempDir dir;
    const std::int64_t b = 6, h = 11, w = 13;
    const auto images = test_images(b, h, w);
    write_floats(dir / "in.bin", images);
    const std::map<std::string, std::vector<double>> factors = {
        {"brightness", {0.0, 0.5, 0.8, 1.0, 1.2, 2.0}},
        {"contrast", {0.0, 0.5, 0.8, 1.0, 1.2, 2.0}},
        {"saturation", {0.0, 0.5, 1.0, 1.3, 1.5, 3.0}},
        {"hue", {-0.5, -0.2, -0.05, 0.0, 0.05, 0.4}},
        {"sharpness", {0.0, 0.5, 1.0, 1.5, 2.0, 3.0}},
    };
    const testing::ProcessResult r = testing::run_process(
        {RCLS_PYTHON3,
         (testing::source_dir() / "tests/reference/image_transforms_reference.py").string(),
         (dir / "in.bin").string(), std::to_string(b), std::to_string(h), std::to_string(w),
         dir.path().string(), nlohmann::json(factors).dump()},
        std::chrono::seconds(120));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& [name, values] : factors) {
        const auto f = torch::tensor(values, torch::kFloat64);
        torch::Tensor mine;
        if (name == "brightness") mine = color::adjust_brightness(images, f);
        if (name == "contrast") mine = color::adjust_contrast(images, f);
        if (name == "saturation") mine = color::adjust_saturation(images, f);
        if (name == "hue") mine = color::adjust_hue(images, f);
        if (name == "sharpness") mine = color::adjust_sharpness(images, f);
        const auto reference = read_floats(dir / (name + ".bin"), {b, 3, h, w});
        const double diff = max_abs_diff(mine, reference);
        std::printf("%-10s max |rcls - torchvision formula| = %.3g\n", name.c_str(), diff);
        EXPECT_LE(diff, 1e-5) << name;
        EXPECT_FALSE(torch::equal(mine, images)) << name << " changed nothing";
    }
}

TEST(ImageTransformsAffine, MatchesTorchvisionAffine) {
    const testing::ProcessResult probe = testing::run_process(
        {RCLS_PYTHON3, "-c", "import torch, numpy"}, std::chrono::seconds(120));
    if (probe.exit_code != 0) {
        RCLS_PREREQUISITE_MISSING()
            << RCLS_PYTHON3 << " with torch and numpy is needed: " << probe.err;
    }
    TempDir dir;
    const std::int64_t b = 6, h = 16, w = 20;
    const auto images = test_images(b, h, w);
    write_floats(dir / "in.bin", images);
    const std::vector<double> angle = {-5.0, -2.5, 0.0, 3.0, 5.0, 30.0};
    const std::vector<double> tx = {0.0, 1.0, -2.0, 3.0, 0.0, -1.0};
    const std::vector<double> ty = {1.0, 0.0, 2.0, -1.0, 0.0, 0.0};
    const std::vector<double> scale = {1.0, 1.0, 1.1, 0.9, 1.0, 1.0};
    nlohmann::json params = nlohmann::json::array();
    for (std::int64_t i = 0; i < b; ++i) {
        const auto k = static_cast<std::size_t>(i);
        params.push_back({angle[k], tx[k], ty[k], scale[k]});
    }
    const testing::ProcessResult r = testing::run_process(
        {RCLS_PYTHON3,
         (testing::source_dir() / "tests/reference/image_transforms_reference.py").string(),
         (dir / "in.bin").string(), std::to_string(b), std::to_string(h), std::to_string(w),
         dir.path().string(), nlohmann::json{{"affine", params}}.dump()},
        std::chrono::seconds(120));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto reference = read_floats(dir / "affine.bin", {b, 3, h, w});
    auto f = [](const std::vector<double>& v) { return torch::tensor(v, torch::kFloat64); };
    const auto mine = affine_nearest(images, f(angle), f(tx), f(ty), f(scale));
    // Nearest sampling: a rounding difference at a pixel boundary may pick the neighbour.
    const double mismatched =
        (mine - reference).abs().gt(1e-5).to(torch::kFloat64).mean().item<double>();
    std::printf("affine: %.3g%% of values differ from torchvision's formula\n", 100 * mismatched);
    EXPECT_LE(mismatched, 0.005);
    EXPECT_FALSE(torch::equal(mine, images));
    // Identity parameters give the input back; a whole-pixel shift moves it by that many pixels.
    const auto zeros = torch::zeros({b}, torch::kFloat64), ones = torch::ones({b}, torch::kFloat64);
    EXPECT_TRUE(torch::equal(affine_nearest(images, zeros, zeros, zeros, ones), images));
    const auto shifted = affine_nearest(images, zeros, ones * 2, zeros, ones);
    EXPECT_TRUE(torch::equal(shifted.narrow(3, 2, w - 2), images.narrow(3, 0, w - 2)));
    EXPECT_EQ(shifted.narrow(3, 0, 2).abs().max().item<double>(), 0.0);
}

TEST(ImageTransformsAffine, LeRobotsNewerDefaultsRun) {
    ImageTransformsConfig lerobot;  // + LeRobot >= 0.4's sharpness and affine entries
    lerobot.enable = true;
    lerobot.tfs.emplace_back("sharpness", jitter("sharpness", 0.5, 1.5));
    lerobot.tfs.emplace_back(
        "affine",
        ImageTransformConfig{
            1.0, "RandomAffine", {{"degrees", {-5.0, 5.0}}, {"translate", {0.05, 0.05}}}});
    ImageTransforms t(lerobot, {});
    EXPECT_NE(t.describe().find("3 of 6"), std::string::npos) << t.describe();
    auto gen = seeded(8);
    const auto images = test_images(64, 24, 24);
    const auto out = t(images, gen);
    EXPECT_EQ(out.sizes(), images.sizes());
    EXPECT_GE(out.min().item<double>(), 0.0);
    EXPECT_LE(out.max().item<double>(), 1.0);
}

TEST(ImageTransformsColour, NeutralFactorsGiveTheInputBack) {
    const auto images = test_images(4, 9, 9);
    const auto ones = torch::ones({4}, torch::kFloat64);
    EXPECT_TRUE(torch::equal(color::adjust_brightness(images, ones), images));
    EXPECT_TRUE(torch::equal(color::adjust_contrast(images, ones), images));
    EXPECT_TRUE(torch::equal(color::adjust_saturation(images, ones), images));
    EXPECT_TRUE(torch::equal(color::adjust_sharpness(images, ones), images));
    EXPECT_LE(max_abs_diff(color::adjust_hue(images, torch::zeros({4}, torch::kFloat64)), images),
              1e-6);
}

// ---- construction ---------------------------------------------------------------------------

TEST(ImageTransformsConfigCheck, RefusesWhatItDoesNotImplement) {
    const GeometricAugmentConfig off;
    auto refuses = [&](ImageTransformConfig tf, const std::string& needle) {
        try {
            ImageTransforms t(lerobot_with({{"x", std::move(tf)}}, 3, false), off);
            ADD_FAILURE() << "accepted; expected " << needle;
        } catch (const ConfigError& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("dataset.image_transforms.tfs.x"),
                      std::string::npos)
                << e.what();
        }
    };
    refuses({1.0, "RandomAffine", {{"degrees", {-5.0, 5.0}}, {"shear", {-5.0, 5.0}}}}, "shear");
    refuses({1.0, "RandomAffine", {{"translate", {0.05, 0.05}}}}, "degrees");
    refuses({1.0, "GaussianBlur", {}}, "GaussianBlur");
    refuses(jitter("hue", -0.6, 0.1), "hue");
    refuses(jitter("brightness", -0.1, 1.0), "brightness");
    refuses({1.0, "ColorJitter", {{"gamma", {0.9, 1.1}}}}, "gamma");
    refuses({1.0, "SharpnessJitter", {}}, "sharpness");
    // LeRobot drops zero-weight transforms before building them: a RandomAffine at weight 0 is
    // fine.
    ImageTransforms ok(
        lerobot_with({{"affine", {0.0, "RandomAffine", {}}}, {"b", jitter("brightness", 0.8, 1.2)}},
                     3, false),
        off);
    EXPECT_TRUE(ok.active());
}

TEST(ImageTransformsConfigCheck, GeometricConfigIsStrictAndBounded) {
    auto read = [](const std::string& text) {
        GeometricAugmentConfig g;
        json_struct::read_into(json_struct::parse_text(text, "augment.json"), g,
                               json_struct::Context("augment.json"));
        return g;
    };
    const auto g =
        read(R"({"enable": true, "crop_area_min": 0.8, "translate": 0.02, "gain": 0.05})");
    EXPECT_TRUE(g.enable);
    EXPECT_EQ(g.crop_area_min, 0.8);
    EXPECT_EQ(g.translate, 0.02);
    EXPECT_EQ(g.gain, 0.05);
    EXPECT_EQ(g.aspect_max, 1.1);  // the rest keep their defaults
    const auto round_trip = json_struct::to_json(g);
    EXPECT_EQ(round_trip.at("crop_area_min"), 0.8);
    auto refused = [&](const std::string& text, const std::string& field) {
        try {
            read(text);
            ADD_FAILURE() << text << " was accepted";
        } catch (const ConfigError& e) {
            EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
        }
    };
    refused(R"({"translate": 0.6})", "translate");
    refused(R"({"crop_area_min": 0.0})", "crop_area_min");
    refused(R"({"crop_area_min": 0.9, "crop_area_max": 0.8})", "crop_area_max");
    refused(R"({"aspect_min": 1.2})", "aspect_max");
    refused(R"({"brightness": 1.0})", "brightness");
    refused(R"({"gain": -0.1})", "gain");
    refused(R"({"rotation": 5})", "rotation");
}

TEST(ImageTransformsConfigCheck, DefaultsDescribeThemselves) {
    ImageTransformsConfig lerobot;  // rcls's defaults: LeRobot's four ColorJitter entries
    GeometricAugmentConfig geometric;
    geometric.enable = true;
    ImageTransforms t(lerobot, geometric);
    const std::string d = t.describe();
    EXPECT_NE(d.find("3 of 4"), std::string::npos) << d;
    EXPECT_NE(d.find("geometric crop area 0.75-1"), std::string::npos) << d;
    EXPECT_NE(d.find("hue -0.05..0.05"), std::string::npos) << d;
}

// ---- identity when disabled --------------------------------------------------------------------

TEST(ImageTransforms, DisabledChangesNothing) {
    const auto images = test_images(5, 16, 16);
    auto gen = seeded(1);
    ImageTransformsConfig lerobot;  // its transforms are there, but enable = false
    lerobot.enable = false;
    ImageTransforms off(lerobot, GeometricAugmentConfig{});
    EXPECT_FALSE(off.active());
    EXPECT_EQ(off.describe(), "no augmentation");
    EXPECT_TRUE(torch::equal(off(images, gen), images));

    ImageTransforms all_zero_weight(
        lerobot_with({{"b", jitter("brightness", 0.5, 0.6, 0.0)}}, 3, false),
        GeometricAugmentConfig{});
    EXPECT_FALSE(all_zero_weight.active());
    EXPECT_TRUE(torch::equal(all_zero_weight(images, gen), images));

    ImageTransforms on(lerobot_with({{"b", jitter("brightness", 0.5, 0.6)}}, 3, false),
                       GeometricAugmentConfig{});
    EXPECT_TRUE(on.active());
    EXPECT_FALSE(torch::equal(on(images, gen), images));
    EXPECT_THROW(on(images.mul(255).to(torch::kUInt8), gen), ModelError);
    EXPECT_THROW(on(images.select(1, 0), gen), ModelError);
}

// ---- LeRobot's subset sampling
// -------------------------------------------------------------------

/// P(transform i among the n drawn) for weighted sampling without replacement (n = 1 or 2).
double inclusion_probability(const std::vector<double>& w, std::size_t i, int n) {
    double total = 0.0;
    for (double x : w)
        total += x;
    const double pi = w[i] / total;
    if (n == 1) return pi;
    double p = pi;
    for (std::size_t j = 0; j < w.size(); ++j) {
        if (j == i) continue;
        const double pj = w[j] / total;
        p += pj * pi / (1.0 - pj);
    }
    return p;
}

TEST(ImageTransforms, DrawsMaxNumTransformsByWeightWithoutReplacement) {
    // Fixed brightness factors whose pairwise products are all distinct tell which two ran.
    const std::vector<double> factor = {0.5, 0.7, 0.9, 0.95};
    const std::vector<double> weight = {1.0, 2.0, 3.0, 4.0};
    Dict<ImageTransformConfig> tfs;
    for (std::size_t i = 0; i < factor.size(); ++i) {
        tfs.emplace_back("t" + std::to_string(i),
                         jitter("brightness", factor[i], factor[i], weight[i]));
    }
    for (int n : {1, 2}) {
        ImageTransforms t(lerobot_with(tfs, n, false), GeometricAugmentConfig{});
        const std::int64_t samples = 20000;
        auto gen = seeded(42);
        const auto out = t(torch::full({samples, 3, 1, 1}, 0.8f), gen).select(1, 0).flatten();
        const auto values = out.accessor<float, 1>();
        std::vector<int> count(factor.size(), 0);
        for (std::int64_t s = 0; s < samples; ++s) {
            bool matched = false;
            for (std::size_t i = 0; i < factor.size(); ++i) {
                const std::size_t last = n == 1 ? i + 1 : factor.size();
                for (std::size_t j = n == 1 ? i : i + 1; j < last; ++j) {
                    const double expected = 0.8 * factor[i] * (n == 1 ? 1.0 : factor[j]);
                    if (std::abs(values[s] - expected) < 1e-5) {
                        ++count[i];
                        if (n == 2) ++count[j];
                        matched = true;
                    }
                }
            }
            ASSERT_TRUE(matched) << "sample " << s << " = " << values[s] << " is not " << n
                                 << " distinct transforms";
        }
        for (std::size_t i = 0; i < factor.size(); ++i) {
            const double empirical = static_cast<double>(count[i]) / samples;
            const double expected = inclusion_probability(weight, i, n);
            EXPECT_NEAR(empirical, expected, 0.015) << "transform " << i << ", n = " << n;
        }
    }
}

TEST(ImageTransforms, FixedOrderFollowsTheConfigRandomOrderDoesNot) {
    // ×2 (clamped at 1) then ×0.5 gives 0.5 from 0.8; ×0.5 then ×2 gives 0.8 back.
    const Dict<ImageTransformConfig> up_then_down = {{"up", jitter("brightness", 2.0, 2.0)},
                                                     {"down", jitter("brightness", 0.5, 0.5)}};
    const Dict<ImageTransformConfig> down_then_up = {{"down", jitter("brightness", 0.5, 0.5)},
                                                     {"up", jitter("brightness", 2.0, 2.0)}};
    const auto images = torch::full({4000, 3, 1, 1}, 0.8f);
    auto fraction_at = [&](const torch::Tensor& out, float v) {
        return (out - v).abs().lt(1e-6).to(torch::kFloat64).mean().item<double>();
    };
    for (const auto* tfs : {&up_then_down, &down_then_up}) {
        auto gen = seeded(3);
        const auto out = ImageTransforms(lerobot_with(*tfs, 2, false), {})(images, gen);
        EXPECT_EQ(fraction_at(out, tfs == &up_then_down ? 0.5f : 0.8f), 1.0);
        auto gen2 = seeded(3);
        const auto shuffled = ImageTransforms(lerobot_with(*tfs, 2, true), {})(images, gen2);
        EXPECT_NEAR(fraction_at(shuffled, 0.5f), 0.5, 0.03);
        EXPECT_NEAR(fraction_at(shuffled, 0.8f), 0.5, 0.03);
    }
}

TEST(ImageTransforms, FactorsStayInTheirRanges) {
    const auto images = torch::full({4000, 3, 2, 2}, 0.5f);
    auto gen = seeded(5);
    ImageTransforms t(lerobot_with({{"b", jitter("brightness", 0.8, 1.2)}}, 3, false), {});
    const auto out = t(images, gen);
    EXPECT_GE(out.min().item<double>(), 0.4 - 1e-6);
    EXPECT_LE(out.max().item<double>(), 0.6 + 1e-6);
    EXPECT_LT(out.min().item<double>(), 0.41);  // the range is used, not a point in it
    EXPECT_GT(out.max().item<double>(), 0.59);
    // One factor per sample: every pixel of a sample moved by the same amount.
    const auto per_sample = out.flatten(1);
    EXPECT_EQ(max_abs_diff(std::get<0>(per_sample.max(1)), std::get<0>(per_sample.min(1))), 0.0);
    // A pure-red image: hue within ±0.05 turns it at most 0.3 of the way to green or blue.
    auto red = torch::zeros({2000, 3, 1, 1});
    red.select(1, 0).fill_(1.0);
    ImageTransforms hue(lerobot_with({{"h", jitter("hue", -0.05, 0.05)}}, 1, false), {});
    const auto turned = hue(red, gen);
    EXPECT_LE((turned.select(1, 1) + turned.select(1, 2)).max().item<double>(), 0.3 + 1e-5);
    EXPECT_GT((turned.select(1, 1) + turned.select(1, 2)).max().item<double>(), 0.25);
}

TEST(ImageTransforms, SameSeedSameOutputOtherSeedOtherOutput) {
    ImageTransformsConfig lerobot;
    lerobot.enable = true;
    lerobot.random_order = true;
    lerobot.tfs.emplace_back("sharpness", jitter("sharpness", 0.5, 1.5));
    GeometricAugmentConfig geometric;
    geometric.enable = true;
    ImageTransforms t(lerobot, geometric);
    const auto images = test_images(8, 32, 32);
    auto a = seeded(11), b = seeded(11), c = seeded(12);
    const auto out_a = t(images, a);
    EXPECT_TRUE(torch::equal(out_a, t(images, b)));
    EXPECT_FALSE(torch::equal(out_a, t(images, c)));
    EXPECT_EQ(out_a.sizes(), images.sizes());
    EXPECT_GE(out_a.min().item<double>(), 0.0);
    EXPECT_LE(out_a.max().item<double>(), 1.0);
    // Every sample draws its own parameters: equal inputs give different outputs.
    const auto same = images.select(0, 0).unsqueeze(0).expand({8, 3, 32, 32}).contiguous();
    const auto varied = t(same, a);
    for (std::int64_t i = 1; i < 8; ++i) {
        EXPECT_FALSE(torch::equal(varied[0], varied[i])) << i;
    }
}

// ---- geometric ----------------------------------------------------------------------------------

TEST(ImageTransformsGeometric, IdentityParametersGiveTheInputBack) {
    const auto images = test_images(3, 20, 24);
    const auto ones = torch::ones({3}), zeros = torch::zeros({3});
    EXPECT_LE(max_abs_diff(affine_crop(images, ones, ones, zeros, zeros), images), 1e-5);
    GeometricAugmentConfig g = geometry_only();
    g.crop_area_min = g.crop_area_max = 1.0;
    g.aspect_min = g.aspect_max = 1.0;
    g.translate = 0.0;
    auto gen = seeded(2);
    EXPECT_LE(max_abs_diff(ImageTransforms(lerobot_off(), g)(images, gen), images), 1e-5);
}

/// Centre of mass and standard deviation along x and y of each image's first channel, in pixels
/// from the image centre.
struct Moments {
    torch::Tensor cx, cy, sx, sy;
};

Moments moments(const torch::Tensor& img) {
    const auto h = img.size(2), w = img.size(3);
    auto m = img.select(1, 0).to(torch::kFloat64);
    // From the marginals: a [N, H, W] x [N, 1, W] broadcast is libtorch's slow path.
    auto mx = m.sum(1), my = m.sum(2);  // [N, W], [N, H]
    auto xs = torch::arange(w, torch::kFloat64).sub_(static_cast<double>(w - 1) / 2.0).view({1, w});
    auto ys = torch::arange(h, torch::kFloat64).sub_(static_cast<double>(h - 1) / 2.0).view({1, h});
    auto total = mx.sum(1);
    auto cx = (mx * xs).sum(1) / total;
    auto cy = (my * ys).sum(1) / total;
    auto vx = (mx * xs * xs).sum(1) / total - cx * cx;
    auto vy = (my * ys * ys).sum(1) / total - cy * cy;
    return {cx, cy, vx.sqrt(), vy.sqrt()};
}

/// A Gaussian blob (sigma 4 px) at the centre of a black 64x64 image, `n` copies.
torch::Tensor blob(std::int64_t n) {
    const std::int64_t s = 64;
    auto r = torch::arange(s, torch::kFloat32).sub_((s - 1) / 2.0f);
    auto d2 = r.view({1, s}).pow(2) + r.view({s, 1}).pow(2);
    auto one = (-d2 / (2.0f * 16.0f)).exp();
    return one.view({1, 1, s, s}).expand({n, 3, s, s}).contiguous();
}

TEST(ImageTransformsGeometric, TranslationStaysWithinItsBound) {
    GeometricAugmentConfig g = geometry_only();
    g.crop_area_min = g.crop_area_max = 1.0;
    g.aspect_min = g.aspect_max = 1.0;
    const auto images = blob(600);
    auto gen = seeded(9);
    const auto m = moments(ImageTransforms(lerobot_off(), g)(images, gen));
    const double bound = 0.04 * 64;  // 2.56 px
    for (const auto* c : {&m.cx, &m.cy}) {
        EXPECT_LE(c->abs().max().item<double>(), bound + 0.05);
        EXPECT_GT(c->abs().max().item<double>(), 0.9 * bound);  // the whole range is used
        EXPECT_NEAR(c->mean().item<double>(), 0.0, 0.1);
    }
    // The blob only moved: its size is unchanged.
    EXPECT_LE(max_abs_diff(m.sx, torch::full_like(m.sx, 4.0)), 0.05);
}

TEST(ImageTransformsGeometric, CropAreaAndAspectStayWithinTheirBounds) {
    GeometricAugmentConfig g = geometry_only();
    g.translate = 0.0;
    const auto images = blob(600);
    auto gen = seeded(10);
    const auto m = moments(ImageTransforms(lerobot_off(), g)(images, gen));
    const auto before = moments(images);
    // A crop of width fraction s magnifies the content by 1 / s.
    const auto scale_x = before.sx[0] / m.sx;
    const auto scale_y = before.sy[0] / m.sy;
    const auto area = scale_x * scale_y;
    const auto aspect = scale_x / scale_y;
    EXPECT_GE(area.min().item<double>(), 0.75 - 0.01);
    EXPECT_LE(area.max().item<double>(), 1.0 + 0.01);
    EXPECT_LT(area.min().item<double>(), 0.78);
    EXPECT_GE(aspect.min().item<double>(), 0.9 - 0.01);
    EXPECT_LE(aspect.max().item<double>(), 1.1 + 0.01);
    EXPECT_LT(aspect.min().item<double>(), 0.93);
    EXPECT_GT(aspect.max().item<double>(), 1.07);
    // The crop lies inside the image: the centre moves by at most (1 - s) / 2 of the width,
    // magnified by 1 / s.
    const auto limit_x = (1.0 - scale_x) / 2.0 * 64.0 / scale_x;
    EXPECT_TRUE((m.cx.abs() <= limit_x + 0.05).all().item<bool>());
    EXPECT_GT(m.cx.abs().max().item<double>(), 2.0);  // crops do move off centre
}

TEST(ImageTransformsGeometric, ColourPartStaysInItsRanges) {
    GeometricAugmentConfig g;
    g.enable = true;
    g.crop_area_min = g.crop_area_max = 1.0;
    g.aspect_min = g.aspect_max = 1.0;
    g.translate = 0.0;
    g.brightness = g.contrast = g.saturation = 0.0;  // gain only
    const auto images = torch::full({3000, 3, 4, 4}, 0.5f);
    auto gen = seeded(4);
    const auto out = ImageTransforms(lerobot_off(), g)(images, gen);
    EXPECT_GE(out.min().item<double>(), 0.45 - 1e-6);
    EXPECT_LE(out.max().item<double>(), 0.55 + 1e-6);
    EXPECT_LT(out.min().item<double>(), 0.452);
    // Per channel: the three channels of a sample get different gains.
    EXPECT_GT(max_abs_diff(out.select(1, 0), out.select(1, 1)), 0.05);
    // Brightness ±30% on the same grey: factors within [0.7, 1.3].
    g.gain = 0.0;
    g.brightness = 0.3;
    const auto bright = ImageTransforms(lerobot_off(), g)(images, gen);
    EXPECT_GE(bright.min().item<double>(), 0.35 - 1e-6);
    EXPECT_LE(bright.max().item<double>(), 0.65 + 1e-6);
    EXPECT_LT(bright.min().item<double>(), 0.36);
}

}  // namespace
}  // namespace rcls::model
