// SPDX-License-Identifier: MIT
#include "rcls/model/classifier.hpp"

#include <algorithm>
#include <dlfcn.h>
#include <list>
#include <malloc.h>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <unordered_set>

#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/nn/functional/padding.h>
#include <torch/nn/functional/pooling.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/types.h>
#include <torch/utils.h>

#include "rcls/core/parallel.hpp"

#include "norm_kernels.hpp"

namespace rcls::model {
namespace {

namespace F = torch::nn::functional;

/// JAX "SAME" padding of one dimension: {before, after}.
std::pair<std::int64_t, std::int64_t> same_pads(std::int64_t size,
                                                std::int64_t kernel,
                                                std::int64_t stride) {
    const std::int64_t out = (size + stride - 1) / stride;
    const std::int64_t total = std::max<std::int64_t>(0, (out - 1) * stride + kernel - size);
    return {total / 2, total - total / 2};
}

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

/// `layer`(x). For one row, as addmv: libtorch's addmm hands [1, n] x [n, m] to OpenBLAS's sgemm,
/// which packs the whole weight matrix on every call (0.69 ms for the 4096x256 camera layer
/// against 0.06 ms as a matrix-vector product).
torch::Tensor linear(torch::nn::Linear layer, const torch::Tensor& x, bool optimized) {
    if (optimized && x.dim() == 2 && x.size(0) == 1) {
        return at::addmv(layer->bias, layer->weight, x[0]).unsqueeze(0);
    }
    return layer->forward(x);
}

/// Keeps freed memory in the process. The forward pass allocates and frees the same few MB of
/// activations for every frame; with glibc's defaults large blocks go back to the system on free
/// and come back as fresh pages, and the page faults cost about 1 ms per 128x128 frame (a sixth
/// of the forward pass). Process-wide, once: at most 512 MB stay reserved.
void keep_freed_memory() {
    static std::once_flag once;
    std::call_once(once, [] {
        ::mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest allowed value
        ::mallopt(M_TRIM_THRESHOLD, 512 << 20);
    });
}

}  // namespace

void set_num_threads(int threads) {
    keep_openblas_single_threaded();
    const int cores = static_cast<int>(hardware_threads());  // honours CPU affinity (taskset)
    torch::set_num_threads(threads > 0 ? threads : cores);
}

// ---- the optimised inference path
// -----------------------------------------------------------------

/// ResNet10's forward pass for inference: channels-last activations, convolutions through oneDNN
/// with weights packed once into its preferred blocked layout (libtorch would otherwise reorder
/// 20 MB of weights on every call and pick a slow im2col path for the small late layers), the
/// -inf padding of the max pool folded into ceil_mode, and in-place ReLUs. Plans are kept per
/// input shape (a few at most) and dropped when a parameter changes.
class FastResNet10 {
public:
    explicit FastResNet10(ResNet10Impl& net) : net_(net) { keep_freed_memory(); }

    torch::Tensor run(const torch::Tensor& input) {
        if (!weights_unchanged()) {
            plans_.clear();
            snapshot_.clear();
        }
        if (snapshot_.empty()) take_snapshot();
        const torch::Tensor x = input.contiguous(at::MemoryFormat::ChannelsLast);
        Plan& plan = plan_for(x.sizes().vec());
        return execute(plan, x);
    }

private:
    struct Conv {
        torch::Tensor weight;               ///< Channels-last copy (fallback path).
        std::optional<c10::IValue> packed;  ///< oneDNN context, when available.
        std::int64_t stride = 1;
        std::int64_t padding = 0;  ///< Symmetric padding the convolution applies itself.
        std::array<std::int64_t, 4> pre_pad{};  ///< {left, right, top, bottom} applied before.
    };
    struct Plan {
        std::vector<std::int64_t> shape;
        std::vector<Conv> convs;  ///< stem, then per stage conv1, conv2[, shortcut].
        bool pool_ceil = true;    ///< Max pool SAME pads are (0, 1): ceil_mode does it.
        std::array<std::int64_t, 4> pool_pad{};
    };

    std::vector<torch::Tensor> conv_weights() const {
        std::vector<torch::Tensor> out = {net_.stem_conv->weight};
        for (const BasicBlock& block : net_.stages) {
            out.push_back(block->conv1->conv->weight);
            out.push_back(block->conv2->conv->weight);
            if (block->shortcut_conv) out.push_back(block->shortcut_conv->conv->weight);
        }
        return out;
    }

    bool weights_unchanged() const {
        const std::vector<torch::Tensor> weights = conv_weights();
        if (weights.size() != snapshot_.size()) return false;
        for (std::size_t i = 0; i < weights.size(); ++i) {
            if (weights[i].data_ptr() != snapshot_[i].first ||
                weights[i]._version() != snapshot_[i].second) {
                return false;
            }
        }
        return true;
    }

