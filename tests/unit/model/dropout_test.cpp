// SPDX-License-Identifier: MIT
//
// rcls::model::Dropout against torch::nn::Dropout's semantics: the kept fraction, the scale,
// identity when not training, the gradient, and the mask's dependence on the generator's state
// alone (same seed, same masks, any thread count).
#include "rcls/model/dropout.hpp"

#include <cmath>

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

namespace rcls::model {
namespace {

torch::Tensor ramp(std::int64_t rows, std::int64_t cols) {
    return torch::arange(1, rows * cols + 1, torch::kFloat32).view({rows, cols}) / 1000.0;
}

TEST(Dropout, KeepsOneMinusPOfTheElementsScaledByItsInverse) {
    torch::manual_seed(7);
    const double p = 0.2;
    const torch::Tensor x = ramp(256, 4096);  // 1M elements: the kept fraction within 0.2%
    const torch::Tensor y = fast_dropout(x, p, true);
    const torch::Tensor kept = y != 0;
    const double fraction = kept.to(torch::kFloat64).mean().item<double>();
    EXPECT_NEAR(fraction, 1.0 - p, 0.002);
    const float scale = 1.0f / static_cast<float>(1.0 - p);
    EXPECT_TRUE(torch::equal(y.masked_select(kept), x.masked_select(kept) * scale));
    // Neighbours are independent: both kept with probability (1 - p)^2.
    const torch::Tensor flat = kept.flatten().to(torch::kFloat64);
    const double both = (flat.slice(0, 0, -1) * flat.slice(0, 1)).mean().item<double>();
    EXPECT_NEAR(both, (1.0 - p) * (1.0 - p), 0.003);
    // Every part of the tensor sees the same rate (no drift with the element's index).
    for (std::int64_t part = 0; part < 8; ++part) {
        const double f =
            kept.slice(0, part * 32, (part + 1) * 32).to(torch::kFloat64).mean().item<double>();
        EXPECT_NEAR(f, 1.0 - p, 0.006) << "rows " << part * 32;
    }
}

TEST(Dropout, ConsecutiveCallsDrawDifferentMasks) {
    torch::manual_seed(1);
    const torch::Tensor x = torch::ones({64, 1024});
    const torch::Tensor a = fast_dropout(x, 0.5, true) != 0;
    const torch::Tensor b = fast_dropout(x, 0.5, true) != 0;
    const double agree = (a == b).to(torch::kFloat64).mean().item<double>();
    EXPECT_NEAR(agree, 0.5, 0.01);
}

TEST(Dropout, TheSameSeedGivesTheSameMasksWhateverTheThreadCount) {
    const int threads = at::get_num_threads();
    const torch::Tensor x = ramp(64, 4096);
    at::set_num_threads(1);
    torch::manual_seed(42);
    const torch::Tensor one = fast_dropout(x, 0.2, true);
    at::set_num_threads(2);
    torch::manual_seed(42);
    const torch::Tensor two = fast_dropout(x, 0.2, true);
    at::set_num_threads(threads);
    EXPECT_TRUE(torch::equal(one, two));
    torch::manual_seed(43);
    EXPECT_FALSE(torch::equal(one, fast_dropout(x, 0.2, true)));
}

TEST(Dropout, IdentityWhenNotTrainingOrPIsZeroAndZerosWhenPIsOne) {
    const torch::Tensor x = ramp(8, 16);
    EXPECT_TRUE(torch::equal(fast_dropout(x, 0.2, false), x));
    EXPECT_TRUE(torch::equal(fast_dropout(x, 0.0, true), x));
    EXPECT_TRUE(torch::equal(fast_dropout(x, 1.0, true), torch::zeros_like(x)));

    Dropout module(0.2);
    module->eval();
    EXPECT_TRUE(torch::equal(module->forward(x), x));
    module->train();
    EXPECT_FALSE(torch::equal(module->forward(x), x));
    EXPECT_THROW(Dropout(1.5), std::invalid_argument);
}

TEST(Dropout, TheGradientIsTheMask) {
    torch::manual_seed(3);
    const torch::Tensor x = ramp(16, 512).requires_grad_(true);
    const torch::Tensor y = fast_dropout(x, 0.3, true);
    y.sum().backward();
    const torch::Tensor kept = (y != 0).detach();
    const float scale = 1.0f / static_cast<float>(1.0 - 0.3);
    EXPECT_TRUE(torch::equal(x.grad(), kept.to(torch::kFloat32) * scale));
    // Without gradients the same key gives the same mask.
    torch::manual_seed(3);
    torch::Tensor plain;
    {
        const torch::NoGradGuard no_grad;
        plain = fast_dropout(x.detach(), 0.3, true);
    }
    EXPECT_TRUE(torch::equal(plain, y.detach()));
}

}  // namespace
}  // namespace rcls::model
