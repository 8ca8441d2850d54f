// SPDX-License-Identifier: MIT
#include "rcls/model/classifier_config.hpp"

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

/// Reads known keys of a LeRobot JSON object, tolerating every other key.
class LenientReader {
public:
    LenientReader(const Json& object, std::string source)
        : object_(object), source_(std::move(source)) {}

    [[noreturn]] void fail(std::string_view key, const std::string& message) const {
        throw ModelError(source_ + ": /" + std::string(key) + ": " + message);
    }

    const Json* find(std::string_view key) const {
        const auto it = object_.find(key);
        return it == object_.end() ? nullptr : &*it;
    }

    void read(std::string_view key, int& value) const {
        const Json* j = find(key);
        if (j == nullptr) return;
        if (!j->is_number_integer())
            fail(key, "expected integer, got " + json_struct::describe(*j));
        value = j->get<int>();
    }
    void read(std::string_view key, double& value) const {
        const Json* j = find(key);
        if (j == nullptr) return;
        if (!j->is_number()) fail(key, "expected number, got " + json_struct::describe(*j));
        value = j->get<double>();
    }
    void read(std::string_view key, std::string& value) const {
        const Json* j = find(key);
        if (j == nullptr || j->is_null()) return;
        if (!j->is_string()) fail(key, "expected string, got " + json_struct::describe(*j));
        value = j->get<std::string>();
    }
    void read(std::string_view key, std::optional<std::string>& value) const {
        const Json* j = find(key);
        if (j == nullptr || j->is_null()) return;
        if (!j->is_string()) fail(key, "expected string or null, got " + json_struct::describe(*j));
        value = j->get<std::string>();
    }
    void read(std::string_view key, Dict<std::string>& value) const {
        const Json* j = find(key);
        if (j == nullptr || j->is_null()) return;
        if (!j->is_object()) fail(key, "expected object, got " + json_struct::describe(*j));
        value.clear();
        for (const auto& [name, item] : j->items()) {
            if (!item.is_string()) fail(std::string(key) + "/" + name, "expected string");
            value.emplace_back(name, item.get<std::string>());
        }
    }
    void read(std::string_view key, Dict<Feature>& value) const {
        const Json* j = find(key);
        if (j == nullptr || j->is_null()) return;
        if (!j->is_object()) fail(key, "expected object, got " + json_struct::describe(*j));
        value.clear();
        for (const auto& [name, item] : j->items()) {
            const std::string where = std::string(key) + "/" + name;
            if (!item.is_object()) fail(where, "expected {\"type\": ..., \"shape\": [...]}");
            Feature feature;
            const auto type = item.find("type");
            if (type != item.end()) {
                if (!type->is_string()) fail(where + "/type", "expected string");
                feature.type = type->get<std::string>();
            }
            const auto shape = item.find("shape");
            if (shape == item.end() || !shape->is_array())
                fail(where + "/shape", "expected a list of integers");
            for (const Json& dim : *shape) {
                if (!dim.is_number_integer()) fail(where + "/shape", "expected a list of integers");
                feature.shape.push_back(dim.get<std::int64_t>());
            }
            value.emplace_back(name, std::move(feature));
        }
    }

private:
    const Json& object_;
    std::string source_;
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
            if (side < 97 || side > 128) {
                fail("input_features/" + key + ": image size " + std::to_string(s[1]) + "x" +
                     std::to_string(s[2]) +
                     " is not supported; the classifier needs 97..128 px (a 4x4 encoder output)");
            }
        }
        if (!modules.insert(module_key(key)).second) {
            fail("input_features: two cameras map to the module name " + module_key(key));
        }
    }
    if (num_classes < 2) fail("num_classes must be at least 2, got " + std::to_string(num_classes));
    if (hidden_dim <= 0 || latent_dim <= 0 || image_embedding_pooling_dim <= 0) {
        fail("hidden_dim, latent_dim and image_embedding_pooling_dim must be positive");
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
    Json json;
    try {
        json = Json::parse(read_file(path));
    } catch (const nlohmann::json::exception& e) {
        throw ModelError(source + ": invalid JSON: " + e.what());
    } catch (const DataError& e) {
        throw ModelError(e.what());
    }
    if (!json.is_object()) throw ModelError(source + ": expected a JSON object");

    const LenientReader reader(json, source);
    std::string type = "reward_classifier";
    reader.read("type", type);
    if (type != "reward_classifier") {
        throw ModelError(
            source + ": a \"" + type +
            "\" checkpoint, not a reward classifier (\"type\": \"reward_classifier\")");
    }
    ClassifierConfig config;
    config.input_features.clear();
    reader.read("input_features", config.input_features);
    reader.read("output_features", config.output_features);
    reader.read("device", config.device);
    reader.read("pretrained_path", config.pretrained_path);
    reader.read("repo_id", config.repo_id);
    reader.read("name", config.name);
    reader.read("num_classes", config.num_classes);
    reader.read("hidden_dim", config.hidden_dim);
    reader.read("latent_dim", config.latent_dim);
    reader.read("image_embedding_pooling_dim", config.image_embedding_pooling_dim);
    reader.read("dropout_rate", config.dropout_rate);
    reader.read("model_name", config.model_name);
    reader.read("model_type", config.model_type);
    config.num_cameras = static_cast<int>(config.image_keys().size());
    reader.read("num_cameras", config.num_cameras);
    reader.read("learning_rate", config.learning_rate);
    reader.read("weight_decay", config.weight_decay);
    reader.read("grad_clip_norm", config.grad_clip_norm);
    reader.read("normalization_mapping", config.normalization_mapping);
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
