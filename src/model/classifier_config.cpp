// SPDX-License-Identifier: MIT
#include "rcls/model/classifier_config.hpp"

#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/json_struct.hpp"
#include "rcls/core/strings.hpp"

#include "feature_json.hpp"

namespace rcls::model {

namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kImagePrefix = "observation.image";

/// One entry of input_features / output_features as read: "shape" is required.
struct FeatureEntry {
    Feature feature;

    template <class V>
    void visit(V& v) {
        v.field("type", feature.type);
        v.required("shape", feature.shape);
    }
};

Json optional_json(const std::optional<std::string>& value) {
    return value ? Json(*value) : Json(nullptr);
}

}  // namespace

std::vector<std::string> ClassifierConfig::image_keys() const {
    std::vector<std::string> keys;
    for (const auto& [key, feature] : input_features) {
        if (key.rfind(kImagePrefix, 0) == 0) keys.push_back(key);
    }
    return keys;
}

void ClassifierConfig::validate(const std::string& source) const {
    const auto fail = [&](const std::string& message) {
        throw ModelError(source + ": " + message);
    };
    if (model_type != "cnn") {
        fail("model_type \"" + model_type + "\" is not supported; rcls runs the ResNet10 \"cnn\"");
    }
    const std::vector<std::string> keys = image_keys();
    if (keys.empty()) {
        fail("input_features has no image feature (a key starting with \"observation.image\")");
    }
    if (num_cameras != static_cast<int>(keys.size())) {
        fail("num_cameras is " + std::to_string(num_cameras) + " but input_features has " +
             std::to_string(keys.size()) + " image features (" + join(keys, ", ") + ")");
    }
    std::set<std::string> modules;
    for (const std::string& key : keys) {
        const Feature& feature = *dict_find(input_features, key);
        const auto& s = feature.shape;
        if (s.size() != 3 || s[0] != 3) {
            fail("input_features/" + key + ": expected shape [3, H, W], got " +
                 (s.empty() ? std::string("[]")
                            : "[" + std::to_string(s[0]) + ", ...] with " +
                                  std::to_string(s.size()) + " dimensions"));
        }
        for (const std::int64_t side : {s[1], s[2]}) {
            if (side < 33 || side > 128) {
                fail("input_features/" + key + ": image size " + std::to_string(s[1]) + "x" +
                     std::to_string(s[2]) +
                     " is not supported; the classifier needs 33..128 px (a 2x2 to 4x4 encoder "
                     "output; LeRobot itself loads only 97..128 px, a 4x4 output)");
            }
        }
        if (!modules.insert(module_key(key)).second) {
            fail("input_features: two cameras map to the module name " + module_key(key));
        }
    }
    if (num_classes < 2) fail("num_classes must be at least 2, got " + std::to_string(num_classes));
    // Bounds before the model is built: a dimension past them is a corrupt or foreign config,
    // and libtorch would fail deep inside with a stack trace (or allocate without limit).
    constexpr int kMaxDim = 65536;
    const std::pair<const char*, int> dims[] = {
        {"num_classes", num_classes},
        {"hidden_dim", hidden_dim},
        {"latent_dim", latent_dim},
        {"image_embedding_pooling_dim", image_embedding_pooling_dim}};
    for (const auto& [dim, value] : dims) {
        if (value <= 0 || value > kMaxDim) {
            fail(std::string(dim) + " " + std::to_string(value) + " is out of range (1.." +
                 std::to_string(kMaxDim) + "); the checkpoint's config.json is corrupt");
        }
    }
    if (!(dropout_rate >= 0.0 && dropout_rate < 1.0)) {
        fail("dropout_rate " + number_text(dropout_rate) + " is out of range (0 to below 1)");
    }
}

std::string module_key(std::string_view feature_key) {
    std::string out(feature_key);
    for (char& c : out) {
        if (c == '.') c = '_';
    }
    return out;
}

