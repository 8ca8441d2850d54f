// SPDX-License-Identifier: MIT
//
// The entry point of the librcls_torch plugin, which the `rcls` binary loads on first use of the
// torch side (plugin_loader.cpp). It serves only a host of the same ABI and rcls version whose
// process-wide state is its own: the plugin links librcls.so, the library the binary links, so
// that the host's Ctrl-C flag, event sink and logger are the ones plugin code sees. A plugin
// built with its own copy of those (static core linked in) would ignore Ctrl-C and report into a
// sink nobody reads: it refuses instead.
#include <cstring>

#include "rcls/core/interrupt.hpp"
#include "rcls/core/version.hpp"

#include "predictor_backend.hpp"

extern "C" __attribute__((visibility("default"))) const rcls::model::TorchPlugin* rcls_torch_plugin(
    const rcls::model::TorchHost* host, const char** error) {
    using namespace rcls::model;
    const char* why = nullptr;
    if (host == nullptr || host->abi != kTorchPluginAbi) {
        why = "it was built for another plugin interface (kTorchPluginAbi)";
    } else if (host->version == nullptr || std::strcmp(host->version, rcls::kVersion) != 0) {
        why = "it belongs to another rcls version (" RCLS_VERSION ")";
    } else if (host->interrupted != &rcls::interrupted || host->event_sink != &rcls::event_sink) {
        why = "it has its own copy of rcls's process state instead of the host's librcls.so";
    }
    if (why != nullptr) {
        if (error != nullptr) *error = why;
        return nullptr;
    }
    return &rcls::model::detail::torch_plugin_table();
}