    void take_snapshot() {
        snapshot_.clear();
        for (const torch::Tensor& w : conv_weights())
            snapshot_.emplace_back(w.data_ptr(), w._version());
    }

    /// A convolution of `weight` over inputs of `in_shape`: JAX SAME padding, or `symmetric`.
    static Conv make_conv(const torch::Tensor& weight,
                          std::vector<std::int64_t> in_shape,
                          std::int64_t stride,
                          std::optional<std::int64_t> symmetric = std::nullopt) {
        Conv conv;
        conv.stride = stride;
        const std::int64_t kernel = weight.size(2);
        const auto [top, bottom] = same_pads(in_shape[2], kernel, stride);
        const auto [left, right] = same_pads(in_shape[3], kernel, stride);
        if (symmetric) {
            conv.padding = *symmetric;
        } else if (top == bottom && left == right && top == left) {
            conv.padding = top;
        } else {
            conv.pre_pad = {left, right, top, bottom};
            in_shape[2] += top + bottom;
            in_shape[3] += left + right;
        }
        conv.weight = weight.detach().contiguous(at::MemoryFormat::ChannelsLast);
        static const c10::optional<c10::OperatorHandle> prepack =
            at::hasMKLDNN()
                ? c10::Dispatcher::singleton().findSchema({"mkldnn_prepacked::conv2d_prepack", ""})
                : c10::nullopt;
        if (prepack) {
            torch::jit::Stack stack{conv.weight,
                                    c10::optional<torch::Tensor>(),
                                    std::vector<std::int64_t>{stride, stride},
                                    std::vector<std::int64_t>{conv.padding, conv.padding},
                                    std::vector<std::int64_t>{1, 1},
                                    std::int64_t{1},
                                    in_shape,
                                    std::string("none")};
            prepack->callBoxed(&stack);
            conv.packed = std::move(stack.at(0));
        }
        return conv;
    }

    /// The convolution's output, channels-last and contiguous (the fused kernels rely on it).
    static torch::Tensor apply(const Conv& conv, torch::Tensor x) {
        return convolve(conv, std::move(x)).contiguous(at::MemoryFormat::ChannelsLast);
    }

    static torch::Tensor convolve(const Conv& conv, torch::Tensor x) {
        if (conv.pre_pad != std::array<std::int64_t, 4>{}) {
            x = at::constant_pad_nd(
                    x, {conv.pre_pad[0], conv.pre_pad[1], conv.pre_pad[2], conv.pre_pad[3]}, 0.0)
                    .contiguous(at::MemoryFormat::ChannelsLast);
        }
        if (conv.packed) {
            static const c10::OperatorHandle run =
                c10::Dispatcher::singleton().findSchemaOrThrow("mkldnn_prepacked::conv2d_run", "");
            torch::jit::Stack stack{x, *conv.packed};
            run.callBoxed(&stack);
            return stack.at(0).toTensor();
        }
        if (at::hasMKLDNN()) {
            return at::mkldnn_convolution(x, conv.weight, {}, {conv.padding, conv.padding},
                                          {conv.stride, conv.stride}, {1, 1}, 1);
        }
        return at::conv2d(x, conv.weight, {}, {conv.stride, conv.stride},
                          {conv.padding, conv.padding});
    }

    static std::vector<std::int64_t> out_shape(const std::vector<std::int64_t>& in,
                                               std::int64_t channels,
                                               std::int64_t stride) {
        return {in[0], channels, (in[2] + stride - 1) / stride, (in[3] + stride - 1) / stride};
    }

    Plan& plan_for(const std::vector<std::int64_t>& shape) {
        for (auto it = plans_.begin(); it != plans_.end(); ++it) {
            if (it->shape == shape) {
                plans_.splice(plans_.begin(), plans_, it);
                return plans_.front();
            }
        }
        Plan plan;
        plan.shape = shape;
        const torch::Tensor& stem = net_.stem_conv->weight;
        plan.convs.push_back(
            make_conv(stem, shape, 2, /*symmetric=*/3));  // a plain Conv2d(padding=3)
        std::vector<std::int64_t> s = {shape[0], stem.size(0), (shape[2] + 2 * 3 - 7) / 2 + 1,
                                       (shape[3] + 2 * 3 - 7) / 2 + 1};
        const auto [pt, pb] = same_pads(s[2], 3, 2);
        const auto [pl, pr] = same_pads(s[3], 3, 2);
        plan.pool_ceil = pt == 0 && pl == 0 && pb <= 1 && pr <= 1;
        plan.pool_pad = {pl, pr, pt, pb};
        s = out_shape(s, s[1], 2);
        for (const BasicBlock& block : net_.stages) {
            const std::int64_t stride = block->conv1->stride;
            const torch::Tensor& w1 = block->conv1->conv->weight;
            plan.convs.push_back(make_conv(w1, s, stride));
            const std::vector<std::int64_t> mid = out_shape(s, w1.size(0), stride);
            plan.convs.push_back(make_conv(block->conv2->conv->weight, mid, 1));
            if (block->shortcut_conv)
                plan.convs.push_back(make_conv(block->shortcut_conv->conv->weight, s, stride));
            s = mid;
        }
        plans_.push_front(std::move(plan));
        if (plans_.size() > kMaxPlans) plans_.pop_back();
        return plans_.front();
    }

