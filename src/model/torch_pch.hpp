// SPDX-License-Identifier: MIT
//
// Precompiled header of the model module: libtorch is parsed once for all of the module's torch
// translation units instead of once per file.
#pragma once

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/torch.h>
