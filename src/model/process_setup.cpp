// SPDX-License-Identifier: MIT
//
// The one place where rcls changes how OpenMP waits, and restarts itself to do so. This is for
// speed only: results are the same either way. libgomp (loaded with libtorch, and at start-up by
// FFmpeg's dependencies) reads OMP_WAIT_POLICY once, when it is loaded; its default, spinning idle
// threads, makes a forward pass 2-4x slower on a machine shared with other busy processes, while
// waiting passively costs under a millisecond on an idle one.
#include "process_setup.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"
#include "rcls/model/predictor.hpp"

namespace rcls::model {

void detail::prefer_passive_openmp_waiting() {
    ::setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/0);
}

void prepare_process_for_inference() {
    if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;  // the user's choice, or done
    detail::prefer_passive_openmp_waiting();
    void* gomp = ::dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (gomp == nullptr) return;  // not loaded yet: it will read the variable when it is
    ::dlclose(gomp);
    // Already loaded with the spinning default: restart once with the same arguments (the
    // variable is set now, so the restarted process returns above).
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
