// SPDX-License-Identifier: MIT
//
// Predictor backends for programs that link libtorch (tests, benchmarks, train, eval): built in.
#include "predictor_backend.hpp"

namespace rcls::model::detail {

std::unique_ptr<PredictorBackend> create_predictor_backend(const PredictorRequest& request) {
    return make_torch_predictor_backend(request);
}

}  // namespace rcls::model::detail

namespace rcls::model {

void prepare_process_for_inference() {}

}  // namespace rcls::model
