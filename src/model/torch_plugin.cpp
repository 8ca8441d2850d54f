// SPDX-License-Identifier: MIT
#include "rcls/model/torch_plugin.hpp"

#include "rcls/core/interrupt.hpp"
#include "rcls/core/version.hpp"

namespace rcls::model {

TorchHost this_torch_host() {
    return {.abi = kTorchPluginAbi,
            .version = kVersion,
            .interrupted = &rcls::interrupted,
            .event_sink = &rcls::event_sink};
}

}  // namespace rcls::model
