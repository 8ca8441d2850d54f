// SPDX-License-Identifier: MIT
#include "rcls/core/paths.hpp"

#include <cstdlib>
#include <string>

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

}  // namespace rcls
