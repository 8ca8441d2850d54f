// SPDX-License-Identifier: MIT
//
// What the `rcls arm <verb>` files share: one register function per verb (cmd_arm_<verb>.cpp),
// and the console prompter (the terminal side of the arm tools' interactive steps). Their notices
// and teleop's live status line are events, drawn by the CLI's terminal renderer.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "rcls/arm_tools/prompter.hpp"
#include "rcls/config/config_file.hpp"
#include "rcls/core/clock.hpp"
#include "rcls/core/events.hpp"
#include "rcls/core/json_struct.hpp"

#include "command.hpp"

namespace rcls::cli {

void register_arm_find_port(CLI::App& arm_app, const GlobalOptions& globals, Commands& commands);
void register_arm_scan(CLI::App& arm_app, const GlobalOptions& globals, Commands& commands);
void register_arm_setup_motors(CLI::App& arm_app, const GlobalOptions& globals, Commands& commands);
void register_arm_calibrate(CLI::App& arm_app, const GlobalOptions& globals, Commands& commands);
void register_arm_read(CLI::App& arm_app, const GlobalOptions& globals, Commands& commands);
void register_arm_teleop(CLI::App& arm_app, const GlobalOptions& globals, Commands& commands);
void register_arm_sim(CLI::App& arm_app, const GlobalOptions& globals, Commands& commands);

inline constexpr const char* kYesHelp =
    "Answer every 'press ENTER' at once (scripts, the simulator's person); without it, answers "
    "are read from stdin";

/// `--port`, required.
CLI::Option* add_port_option(CLI::App* app, std::string& port);

/// Asks a real user: reads stdin, draws on stderr (redrawing status blocks on a terminal). End of
/// input (stdin from /dev/null or a finished pipe) counts as Enter, so piped answers work.
class ConsolePrompter final : public arm_tools::Prompter {
public:
    ConsolePrompter();
    std::string ask(const std::string& message) override;
    void begin_until_enter(const std::string& message) override;
    bool stop_requested() override;
    void show_status(const std::string& text) override;
    void say(const std::string& text) override;

private:
    /// Reads stdin until a whole line (true) or end of input; waits at most `timeout_ms` (-1: no
    /// limit). Returns false when no line is there yet.
    bool read_line(int timeout_ms, std::string& line);

    std::string pending_;
    bool end_of_input_ = false;
    bool terminal_ = false;
    int status_lines_ = 0;
};

/// The prompter of `--yes` (AutoPrompter on `clock`, whose notices the terminal renderer prints) or
/// the console's.
std::unique_ptr<arm_tools::Prompter> make_prompter(bool yes, double phase_s, Clock& clock);

/// A flag that sets the config field at JSON pointer `pointer` (parsed as T, like the automatic
/// `--a.b` flags of config_flags.hpp), under another name: `--follower-port` for `--robot.port`.
template <class T>
CLI::Option* add_config_alias(CLI::App& app,
                              std::vector<config::Override>& overrides,
                              const std::string& flag,
                              const std::string& pointer,
                              const std::string& help) {
    auto* list = &overrides;
    return app
        .add_option_function<std::string>(
            flag,
            [list, flag, pointer](const std::string& text) {
                list->push_back({flag, pointer, json_struct::parse_override<T>(text, flag).dump()});
            },
            help + " (= " + pointer + ")")
        ->type_name(json_struct::expected_type<T>());
}

}  // namespace rcls::cli
