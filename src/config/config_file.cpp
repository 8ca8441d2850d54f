// SPDX-License-Identifier: MIT
#include "rcls/config/config_file.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "rcls/config/lerobot_keys.hpp"
#include "rcls/core/json_struct.hpp"
#include "rcls/core/strings.hpp"

namespace rcls::config {
namespace js = json_struct;
namespace {

// ---- LeRobot's gym_manipulator env config (GymManipulatorConfig, HEAD layout) -----------------
// Read into these, then copied onto a RecordConfig: only what the file sets changes rcls's
// defaults. Sections LeRobot may write as null are optional.

struct GymReset {
    std::optional<double> reset_time_s;
    std::optional<double> control_time_s;
    std::optional<bool> terminate_on_success;
    template <class V>
    void visit(V& v) {
        v.field("reset_time_s", reset_time_s);
        v.field("control_time_s", control_time_s);
        v.field("terminate_on_success", terminate_on_success);
    }
};

struct GymImagePreprocessing {
    decltype(RecordConfig::crop_params_dict) crop_params_dict;
    decltype(RecordConfig::resize_size) resize_size;
    template <class V>
    void visit(V& v) {
        v.field("crop_params_dict", crop_params_dict);
        v.field("resize_size", resize_size);
    }
};

struct GymObservation {
    std::optional<bool> display_cameras;
    template <class V>
    void visit(V& v) {
        v.field("display_cameras", display_cameras);
    }
};

struct GymRewardClassifier {
    std::optional<std::string> pretrained_path;
    template <class V>
    void visit(V& v) {
        v.field("pretrained_path", pretrained_path);
    }
};

struct GymProcessor {
    std::optional<GymObservation> observation;
    std::optional<GymImagePreprocessing> image_preprocessing;
    std::optional<GymReset> reset;
    std::optional<GymRewardClassifier> reward_classifier;
    template <class V>
    void visit(V& v) {
        v.field("observation", observation);
        v.field("image_preprocessing", image_preprocessing);
        v.field("reset", reset);
        v.field("reward_classifier", reward_classifier);
    }
};

struct GymEnv {
    std::string type = "gym_manipulator";
    std::optional<int> fps;
    std::optional<RobotConfig> robot;
    std::optional<TeleopConfig> teleop;
    std::optional<GymProcessor> processor;
    template <class V>
    void visit(V& v) {
        v.field("type", type, "Environment type", {"gym_manipulator"});
        v.field("fps", fps);
        v.field("robot", robot);
        v.field("teleop", teleop);
        v.field("processor", processor);
    }
};

struct GymDataset {
    std::optional<std::string> repo_id;
    std::optional<std::string> root;
    std::optional<std::string> task;
    std::optional<int> num_episodes_to_record;
    template <class V>
    void visit(V& v) {
        v.field("repo_id", repo_id);
        v.field("root", root);
        v.field("task", task);
        v.field("num_episodes_to_record", num_episodes_to_record);
    }
};

struct GymManipulatorFile {
    GymEnv env;
    std::optional<GymDataset> dataset;
    std::optional<std::string> mode;
    template <class V>
    void visit(V& v) {
        v.required("env", env);
        v.field("dataset", dataset);
        v.field("mode", mode);
        v.require(
            "mode", !mode || *mode == "record",
            "\"" + mode.value_or("") + "\" is not recording; rcls record records (\"record\")");
    }
};

template <class T>
void set_if(const std::optional<T>& value, T& target) {
    if (value) target = *value;
}

/// A gym_manipulator env config's settings on rcls's record config (its defaults elsewhere).
RecordConfig from_gym_manipulator(const GymManipulatorFile& file) {
    RecordConfig config;
    set_if(file.env.fps, config.fps);
    set_if(file.env.robot, config.robot);
    set_if(file.env.teleop, config.teleop);
    if (const auto& processor = file.env.processor) {
        if (const auto& reset = processor->reset) {
            set_if(reset->reset_time_s, config.reset_time_s);
            set_if(reset->control_time_s, config.control_time_s);
            set_if(reset->terminate_on_success, config.terminate_on_success);
        }
        if (const auto& images = processor->image_preprocessing) {
            config.crop_params_dict = images->crop_params_dict;
            config.resize_size = images->resize_size;
        }
        if (const auto& observation = processor->observation) {
            set_if(observation->display_cameras, config.display_cameras);
        }
        if (const auto& classifier = processor->reward_classifier) {
            config.reward_classifier_pretrained_path = classifier->pretrained_path;
        }
    }
    if (const auto& dataset = file.dataset) {
        set_if(dataset->repo_id, config.dataset.repo_id);
        if (dataset->root) config.dataset.root = dataset->root;
        set_if(dataset->task, config.dataset.task);
        set_if(dataset->num_episodes_to_record, config.num_episodes);
    }
    return config;
}

/// LeRobot's gym_manipulator layout: an `env` section that is an object (rcls's record config
/// has none; LeRobot's train_config.json writes "env": null).
bool is_gym_manipulator(const js::Json& document) {
    return document.is_object() && document.contains("env") && document["env"].is_object();
}

const std::vector<std::string>& lerobot_keys_ignored(const RecordConfig*) {
    return lerobot_record_keys_ignored();
}
const std::vector<std::string>& lerobot_keys_ignored(const TrainConfig*) {
    return lerobot_train_keys_ignored();
}

/// The image size a LeRobot reward model's `input_features` give when rcls's own `image_size` is
/// not set: every VISUAL feature of shape [3, S, S] with one S (rcls writes them so in
/// train_config.json). nullopt otherwise.
std::optional<int> image_size_from_features(const js::Json& document) {
    if (!document.is_object()) return std::nullopt;
    const js::Json* model = nullptr;
    for (const char* key : {"reward_model", "policy"}) {
        if (auto it = document.find(key); it != document.end() && it->is_object()) model = &*it;
    }
    if (model == nullptr || model->contains("image_size")) return std::nullopt;
    const auto features = model->find("input_features");
    if (features == model->end() || !features->is_object()) return std::nullopt;
    std::optional<int> size;
    for (const auto& [name, feature] : features->items()) {
        if (!feature.is_object() || feature.value("type", js::Json()) != "VISUAL") continue;
        const js::Json shape = feature.value("shape", js::Json());
        if (!shape.is_array() || shape.size() != 3 || !shape[1].is_number_integer() ||
            shape[1] != shape[2] || (size && shape[1].get<int>() != *size)) {
            return std::nullopt;
        }
        size = shape[1].get<int>();
    }
    return size;
}

/// Reads `file` into `config`: rcls's strict reader, with LeRobot's keys rcls does not use
/// named once in a warning instead of refused.
template <class T>
void read_file(const std::filesystem::path& file, T& config) {
    const js::Json document = js::parse_file(file);
    js::ForeignKeys lerobot{lerobot_keys_ignored(static_cast<const T*>(nullptr)), {}};
    const js::Context context(file.string(), "", js::ErrorKind::kConfig, js::Mode::kStrict,
                              &lerobot);
    if constexpr (std::is_same_v<T, RecordConfig>) {
        if (is_gym_manipulator(document)) {
            GymManipulatorFile gym;
            js::read_into(document, gym, context);
            // The record config's own checks, on what the file set.
            js::read_into(js::to_json(from_gym_manipulator(gym)), config, {file.string(), ""});
        } else {
            js::read_into(document, config, context);
        }
    } else {
        js::read_into(document, config, context);
        if constexpr (std::is_same_v<T, TrainConfig>) {
            if (const auto size = image_size_from_features(document)) {
                config.reward_model.image_size = *size;
                std::erase(lerobot.ignored, "/reward_model/input_features");
                js::read_into(js::to_json(config), config, {file.string(), ""});  // its checks
            }
        }
    }
    if (!lerobot.ignored.empty()) {
        spdlog::warn("{}: ignoring LeRobot keys rcls does not use: {}", file.string(),
                     lerobot.describe_ignored());
    }
}

template <class T>
T load(const std::optional<std::filesystem::path>& file, const std::vector<Override>& overrides) {
    T config{};
    if (file) read_file(*file, config);
    if (overrides.empty()) return config;
    // Each override is applied to the effective config on its own, so that an error names the flag.
    for (const Override& item : overrides) {
        js::Json document = js::to_json(config);
        js::set_at_pointer(document, item.pointer,
                           js::parse_text(item.json_text, "option " + item.flag));
        T updated = config;
        js::read_into(document, updated, {"option " + item.flag, ""});
        config = std::move(updated);
    }
    // A field's check may involve others (locked_joint_positions vs locked_joints): validate the
    // final result as a whole too.
    T final_config{};
    js::read_into(js::to_json(config), final_config, {"command-line options", ""});
    return final_config;
}

std::size_t matching_keys(const js::Json& document, const std::vector<std::string>& keys) {
    return static_cast<std::size_t>(
        std::count_if(document.items().begin(), document.items().end(), [&](const auto& item) {
            return std::find(keys.begin(), keys.end(), item.key()) != keys.end();
        }));
}

}  // namespace

std::string_view to_string(ConfigKind kind) {
    return kind == ConfigKind::kRecord ? "record" : "train";
}

RecordConfig load_record_config(const std::optional<std::filesystem::path>& file,
                                const std::vector<Override>& overrides) {
    return load<RecordConfig>(file, overrides);
}

TrainConfig load_train_config(const std::optional<std::filesystem::path>& file,
                              const std::vector<Override>& overrides) {
    return load<TrainConfig>(file, overrides);
}

std::string dump_config(const RecordConfig& config) {
    return js::to_json(config).dump(4);
}

std::string dump_config(const TrainConfig& config) {
    return js::to_json(config).dump(4);
}

ConfigKind detect_kind(const std::filesystem::path& file) {
    const js::Json document = js::parse_file(file);
    if (!document.is_object()) {
        throw ConfigError(file.string() + ": expected a JSON object, got " +
                          js::describe(document));
    }
    if (is_gym_manipulator(document)) return ConfigKind::kRecord;  // LeRobot's env config
    std::vector<std::string> train_keys = js::field_names<TrainConfig>();
    train_keys.emplace_back("policy");
    const std::size_t record = matching_keys(document, js::field_names<RecordConfig>());
    const std::size_t train = matching_keys(document, train_keys);
    // Keys both kinds share ("dataset") do not decide; the rest must point one way.
    const std::size_t shared = document.contains("dataset") ? 1 : 0;
    if (record > train) return ConfigKind::kRecord;
    if (train > record) return ConfigKind::kTrain;
    if (record == shared) {
        throw ConfigError(file.string() +
                          ": cannot tell whether this is a record or a train config (no known "
                          "top-level keys); pass --kind record or --kind train");
    }
    throw ConfigError(file.string() +
                      ": looks like both a record and a train config; pass --kind record or "
                      "--kind train");
}

std::string check_config(const std::filesystem::path& file,
                         std::optional<ConfigKind> kind,
                         ConfigKind* detected) {
    const ConfigKind effective = kind ? *kind : detect_kind(file);
    if (detected != nullptr) *detected = effective;
    return effective == ConfigKind::kRecord ? dump_config(load_record_config(file))
                                            : dump_config(load_train_config(file));
}

}  // namespace rcls::config
