// SPDX-License-Identifier: MIT
#include "rcls/model/checkpoint.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <stdio.h>
#include <system_error>
#include <unistd.h>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"

namespace rcls::model {
namespace fs = std::filesystem;
namespace {

bool all_digits(const std::string& text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_pretrained_dir(const fs::path& dir) {
    std::error_code ec;
    return fs::is_regular_file(dir / kConfigFile, ec) && fs::is_regular_file(dir / kModelFile, ec);
}

/// A hidden name beside `target` in rcls's temporary-file pattern (".<name>.tmp-<pid>-<n>").
fs::path staging_path(const fs::path& target) {
    static std::atomic<unsigned> counter{0};
    return target.parent_path() / ("." + target.filename().string() + ".tmp-" +
                                   std::to_string(::getpid()) + "-" + std::to_string(counter++));
}

void sync_tree(const fs::path& root) {
    std::error_code ec;
    for (const auto& entry : fs::recursive_directory_iterator(root, ec)) {
        if (entry.is_directory(ec)) sync_path(entry.path());
    }
    sync_path(root);
}

}  // namespace

std::string step_name(std::int64_t step, std::int64_t total_steps) {
    const std::size_t width = std::max<std::size_t>(6, std::to_string(total_steps).size());
    std::string digits = std::to_string(step);
    if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
    return digits;
}

fs::path step_dir(const fs::path& output_dir, std::int64_t step, std::int64_t total_steps) {
    return output_dir / kCheckpointsDir / step_name(step, total_steps);
}

fs::path write_checkpoint(const fs::path& output_dir,
                          std::int64_t step,
                          std::int64_t total_steps,
                          const std::function<void(const fs::path&)>& fill) {
    const fs::path final_dir = step_dir(output_dir, step, total_steps);
    const fs::path parent = final_dir.parent_path();
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) throw DataError(parent.string() + ": cannot create directory: " + ec.message());
    const fs::path temp = staging_path(final_dir);
    fs::create_directories(temp, ec);
    if (ec) throw DataError(temp.string() + ": cannot create directory: " + ec.message());
    try {
        fill(temp);
        sync_tree(temp);
    } catch (...) {
        fs::remove_all(temp, ec);
        throw;
    }

    if (fs::exists(final_dir, ec)) {
        // Swap the new folder in atomically, then delete the old one. Where the file system cannot
        // exchange, move the old one aside first (a kill in between leaves both folders complete).
        if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, final_dir.c_str(), RENAME_EXCHANGE) !=
            0) {
            const fs::path old =
                final_dir.parent_path() / ("replaced-" + final_dir.filename().string());
            fs::remove_all(old, ec);
            fs::rename(final_dir, old, ec);
            if (!ec) {
                fs::rename(temp, final_dir, ec);
                if (ec) fs::rename(old, final_dir);  // put the old checkpoint back
            }
            if (ec) {
                const std::string message = ec.message();
                fs::remove_all(temp, ec);
                throw DataError(final_dir.string() + ": cannot replace the checkpoint: " + message);
            }
            fs::remove_all(old, ec);
        } else {
            fs::remove_all(temp, ec);
        }
    } else {
        fs::rename(temp, final_dir, ec);
        if (ec) {
            fs::remove_all(temp, ec);
            throw DataError(final_dir.string() +
                            ": cannot move the finished checkpoint into place: " + ec.message());
        }
    }
    sync_path(parent);
    update_last_link(final_dir);
    return final_dir;
}

void update_last_link(const fs::path& checkpoint_dir) {
    const fs::path parent = checkpoint_dir.parent_path();
    const fs::path link = parent / kLastLink;
    const fs::path temp = staging_path(link);
    std::error_code ec;
    fs::create_symlink(checkpoint_dir.filename(), temp, ec);
    if (ec) throw DataError(temp.string() + ": cannot create link: " + ec.message());
    fs::rename(temp, link, ec);  // replaces an existing link atomically
    if (ec) {
        fs::remove(temp, ec);
        throw DataError(link.string() +
                        ": cannot update the link to the last checkpoint: " + ec.message());
    }
    sync_path(parent);
}

std::vector<std::int64_t> list_checkpoint_steps(const fs::path& output_dir) {
    std::vector<std::int64_t> steps;
    std::error_code ec;
    const fs::path dir = output_dir / kCheckpointsDir;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (!all_digits(name) || name.size() > 18 ||
            !is_pretrained_dir(entry.path() / kPretrainedModelDir)) {
            continue;
        }
        steps.push_back(std::stoll(name));
    }
    std::sort(steps.begin(), steps.end());
    return steps;
}

fs::path resolve_pretrained_dir(const fs::path& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw ModelError(path.string() + ": checkpoint not found");
    if (is_pretrained_dir(path)) return path;
    if (fs::exists(path / kConfigFile, ec)) {
        throw ModelError((path / kModelFile).string() +
                         ": not found next to config.json; not a complete checkpoint");
    }
    if (is_pretrained_dir(path / kPretrainedModelDir)) return path / kPretrainedModelDir;
    if (fs::exists(path / kLastLink, ec)) return resolve_pretrained_dir(path / kLastLink);
    if (fs::is_directory(path / kCheckpointsDir, ec))
        return resolve_pretrained_dir(path / kCheckpointsDir);
    if (path.filename() == kCheckpointsDir) {
        const std::vector<std::int64_t> steps = list_checkpoint_steps(path.parent_path());
        if (!steps.empty()) {
            // Names are zero-padded to at least 6 digits; find the folder whose value is the step.
            for (const auto& entry : fs::directory_iterator(path, ec)) {
                const std::string name = entry.path().filename().string();
                if (all_digits(name) && name.size() <= 18 && std::stoll(name) == steps.back()) {
                    return entry.path() / kPretrainedModelDir;
                }
            }
        }
    }
    throw ModelError(path.string() +
                     ": not a checkpoint; expected a pretrained_model folder (config.json and "
                     "model.safetensors), a checkpoints/<step> folder or a training run folder");
}

}  // namespace rcls::model
