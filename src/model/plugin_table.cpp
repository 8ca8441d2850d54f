// SPDX-License-Identifier: MIT
//
// The torch side's function table: a torch workflow adds its create_<name> entry here.
#include "predictor_backend.hpp"

namespace rcls::model::detail {

const TorchPlugin& torch_plugin_table() {
    static const TorchPlugin table{
        .abi = kTorchPluginAbi,
        .create_predictor = &make_torch_predictor_backend,
        .create_trainer = &make_torch_trainer_backend,
    };
    return table;
}

}  // namespace rcls::model::detail