ClassifierConfig load_classifier_config(const std::filesystem::path& path) {
    const std::string source = path.string();
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        throw ModelError(source +
                         ": not found; a LeRobot checkpoint's pretrained_model folder holds "
                         "config.json and model.safetensors");
    }
    // A checkpoint file (ModelError), read leniently: LeRobot's config.json differs across
    // versions and carries fields rcls does not use.
    namespace js = json_struct;
    const js::Json json = js::parse_file(path, js::ErrorKind::kModel, "config.json");
    if (!json.is_object()) throw ModelError(source + ": expected a JSON object");
    js::Reader reader(json, js::Context(source, "", js::ErrorKind::kModel, js::Mode::kLenient));
    std::string type = "reward_classifier";
    reader.field("type", type);
    if (type != "reward_classifier") {
        throw ModelError(
            source + ": a \"" + type +
            "\" checkpoint, not a reward classifier (\"type\": \"reward_classifier\")");
    }
    ClassifierConfig config;
    const auto read_features = [&](std::string_view key, Dict<Feature>& features) {
        std::optional<Dict<FeatureEntry>> entries;
        reader.field(key, entries);
        if (!entries) return;
        features.clear();
        for (auto& [name, entry] : *entries)
            features.emplace_back(name, std::move(entry.feature));
    };
    config.input_features.clear();
    read_features("input_features", config.input_features);
    read_features("output_features", config.output_features);
    reader.field("device", config.device);
    reader.field("pretrained_path", config.pretrained_path);
    reader.field("repo_id", config.repo_id);
    reader.field("name", config.name);
    reader.field("num_classes", config.num_classes);
    reader.field("hidden_dim", config.hidden_dim);
    reader.field("latent_dim", config.latent_dim);
    reader.field("image_embedding_pooling_dim", config.image_embedding_pooling_dim);
    reader.field("dropout_rate", config.dropout_rate);
    reader.field("model_name", config.model_name);
    reader.field("model_type", config.model_type);
    config.num_cameras = static_cast<int>(config.image_keys().size());
    reader.field("num_cameras", config.num_cameras);
    reader.field("learning_rate", config.learning_rate);
    reader.field("weight_decay", config.weight_decay);
    reader.field("grad_clip_norm", config.grad_clip_norm);
    reader.field("normalization_mapping", config.normalization_mapping);
    config.validate(source);
    return config;
}

std::string classifier_config_json(const ClassifierConfig& config) {
    // LeRobot's order: the choice "type", RewardModelConfig's fields, then the subclass's.
    Json json = Json::object();
    json["type"] = "reward_classifier";
    json["input_features"] = detail::features_json(config.input_features);
    json["output_features"] = detail::features_json(config.output_features);
    json["device"] = config.device;
    json["pretrained_path"] = optional_json(config.pretrained_path);
    json["pretrained_revision"] = nullptr;
    json["push_to_hub"] = false;
    json["repo_id"] = optional_json(config.repo_id);
    json["license"] = nullptr;
    json["tags"] = nullptr;
    json["private"] = nullptr;
    json["name"] = config.name;
    json["num_classes"] = config.num_classes;
    json["hidden_dim"] = config.hidden_dim;
    json["latent_dim"] = config.latent_dim;
    json["image_embedding_pooling_dim"] = config.image_embedding_pooling_dim;
    json["dropout_rate"] = config.dropout_rate;
    json["model_name"] = config.model_name;
    json["model_type"] = config.model_type;
    json["num_cameras"] = config.num_cameras;
    json["learning_rate"] = config.learning_rate;
    json["weight_decay"] = config.weight_decay;
    json["grad_clip_norm"] = config.grad_clip_norm;
    Json mapping = Json::object();
    for (const auto& [type, mode] : config.normalization_mapping)
        mapping[type] = mode;
    json["normalization_mapping"] = std::move(mapping);
    return json.dump(4);
}

ImageStats imagenet_stats() {
    return {{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}};
}

NormStats imagenet_norm_stats(const ClassifierConfig& config) {
    NormStats stats;
    for (const std::string& key : config.image_keys())
        stats.emplace_back(key, imagenet_stats());
    return stats;
}

}  // namespace rcls::model
