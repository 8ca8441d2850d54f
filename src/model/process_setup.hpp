// SPDX-License-Identifier: MIT
//
// OpenMP's waiting policy, the one process setting inference cares about (process_setup.cpp;
// prepare_process_for_inference() in rcls/model/predictor.hpp is the public side).
#pragma once

namespace rcls::model::detail {

/// Sets OMP_WAIT_POLICY=PASSIVE unless the user set the variable. Takes effect only if libgomp
/// is loaded after this call.
void prefer_passive_openmp_waiting();

}  // namespace rcls::model::detail
