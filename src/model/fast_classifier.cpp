// SPDX-License-Identifier: MIT
#include "rcls/model/fast_classifier.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <list>
#include <malloc.h>
#include <mutex>
#include <optional>
#include <stdexcept>

#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/types.h>
#include <torch/utils.h>

#include "norm_kernels.hpp"
#include "same_padding.hpp"

namespace rcls::model {
namespace {

using detail::same_pads;

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

/// `layer`(x); for one row as addmv (see FastClassifier).
torch::Tensor linear(torch::nn::Linear layer, const torch::Tensor& x) {
    if (x.dim() == 2 && x.size(0) == 1) {
        return at::addmv(layer->bias, layer->weight, x[0]).unsqueeze(0);
    }
    return layer->forward(x);
}

}  // namespace

// ---- FastResNet10 -------------------------------------------------------------------------------

class FastResNet10::Impl {
public:
    explicit Impl(ResNet10 net) : net_(std::move(net)) { keep_freed_memory(); }

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
        std::vector<torch::Tensor> out = {net_->stem_conv->weight};
        for (const BasicBlock& block : net_->stages) {
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
        const torch::Tensor& stem = net_->stem_conv->weight;
        plan.convs.push_back(
            make_conv(stem, shape, 2, /*symmetric=*/3));  // a plain Conv2d(padding=3)
        std::vector<std::int64_t> s = {shape[0], stem.size(0), (shape[2] + 2 * 3 - 7) / 2 + 1,
                                       (shape[3] + 2 * 3 - 7) / 2 + 1};
        const auto [pt, pb] = same_pads(s[2], 3, 2);
        const auto [pl, pr] = same_pads(s[3], 3, 2);
        plan.pool_ceil = pt == 0 && pl == 0 && pb <= 1 && pr <= 1;
        plan.pool_pad = {pl, pr, pt, pb};
        s = out_shape(s, s[1], 2);
        for (const BasicBlock& block : net_->stages) {
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
        norm_relu(x, net_->stem_norm);
        if (plan.pool_ceil) {
            x = at::max_pool2d(x, {3, 3}, {2, 2}, {0, 0}, {1, 1}, /*ceil_mode=*/true);
        } else {
            const auto& p = plan.pool_pad;
            x = at::max_pool2d(at::constant_pad_nd(x, {p[0], p[1], p[2], p[3]},
                                                   -std::numeric_limits<double>::infinity()),
                               {3, 3}, {2, 2});
        }
        x = x.contiguous(at::MemoryFormat::ChannelsLast);
        for (const BasicBlock& block : net_->stages) {
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
    ResNet10 net_;
    std::list<Plan> plans_;
    std::vector<std::pair<const void*, std::int64_t>> snapshot_;
};

FastResNet10::FastResNet10(ResNet10 net) : impl_(std::make_unique<Impl>(std::move(net))) {}
FastResNet10::~FastResNet10() = default;
FastResNet10::FastResNet10(FastResNet10&&) noexcept = default;
FastResNet10& FastResNet10::operator=(FastResNet10&&) noexcept = default;

torch::Tensor FastResNet10::forward(const torch::Tensor& x) {
    const torch::NoGradGuard no_grad;
    return impl_->run(x);
}

// ---- FastClassifier -----------------------------------------------------------------------------

FastClassifier::FastClassifier(Classifier model)
    : model_(std::move(model)), encoder_(model_->encoder) {}

ClassifierOutput FastClassifier::predict(const std::vector<torch::Tensor>& images) {
    if (images.size() != model_->num_camera_heads()) {
        throw std::invalid_argument("FastClassifier::predict: " + std::to_string(images.size()) +
                                    " image batches for " +
                                    std::to_string(model_->num_camera_heads()) + " cameras");
    }
    const torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> embeddings;
    embeddings.reserve(images.size());
    for (std::size_t i = 0; i < images.size(); ++i) {
        ClassifierImpl::CameraHead camera = model_->camera_head(i);
        torch::Tensor x = camera.spatial->forward(encoder_.forward(images[i]));
        x = camera.dropout->forward(x);
        embeddings.push_back(torch::tanh(camera.norm->forward(linear(camera.linear, x))));
    }
    ClassifierImpl::Head head = model_->head();
    torch::Tensor hidden_states = torch::cat(embeddings, 1);
    torch::Tensor x = head.dropout->forward(linear(head.in, hidden_states));
    torch::Tensor logits = linear(head.out, torch::relu(head.norm->forward(x)));
    return model_->output(std::move(hidden_states), std::move(logits));
}

}  // namespace rcls::model
