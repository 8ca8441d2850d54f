// SPDX-License-Identifier: MIT
//
// The classifier's structure against LeRobot's (names, shapes, counts and order from
// lerobot_formats.md §1.8 and §2.4), its two forward paths against each other, and the whole
// inference path against an independent PyTorch reference
// (tests/reference/classifier_reference.py).
#include "rcls/model/classifier.hpp"

#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <torch/types.h>
#include <torch/utils.h>

#include "rcls/model/checkpoint.hpp"
#include "rcls/model/fast_classifier.hpp"
#include "rcls/model/predictor.hpp"
#include "rcls/model/weights.hpp"
#include "rcls/safetensors/safetensors.hpp"

#include "prerequisite.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"

namespace rcls::model {
namespace {

using testing::TempDir;

ClassifierConfig two_camera_config(std::int64_t size = 128) {
    ClassifierConfig config;
    config.input_features = {{"observation.images.front", {"VISUAL", {3, size, size}}},
                             {"observation.images.side", {"VISUAL", {3, size, size}}}};
    config.num_cameras = 2;
    return config;
}

// helper2424/resnet10's tensors (§2.4), without the "encoder." prefix the classifier adds.
const std::vector<std::pair<std::string, std::vector<std::int64_t>>> kResNet10Tensors = {
    {"embedder.0.weight", {64, 3, 7, 7}},
    {"embedder.1.group_norm.weight", {64}},
    {"embedder.1.group_norm.bias", {64}},
    {"encoder.stages.0.conv1.conv.weight", {64, 64, 3, 3}},
    {"encoder.stages.0.norm1.group_norm.weight", {64}},
    {"encoder.stages.0.norm1.group_norm.bias", {64}},
    {"encoder.stages.0.conv2.conv.weight", {64, 64, 3, 3}},
    {"encoder.stages.0.norm2.group_norm.weight", {64}},
    {"encoder.stages.0.norm2.group_norm.bias", {64}},
    {"encoder.stages.1.conv1.conv.weight", {128, 64, 3, 3}},
    {"encoder.stages.1.norm1.group_norm.weight", {128}},
    {"encoder.stages.1.norm1.group_norm.bias", {128}},
    {"encoder.stages.1.conv2.conv.weight", {128, 128, 3, 3}},
    {"encoder.stages.1.norm2.group_norm.weight", {128}},
    {"encoder.stages.1.norm2.group_norm.bias", {128}},
    {"encoder.stages.1.shortcut.0.conv.weight", {128, 64, 1, 1}},
    {"encoder.stages.1.shortcut.1.group_norm.weight", {128}},
    {"encoder.stages.1.shortcut.1.group_norm.bias", {128}},
    {"encoder.stages.2.conv1.conv.weight", {256, 128, 3, 3}},
    {"encoder.stages.2.norm1.group_norm.weight", {256}},
    {"encoder.stages.2.norm1.group_norm.bias", {256}},
    {"encoder.stages.2.conv2.conv.weight", {256, 256, 3, 3}},
    {"encoder.stages.2.norm2.group_norm.weight", {256}},
    {"encoder.stages.2.norm2.group_norm.bias", {256}},
    {"encoder.stages.2.shortcut.0.conv.weight", {256, 128, 1, 1}},
    {"encoder.stages.2.shortcut.1.group_norm.weight", {256}},
    {"encoder.stages.2.shortcut.1.group_norm.bias", {256}},
    {"encoder.stages.3.conv1.conv.weight", {512, 256, 3, 3}},
    {"encoder.stages.3.norm1.group_norm.weight", {512}},
    {"encoder.stages.3.norm1.group_norm.bias", {512}},
    {"encoder.stages.3.conv2.conv.weight", {512, 512, 3, 3}},
    {"encoder.stages.3.norm2.group_norm.weight", {512}},
    {"encoder.stages.3.norm2.group_norm.bias", {512}},
    {"encoder.stages.3.shortcut.0.conv.weight", {512, 256, 1, 1}},
    {"encoder.stages.3.shortcut.1.group_norm.weight", {512}},
    {"encoder.stages.3.shortcut.1.group_norm.bias", {512}},
};

/// Gives every parameter a seeded random value, GroupNorm/LayerNorm affines included (their
/// defaults of 1 and 0 would leave those code paths untested).
void randomize(Classifier& model, std::uint64_t seed) {
    torch::manual_seed(seed);
    const torch::NoGradGuard no_grad;
    for (auto& [name, p] : model->unique_named_parameters()) {
        if (p.dim() == 1) {
            p.copy_(name.ends_with("weight") ? 1.0 + 0.2 * torch::randn_like(p)
                                             : 0.1 * torch::randn_like(p));
        } else if (p.dim() == 4 && name.find("kernel") == std::string::npos) {
            p.copy_(torch::randn_like(p) * std::sqrt(2.0 / static_cast<double>(p[0].numel())));
        }
    }
}

TEST(Classifier, StateDictKeysAndShapesAreLeRobots) {
    Classifier model(two_camera_config());
    std::vector<std::pair<std::string, std::vector<std::int64_t>>> expected;
    for (const auto& [name, shape] : kResNet10Tensors)
        expected.emplace_back("encoder." + name, shape);
    for (const std::string camera : {"observation_images_front", "observation_images_side"}) {
        for (const auto& [name, shape] : kResNet10Tensors) {
            expected.emplace_back("encoders." + camera + ".0." + name, shape);
        }
        expected.push_back({"encoders." + camera + ".1.kernel", {512, 4, 4, 8}});
        expected.push_back({"encoders." + camera + ".3.weight", {256, 4096}});
        expected.push_back({"encoders." + camera + ".3.bias", {256}});
        expected.push_back({"encoders." + camera + ".4.weight", {256}});
        expected.push_back({"encoders." + camera + ".4.bias", {256}});
    }
    expected.push_back({"classifier_head.0.weight", {256, 512}});
    expected.push_back({"classifier_head.0.bias", {256}});
    expected.push_back({"classifier_head.2.weight", {256}});
    expected.push_back({"classifier_head.2.bias", {256}});
    expected.push_back({"classifier_head.4.weight", {1, 256}});
    expected.push_back({"classifier_head.4.bias", {1}});

    std::vector<std::pair<std::string, std::vector<std::int64_t>>> actual;
    for (const auto& item : model->named_parameters())
        actual.emplace_back(item.key(), item.value().sizes().vec());
    EXPECT_EQ(actual, expected);
    EXPECT_TRUE(model->named_buffers().is_empty());
}

TEST(Classifier, EncoderHasTheDocumentedParameterCounts) {
    ResNet10 net;
    std::int64_t total = 0;
    for (const torch::Tensor& p : net->parameters())
        total += p.numel();
    EXPECT_EQ(total, 4'905'792);
    EXPECT_EQ(net->parameters().size(), 36u);
    std::int64_t stage0 = 0;
    for (const torch::Tensor& p : net->stages[0]->parameters())
        stage0 += p.numel();
    EXPECT_EQ(stage0, 73'984);
}

TEST(Classifier, UniqueParametersFollowLeRobotsOrder) {
    Classifier model(two_camera_config());
    const auto named = model->unique_named_parameters();
    ASSERT_EQ(named.size(), 52u);  // 36 + 5 per camera + 6: the head is at 46..51
    EXPECT_EQ(named[0].first, "encoder.embedder.0.weight");
    EXPECT_EQ(named[35].first, "encoder.encoder.stages.3.shortcut.1.group_norm.bias");
    EXPECT_EQ(named[36].first, "encoders.observation_images_front.1.kernel");
    EXPECT_EQ(named[41].first, "encoders.observation_images_side.1.kernel");
    EXPECT_EQ(named[46].first, "classifier_head.0.weight");
    EXPECT_EQ(named[51].first, "classifier_head.4.bias");
}

TEST(Classifier, SpatialLearnedEmbeddingsSumsOverPositions) {
    // out[b, c*F + f] = sum_{h,w} x[b,c,h,w] * kernel[c,h,w,f], worked out by hand for C=2, H=2,
    // W=1, F=2: x = [[1, 2], [3, 4]] per channel, kernel[c][h][0] = {c+h+1, 10*(c+h+1)}.
    SpatialLearnedEmbeddings layer(2, 2, 1, 2);
    {
        const torch::NoGradGuard no_grad;
        layer->kernel.copy_(
            torch::tensor({1.0f, 10.0f, 2.0f, 20.0f, 2.0f, 20.0f, 3.0f, 30.0f}).view({2, 2, 1, 2}));
    }
    const torch::Tensor x = torch::tensor({1.0f, 2.0f, 3.0f, 4.0f}).view({1, 2, 2, 1});
    // c=0: 1*1 + 2*2 = 5, 1*10 + 2*20 = 50; c=1: 3*2 + 4*3 = 18, 3*20 + 4*30 = 180.
    EXPECT_TRUE(torch::equal(layer->forward(x), torch::tensor({{5.0f, 50.0f, 18.0f, 180.0f}})));
}

TEST(Classifier, SpatialKernelInitialisationUsesFanInHWF) {
    torch::manual_seed(3);
    SpatialLearnedEmbeddings layer(512, 4, 4, 8);
    // kaiming_normal_(mode fan_in, nonlinearity linear) with fan_in = 4*4*8: std = 1/sqrt(128).
    EXPECT_NEAR(layer->kernel.std().item<double>(), 1.0 / std::sqrt(128.0), 0.002);
}

TEST(Classifier, EncoderOutputIs4x4For97To128Pixels) {
    ResNet10 net;
    const torch::NoGradGuard no_grad;
    for (const std::int64_t size : {97, 100, 113, 128}) {
        EXPECT_EQ(net->forward(torch::rand({1, 3, size, size})).sizes().vec(),
                  (std::vector<std::int64_t>{1, 512, 4, 4}))
            << size;
    }
    EXPECT_EQ(net->forward(torch::rand({1, 3, 96, 96})).sizes().vec(),
              (std::vector<std::int64_t>{1, 512, 3, 3}));
}

TEST(Classifier, OptimisedPathMatchesPlainPath) {
    Classifier model(two_camera_config());
    randomize(model, 11);
    FastResNet10 fast_encoder(model->encoder);
    const torch::NoGradGuard no_grad;
    for (const std::int64_t size :
         {128, 127, 112, 97}) {  // even and odd sizes: asymmetric and symmetric SAME pads
        for (const std::int64_t batch : {1, 3}) {
            const torch::Tensor x = torch::randn({batch, 3, size, size});
            const torch::Tensor plain = model->encoder->forward(x);
            const torch::Tensor fast = fast_encoder.forward(x);
            const double scale = plain.abs().max().item<double>();
            EXPECT_LT((plain - fast).abs().max().item<double>(), 1e-5 * std::max(1.0, scale))
                << size << " " << batch;
        }
    }
}

TEST(Classifier, OptimisedPathFollowsWeightChanges) {
    ResNet10 net;
    FastResNet10 fast(net);
    const torch::NoGradGuard no_grad;
    const torch::Tensor x = torch::randn({1, 3, 128, 128});
    const torch::Tensor before = fast.forward(x);
    net->stages[3]->conv2->conv->weight.mul_(
        2.0);  // in place: the packed weights must be refreshed
    const torch::Tensor after = fast.forward(x);
    EXPECT_FALSE(torch::allclose(before, after));
    EXPECT_TRUE(torch::allclose(after, net->forward(x), 1e-4, 1e-4));
}

TEST(Classifier, FastClassifierMatchesPredict) {
    // The whole inference pass, single frames (matrix-vector products) and batches.
    Classifier model(two_camera_config());
    randomize(model, 12);
    model->eval();
    FastClassifier fast(model);
    const torch::NoGradGuard no_grad;
    for (const std::int64_t batch : {1, 4}) {
        const std::vector<torch::Tensor> images = {torch::randn({batch, 3, 128, 128}),
                                                   torch::randn({batch, 3, 128, 128})};
        const ClassifierOutput plain = model->predict(images);
        const ClassifierOutput optimised = fast.predict(images);
        ASSERT_EQ(optimised.logits.sizes(), plain.logits.sizes()) << batch;
        EXPECT_TRUE(torch::allclose(optimised.logits, plain.logits, 1e-4, 1e-4)) << batch;
        EXPECT_TRUE(torch::allclose(optimised.probabilities, plain.probabilities, 1e-5, 1e-5));
        EXPECT_TRUE(torch::allclose(optimised.hidden_states, plain.hidden_states, 1e-4, 1e-4));
    }
    EXPECT_THROW(fast.predict({torch::randn({1, 3, 128, 128})}), std::invalid_argument);
}

TEST(Classifier, ForwardIsThePlainPathWhateverTheGradMode) {
    // Training differentiates forward(); inference without gradients must not change its numbers.
    ResNet10 net;
    const torch::Tensor x = torch::randn({2, 3, 97, 97});
    const torch::Tensor with_grad = net->forward(x);
    torch::Tensor without_grad;
    {
        const torch::InferenceMode inference;
        without_grad = net->forward(x);
    }
    EXPECT_TRUE(torch::equal(with_grad.detach(), without_grad));
}

TEST(Classifier, GradientsFlowOnlyIntoTheHead) {
    // LeRobot runs each camera's encoder under no_grad: only classifier_head trains (§1.6).
    Classifier model(two_camera_config(97));
    model->train();
    const torch::Tensor loss =
        model->forward({torch::randn({2, 3, 97, 97}), torch::randn({2, 3, 97, 97})}).sum();
    loss.backward();
    for (const auto& [name, p] : model->unique_named_parameters()) {
        EXPECT_EQ(p.grad().defined(), name.rfind("classifier_head.", 0) == 0) << name;
    }
}

// ---- against the independent reference
// -----------------------------------------------------------

std::filesystem::path reference_python() {
    return RCLS_PYTHON3;
}

bool reference_available(std::string* why) {
    const testing::ProcessResult r = testing::run_process(
        {reference_python().string(), "-c", "import torch"}, std::chrono::seconds(120));
    if (r.exit_code != 0) *why = reference_python().string() + " cannot import torch: " + r.err;
    return r.exit_code == 0;
}

TEST(Classifier, MatchesTheIndependentPyTorchReference) {
    std::string why;
    if (!reference_available(&why)) {
        RCLS_PREREQUISITE_MISSING()
            << "python3-torch is needed (scripts/install_deps.sh installs it): " << why;
    }
    TempDir dir;
    struct Case {
        ClassifierConfig config;
        int batch;
    };
    ClassifierConfig one = ClassifierConfig{};
    one.input_features = {{"observation.image", {"VISUAL", {3, 113, 113}}}};
    one.hidden_dim = 64;
    one.latent_dim = 32;
    one.image_embedding_pooling_dim = 4;
    const std::vector<Case> cases = {{two_camera_config(), 2}, {one, 3}};

    double max_difference = 0.0;
    for (std::size_t c = 0; c < cases.size(); ++c) {
        const ClassifierConfig& config = cases[c].config;
        Classifier model(config);
        randomize(model, 100 + c);
        NormStats stats;
        for (const std::string& key : config.image_keys()) {
            stats.emplace_back(key, ImageStats{{0.5f, 0.4f, 0.3f}, {0.2f, 0.25f, 0.3f}});
        }
        const std::filesystem::path pretrained =
            dir / ("case" + std::to_string(c)) / kPretrainedModelDir;
        save_pretrained(pretrained, model, stats);

        // Random BGR frames; the reference gets the same pixels as RGB [B, 3, H, W] uint8.
        std::mt19937 rng(7 + static_cast<unsigned>(c));
        const int batch = cases[c].batch;
        const int size = static_cast<int>(config.input_features[0].second.shape[1]);
        std::vector<std::vector<cv::Mat>> frames(batch);
        safetensors::Writer inputs;
        for (const std::string& key : config.image_keys()) {
            std::string chw(static_cast<std::size_t>(batch) * 3 * size * size, '\0');
            for (int b = 0; b < batch; ++b) {
                cv::Mat frame(size, size, CV_8UC3);
                for (int y = 0; y < size; ++y) {
                    for (int x = 0; x < size; ++x) {
                        const cv::Vec3b bgr(static_cast<uchar>(rng()), static_cast<uchar>(rng()),
                                            static_cast<uchar>(rng()));
                        frame.at<cv::Vec3b>(y, x) = bgr;
                        for (int ch = 0; ch < 3; ++ch) {
                            chw[((static_cast<std::size_t>(b) * 3 + ch) * size + y) * size + x] =
                                static_cast<char>(bgr[2 - ch]);
                        }
                    }
                }
                frames[b].push_back(frame);
            }
            inputs.add(key, safetensors::Dtype::kU8, {batch, 3, size, size}, chw);
        }
        inputs.save(dir / ("inputs" + std::to_string(c) + ".safetensors"));

        const testing::ProcessResult r = testing::run_process(
            {reference_python().string(),
             (testing::source_dir() / "tests/reference/classifier_reference.py").string(),
             pretrained.string(), (dir / ("inputs" + std::to_string(c) + ".safetensors")).string()},
            std::chrono::seconds(300));
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const nlohmann::json reference = nlohmann::json::parse(r.out);

        for (const bool optimized : {true, false}) {
            Predictor predictor(pretrained,
                                {.threshold = 0.5, .num_threads = 0, .optimized = optimized});
            const std::vector<Prediction> predictions = predictor.predict_batch(frames);
            ASSERT_EQ(predictions.size(), reference["logits"].size());
            for (std::size_t i = 0; i < predictions.size(); ++i) {
                const double expected = reference["logits"][i].get<double>();
                const double difference = std::abs(predictions[i].logit - expected);
                max_difference = std::max(max_difference, difference);
                EXPECT_LE(difference, 1e-4)
                    << "case " << c << " frame " << i << " optimized " << optimized;
                EXPECT_NEAR(predictions[i].probability, reference["probabilities"][i].get<double>(),
                            1e-5);
            }
        }
    }
    RecordProperty("max_logit_difference", std::to_string(max_difference));
    std::printf("max |logit - reference| = %.3g\n", max_difference);
}

}  // namespace
}  // namespace rcls::model
