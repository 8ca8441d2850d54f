// SPDX-License-Identifier: MIT
//
// The facade's torch side for programs that link libtorch (rcls::model: tests, benchmarks): the
// table is in-process, nothing to load.
#include "predictor_backend.hpp"

namespace rcls::model {

const TorchPlugin& torch_plugin() {
    return detail::torch_plugin_table();
}

}  // namespace rcls::model
