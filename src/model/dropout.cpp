// SPDX-License-Identifier: MIT
#include "rcls/model/dropout.hpp"

#include <mutex>
#include <stdexcept>
#include <string>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "dropout_kernel.hpp"

namespace rcls::model {
namespace {

/// Elements per thread's share: below this, waking a second thread costs more than it saves.
constexpr std::int64_t kGrain = 1 << 16;

std::uint64_t next_key() {
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    const std::lock_guard<std::mutex> lock(gen.mutex());
    return at::check_generator<at::CPUGeneratorImpl>(gen)->random64();
}

}  // namespace

torch::Tensor fast_dropout(const torch::Tensor& x, double p, bool training) {
    if (!training || p == 0.0) return x;
    if (!x.device().is_cpu() || x.scalar_type() != torch::kFloat32) {
        return torch::dropout(x, p, training);
    }
    const std::uint64_t threshold = detail::dropout_keep_threshold(p);
    const float scale = p >= 1.0 ? 0.0f : 1.0f / static_cast<float>(1.0 - p);
    const std::uint64_t key = next_key();
    const bool differentiable = torch::GradMode::is_enabled() && x.requires_grad();
    const torch::Tensor input = x.contiguous();
    torch::Tensor out = torch::empty_like(input, torch::MemoryFormat::Contiguous);
    const float* in = differentiable ? nullptr : input.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    at::parallel_for(0, input.numel(), kGrain, [&](std::int64_t begin, std::int64_t end) {
        detail::dropout_apply(in, begin, end, key, threshold, scale, dst);
    });
    return differentiable ? x * out : out;
}

DropoutImpl::DropoutImpl(double p) : p_(p) {
    if (!(p >= 0.0 && p <= 1.0)) {
        throw std::invalid_argument("Dropout: p must be in [0, 1], got " + std::to_string(p));
    }
}

torch::Tensor DropoutImpl::forward(const torch::Tensor& x) {
    return fast_dropout(x, p_, is_training());
}

}  // namespace rcls::model
