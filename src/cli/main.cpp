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
#include "rcls/core/strings.hpp"
#include "rcls/core/version.hpp"

#include "command.hpp"
#include "terminal_renderer.hpp"

namespace rcls::cli {

namespace {

constexpr const char* kFooter =
    "Exit codes: 0 ok, 1 internal error, 2 usage, 3 config, 4 device, 5 data, 6 model,\n"
    "7 a quality gate failed (eval --fail-under/--fail-over), 130 interrupted. Run `rcls <command> "
    "--help` for a command's options.";

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

/// One option value as JSON, typed by the C++ type the option is bound to (CLI11's INT, UINT,
/// FLOAT, BOOLEAN; anything else is text): `--id 123` bound to a string stays "123".
nlohmann::json typed_value(const std::string& text, const std::string& type) {
    const char* end = text.data() + text.size();
    if (type == "INT" || type == "UINT") {
        long long integer = 0;
        if (auto [ptr, ec] = std::from_chars(text.data(), end, integer);
            ec == std::errc() && ptr == end && !text.empty()) {
            return integer;
        }
    } else if (type == "FLOAT") {
        double real = 0;
        if (auto [ptr, ec] = std::from_chars(text.data(), end, real);
            ec == std::errc() && ptr == end && !text.empty()) {
            return real;
        }
    } else if (type == "BOOLEAN" && (text == "true" || text == "false")) {
        return text == "true";
    }
    return text;
}

/// --print-config for commands not yet on a visitable options struct (see options_command() in
/// config_flags.hpp): every option of `app` by its long name, as given, else its default (null
/// when the command decides it at run time), typed by the option's declared type.
nlohmann::json parsed_options_json(const CLI::App& app) {
    nlohmann::json out = nlohmann::json::object();
    for (const CLI::Option* option : app.get_options()) {
        if (option->get_group().empty()) continue;  // hidden (test hooks)
        const std::string name = option->get_single_name();
        if (name == "help" || name == "h") continue;
        const bool flag = option->get_expected_max() == 0;
        const bool list = option->get_expected_max() > 1;
        std::string type = option->get_type_name();
        type = type.substr(0, type.find(':'));  // "INT:POSITIVE" -> "INT"
        nlohmann::json& value = out[name];
        std::vector<std::string> texts;
        if (flag) {
            value = option->count() > 0;
            continue;
        }
        if (option->count() > 0) {
            texts = option->results();
        } else if (const std::string fallback = option->get_default_str(); !fallback.empty()) {
            // A list's default reads "[1,2,3]".
            const bool bracketed = list && fallback.front() == '[' && fallback.back() == ']';
            if (!bracketed) {
                texts = {fallback};
            } else if (fallback.size() > 2) {
                texts = split(fallback.substr(1, fallback.size() - 2), ',');
            }
        } else {
            continue;  // null: decided at run time
        }
        if (!list && texts.size() == 1) {
            value = typed_value(texts.front(), type);
            continue;
        }
        value = nlohmann::json::array();
        for (const std::string& text : texts) {
            value.push_back(typed_value(text, type));
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
    register_camera(app, globals, commands);
    register_eval(app, globals, commands);
    register_label(app, globals, commands);
    register_record(app, globals, commands);
    register_train(app, globals, commands);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
        const std::string path = command_path(app);
        const std::string help = path.empty() ? "rcls --help" : "rcls " + path + " --help";
        print_error((path.empty() ? "" : path + ": ") + e.what() + " (see `" + help + "`)");
        return static_cast<int>(ExitCode::kUsage);
    }

    const TerminalSession terminal({globals.verbosity, globals.quiet, globals.log_file});
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
