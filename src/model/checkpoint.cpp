// SPDX-License-Identifier: MIT
#include "rcls/model/checkpoint.hpp"

#include <algorithm>
#include <cerrno>
#include <system_error>

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
    remove_stale_temporaries(final_dir.parent_path());
    AtomicOutput staged(final_dir, OutputKind::kDirectory);
    fill(staged.temp_path());  // a throw leaves nothing: the destructor removes the folder
    staged.commit();
    update_last_link(final_dir);
    return final_dir;
}

void update_last_link(const fs::path& checkpoint_dir) {
    AtomicOutput link(checkpoint_dir.parent_path() / kLastLink);
    std::error_code ec;
    fs::create_symlink(checkpoint_dir.filename(), link.temp_path(), ec);
    if (ec) throw DataError(link.temp_path().string() + ": cannot create link: " + ec.message());
    link.commit();  // renamed over the old link
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
