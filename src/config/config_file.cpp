// SPDX-License-Identifier: MIT
#include "rcls/config/config_file.hpp"

#include <algorithm>

#include "rcls/core/json_struct.hpp"
#include "rcls/core/strings.hpp"

namespace rcls::config {
namespace js = json_struct;
namespace {

template <class T>
T load(const std::optional<std::filesystem::path>& file, const std::vector<Override>& overrides) {
    T config{};
    if (file) js::read_into(js::parse_file(*file), config, {file->string(), ""});
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
