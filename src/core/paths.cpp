// SPDX-License-Identifier: MIT
#include "rcls/core/paths.hpp"

#include <cerrno>
#include <cstdlib>
#include <dlfcn.h>
#include <string>

#include "rcls/core/error.hpp"

#include <sys/stat.h>

namespace rcls {
namespace fs = std::filesystem;
namespace {

fs::path env_path(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? fs::path(value) : fs::path();
}

fs::path home() {
    fs::path path = env_path("HOME");
    return path.empty() ? fs::path("/") : path;
}

}  // namespace

fs::path expand_user(const fs::path& path) {
    const std::string text = path.string();
    if (text == "~") return home();
    if (text.rfind("~/", 0) == 0) return home() / text.substr(2);
    return path;
}

fs::path hf_home() {
    fs::path path = env_path("HF_HOME");
    return path.empty() ? home() / ".cache" / "huggingface" : expand_user(path);
}

fs::path hf_lerobot_home() {
    fs::path path = env_path("HF_LEROBOT_HOME");
    return path.empty() ? hf_home() / "lerobot" : expand_user(path);
}

fs::path hf_lerobot_calibration() {
    fs::path path = env_path("HF_LEROBOT_CALIBRATION");
    return path.empty() ? hf_lerobot_home() / "calibration" : expand_user(path);
}

fs::path hf_hub_cache() {
    fs::path path = env_path("HF_HUB_CACHE");
    return path.empty() ? hf_home() / "hub" : expand_user(path);
}

static std::string describe_file_type(unsigned mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a named pipe (FIFO)";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

void require_regular_file(const fs::path& path, const char* what) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        const int saved = errno;
        if (saved == ENOENT || saved == ENOTDIR)
            throw DataError(path.string() + ": file not found");
        throw DataError(path.string() + ": cannot read", saved);
    }
    if (S_ISREG(st.st_mode)) return;
    throw DataError(path.string() + ": is " + describe_file_type(st.st_mode) + ", not a " + what +
                    "; give the path of a regular file");
}

std::vector<fs::path> plugin_candidates(const char* env_var, const char* file_name) {
    std::vector<fs::path> out;
    if (const char* env = std::getenv(env_var); env != nullptr && *env != '\0') {
        out.emplace_back(env);
        return out;
    }
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        out.push_back(exe.parent_path() / file_name);
        out.push_back(exe.parent_path().parent_path() / "bin" / file_name);
        out.push_back(exe.parent_path().parent_path() / "lib" / "rcls" / file_name);
    }
    return out;
}

OpenedPlugin open_plugin(const PluginSpec& spec) {
    std::string tried;
    for (const fs::path& candidate : plugin_candidates(spec.env_var, spec.file_name)) {
        std::error_code ec;
        if (!fs::exists(candidate, ec)) {
            tried += (tried.empty() ? "" : ", ") + candidate.string();
            continue;
        }
        void* handle = ::dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (handle == nullptr) {
            spec.fail(candidate.string() + ": cannot load " + spec.part + ": " + ::dlerror() +
                      " (" + spec.hint + ")");
            break;  // fail() throws
        }
        return {handle, candidate};
    }
    spec.fail(std::string(spec.missing_part) + " (" + spec.file_name + ") is missing; looked at " +
              tried + "; build it (cmake --build build) or set " + spec.env_var);
    throw Error(ExitCode::kInternal, std::string(spec.file_name) + ": cannot load the plugin");
}

void* plugin_symbol(const OpenedPlugin& plugin,
                    const PluginSpec& spec,
                    const char* kind,
                    const char* symbol) {
    void* address = ::dlsym(plugin.handle, symbol);
    if (address == nullptr) {
        spec.fail(plugin.path.string() + ": not an rcls " + kind + " plugin (no " + symbol + ")");
        throw Error(ExitCode::kInternal, plugin.path.string() + ": no " + symbol);
    }
    return address;
}

}  // namespace rcls
