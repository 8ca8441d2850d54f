// SPDX-License-Identifier: MIT
//
// Predictor backends for the `rcls` binary, which does not link libtorch: the model code lives in
// the librcls_torch plugin, loaded with dlopen the first time a Predictor is made. It is looked
// for in $RCLS_TORCH_PLUGIN (a file), next to the executable (the build tree), then in
// <prefix>/lib/rcls/ (an installed rcls). OpenMP threads wait passively unless OMP_WAIT_POLICY
// says otherwise.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <fstream>
#include <mutex>
#include <system_error>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"

#include "predictor_backend.hpp"

namespace rcls::model::detail {
namespace fs = std::filesystem;
namespace {

constexpr const char* kPluginName = "librcls_torch.so";

std::vector<fs::path> plugin_candidates() {
    std::vector<fs::path> out;
    if (const char* env = std::getenv("RCLS_TORCH_PLUGIN"); env != nullptr && *env != '\0') {
        out.emplace_back(env);
        return out;
    }
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        out.push_back(exe.parent_path() / kPluginName);
        out.push_back(exe.parent_path().parent_path() / "lib" / "rcls" / kPluginName);
    }
    return out;
}

CreateBackendFunction load_plugin() {
    // In case prepare_process_for_inference() was not called and libgomp is not loaded yet: it
    // reads its settings when it is loaded, here with the plugin.
    ::setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/0);
    std::string tried;
    for (const fs::path& candidate : plugin_candidates()) {
        std::error_code ec;
        if (!fs::exists(candidate, ec)) {
            tried += (tried.empty() ? "" : ", ") + candidate.string();
            continue;
        }
        void* handle = ::dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (handle == nullptr) {
            throw ModelError(candidate.string() + ": cannot load the libtorch part of rcls: " +
                             ::dlerror() + " (is libtorch installed? scripts/install_deps.sh)");
        }
        auto* create =
            reinterpret_cast<CreateBackendFunction>(::dlsym(handle, kCreateBackendSymbol));
        if (create == nullptr) throw ModelError(candidate.string() + ": not an rcls torch plugin");
        return create;  // the plugin stays loaded for the life of the process
    }
    throw ModelError("the libtorch part of rcls (" + std::string(kPluginName) +
                     ") is missing; looked at " + tried +
                     "; build it (cmake --build build) or set RCLS_TORCH_PLUGIN");
}

}  // namespace

std::unique_ptr<PredictorBackend> create_predictor_backend(const PredictorRequest& request) {
    static std::once_flag once;
    static CreateBackendFunction create = nullptr;
    std::call_once(once, [] { create = load_plugin(); });
    return std::unique_ptr<PredictorBackend>(create(request));
}

}  // namespace rcls::model::detail

namespace rcls::model {

void prepare_process_for_inference() {
    if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
    ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    void* gomp = ::dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (gomp == nullptr) return;  // not loaded yet: it will read the variable when it is
    ::dlclose(gomp);
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::vector<std::string> args;
    for (std::string arg; std::getline(in, arg, '\0');) {
        args.push_back(arg);
    }
    if (args.empty()) return;
    std::vector<char*> argv;
    for (std::string& arg : args) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    std::fflush(nullptr);
    ::execv("/proc/self/exe", argv.data());
    spdlog::debug("could not restart with OMP_WAIT_POLICY=PASSIVE: {}", errno_text(errno));
}

}  // namespace rcls::model
