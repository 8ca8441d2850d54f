// SPDX-License-Identifier: MIT
//
// LeRobot's reward classifier in libtorch (lerobot_formats.md §1.3–§1.6, §2): the
// helper2424/resnet10 encoder shared by every camera, then per camera SpatialLearnedEmbeddings ->
// Dropout -> Linear -> LayerNorm -> Tanh, the camera embeddings concatenated in input_features
// order, and the classifier head Linear -> Dropout -> LayerNorm -> ReLU -> Linear. Module and
// parameter names are LeRobot's, so named_parameters() gives LeRobot's state_dict keys
// ("encoder.embedder.0.weight", "encoders.observation_images_front.1.kernel",
// "classifier_head.4.bias", ...).
//
// This header includes libtorch: only the model, train and eval modules may include it. Code
// without torch uses rcls/model/predictor.hpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/moduledict.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "rcls/model/classifier_config.hpp"
#include "rcls/model/dropout.hpp"

namespace rcls::model {

/// helper2424/resnet10's MyGroupNorm: a GroupNorm(4 groups, eps 1e-5) registered as `group_norm`.
class GroupNormJaxImpl : public torch::nn::Module {
public:
    /// A GroupNorm over `channels` channels (a multiple of 4).
    explicit GroupNormJaxImpl(std::int64_t channels);
    /// group_norm(x), x: [B, C, H, W].
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::GroupNorm group_norm{nullptr};  ///< The wrapped module (LeRobot's key name).
};
TORCH_MODULE(GroupNormJax);

/// helper2424/resnet10's Conv2dJax: a bias-free Conv2d (registered as `conv`) with JAX "SAME"
/// padding: pad = max(0, (ceil(H/s) - 1)·s + k - H), split pad/2 before and the rest after
/// (3x3 stride 2 on an even size pads 0 before and 1 after).
class ConvSameImpl : public torch::nn::Module {
public:
    /// A `kernel` x `kernel` convolution with this stride, no bias.
    ConvSameImpl(std::int64_t in_channels,
                 std::int64_t out_channels,
                 std::int64_t kernel,
                 std::int64_t stride);
    /// conv(pad(x)) with the SAME padding for x's size.
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::Conv2d conv{nullptr};  ///< Unpadded; LeRobot's key name.
    std::int64_t kernel = 3;          ///< Kernel size (square).
    std::int64_t stride = 1;          ///< Stride (both directions).
};
TORCH_MODULE(ConvSame);

/// One ResNet BasicBlock: conv1 -> norm1 -> ReLU -> conv2 -> norm2, plus the input (through a 1x1
/// conv + GroupNorm `shortcut` when the channel count changes), then ReLU.
class BasicBlockImpl : public torch::nn::Module {
public:
    /// conv1 has `stride`; the shortcut exists when in_channels != out_channels.
    BasicBlockImpl(std::int64_t in_channels, std::int64_t out_channels, std::int64_t stride);
    /// The block in plain libtorch ops.
    torch::Tensor forward(const torch::Tensor& x);
    ConvSame conv1{nullptr};                  ///< 3x3, the block's stride.
    GroupNormJax norm1{nullptr};              ///< After conv1, then ReLU.
    ConvSame conv2{nullptr};                  ///< 3x3, stride 1.
    GroupNormJax norm2{nullptr};              ///< After conv2, before the residual add.
    torch::nn::Sequential shortcut{nullptr};  ///< Null when in == out channels.
    ConvSame shortcut_conv{nullptr};          ///< shortcut[0], or null.
    GroupNormJax shortcut_norm{nullptr};      ///< shortcut[1], or null.
};
TORCH_MODULE(BasicBlock);

/// The helper2424/resnet10 encoder: 7x7/2 stem (pad 3), GroupNorm, ReLU, 3x3/2 JAX-SAME max pool,
/// then BasicBlocks of 64, 128, 256 and 512 channels (strides 1, 2, 2, 2). Input: normalised
/// RGB [B, 3, H, W]; output [B, 512, ceil(H/32), ceil(W/32)] (4x4 for 97..128 px). No biases and
/// no buffers; 4,905,792 parameters in 36 tensors. forward() is plain libtorch whatever the grad
/// mode; FastResNet10 (rcls/model/fast_classifier.hpp) is the fast inference path over the same
/// weights.
class ResNet10Impl : public torch::nn::Module {
public:
    /// Random weights (PyTorch's default initialisation); see load_encoder_weights.
    ResNet10Impl();

    /// The encoder output, in plain libtorch ops in NCHW (F::pad + conv2d + group_norm).
    torch::Tensor forward(const torch::Tensor& x);

