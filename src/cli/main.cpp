// SPDX-License-Identifier: MIT
//
// The `rcls` binary: global flags, subcommand registration, dispatch, and the one place that
// turns exceptions into a single stderr line and an exit code (README, "Exit codes").
#include <charconv>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "rcls/core/error.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/core/log.hpp"
#include "rcls/core/version.hpp"

#include "command.hpp"

namespace rcls::cli {

namespace {

constexpr const char* kFooter =
    "Exit codes: 0 ok, 1 internal error, 2 usage, 3 config, 4 device, 5 data, 6 model,\n"
    "130 interrupted. Run `rcls <command> --help` for a command's options.";

}  // namespace

void print_error(const std::string& message) {
    std::fprintf(stderr, "rcls: error: %s\n", message.c_str());
    std::fflush(stderr);
    log_to_file_only(message);
}

namespace {

/// "preprocess", or "config check": the deepest subcommand the parser reached ("" for none).
std::string command_path(CLI::App& app) {
    std::string path;
    CLI::App* current = &app;
    while (true) {
        auto parsed = current->get_subcommands();
        if (parsed.empty()) break;
        current = parsed.front();
        path += (path.empty() ? "" : " ") + current->get_name();
    }
    return path;
}

/// One option value as JSON: true/false, a number or a list when the whole text is one, else the
/// text.
nlohmann::json typed_value(const std::string& text) {
    if (text == "true") return true;
    if (text == "false") return false;
    if (text.starts_with('[')) {  // a list's default, e.g. [1,2,3]
        nlohmann::json list = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (list.is_array()) return list;
    }
    const char* end = text.data() + text.size();
    long long integer = 0;
    if (auto [ptr, ec] = std::from_chars(text.data(), end, integer);
        ec == std::errc() && ptr == end && !text.empty()) {
        return integer;
    }
    double real = 0;
    if (auto [ptr, ec] = std::from_chars(text.data(), end, real);
        ec == std::errc() && ptr == end && !text.empty()) {
        return real;
    }
    return text;
}

/// --print-config for commands without a config of their own: every option of `app` by its long
/// name, as given, else its default (null when the command decides it at run time).
nlohmann::json parsed_options_json(const CLI::App& app) {
    nlohmann::json out = nlohmann::json::object();
    for (const CLI::Option* option : app.get_options()) {
        if (option->get_group().empty()) continue;  // hidden (test hooks)
        const std::string name = option->get_single_name();
        if (name == "help" || name == "h") continue;
        const bool flag = option->get_expected_max() == 0;
        nlohmann::json& value = out[name];
        if (flag) {
            value = option->count() > 0;
        } else if (option->count() > 0) {
            const std::vector<std::string>& results = option->results();
            if (results.size() == 1 && option->get_expected_max() <= 1) {
                value = typed_value(results.front());
            } else {
                value = nlohmann::json::array();
                for (const std::string& result : results) {
                    value.push_back(typed_value(result));
                }
            }
        } else if (!option->get_default_str().empty()) {
            value = typed_value(option->get_default_str());
        }
    }
    return out;
}

int run(int argc, char** argv) {
    CLI::App app{"rcls: from an SO-101 arm and a camera to a trained image reward classifier",
                 "rcls"};
    app.footer(kFooter);
    app.set_version_flag("--version", std::string("rcls ") + kVersion);
    app.require_subcommand(1);
    app.fallthrough();  // global flags work after the subcommand too

    GlobalOptions globals;
    app.add_flag("-v,--verbose", globals.verbosity, "More log output (-vv: trace)");
    app.add_flag("-q,--quiet", globals.quiet, "Warnings and errors only; no progress bars");
    app.add_option("--log-file", globals.log_file, "Also append a debug-level log to this file");
    app.add_flag("--print-config", globals.print_config,
                 "Print the settings the command would use, as JSON, and exit");

    Commands commands;
    register_config(app, globals, commands);
    register_dataset(app, globals, commands);
    register_arm(app, globals, commands);
    register_preprocess(app, globals, commands);
    register_predict(app, globals, commands);
    register_label(app, globals, commands);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
        const std::string path = command_path(app);
        const std::string help = path.empty() ? "rcls --help" : "rcls " + path + " --help";
        print_error((path.empty() ? "" : path + ": ") + e.what() + " (see `" + help + "`)");
        return static_cast<int>(ExitCode::kUsage);
    }

    setup_logging({globals.verbosity, globals.quiet, globals.log_file});
    install_interrupt_handlers();

    for (const Command& command : commands) {
        if (!command.app->parsed()) continue;
        if (globals.print_config && !command.prints_config) {
            std::cout << parsed_options_json(*command.app).dump(2) << std::endl;
            return 0;
        }
        const int code = command.run();
        if (interrupted()) throw InterruptedError();
        return code;
    }
    throw UsageError("no command given; see `rcls --help`");
}

}  // namespace
}  // namespace rcls::cli

int main(int argc, char** argv) {
    try {
        return rcls::cli::run(argc, argv);
    } catch (const rcls::InterruptedError& e) {
        std::fprintf(stderr, "rcls: %s\n", e.what());
        rcls::log_to_file_only(e.what());
        return static_cast<int>(rcls::ExitCode::kInterrupted);
    } catch (const rcls::Error& e) {
        rcls::cli::print_error(e.what());
        return static_cast<int>(e.code());
    } catch (const std::exception& e) {  // c10::Error, cv::Exception, json, std::bad_alloc ...
        rcls::cli::print_error(std::string("internal error: ") + e.what() +
                               " (please report this with the command line and `rcls --version`)");
        return static_cast<int>(rcls::ExitCode::kInternal);
    }
}
