// SPDX-License-Identifier: MIT
//
// Loading, checking and printing the two user config files. Values come from, in rising
// priority: the structs' defaults, the JSON file, then command-line overrides.
//
// Flags reach a config one way: src/cli/config_flags.hpp binds every field to `--a.b` (its JSON
// path) and hands the values here as Override. Each section has one consumer, which takes the
// struct as it is:
//   record `robot`          -> arm::follower_options() (`robot.cameras`: the camera drivers)
//   record `teleop`         -> arm::leader_options()
//   train `reward_model`    -> model::ClassifierConfig, which shares its RewardClassifierParams
//                              (reward_classifier.hpp)
//   the other sections      -> the record and train workflows
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rcls/config/record_config.hpp"
#include "rcls/config/train_config.hpp"

namespace rcls::config {

/// Which workflow a config file is for.
enum class ConfigKind { kRecord, kTrain };

/// "record" or "train".
std::string_view to_string(ConfigKind kind);

/// One value given on the command line, e.g. `--dataset.repo_id me/cubes`.
struct Override {
    std::string flag;       ///< As typed, for messages: "--dataset.repo_id".
    std::string pointer;    ///< JSON pointer of the field: "/dataset/repo_id".
    std::string json_text;  ///< The new value as JSON text: "\"me/cubes\"".
};

/// Loads a record config: defaults, then `file` (if any), then `overrides` in order.
/// Throws ConfigError naming the file or flag, the JSON pointer and what is wrong.
RecordConfig load_record_config(const std::optional<std::filesystem::path>& file,
                                const std::vector<Override>& overrides = {});

/// Loads a train config, as load_record_config().
TrainConfig load_train_config(const std::optional<std::filesystem::path>& file,
                              const std::vector<Override>& overrides = {});

/// The config as pretty JSON (4-space indent, fields in documented order), as written by
/// `--print-config` and stored next to outputs.
std::string dump_config(const RecordConfig& config);
std::string dump_config(const TrainConfig& config);

/// Tells a record config from a train config by its top-level keys. Throws ConfigError when the
/// file is not a JSON object or matches neither (or both) clearly.
ConfigKind detect_kind(const std::filesystem::path& file);

/// Validates `file` as `kind` (detected when nullopt) and returns the effective config as JSON
/// text. Throws ConfigError as load_*_config().
std::string check_config(const std::filesystem::path& file,
                         std::optional<ConfigKind> kind,
                         ConfigKind* detected = nullptr);

}  // namespace rcls::config
