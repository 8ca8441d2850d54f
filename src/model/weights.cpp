// SPDX-License-Identifier: MIT
#include "rcls/model/weights.hpp"

#include <map>
#include <set>
#include <unordered_map>

#include <spdlog/spdlog.h>
#include <torch/types.h>
#include <torch/utils.h>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/paths.hpp"
#include "rcls/core/strings.hpp"
#include "rcls/model/checkpoint.hpp"
#include "rcls/safetensors/safetensors.hpp"

#include "processor_files.hpp"

namespace rcls::model {
namespace fs = std::filesystem;
namespace {

using safetensors::Dtype;
using safetensors::shape_string;

std::string shape_of(const torch::Tensor& t) {
    return shape_string(t.sizes().vec());
}

/// Names of the model's tensors, grouped by the tensor they refer to (aliases share one group),
/// in named_parameters() order.
std::vector<std::pair<torch::Tensor, std::vector<std::string>>> shared_groups(
    torch::nn::Module& model) {
    std::vector<std::pair<torch::Tensor, std::vector<std::string>>> groups;
    std::unordered_map<const void*, std::size_t> index;
    for (const auto& item : model.named_parameters(/*recurse=*/true)) {
        const void* impl = item.value().unsafeGetTensorImpl();
        const auto [it, inserted] = index.emplace(impl, groups.size());
        if (inserted) groups.push_back({item.value(), {}});
        groups[it->second].second.push_back(item.key());
    }
    for (const auto& item : model.named_buffers(/*recurse=*/true)) {
        groups.push_back({item.value(), {item.key()}});
    }
    return groups;
}

/// Copies a file tensor into `target` after checking dtype and shape.
void copy_checked(const safetensors::File& file,
                  const std::string& name,
                  const std::string& model_name,
                  torch::Tensor target,
                  bool convert_floats) {
    const safetensors::TensorInfo& info = file.info(name);
    const std::vector<std::int64_t> want = target.sizes().vec();
    if (info.shape != want) {
        throw ModelError(file.source() + ": tensor \"" + name + "\": shape " +
                         shape_string(info.shape) + " in the file, " + shape_string(want) +
                         " in the model" + (name == model_name ? "" : " (\"" + model_name + "\")") +
                         "; the checkpoint is of another architecture or size");
    }
    const torch::NoGradGuard no_grad;
    if (info.dtype == Dtype::kF32) {
        const auto bytes = file.bytes(name);
        target.copy_(torch::from_blob(const_cast<std::byte*>(bytes.data()), want, torch::kFloat32));
    } else if (convert_floats && (info.dtype == Dtype::kF16 || info.dtype == Dtype::kBF16 ||
                                  info.dtype == Dtype::kF64)) {
        std::vector<float> values = file.to_float32(name);
        target.copy_(torch::from_blob(values.data(), want, torch::kFloat32));
    } else {
        throw ModelError(file.source() + ": tensor \"" + name + "\": dtype " +
                         std::string(safetensors::to_string(info.dtype)) + ", expected F32");
    }
    // A diverged training saves NaN weights: every prediction would be NaN, scored as failure.
    if (target.is_floating_point()) {
        const std::int64_t bad = (~torch::isfinite(target)).sum().item<std::int64_t>();
        if (bad > 0) {
            throw ModelError(file.source() + ": tensor \"" + name + "\" holds " +
                             std::to_string(bad) +
                             " NaN or infinite values; the checkpoint is unusable (a diverged "
                             "training?): retrain or use an earlier checkpoint");
        }
    }
}

void load_into(const safetensors::File& file, Classifier& model) {
    std::set<std::string> used;
    std::vector<std::pair<std::string, std::string>> missing;  // name, shape
    for (auto& [tensor, names] : shared_groups(*model)) {
        // Like safetensors.torch.load_model: any alias present in the file fills the whole group.
        const auto found = std::find_if(names.begin(), names.end(),
                                        [&](const std::string& n) { return file.contains(n); });
        if (found == names.end()) {
            missing.emplace_back(names.front(), shape_of(tensor));
            continue;
        }
        copy_checked(file, *found, names.front(), tensor, /*convert_floats=*/false);
        used.insert(*found);
    }
    std::vector<std::string> unexpected;
    for (const std::string& name : file.names()) {
        if (used.count(name) == 0 && !detail::is_v03_normalization_key(name))
            unexpected.push_back(name);
    }
    if (!missing.empty()) {
        std::string message = file.source() + ": tensor \"" + missing.front().first + "\" " +
                              missing.front().second + " is missing";
        if (missing.size() > 1) message += " (and " + std::to_string(missing.size() - 1) + " more)";
        if (!unexpected.empty()) {
            message += "; the file has " + std::to_string(unexpected.size()) +
                       " tensors the model lacks, e.g. \"" + unexpected.front() +
                       "\": a checkpoint of another architecture";
        } else {
            message += ": not a complete reward classifier checkpoint";
        }
        throw ModelError(message);
    }
    if (!unexpected.empty()) {
        spdlog::warn("{}: ignoring {} tensors the model does not have, e.g. \"{}\"", file.source(),
                     unexpected.size(), unexpected.front());
    }
}

NormStats identity_stats(const ClassifierConfig& config) {
    NormStats stats;
    for (const std::string& key : config.image_keys())
        stats.emplace_back(key, ImageStats{{0, 0, 0}, {1, 1, 1}});
    return stats;
}

}  // namespace

void save_model_safetensors(const fs::path& path, Classifier& model) {
    safetensors::Writer writer;
    for (auto& [tensor, names] : shared_groups(*model)) {
        std::vector<std::string> sorted = names;
        std::sort(sorted.begin(), sorted.end());
        const std::string& keep = sorted.front();  // safetensors keeps the smallest name
        for (std::size_t i = 1; i < sorted.size(); ++i)
            writer.set_metadata(sorted[i], keep);
        add_f32_tensor(writer, keep, tensor);
    }
    writer.save(path);
}

void add_f32_tensor(safetensors::Writer& writer,
                    const std::string& name,
                    const torch::Tensor& tensor) {
    const torch::Tensor data = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    writer.add(
        name, safetensors::Dtype::kF32, data.sizes().vec(),
        {static_cast<const char*>(data.data_ptr()), static_cast<std::size_t>(data.nbytes())});
}

void load_model_safetensors(const fs::path& path, Classifier& model) {
    load_into(safetensors::File::load(path), model);
}

void save_pretrained(const fs::path& dir, Classifier& model, const NormStats& stats) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw DataError(dir.string() + ": cannot create directory: " + ec.message());
    write_file_atomic(dir / kConfigFile, classifier_config_json(model->config()));
    save_model_safetensors(dir / kModelFile, model);
    detail::save_processor_files(dir, model->config(), stats);
}

