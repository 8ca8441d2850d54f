// SPDX-License-Identifier: MIT
//
// How subcommands plug into main(). Each src/cli/cmd_<name>.cpp defines
// `void register_<name>(CLI::App& root, const GlobalOptions&, Commands&)`, which adds its
// CLI11 subcommand(s), binds their options into a shared Options struct, and appends one Command
// per runnable (leaf) subcommand. There is no business logic in src/cli: run functions build
// inputs, call one library workflow, and print its result.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace rcls::cli {

/// Flags accepted by every subcommand.
struct GlobalOptions {
    int verbosity = 0;          ///< -v (debug), -vv (trace).
    bool quiet = false;         ///< -q: warnings and errors only.
    std::string log_file;       ///< --log-file FILE.
    bool print_config = false;  ///< --print-config: print the effective settings and exit.
};

/// A runnable subcommand: its CLI11 app and what to do when it was parsed. run() returns the
/// exit code (0 on success) or throws an rcls::Error. Commands built on a config file (or a
/// library options struct) print their effective settings themselves under --print-config and
/// say so with `prints_config`; for the others main() prints their parsed options as JSON and
/// does not run them.
struct Command {
    CLI::App* app = nullptr;
    std::function<int()> run;
    bool prints_config = false;
};

using Commands = std::vector<Command>;

/// Prints "rcls: error: <message>" on stderr and to the log file (main.cpp).
void print_error(const std::string& message);

void register_config(CLI::App& root, const GlobalOptions& globals, Commands& commands);
void register_dataset(CLI::App& root, const GlobalOptions& globals, Commands& commands);
void register_arm(CLI::App& root, const GlobalOptions& globals, Commands& commands);
void register_preprocess(CLI::App& root, const GlobalOptions& globals, Commands& commands);
void register_predict(CLI::App& root, const GlobalOptions& globals, Commands& commands);
void register_camera(CLI::App& root, const GlobalOptions& globals, Commands& commands);
void register_eval(CLI::App& root, const GlobalOptions& globals, Commands& commands);
void register_label(CLI::App& root, const GlobalOptions& globals, Commands& commands);
void register_record(CLI::App& root, const GlobalOptions& globals, Commands& commands);
void register_train(CLI::App& root, const GlobalOptions& globals, Commands& commands);

}  // namespace rcls::cli
