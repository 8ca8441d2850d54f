// SPDX-License-Identifier: MIT
#include "rcls/model/classifier.hpp"

#include <dlfcn.h>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <unordered_set>

#include <torch/nn/functional/padding.h>
#include <torch/nn/functional/pooling.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/types.h>
#include <torch/utils.h>

#include "rcls/core/parallel.hpp"

#include "same_padding.hpp"

namespace rcls::model {
namespace {

namespace F = torch::nn::functional;
using detail::same_pads;

void keep_openblas_single_threaded() {
    static std::once_flag once;
    std::call_once(once, [] {
        // Looked up at run time: libtorch reaches OpenBLAS through the libblas.so.3 alternative,
        // which may also be the reference BLAS (no such function, nothing to do).
        using SetThreads = void (*)(int);
        if (auto* set =
                reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
            set(1);
        }
    });
}

}  // namespace

void set_num_threads(int threads) {
    keep_openblas_single_threaded();
    const int cores = static_cast<int>(hardware_threads());  // honours CPU affinity (taskset)
    torch::set_num_threads(threads > 0 ? threads : cores);
}

// ---- modules ------------------------------------------------------------------------------------

GroupNormJaxImpl::GroupNormJaxImpl(std::int64_t channels) {
    group_norm = register_module(
        "group_norm", torch::nn::GroupNorm(torch::nn::GroupNormOptions(4, channels).eps(1e-5)));
}

torch::Tensor GroupNormJaxImpl::forward(const torch::Tensor& x) {
    return group_norm->forward(x);
}

ConvSameImpl::ConvSameImpl(std::int64_t in_channels,
                           std::int64_t out_channels,
                           std::int64_t kernel_size,
                           std::int64_t stride_size)
    : kernel(kernel_size), stride(stride_size) {
    conv = register_module(
        "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, out_channels, kernel)
                                      .stride(stride)
                                      .padding(0)
                                      .bias(false)));
}

torch::Tensor ConvSameImpl::forward(const torch::Tensor& x) {
    const auto [top, bottom] = same_pads(x.size(2), kernel, stride);
    const auto [left, right] = same_pads(x.size(3), kernel, stride);
    return conv->forward(F::pad(x, F::PadFuncOptions({left, right, top, bottom})));
}

BasicBlockImpl::BasicBlockImpl(std::int64_t in_channels,
                               std::int64_t out_channels,
                               std::int64_t stride) {
    // Registration order is helper2424/resnet10's (conv1, norm1, conv2, norm2, shortcut): it fixes
    // the order of parameters().
    conv1 = register_module("conv1", ConvSame(in_channels, out_channels, 3, stride));
    norm1 = register_module("norm1", GroupNormJax(out_channels));
    conv2 = register_module("conv2", ConvSame(out_channels, out_channels, 3, 1));
    norm2 = register_module("norm2", GroupNormJax(out_channels));
    if (in_channels != out_channels) {
        shortcut_conv = ConvSame(in_channels, out_channels, 1, stride);
        shortcut_norm = GroupNormJax(out_channels);
        shortcut = register_module("shortcut", torch::nn::Sequential(shortcut_conv, shortcut_norm));
    }
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
    torch::Tensor out = torch::relu(norm1->forward(conv1->forward(x)));
    out = norm2->forward(conv2->forward(out));
    const torch::Tensor identity = shortcut ? shortcut_norm->forward(shortcut_conv->forward(x)) : x;
    return torch::relu(out + identity);
}

ResNet10Impl::ResNet10Impl() {
    keep_openblas_single_threaded();
    stem_conv =
        torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 64, 7).stride(2).padding(3).bias(false));
    stem_norm = GroupNormJax(64);
    embedder = register_module("embedder", torch::nn::Sequential());
    embedder->push_back(stem_conv);
    embedder->push_back(stem_norm);
    embedder->push_back(torch::nn::ReLU());
    embedder->push_back(torch::nn::Identity());  // the max pool: no parameters, applied in forward
    auto encoder = register_module("encoder", std::make_shared<torch::nn::Module>("Encoder"));
    auto stage_list = encoder->register_module("stages", torch::nn::ModuleList());
    const std::int64_t sizes[] = {64, 128, 256, 512};
    std::int64_t in = 64;
    for (std::size_t i = 0; i < 4; ++i) {
        stages.emplace_back(in, sizes[i], i == 0 ? 1 : 2);
        stage_list->push_back(stages.back());
        in = sizes[i];
    }
}

torch::Tensor ResNet10Impl::forward(const torch::Tensor& input) {
    torch::Tensor x = input.contiguous();
    x = torch::relu(stem_norm->forward(stem_conv->forward(x)));
    const auto [top, bottom] = same_pads(x.size(2), 3, 2);
    const auto [left, right] = same_pads(x.size(3), 3, 2);
    x = F::max_pool2d(F::pad(x, F::PadFuncOptions({left, right, top, bottom})
                                    .value(-std::numeric_limits<double>::infinity())),
                      F::MaxPool2dFuncOptions(3).stride(2));
    for (BasicBlock& block : stages)
        x = block->forward(x);
    return x;
}

