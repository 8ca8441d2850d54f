// SPDX-License-Identifier: MIT
//
// The facade's torch side for the `rcls` binary, which does not link libtorch: the torch code
// lives in the librcls_torch plugin, loaded with dlopen the first time torch_plugin() is called.
// It is looked for in $RCLS_TORCH_PLUGIN (a file), next to the executable (the build tree), then
// in <prefix>/lib/rcls/ (an installed rcls). The plugin links librcls.so, already loaded as the
// binary's own dependency, so both share one copy of rcls's state; its entry point checks that.
#include <cstdlib>
#include <mutex>
#include <system_error>

#include "rcls/core/error.hpp"
#include "rcls/core/paths.hpp"
#include "rcls/model/torch_plugin.hpp"

#include "process_setup.hpp"

namespace rcls::model {
namespace fs = std::filesystem;
namespace {

constexpr const char* kPluginName = "librcls_torch.so";

const TorchPlugin* load_plugin() {
    // libgomp, which comes with libtorch, reads its settings when it is loaded: here, unless
    // prepare_process_for_inference() already ran.
    detail::prefer_passive_openmp_waiting();
    const PluginSpec spec{.env_var = "RCLS_TORCH_PLUGIN",
                          .file_name = kPluginName,
                          .part = "the libtorch part of rcls",
                          .hint = "is libtorch installed? scripts/install_deps.sh",
                          .missing_part = "the libtorch part of rcls",
                          .fail = [](const std::string& message) { throw ModelError(message); }};
    const OpenedPlugin opened = open_plugin(spec);
    const std::string where = opened.path.string();
    auto* entry =
        reinterpret_cast<TorchPluginEntry>(plugin_symbol(opened, spec, "torch", kTorchPluginEntry));
    const TorchHost host = this_torch_host();
    const char* error = "no reason given";
    const TorchPlugin* plugin = entry(&host, &error);
    if (plugin == nullptr) {
        throw ModelError(where + ": this rcls cannot use it: " + error +
                         "; rebuild rcls (cmake --build build) or reinstall it");
    }
    return plugin;  // the plugin stays loaded for the life of the process
}

}  // namespace

const TorchPlugin& torch_plugin() {
    static std::once_flag once;
    static const TorchPlugin* plugin = nullptr;
    std::call_once(once, [] { plugin = load_plugin(); });
    return *plugin;
}

}  // namespace rcls::model
