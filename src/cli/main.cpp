// SPDX-License-Identifier: MIT
//
// The `rcls` binary: global flags, subcommand registration, dispatch, and the one place that
// turns exceptions into a single stderr line and an exit code (README, "Exit codes").
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

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

/// `message` with every number of more than 15 digits written short ("1.79769e+308"): CLI11's
/// range checks print their bounds with std::to_string, 309 digits for the largest double.
std::string shorten_numbers(const std::string& message) {
    std::string out;
    for (std::size_t i = 0; i < message.size();) {
        std::size_t end = i;
        while (end < message.size() && std::isdigit(static_cast<unsigned char>(message[end]))) {
            ++end;
        }
        if (end - i <= 15) {
            out += end > i ? message.substr(i, end - i) : std::string(1, message[i]);
            i = std::max(end, i + 1);
            continue;
        }
        std::size_t stop = end;  // the fraction ("…368.000000") belongs to the number
        if (stop < message.size() && message[stop] == '.') {
            ++stop;
            while (stop < message.size() &&
                   std::isdigit(static_cast<unsigned char>(message[stop]))) {
                ++stop;
            }
        }
        out += number_text(std::strtod(message.substr(i, stop - i).c_str(), nullptr));
        i = stop;
    }
    return out;
}

/// The first word of the command line that names no command where `app` (or the subcommand
/// reached) needs one: "frobnicate" in `rcls frobnicate` or `rcls arm frobnicate`; "" if none.
/// Options and their values are stepped over.
std::string unknown_command(CLI::App& app, int argc, char** argv, CLI::App*& where) {
    CLI::App* current = &app;
    where = &app;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--") break;
        if (!arg.empty() && arg.front() == '-') {
            if (arg.find('=') != std::string::npos) continue;
            // An option that takes a value: step over the value too.
            for (CLI::App* level = current; level != nullptr; level = level->get_parent()) {
                const CLI::Option* option = level->get_option_no_throw(arg);
                if (option != nullptr) {
                    if (option->get_expected_max() > 0 && option->get_type_size_max() > 0) ++i;
                    break;
                }
            }
            continue;
        }
        CLI::App* sub = nullptr;
        for (CLI::App* candidate : current->get_subcommands([](CLI::App*) { return true; })) {
            if (candidate->check_name(arg)) sub = candidate;
        }
        if (sub != nullptr) {
            current = sub;
            continue;
        }
        if (current->get_require_subcommand_min() > 0) {
            where = current;
            return arg;
        }
        break;  // a positional argument of the command reached
    }
    return "";
}

/// '-' and '_' as one character: `--locked-joints` and `--locked_joints` name one option.
std::string flag_key(std::string_view name) {
    std::string key(name);
    std::replace(key.begin(), key.end(), '-', '_');
    return key;
}

/// The option of `app` or, through fallthrough, of the commands above it that `name` ("--x")
/// spells, exactly or with '-' and '_' exchanged; nullptr if none.
const CLI::Option* find_flag(CLI::App* app, const std::string& name, std::string& spelled) {
    for (CLI::App* level = app; level != nullptr; level = level->get_parent()) {
        if (const CLI::Option* exact = level->get_option_no_throw(name)) {
            spelled = name;
            return exact;
        }
    }
    if (name.rfind("--", 0) != 0) return nullptr;
    const std::string key = flag_key(name.substr(2));
    for (CLI::App* level = app; level != nullptr; level = level->get_parent()) {
        for (const CLI::Option* option : level->get_options()) {
            for (const std::string& long_name : option->get_lnames()) {
                if (flag_key(long_name) == key) {
                    spelled = "--" + long_name;
                    return option;
                }
            }
        }
    }
    return nullptr;
}

