// SPDX-License-Identifier: MIT
//
// The torch side of the facade (rcls/model/torch_plugin.hpp): the table of torch workflows that
// the plugin's entry point (plugin_entry.cpp) and the in-process build (plugin_in_process.cpp)
// both hand out, and the implementations behind it.
#pragma once

#include <memory>

#include "rcls/model/torch_plugin.hpp"

namespace rcls::model::detail {

/// The libtorch PredictorBackend (predictor_backend.cpp).
std::unique_ptr<PredictorBackend> make_torch_predictor_backend(const PredictorRequest& request);

/// The libtorch TrainerBackend (trainer_backend.cpp).
std::unique_ptr<TrainerBackend> make_torch_trainer_backend(TrainerRequest request);

/// The torch side's function table (plugin_table.cpp): one entry per torch workflow.
const TorchPlugin& torch_plugin_table();

}  // namespace rcls::model::detail
