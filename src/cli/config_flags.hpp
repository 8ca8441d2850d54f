// SPDX-License-Identifier: MIT
//
// One command-line flag per config field: `--fps 5`, `--dataset.repo_id me/cubes`,
// `--locked_joints wrist_roll,gripper`, `--resize_size '[128,128]'`, `--robot.cameras '{...}'`.
// Flag names are the fields' JSON paths joined by dots, as LeRobot's draccus flags. Values are
// collected as config::Override in command-line order and applied by config::load_*_config().
//
// Commands without a config file keep their options in a visitable struct instead (the same
// `template <class V> void visit(V&)` as a config), bound to CLI11 options as usual, and register
// with options_command(): under --print-config it prints the struct through json_struct, typed
// by the fields' C++ types, and it checks that every option of the command is a field.
#pragma once

#include <algorithm>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "rcls/config/config_file.hpp"
#include "rcls/core/json_struct.hpp"
#include "rcls/core/strings.hpp"

#include "command.hpp"

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

    template <class T>
    void required(std::string_view key, T& value, std::string_view help = {}) {
        field(key, value, help);
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

/// The key of a command-line option in its options struct: its long name with '-' as '_'
/// ("--skip-missing" -> "skip_missing"; a positional "inputs" -> "inputs").
inline std::string option_key(const CLI::Option& option) {
    std::string key = option.get_single_name();
    std::replace(key.begin(), key.end(), '-', '_');
    return key;
}

/// A runnable command whose options are the visitable struct `options`: runs `run(options)`, or
/// under --print-config prints the options as JSON (typed, in visit() order) and exits 0.
/// Throws std::logic_error (a bug) if an option of `app` has no field in Options.
template <json_struct::Visitable Options, class Run>
Command options_command(CLI::App* app,
                        std::shared_ptr<Options> options,
                        const GlobalOptions& globals,
                        Run run) {
    const std::vector<std::string> fields = json_struct::field_names<Options>();
    for (const CLI::Option* option : app->get_options()) {
        const std::string key = option_key(*option);
        if (key == "help" || key == "h") continue;
        if (std::find(fields.begin(), fields.end(), key) == fields.end()) {
            throw std::logic_error("rcls " + app->get_name() + ": option " + key +
                                   " is not a field of the command's options struct");
        }
    }
    return {app,
            [options, &globals, body = std::move(run)] {
                if (globals.print_config) {
                    std::cout << json_struct::to_json(*options).dump(2) << std::endl;
                    return 0;
                }
                return body(*options);
            },
            true};
}

}  // namespace rcls::cli