    torch::nn::Sequential embedder{nullptr};  ///< 0: Conv2d, 1: GroupNormJax, 2: ReLU, 3: max pool.
    torch::nn::Conv2d stem_conv{nullptr};     ///< embedder[0]: 7x7, stride 2, padding 3.
    GroupNormJax stem_norm{nullptr};          ///< embedder[1].
    std::vector<BasicBlock> stages;           ///< Registered as encoder.stages.0 .. 3.
};
TORCH_MODULE(ResNet10);

/// LeRobot's SpatialLearnedEmbeddings: out[b, c·F + f] = Σ_{h,w} x[b, c, h, w] · kernel[c, h, w,
/// f].
class SpatialLearnedEmbeddingsImpl : public torch::nn::Module {
public:
    /// A kernel for [B, channels, height, width] inputs and `num_features` outputs per channel.
    SpatialLearnedEmbeddingsImpl(std::int64_t channels,
                                 std::int64_t height,
                                 std::int64_t width,
                                 std::int64_t num_features);
    /// [B, C, H, W] -> [B, C·F].
    torch::Tensor forward(const torch::Tensor& x);
    torch::Tensor kernel;  ///< [C, H, W, F], kaiming-normal (fan_in = H·W·F) at construction.
};
TORCH_MODULE(SpatialLearnedEmbeddings);

/// What Classifier::predict returns.
struct ClassifierOutput {
    torch::Tensor logits;         ///< [B] for a binary classifier, [B, num_classes] otherwise.
    torch::Tensor probabilities;  ///< sigmoid(logits), or softmax over classes.
    torch::Tensor
        hidden_states;  ///< The concatenated camera embeddings, [B, latent_dim · cameras].
};

/// LeRobot's Classifier. Weights start random (PyTorch's default initialisation); load the
/// encoder (load_encoder_weights) or a whole checkpoint (load_pretrained) into it. The shared
/// encoder is frozen (requires_grad false), as in LeRobot.
class ClassifierImpl : public torch::nn::Module {
public:
    /// The network `config` describes (validated; ModelError when it cannot be built).
    explicit ClassifierImpl(const ClassifierConfig& config);

    /// Logits for one normalised image batch [B, 3, H, W] per camera, in camera order. As in
    /// LeRobot, each camera's encoder (ResNet10 up to the Tanh) runs without gradients: only the
    /// classifier head trains. Dropout is active in train() mode.
    ClassifierOutput predict(const std::vector<torch::Tensor>& images);

    /// predict(images).logits.
    torch::Tensor forward(const std::vector<torch::Tensor>& images);

    /// One camera's embedding [B, latent_dim] (under no-grad, as in LeRobot).
    torch::Tensor encode_camera(std::size_t camera, const torch::Tensor& image);

    /// The logits' final shape and the probabilities, as predict() returns them, from the
    /// concatenated camera embeddings and the head's raw output [B, num_logits].
    ClassifierOutput output(torch::Tensor hidden_states, torch::Tensor head_logits) const;

    /// Parameters without aliases, in LeRobot's parameters() order: the 36 encoder tensors, then
    /// 5 per camera, then the 6 head tensors. Optimizer state indices refer to this order.
    std::vector<torch::Tensor> unique_parameters() const;

    /// The same, with LeRobot's names.
    std::vector<std::pair<std::string, torch::Tensor>> unique_named_parameters() const;

    /// The config the network was built from.
    const ClassifierConfig& config() const { return config_; }

    /// One camera's modules after the shared encoder (encoders.<key>.1 to .4; the Tanh follows).
    struct CameraHead {
        SpatialLearnedEmbeddings spatial{nullptr};
        Dropout dropout{nullptr};
        torch::nn::Linear linear{nullptr};
        torch::nn::LayerNorm norm{nullptr};
    };
    /// The classifier head's modules (classifier_head.0, .1, .2, .4; the ReLU is .3).
    struct Head {
        torch::nn::Linear in{nullptr};
        Dropout dropout{nullptr};
        torch::nn::LayerNorm norm{nullptr};
        torch::nn::Linear out{nullptr};
    };
    /// The number of cameras, and their modules (handles sharing the modules, for FastClassifier).
    std::size_t num_camera_heads() const { return cameras_.size(); }
    CameraHead camera_head(std::size_t camera) const { return cameras_.at(camera); }
    Head head() const { return head_; }

    ResNet10 encoder{nullptr};                       ///< Shared by all cameras; frozen.
    torch::nn::ModuleDict encoders{nullptr};         ///< Per camera (module_key): encoder, 1..5.
    torch::nn::Sequential classifier_head{nullptr};  ///< Linear, Dropout, LayerNorm, ReLU, Linear.

private:
    ClassifierConfig config_;
    std::vector<CameraHead> cameras_;
    Head head_;
};
TORCH_MODULE(Classifier);

/// Sets libtorch's intra-op thread count (0: one per core) and keeps OpenBLAS single-threaded:
/// Debian's libtorch calls OpenBLAS (pthreads) from inside its OpenMP threads, and the two thread
/// pools oversubscribing the cores make a forward pass up to 50x slower.
void set_num_threads(int threads);

}  // namespace rcls::model