    /// GroupNorm as a per-(sample, channel) affine: scale = gamma·rstd, shift = beta - mean·scale.
    struct Affine {
        std::vector<float> scale;  ///< [N * C]
        std::vector<float> shift;
    };

    /// The statistics of `x` (channels-last, contiguous) for `norm`, as an Affine.
    static Affine group_norm_affine(const torch::Tensor& x, const GroupNormJax& norm) {
        constexpr std::int64_t kGroups = 4;
        constexpr double kEps = 1e-5;
        const std::int64_t n = x.size(0), channels = x.size(1), pixels = x.size(2) * x.size(3);
        const float* data = x.data_ptr<float>();
        const int threads = at::get_num_threads();
        Affine out{std::vector<float>(n * channels), std::vector<float>(n * channels)};
        const float* gamma = norm->group_norm->weight.data_ptr<float>();
        const float* beta = norm->group_norm->bias.data_ptr<float>();
        const std::int64_t per_group = channels / kGroups;
        for (std::int64_t b = 0; b < n; ++b) {
            // Per-thread partial sums over pixel ranges, then one reduction.
            std::vector<double> partial(static_cast<std::size_t>(threads) * 2 * channels, 0.0);
            const float* sample = data + b * pixels * channels;
            at::parallel_for(0, pixels, 256, [&](std::int64_t begin, std::int64_t end) {
                double* mine =
                    partial.data() + static_cast<std::size_t>(at::get_thread_num()) * 2 * channels;
                detail::add_channel_moments(sample + begin * channels, end - begin, channels, mine,
                                            mine + channels);
            });
            for (std::int64_t g = 0; g < kGroups; ++g) {
                double sum = 0.0, sum_sq = 0.0;
                for (int t = 0; t < threads; ++t) {
                    const double* p = partial.data() + static_cast<std::size_t>(t) * 2 * channels;
                    for (std::int64_t c = g * per_group; c < (g + 1) * per_group; ++c) {
                        sum += p[c];
                        sum_sq += p[channels + c];
                    }
                }
                const double count = static_cast<double>(per_group * pixels);
                const double mean = sum / count;
                const double variance = std::max(0.0, sum_sq / count - mean * mean);
                const double rstd = 1.0 / std::sqrt(variance + kEps);
                for (std::int64_t c = g * per_group; c < (g + 1) * per_group; ++c) {
                    const double scale = gamma[c] * rstd;
                    out.scale[b * channels + c] = static_cast<float>(scale);
                    out.shift[b * channels + c] = static_cast<float>(beta[c] - mean * scale);
                }
            }
        }
        return out;
    }

    /// x = [relu](affine(x) [+ residual_affine(residual) | + residual]), in place, one pass.
    static void apply_affine(torch::Tensor& x,
                             const Affine& a,
                             bool relu,
                             const torch::Tensor* residual = nullptr,
                             const Affine* residual_affine = nullptr) {
        const std::int64_t n = x.size(0), channels = x.size(1), pixels = x.size(2) * x.size(3);
        float* data = x.data_ptr<float>();
        const float* other = residual != nullptr ? residual->data_ptr<float>() : nullptr;
        for (std::int64_t b = 0; b < n; ++b) {
            const std::int64_t offset = b * pixels * channels;
            at::parallel_for(0, pixels, 256, [&](std::int64_t begin, std::int64_t end) {
                const std::int64_t at = offset + begin * channels;
                detail::affine_residual_relu(
                    data + at, a.scale.data() + b * channels, a.shift.data() + b * channels,
                    other != nullptr ? other + at : nullptr,
                    residual_affine != nullptr ? residual_affine->scale.data() + b * channels
                                               : nullptr,
                    residual_affine != nullptr ? residual_affine->shift.data() + b * channels
                                               : nullptr,
                    end - begin, channels, relu, data + at);
            });
        }
    }