LoadedClassifier load_pretrained(const fs::path& checkpoint) {
    const fs::path dir = resolve_pretrained_dir(checkpoint);
    LoadedClassifier loaded;
    loaded.config = load_classifier_config(dir / kConfigFile);
    loaded.model = Classifier(loaded.config);
    const safetensors::File file = safetensors::File::load(dir / kModelFile);
    load_into(file, loaded.model);
    loaded.model->eval();

    const std::string* mode = dict_find(loaded.config.normalization_mapping, "VISUAL");
    if (mode != nullptr && *mode == "IDENTITY") {
        loaded.stats = identity_stats(loaded.config);
        loaded.stats_from = "none (normalization_mapping VISUAL is IDENTITY)";
    } else if (mode != nullptr && *mode != "MEAN_STD") {
        throw ModelError((dir / kConfigFile).string() + ": /normalization_mapping/VISUAL: \"" +
                         *mode + "\" is not supported (MEAN_STD or IDENTITY)");
    } else if (auto stats = detail::load_processor_stats(dir, loaded.config)) {
        loaded.stats = std::move(*stats);
        loaded.stats_from = (dir / kNormalizerStateFile).string();
    } else if (auto v03 = detail::load_v03_stats(file, loaded.config)) {
        loaded.stats = std::move(*v03);
        loaded.stats_from = file.source() + " (normalize_inputs, LeRobot 0.3)";
    } else {
        loaded.stats = imagenet_norm_stats(loaded.config);
        loaded.stats_from = "ImageNet (the checkpoint carries no statistics)";
    }
    return loaded;
}

