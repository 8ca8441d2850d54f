// SPDX-License-Identifier: MIT
//
// `rcls config check FILE... [--kind record|train]`: validate config files before a long run.
// `rcls config show record|train [--config FILE] [--<field> VALUE ...]`: the effective config.
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "rcls/config/config_file.hpp"
#include "rcls/core/error.hpp"

#include "command.hpp"
#include "config_flags.hpp"

namespace rcls::cli {
namespace {

std::optional<config::ConfigKind> parse_kind(const std::string& text) {
    if (text.empty()) return std::nullopt;
    return text == "record" ? config::ConfigKind::kRecord : config::ConfigKind::kTrain;
}

struct CheckOptions {
    std::vector<std::string> files;
    std::string kind;
};

int run_check(const CheckOptions& options) {
    if (options.files.size() == 1) {  // one file: its error is the one line main() prints
        config::ConfigKind kind{};
        const std::string effective =
            config::check_config(options.files.front(), parse_kind(options.kind), &kind);
        std::cout << "# " << options.files.front() << ": valid " << config::to_string(kind)
                  << " config\n"
                  << effective << std::endl;
        return 0;
    }
    int invalid = 0;
    for (const std::string& file : options.files) {
        try {
            config::ConfigKind kind{};
            const std::string effective =
                config::check_config(file, parse_kind(options.kind), &kind);
            std::cout << "# " << file << ": valid " << config::to_string(kind) << " config\n"
                      << effective << "\n";
        } catch (const ConfigError& e) {
            ++invalid;
            print_error(e.what());  // one line per invalid file, and on to the next
        }
    }
    std::cout.flush();
    if (invalid > 0) {
        throw ConfigError(std::to_string(invalid) + " of " + std::to_string(options.files.size()) +
                          " config files are invalid (see above)");
    }
    return 0;
}

/// `rcls config show <kind>`: the flags of one kind's config.
struct ShowOptions {
    std::optional<std::string> config_file;
    std::vector<config::Override> overrides;
};

template <class Config>
int run_show(const ShowOptions& options) {
    const std::optional<std::filesystem::path> file =
        options.config_file ? std::optional<std::filesystem::path>(*options.config_file)
                            : std::nullopt;
    if constexpr (std::is_same_v<Config, config::RecordConfig>) {
        std::cout << config::dump_config(config::load_record_config(file, options.overrides))
                  << "\n";
    } else {
        std::cout << config::dump_config(config::load_train_config(file, options.overrides))
                  << "\n";
    }
    return 0;
}

template <class Config>
void add_show(CLI::App& show_app, const std::string& kind, Commands& commands) {
    auto options = std::make_shared<ShowOptions>();
    CLI::App* app = show_app.add_subcommand(
        kind, "Print the effective " + kind + " config: defaults, then --config, then flags");
    app->add_option("-c,--config,--config_path", options->config_file, "Config file (JSON)");
    add_config_flags<Config>(*app, options->overrides);
    commands.push_back({app, [options] { return run_show<Config>(*options); }, true});
}

}  // namespace

void register_config(CLI::App& root, const GlobalOptions& globals, Commands& commands) {
    (void)globals;
    CLI::App* config_app = root.add_subcommand("config", "Check and show config files");
    config_app->require_subcommand(1);

    auto check = std::make_shared<CheckOptions>();
    CLI::App* check_app = config_app->add_subcommand(
        "check",
        "Validate config files and print each effective config (exit 3 if any is invalid)");
    check_app->add_option("files", check->files, "Config files (JSON)")->required();
    check_app->add_option("--kind", check->kind, "Config kind (default: recognised from the keys)")
        ->check(CLI::IsMember({"record", "train"}));
    commands.push_back({check_app, [check] { return run_check(*check); }, true});

    CLI::App* show_app = config_app->add_subcommand(
        "show", "Print an effective config: defaults, then --config FILE, then override flags");
    show_app->require_subcommand(1);
    add_show<config::RecordConfig>(*show_app, "record", commands);
    add_show<config::TrainConfig>(*show_app, "train", commands);
}

}  // namespace rcls::cli
