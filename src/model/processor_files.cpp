// SPDX-License-Identifier: MIT
#include "processor_files.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/json_struct.hpp"
#include "rcls/core/strings.hpp"
#include "rcls/model/checkpoint.hpp"

#include "feature_json.hpp"

namespace rcls::model::detail {
namespace fs = std::filesystem;
namespace {

using Json = nlohmann::ordered_json;

Json normalizer_step(const Dict<Feature>& features,
                     const ClassifierConfig& config,
                     const char* state_file) {
    Json norm_map = Json::object();
    for (const auto& [type, mode] : config.normalization_mapping)
        norm_map[type] = mode;
    Json step = Json::object();
    step["registry_name"] = "normalizer_processor";
    step["config"] = Json{
        {"eps", 1e-8}, {"features", features_json(features)}, {"norm_map", std::move(norm_map)}};
    step["state_file"] = state_file;
    return step;
}

Json device_step() {
    return Json{{"registry_name", "device_processor"},
                {"config", Json{{"device", "cpu"}, {"float_dtype", nullptr}}}};
}

/// mean/std of one camera from tensors named <prefix>mean and <prefix>std.
ImageStats read_stats(const safetensors::File& file,
                      const std::string& prefix,
                      const std::string& camera) {
    ImageStats stats;
    for (const char* stat : {"mean", "std"}) {
        const std::string name = prefix + stat;
        if (!file.contains(name)) {
            throw ModelError(file.source() + ": no \"" + name + "\" for camera " + camera +
                             "; the checkpoint's statistics do not match its input_features");
        }
        const std::vector<float> values = file.to_float32(name);
        if (values.size() != 3) {
            throw ModelError(file.source() + ": tensor \"" + name +
                             "\": " + std::to_string(values.size()) +
                             " values, expected 3 (one per RGB channel)");
        }
        for (std::size_t c = 0; c < 3; ++c) {
            if (!std::isfinite(values[c]) || (std::string(stat) == "std" && values[c] < 0.0f)) {
                throw ModelError(file.source() + ": tensor \"" + name +
                                 "\" holds unusable values (inf, nan or negative); the statistics "
                                 "were never set");
            }
            (std::string(stat) == "mean" ? stats.mean : stats.std)[c] = values[c];
        }
    }
    return stats;
}

/// One entry of a processor pipeline's "steps", as far as loading the statistics needs it.
struct PipelineStep {
    std::string registry_name;
    std::optional<std::string> state_file;

    template <class V>
    void visit(V& v) {
        v.field("registry_name", registry_name);
        v.field("state_file", state_file);
    }
};

}  // namespace

void save_processor_files(const fs::path& dir,
                          const ClassifierConfig& config,
                          const NormStats& stats) {
    safetensors::Writer state;
    for (const std::string& key : config.image_keys()) {
        const ImageStats* camera = dict_find(stats, key);
        if (camera == nullptr)
            throw std::invalid_argument("save_processor_files: no statistics for " + key);
        state.add_f32(key + ".mean", {3, 1, 1}, camera->mean);
        state.add_f32(key + ".std", {3, 1, 1}, camera->std);
    }
    state.save(dir / kNormalizerStateFile);
    state.save(dir / kTargetNormalizerStateFile);

    Json pre = Json::object();
    pre["name"] = "classifier_preprocessor";
    pre["steps"] =
        Json::array({normalizer_step(config.input_features, config, kNormalizerStateFile),
                     normalizer_step(config.output_features, config, kTargetNormalizerStateFile),
                     device_step()});
    write_file_atomic(dir / kPreprocessorFile, pre.dump(2));

    Json post = Json::object();
    post["name"] = "classifier_postprocessor";
    post["steps"] = Json::array(
        {device_step(), Json{{"class", "lerobot.processor.pipeline.IdentityProcessorStep"},
                             {"config", Json::object()}}});
    write_file_atomic(dir / kPostprocessorFile, post.dump(2));
}

std::optional<NormStats> load_processor_stats(const fs::path& dir, const ClassifierConfig& config) {
    std::error_code ec;
    fs::path state_file = dir / kNormalizerStateFile;
    const fs::path pipeline = dir / kPreprocessorFile;
    if (fs::exists(pipeline, ec)) {
        // The state file is named in the pipeline (its first normalizer step). LeRobot's file:
        // a checkpoint file (ModelError), read leniently.
        namespace js = json_struct;
        const js::Json json = js::parse_file(pipeline, js::ErrorKind::kModel, "processor pipeline");
        js::Reader reader(
            json, js::Context(pipeline.string(), "", js::ErrorKind::kModel, js::Mode::kLenient));
        std::vector<PipelineStep> steps;
        reader.required("steps", steps);
        for (const PipelineStep& step : steps) {
            if (step.registry_name == "normalizer_processor" && step.state_file) {
                state_file = dir / *step.state_file;
                break;
            }
        }
    }
    if (!fs::exists(state_file, ec)) return std::nullopt;
    const safetensors::File file = safetensors::File::load(state_file);
    NormStats stats;
    for (const std::string& key : config.image_keys())
        stats.emplace_back(key, read_stats(file, key + ".", key));
    return stats;
}

bool is_v03_normalization_key(std::string_view name) {
    return name.rfind("normalize_inputs.", 0) == 0 || name.rfind("normalize_targets.", 0) == 0 ||
           name.rfind("unnormalize_outputs.", 0) == 0;
}

std::optional<NormStats> load_v03_stats(const safetensors::File& model,
                                        const ClassifierConfig& config) {
    NormStats stats;
    for (const std::string& key : config.image_keys()) {
        const std::string prefix = "normalize_inputs.buffer_" + module_key(key) + ".";
        if (!model.contains(prefix + "mean")) return std::nullopt;
        stats.emplace_back(key, read_stats(model, prefix, key));
    }
    return stats;
}

}  // namespace rcls::model::detail