fs::path find_encoder_weights(const std::string& model_name) {
    const fs::path path = expand_user(model_name);
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) return path;
    if (fs::is_directory(path, ec)) {
        if (fs::is_regular_file(path / kModelFile, ec)) return path / kModelFile;
        throw ModelError(path.string() +
                         ": no model.safetensors in this folder (the helper2424/resnet10 weights)");
    }
    const std::vector<std::string> parts = split(model_name, '/');
    if (parts.size() != 2 || parts[0].empty() || parts[1].empty() || model_name.front() == '.') {
        throw ModelError(model_name +
                         ": neither a file, a folder nor a Hugging Face model id (<org>/<name>)");
    }
    const fs::path repo = hf_hub_cache() / ("models--" + parts[0] + "--" + parts[1]);
    const fs::path snapshots = repo / "snapshots";
    std::vector<fs::path> candidates;
    std::string revision;
    if (fs::is_regular_file(repo / "refs" / "main", ec)) {
        revision = std::string(trim(read_file(repo / "refs" / "main")));
        if (!revision.empty()) candidates.push_back(snapshots / revision / kModelFile);
    }
    std::vector<std::pair<fs::file_time_type, fs::path>> others;
    for (const auto& entry : fs::directory_iterator(snapshots, ec)) {
        if (entry.path().filename() != revision)
            others.emplace_back(fs::last_write_time(entry.path(), ec), entry.path());
    }
    std::sort(others.rbegin(), others.rend());
    for (const auto& [time, dir] : others)
        candidates.push_back(dir / kModelFile);
    for (const fs::path& candidate : candidates) {
        if (fs::is_regular_file(candidate, ec)) return candidate;
    }
    throw ModelError(
        "encoder weights \"" + model_name +
        "\" are not on this machine (no model.safetensors under " + snapshots.string() +
        "); rcls downloads nothing: run `huggingface-cli download " + model_name +
        "` (it fills that cache), or set reward_model.model_name to a folder or file holding "
        "model.safetensors");
}

void load_encoder_weights(ResNet10& encoder, const fs::path& path) {
    const safetensors::File file = safetensors::File::load(path);
    std::string prefix;
    for (const char* candidate : {"", "encoder.", "resnet."}) {
        if (file.contains(std::string(candidate) + "embedder.0.weight")) {
            prefix = candidate;
            break;
        }
        if (std::string(candidate) == "resnet.") {
            throw ModelError(file.source() +
                             ": not helper2424/resnet10 weights (no tensor \"embedder.0.weight\")");
        }
    }
    for (const auto& item : encoder->named_parameters(/*recurse=*/true)) {
        const std::string current = prefix + item.key();
        // Before 2025-04 the GroupNorms were plain nn.GroupNorm: "norm1.weight", not
        // "norm1.group_norm.weight".
        std::string older = current;
        if (const std::size_t at = older.find(".group_norm."); at != std::string::npos)
            older.erase(at, 11);
        const std::string& name = file.contains(current) ? current : older;
        if (!file.contains(name)) {
            throw ModelError(file.source() + ": tensor \"" + current + "\" " +
                             shape_of(item.value()) +
                             " is missing: not the helper2424/resnet10 encoder");
        }
        copy_checked(file, name, item.key(), item.value(), /*convert_floats=*/true);
    }
}

}  // namespace rcls::model
