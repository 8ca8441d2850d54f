// SPDX-License-Identifier: MIT
#include "rcls/model/trainer.hpp"

#include <utility>

#include "rcls/core/error.hpp"

namespace rcls::model {

Trainer::Trainer(TrainerRequest request) {
    const TorchPlugin& plugin = torch_plugin();
    if (plugin.create_trainer == nullptr) {
        throw ModelError("the libtorch part of rcls has no trainer; rebuild rcls");
    }
    backend_ = plugin.create_trainer(std::move(request));
}

Trainer::~Trainer() = default;
Trainer::Trainer(Trainer&&) noexcept = default;
Trainer& Trainer::operator=(Trainer&&) noexcept = default;

TrainResult Trainer::run() {
    return backend_->run();
}

}  // namespace rcls::model
