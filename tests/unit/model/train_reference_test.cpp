// SPDX-License-Identifier: MIT
//
// tests/reference/lerobot_train_reference.py (the PyTorch baseline of scripts/bench_train.sh) is
// the same network as rcls's Classifier: it loads a checkpoint rcls writes, strictly, and gives
// the same logits on the same input.
#include <cmath>
#include <cstdio>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/types.h>
#include <torch/utils.h>

#include "rcls/model/checkpoint.hpp"
#include "rcls/model/classifier.hpp"
#include "rcls/model/weights.hpp"
#include "rcls/safetensors/safetensors.hpp"

#include "prerequisite.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"

namespace rcls::model {
namespace {

TEST(TrainReference, LoadsRclsCheckpointAndGivesTheSameLogits) {
    const testing::ProcessResult probe = testing::run_process(
        {RCLS_PYTHON3, "-c", "import torch, numpy"}, std::chrono::seconds(120));
    if (probe.exit_code != 0) {
        RCLS_PREREQUISITE_MISSING()
            << RCLS_PYTHON3 << " with torch and numpy is needed "
            << "(scripts/install_deps.sh installs python3-torch): " << probe.err;
    }
    testing::TempDir dir;
    ClassifierConfig config;
    config.input_features = {{"observation.images.front", {"VISUAL", {3, 128, 128}}},
                             {"observation.images.side", {"VISUAL", {3, 128, 128}}}};
    config.num_cameras = 2;
    torch::manual_seed(5);
    Classifier model(config);
    {
        // Non-default norm affines so those paths count.
        const torch::NoGradGuard no_grad;
        for (auto& [name, p] : model->unique_named_parameters()) {
            if (p.dim() == 1) p.add_(0.1 * torch::randn_like(p));
        }
    }
    const auto pretrained = dir / "pretrained_model";
    save_pretrained(pretrained, model, imagenet_norm_stats(config));

    const std::int64_t batch = 3;
    safetensors::Writer inputs;
    std::vector<torch::Tensor> normalised;
    const auto mean = torch::tensor({0.485f, 0.456f, 0.406f}).view({1, 3, 1, 1});
    const auto std = torch::tensor({0.229f, 0.224f, 0.225f}).view({1, 3, 1, 1});
    for (const std::string& key : config.image_keys()) {
        const auto u8 = torch::randint(0, 256, {batch, 3, 128, 128}, torch::kUInt8);
        inputs.add(key, safetensors::Dtype::kU8, {batch, 3, 128, 128},
                   std::string(reinterpret_cast<const char*>(u8.data_ptr<std::uint8_t>()),
                               static_cast<std::size_t>(u8.numel())));
        normalised.push_back((u8.to(torch::kFloat32) / 255.0 - mean) / (std + 1e-8));
    }
    inputs.save(dir / "inputs.safetensors");

    const testing::ProcessResult r = testing::run_process(
        {RCLS_PYTHON3,
         (testing::source_dir() / "tests/reference/lerobot_train_reference.py").string(),
         "--logits", pretrained.string(), (dir / "inputs.safetensors").string()},
        std::chrono::seconds(300));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto reference = nlohmann::json::parse(r.out)["logits"];

    model->eval();
    const torch::NoGradGuard no_grad;
    const auto mine = model->forward(normalised);
    ASSERT_EQ(static_cast<std::int64_t>(reference.size()), batch);
    double max_difference = 0.0;
    for (std::int64_t i = 0; i < batch; ++i) {
        max_difference =
            std::max(max_difference, std::abs(mine[i].item<double>() - reference[i].get<double>()));
    }
    std::printf("logit[0] = %.6f, max |logit - lerobot_train_reference| = %.3g\n",
                mine[0].item<double>(), max_difference);
    EXPECT_LE(max_difference, 1e-4);
}

}  // namespace
}  // namespace rcls::model
