// SPDX-License-Identifier: MIT
//
// Where LeRobot keeps things on disk, resolved from the same environment variables, so that rcls
// finds a user's datasets, calibration files and Hugging Face model snapshots where LeRobot put
// them.
#pragma once

#include <filesystem>
#include <vector>

namespace rcls {

/// $HF_HOME, else ~/.cache/huggingface.
std::filesystem::path hf_home();

/// $HF_LEROBOT_HOME, else hf_home()/lerobot. Datasets live at hf_lerobot_home()/<repo_id>.
std::filesystem::path hf_lerobot_home();

/// $HF_LEROBOT_CALIBRATION, else hf_lerobot_home()/calibration.
std::filesystem::path hf_lerobot_calibration();

/// $HF_HUB_CACHE, else hf_home()/hub: models--<org>--<name>/snapshots/<rev>/.
std::filesystem::path hf_hub_cache();

/// Throws DataError naming `path` unless it is a regular file (symlinks followed): missing, a
/// directory, a named pipe, a device or a socket. Called before handing a path to a library that
/// would block on a FIFO or read a device for ever (FFmpeg, std::ifstream); stat() never blocks.
/// `what` names the expected kind in the message ("video", "Parquet file").
void require_regular_file(const std::filesystem::path& path, const char* what = "file");

/// Where rcls looks for one of its plugins (`file_name`, e.g. "librcls_torch.so"), in order: the
/// path in environment variable `env_var` alone when it is set; else beside the running binary,
/// in ../bin (test programs in build/tests) and in ../lib/rcls (an installed rcls).
std::vector<std::filesystem::path> plugin_candidates(const char* env_var, const char* file_name);

/// How open_plugin() finds one plugin and names it in its errors.
struct PluginSpec {
    const char* env_var;    ///< e.g. "RCLS_TORCH_PLUGIN".
    const char* file_name;  ///< e.g. "librcls_torch.so".
    const char* part;  ///< When it will not load: "<path>: cannot load <part>: <why> (<hint>)".
    const char* hint;
    const char* missing_part;  ///< When none of the candidates exists: "<missing_part> (<file>) is
                               ///< missing; looked at ...; build it ... or set <env_var>".
    /// Throws the error the caller's module uses (DeviceError, ModelError) with `message`.
    void (*fail)(const std::string& message);
};

/// A plugin dlopen()ed (RTLD_NOW | RTLD_LOCAL) by open_plugin(): it stays loaded for the life of
/// the process.
struct OpenedPlugin {
    void* handle = nullptr;
    std::filesystem::path path;
};

/// Loads the first of plugin_candidates(spec.env_var, spec.file_name) that exists; spec.fail()
/// when it will not load or none exists.
OpenedPlugin open_plugin(const PluginSpec& spec);

/// The address of `symbol` in `plugin`; spec.fail("<path>: not an rcls <kind> plugin (no
/// <symbol>)") when it has none (another library of the same file name).
void* plugin_symbol(const OpenedPlugin& plugin,
                    const PluginSpec& spec,
                    const char* kind,
                    const char* symbol);

/// `path` with a leading "~/" replaced by $HOME.
std::filesystem::path expand_user(const std::filesystem::path& path);

}  // namespace rcls
