// SPDX-License-Identifier: MIT
//
// The entry point of the librcls_torch plugin, which the `rcls` binary loads on first use of the
// model (backend_plugin.cpp).
#include "predictor_backend.hpp"

extern "C" __attribute__((visibility("default"))) rcls::model::detail::PredictorBackend*
rcls_model_create_predictor_backend(const rcls::model::detail::PredictorRequest& request) {
    return rcls::model::detail::make_torch_predictor_backend(request).release();
}
