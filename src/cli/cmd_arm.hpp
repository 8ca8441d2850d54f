// SPDX-License-Identifier: MIT
//
// What the `rcls arm <verb>` files share: one register function per verb (cmd_arm_<verb>.cpp),
// and the console prompter (the terminal side of the arm tools' interactive steps). Their notices
// and teleop's live status line are events, drawn by the CLI's terminal renderer.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
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

/// `--port`: required, here or as LeRobot's `--robot.port` / `--teleop.port` (LerobotArmFlags).
CLI::Option* add_port_option(CLI::App* app, std::optional<std::string>& port);

/// The arm a one-arm command works on (`arm calibrate`, `read`, `scan`, `setup-motors`), as rcls's
/// own options name it. Unset fields were not given.
struct ArmTarget {
    std::optional<std::string> port;
    std::optional<std::string> role;  ///< "follower" | "leader".
    std::optional<std::string> id;
    std::optional<std::string> calibration_dir;
};

/// Which of ArmTarget's fields a command has (the port always).
enum ArmTargetField : unsigned { kArmRole = 1U, kArmId = 2U, kArmCalibrationDir = 4U };

/// LeRobot's spellings of a one-arm command's options, the one place they are declared for every
/// arm command: `--robot.port`, `--robot.id`, `--robot.type`, `--robot.calibration_dir` (the
/// follower) and the same under `--teleop.` (the leader), as lerobot-calibrate and
/// lerobot-setup-motors take them (`=` or a space, '-' or '_': main.cpp's flag convention). A
/// `--robot.*` flag also says the role (follower), a `--teleop.*` flag the leader; `--*.type` is
/// one of arm::parse_arm_type()'s real-arm types of that side.
class LerobotArmFlags {
public:
    /// Adds the spellings of the fields `fields` (ArmTargetField bits; the port always) to `app`.
    LerobotArmFlags(CLI::App& app, unsigned fields);

    /// `native` (the command's own options) completed by LeRobot's spellings. Throws UsageError
    /// (exit 2) naming both flags when two of them give one field different values (`--port A
    /// --robot.port B`, `--robot.port A --teleop.port B`, `--role leader --robot.id x`), and when
    /// no port is given at all.
    ArmTarget resolve(const ArmTarget& native) const;

private:
    struct Given {
        std::string flag;  ///< "--robot.port"
        std::string value;
    };
    std::string command_;
    unsigned fields_ = 0;
    std::shared_ptr<std::vector<Given>> given_ = std::make_shared<std::vector<Given>>();
};

/// Throws UsageError naming both flags when two different flags (a short alias such as
/// `--follower-port` and the JSON path `--robot.port`) set one config field to different values.
void refuse_conflicting_overrides(const std::string& command,
                                  const std::vector<config::Override>& overrides);

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