    static void norm_relu(torch::Tensor& x, const GroupNormJax& norm) {
        apply_affine(x, group_norm_affine(x, norm), /*relu=*/true);
    }

    torch::Tensor execute(const Plan& plan, const torch::Tensor& input) {
        auto conv = plan.convs.begin();
        torch::Tensor x = apply(*conv++, input);
        norm_relu(x, net_.stem_norm);
        if (plan.pool_ceil) {
            x = at::max_pool2d(x, {3, 3}, {2, 2}, {0, 0}, {1, 1}, /*ceil_mode=*/true);
        } else {
            const auto& p = plan.pool_pad;
            x = at::max_pool2d(at::constant_pad_nd(x, {p[0], p[1], p[2], p[3]},
                                                   -std::numeric_limits<double>::infinity()),
                               {3, 3}, {2, 2});
        }
        x = x.contiguous(at::MemoryFormat::ChannelsLast);
        for (const BasicBlock& block : net_.stages) {
            torch::Tensor y = apply(*conv++, x);
            norm_relu(y, block->norm1);
            y = apply(*conv++, y);
            const Affine norm2 = group_norm_affine(y, block->norm2);
            if (block->shortcut_conv) {
                const torch::Tensor shortcut = apply(*conv++, x);
                const Affine short_norm = group_norm_affine(shortcut, block->shortcut_norm);
                apply_affine(y, norm2, true, &shortcut, &short_norm);
            } else {
                apply_affine(y, norm2, true, &x);
            }
            x = y;
        }
        return x;
    }

    static constexpr std::size_t kMaxPlans = 4;
    ResNet10Impl& net_;
    std::list<Plan> plans_;
    std::vector<std::pair<const void*, std::int64_t>> snapshot_;
};

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

ResNet10Impl::~ResNet10Impl() = default;

torch::Tensor ResNet10Impl::forward(const torch::Tensor& x) {
    bool plain = !optimized_;
    if (!plain && torch::GradMode::is_enabled()) {
        const std::vector<torch::Tensor> params = parameters();
        plain = x.requires_grad() ||
                std::any_of(params.begin(), params.end(),
                            [](const torch::Tensor& p) { return p.requires_grad(); });
    }
    return plain ? forward_eager(x) : forward_fast(x);
}

torch::Tensor ResNet10Impl::forward_eager(const torch::Tensor& input) {
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

torch::Tensor ResNet10Impl::forward_fast(const torch::Tensor& x) {
    if (!fast_) fast_ = std::make_unique<FastResNet10>(*this);
    const torch::NoGradGuard no_grad;
    return fast_->run(x);
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
        Camera camera;
        camera.spatial = SpatialLearnedEmbeddings(kFeatureDim, 4, 4, features);
        camera.dropout = torch::nn::Dropout(config_.dropout_rate);
        camera.linear = torch::nn::Linear(kFeatureDim * features, config_.latent_dim);
        camera.norm =
            torch::nn::LayerNorm(torch::nn::LayerNormOptions({config_.latent_dim}).eps(1e-5));
        torch::nn::Sequential sequence(encoder, camera.spatial, camera.dropout, camera.linear,
                                       camera.norm, torch::nn::Tanh());
        encoders->update({{module_key(key), sequence.ptr()}});
        cameras_.push_back(std::move(camera));
    }
    head_in_ = torch::nn::Linear(
        static_cast<std::int64_t>(config_.latent_dim) * config_.num_cameras, config_.hidden_dim);
    head_dropout_ = torch::nn::Dropout(config_.dropout_rate);
    head_norm_ = torch::nn::LayerNorm(torch::nn::LayerNormOptions({config_.hidden_dim}).eps(1e-5));
    head_out_ = torch::nn::Linear(config_.hidden_dim, config_.num_logits());
    classifier_head = register_module(
        "classifier_head",
        torch::nn::Sequential(head_in_, head_dropout_, head_norm_, torch::nn::ReLU(), head_out_));
}

torch::Tensor ClassifierImpl::encode_camera(std::size_t index, const torch::Tensor& image) {
    const torch::NoGradGuard
        no_grad;  // LeRobot runs the whole per-camera encoder without gradients
    Camera& camera = cameras_.at(index);
    torch::Tensor x = camera.spatial->forward(encoder->forward(image));
    x = camera.dropout->forward(x);
    return torch::tanh(camera.norm->forward(linear(camera.linear, x, encoder->optimized())));
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
    ClassifierOutput out;
    out.hidden_states = torch::cat(embeddings, 1);
    torch::Tensor x =
        head_dropout_->forward(linear(head_in_, out.hidden_states, encoder->optimized()));
    out.logits = linear(head_out_, torch::relu(head_norm_->forward(x)), encoder->optimized());
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