/// The command line with every long option spelled as its command declares it: one convention
/// for every command, whatever the flag's origin (a config field's JSON path `--a.b_c`, or a
/// command option `--skip-missing`): '-' and '_' are interchangeable, `--a.b value` and
/// `--a.b=value` both work (CLI11).
std::vector<std::string> normalized_arguments(CLI::App& app, int argc, char** argv) {
    std::vector<std::string> args(argv, argv + argc);
    CLI::App* current = &app;
    for (std::size_t i = 1; i < args.size(); ++i) {
        std::string& arg = args[i];
        if (arg == "--") break;
        if (arg.rfind("-", 0) == 0) {
            const std::size_t equals = arg.find('=');
            const std::string name = arg.substr(0, equals);
            std::string spelled;
            const CLI::Option* option = find_flag(current, name, spelled);
            if (option == nullptr) continue;
            if (spelled != name)
                arg = spelled + (equals == std::string::npos ? "" : arg.substr(equals));
            if (equals == std::string::npos && option->get_expected_max() > 0 &&
                option->get_type_size_max() > 0) {
                ++i;  // its value
            }
            continue;
        }
        for (CLI::App* candidate : current->get_subcommands([](CLI::App*) { return true; })) {
            if (candidate->check_name(arg)) {
                current = candidate;
                break;
            }
        }
    }
    return args;
}

/// Every floating-point option of `app` and its subcommands refuses NaN and infinity ("nan",
/// "inf", "1e400"), in this one place: CLI11 converts them, and a range check such as
/// CLI::PositiveNumber lets NaN through (every comparison with NaN is false).
void refuse_non_finite_numbers(CLI::App& app) {
    static const CLI::Validator finite(
        [](std::string& text) -> std::string {
            errno = 0;
            char* end = nullptr;
            const double value = std::strtod(text.c_str(), &end);
            if (end != text.c_str() && !std::isfinite(value)) {
                return "'" + text + "' is not a finite number";
            }
            if (end != text.c_str() && errno == ERANGE && value != 0.0) {
                return "'" + text + "' is out of range";
            }
            return {};
        },
        "", "finite");
    for (CLI::Option* option : app.get_options()) {
        if (option->get_type_name().rfind("FLOAT", 0) == 0) option->check(finite);
    }
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
        refuse_non_finite_numbers(*sub);
    }
}

/// Parses the command line after the checks every command shares: numeric flags refuse NaN and
/// infinity, and long options are matched with '-' and '_' as one character.
void parse_command_line(CLI::App& app, int argc, char** argv) {
    refuse_non_finite_numbers(app);
    std::vector<std::string> arguments = normalized_arguments(app, argc, argv);
    std::vector<char*> pointers;
    for (std::string& argument : arguments) {
        pointers.push_back(argument.data());
    }
    app.parse(static_cast<int>(pointers.size()), pointers.data());
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
        parse_command_line(app, argc, argv);
    } catch (const CLI::ParseError& e) {
        // `rcls frobnicate` (or `rcls frobnicate --help`): name the word that is no command,
        // rather than "A subcommand is required" or the top-level help with exit 0.
        CLI::App* parent = nullptr;
        if (const std::string word = unknown_command(app, argc, argv, parent); !word.empty()) {
            std::string path;
            for (const CLI::App* level = parent; level != nullptr && level != &app;
                 level = level->get_parent()) {
                path = level->get_name() + (path.empty() ? "" : " " + path);
            }
            std::vector<std::string> names;
            for (const CLI::App* sub :
                 parent->get_subcommands([](const CLI::App*) { return true; })) {
                names.push_back(sub->get_name());
            }
            print_error("unknown command \"" + word + "\"" + (path.empty() ? "" : " for " + path) +
                        did_you_mean(word, names) + "; commands: " + join(names, ", ") +
                        " (see `rcls " + (path.empty() ? "" : path + " ") + "--help`)");
            return static_cast<int>(ExitCode::kUsage);
        }
        if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
        const std::string path = command_path(app);
        const std::string help = path.empty() ? "rcls --help" : "rcls " + path + " --help";
        print_error((path.empty() ? "" : path + ": ") + shorten_numbers(e.what()) + " (see `" +
                    help + "`)");
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