SpatialLearnedEmbeddingsImpl::SpatialLearnedEmbeddingsImpl(std::int64_t channels,
                                                           std::int64_t height,
                                                           std::int64_t width,
                                                           std::int64_t num_features) {
    kernel = register_parameter("kernel", torch::empty({channels, height, width, num_features}));
    // torch computes fan_in of a [C, H, W, F] tensor as H·W·F.
    torch::nn::init::kaiming_normal_(kernel, 0.0, torch::kFanIn, torch::kLinear);
}

torch::Tensor SpatialLearnedEmbeddingsImpl::forward(const torch::Tensor& x) {
    const torch::Tensor out = (x.unsqueeze(-1) * kernel.unsqueeze(0)).sum({2, 3});
    return out.reshape({out.size(0), -1});
}

ClassifierImpl::ClassifierImpl(const ClassifierConfig& config) : config_(config) {
    config_.validate("reward classifier config");
    constexpr std::int64_t kFeatureDim = 512;  // ResNet10's last hidden size
    encoder = register_module("encoder", ResNet10());
    for (torch::Tensor& p : encoder->parameters())
        p.requires_grad_(false);  // frozen, as in LeRobot
    encoders = register_module("encoders", torch::nn::ModuleDict());
    const std::int64_t features = config_.image_embedding_pooling_dim;
    for (const std::string& key : config_.image_keys()) {
        CameraHead camera;
        // ResNet10 divides each side by 32, rounding up: 4x4 for LeRobot's 97..128 px (its
        // hard-coded size), 2x2 at 64 px.
        const auto& shape = dict_find(config_.input_features, key)->shape;
        camera.spatial = SpatialLearnedEmbeddings(kFeatureDim, (shape[1] + 31) / 32,
                                                  (shape[2] + 31) / 32, features);
        camera.dropout = Dropout(config_.dropout_rate);
        camera.linear = torch::nn::Linear(kFeatureDim * features, config_.latent_dim);
        camera.norm =
            torch::nn::LayerNorm(torch::nn::LayerNormOptions({config_.latent_dim}).eps(1e-5));
        torch::nn::Sequential sequence(encoder, camera.spatial, camera.dropout, camera.linear,
                                       camera.norm, torch::nn::Tanh());
        encoders->update({{module_key(key), sequence.ptr()}});
        cameras_.push_back(std::move(camera));
    }
    head_.in = torch::nn::Linear(
        static_cast<std::int64_t>(config_.latent_dim) * config_.num_cameras, config_.hidden_dim);
    head_.dropout = Dropout(config_.dropout_rate);
    head_.norm = torch::nn::LayerNorm(torch::nn::LayerNormOptions({config_.hidden_dim}).eps(1e-5));
    head_.out = torch::nn::Linear(config_.hidden_dim, config_.num_logits());
    classifier_head = register_module(
        "classifier_head",
        torch::nn::Sequential(head_.in, head_.dropout, head_.norm, torch::nn::ReLU(), head_.out));
}

torch::Tensor ClassifierImpl::encode_camera(std::size_t index, const torch::Tensor& image) {
    const torch::NoGradGuard
        no_grad;  // LeRobot runs the whole per-camera encoder without gradients
    CameraHead& camera = cameras_.at(index);
    torch::Tensor x = camera.spatial->forward(encoder->forward(image));
    x = camera.dropout->forward(x);
    return torch::tanh(camera.norm->forward(camera.linear->forward(x)));
}

ClassifierOutput ClassifierImpl::predict(const std::vector<torch::Tensor>& images) {
    if (images.size() != cameras_.size()) {
        throw std::invalid_argument("Classifier::predict: " + std::to_string(images.size()) +
                                    " image batches for " + std::to_string(cameras_.size()) +
                                    " cameras");
    }
    std::vector<torch::Tensor> embeddings;
    embeddings.reserve(images.size());
    for (std::size_t i = 0; i < images.size(); ++i)
        embeddings.push_back(encode_camera(i, images[i]));
    torch::Tensor hidden_states = torch::cat(embeddings, 1);
    const torch::Tensor x = head_.dropout->forward(head_.in->forward(hidden_states));
    return output(std::move(hidden_states),
                  head_.out->forward(torch::relu(head_.norm->forward(x))));
}

ClassifierOutput ClassifierImpl::output(torch::Tensor hidden_states,
                                        torch::Tensor head_logits) const {
    ClassifierOutput out;
    out.hidden_states = std::move(hidden_states);
    out.logits = std::move(head_logits);
    if (config_.num_classes == 2) {
        out.logits = out.logits.squeeze(-1);
        out.probabilities = torch::sigmoid(out.logits);
    } else {
        out.probabilities = torch::softmax(out.logits, -1);
    }
    return out;
}

torch::Tensor ClassifierImpl::forward(const std::vector<torch::Tensor>& images) {
    return predict(images).logits;
}

std::vector<std::pair<std::string, torch::Tensor>> ClassifierImpl::unique_named_parameters() const {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    std::unordered_set<const void*> seen;
    for (const auto& item : named_parameters(/*recurse=*/true)) {
        if (seen.insert(item.value().unsafeGetTensorImpl()).second)
            out.emplace_back(item.key(), item.value());
    }
    return out;
}

std::vector<torch::Tensor> ClassifierImpl::unique_parameters() const {
    std::vector<torch::Tensor> out;
    for (auto& [name, tensor] : unique_named_parameters())
        out.push_back(tensor);
    return out;
}

}  // namespace rcls::model
