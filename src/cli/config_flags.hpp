// SPDX-License-Identifier: MIT
//
// One command-line flag per config field: `--fps 5`, `--dataset.repo_id me/cubes`,
// `--locked_joints wrist_roll,gripper`, `--resize_size '[128,128]'`, `--robot.cameras '{...}'`.
// Flag names are the fields' JSON paths joined by dots, as LeRobot's draccus flags. Values are
// collected as config::Override in command-line order and applied by config::load_*_config().
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "rcls/config/config_file.hpp"
#include "rcls/core/json_struct.hpp"
#include "rcls/core/strings.hpp"

namespace rcls::cli {

class ConfigFlagBinder {
public:
    ConfigFlagBinder(CLI::App& app,
                     std::vector<config::Override>& overrides,
                     std::string prefix,
                     std::string pointer)
        : app_(app),
          overrides_(overrides),
          prefix_(std::move(prefix)),
          pointer_(std::move(pointer)) {}

    void alias(std::string_view, std::string_view) {}
    void require(std::string_view, bool, std::string_view) const {}

    template <class T>
    void field(std::string_view key, T& value, std::string_view help = {}) {
        const std::string name =
            prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
        const std::string pointer = json_struct::append_pointer(pointer_, key);
        if constexpr (json_struct::Visitable<T>) {
            ConfigFlagBinder nested(app_, overrides_, name, pointer);
            value.visit(nested);
        } else {
            add<T>(name, pointer, std::string(help));
        }
    }

    void field(std::string_view key,
               std::string& value,
               std::string_view help,
               const std::vector<std::string>& choices) {
        field(key, value, std::string(help) + " (" + join(choices, "|") + ")");
    }

private:
    template <class T>
    void add(const std::string& name, const std::string& pointer, const std::string& help) {
        const std::string flag = "--" + name;
        auto* overrides = &overrides_;
        app_.add_option_function<std::string>(
                flag,
                [overrides, flag, pointer](const std::string& text) {
                    overrides->push_back(
                        {flag, pointer, json_struct::parse_override<T>(text, flag).dump()});
                },
                help)
            ->type_name(json_struct::expected_type<T>())
            ->group("Config overrides (JSON paths; see --print-config)");
    }

    CLI::App& app_;
    std::vector<config::Override>& overrides_;
    std::string prefix_;
    std::string pointer_;
};

/// Adds an override flag for every field of config struct T to `app`.
template <json_struct::Visitable T>
void add_config_flags(CLI::App& app, std::vector<config::Override>& overrides) {
    T probe{};
    ConfigFlagBinder binder(app, overrides, "", "");
    probe.visit(binder);
}

}  // namespace rcls::cli
