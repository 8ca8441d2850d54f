// SPDX-License-Identifier: MIT
//
// `rcls arm find-port | scan | setup-motors | calibrate | read | teleop | sim`: the SO-101 arm
// utilities a LeRobot user expects (lerobot-find-port, lerobot-setup-motors, lerobot-calibrate,
// lerobot-teleoperate), plus the simulated servo bus. One file per verb (cmd_arm_<verb>.cpp);
// parsing and printing only, the workflows are in rcls/arm_tools/.
#include "cmd_arm.hpp"

#include <map>

#include "rcls/arm/arm.hpp"
#include "rcls/arm/serial_port.hpp"
#include "rcls/core/error.hpp"

namespace rcls::cli {
namespace {

/// rcls's own option for each ArmTarget field, as messages name it.
const char* native_flag(const std::string& field) {
    if (field == "port") return "--port";
    if (field == "role") return "--role";
    if (field == "id") return "--id";
    return "--calibration-dir";
}

}  // namespace

CLI::Option* add_port_option(CLI::App* app, std::optional<std::string>& port) {
    return app->add_option("--port", port,
                           "Serial port of the bus adapter (e.g. /dev/ttyACM0); required");
}

LerobotArmFlags::LerobotArmFlags(CLI::App& app, unsigned fields)
    : command_("arm " + app.get_name()), fields_(fields) {
    struct Spelling {
        const char* key;
        unsigned needs;  ///< ArmTargetField bit; 0: always.
        const char* help;
    };
    static constexpr Spelling kSpellings[] = {
        {"port", 0, "serial port (= --port)"},
        {"type", 0, "arm type, so101_* or so100_* (chooses the role)"},
        {"id", kArmId, "arm id (= --id)"},
        {"calibration_dir", kArmCalibrationDir,
         "folder of calibration files (= --calibration-dir)"},
    };
    for (const char* side : {"robot", "teleop"}) {
        const std::string arm = std::string(side) == "robot" ? "follower" : "leader";
        for (const Spelling& spelling : kSpellings) {
            if (spelling.needs != 0 && (fields & spelling.needs) == 0) continue;
            const std::string flag = "--" + std::string(side) + "." + spelling.key;
            app.add_option_function<std::string>(
                   flag,
                   [given = given_, flag](const std::string& value) {
                       given->push_back({flag, value});
                   },
                   "LeRobot's spelling: the " + arm + "'s " + spelling.help)
                ->group("LeRobot's spellings");
        }
    }
}

ArmTarget LerobotArmFlags::resolve(const ArmTarget& native) const {
    ArmTarget target = native;
    std::map<std::string, std::string> source;  // field -> "--flag value" that set it
    const auto slot = [&target](const std::string& field) -> std::optional<std::string>& {
        if (field == "port") return target.port;
        if (field == "role") return target.role;
        if (field == "id") return target.id;
        return target.calibration_dir;
    };
    for (const char* field : {"port", "role", "id", "calibration_dir"}) {
        if (const auto& value = slot(field)) {
            source[field] = std::string(native_flag(field)) + " " + *value;
        }
    }
    const auto set = [&](const std::string& field, const std::string& value,
                         const std::string& said_by) {
        std::optional<std::string>& current = slot(field);
        if (current && *current != value) {
            throw UsageError(command_ + ": " + source[field] + " and " + said_by +
                             " disagree; give one of them");
        }
        if (!current) source[field] = said_by;
        current = value;
    };
    for (const Given& given : *given_) {
        const std::size_t dot = given.flag.find('.');
        const std::string side = given.flag.substr(2, dot - 2);
        const std::string key = given.flag.substr(dot + 1);
        const std::string role = side == "robot" ? "follower" : "leader";
        const std::string said_by = given.flag + " " + given.value;
        if (key == "type") {
            bool known = true;
            arm::ArmType type;
            try {
                type = arm::parse_arm_type(given.value);
            } catch (const ConfigError&) {
                known = false;
            }
            if (!known || type.simulated || arm::to_string(type.role) != role) {
                throw UsageError(command_ + ": " + said_by + ": the " + side + " is a " + role +
                                 " arm (so101_" + role + " or so100_" + role + ")");
            }
        } else {
            set(key, given.value, said_by);
        }
        // Every --robot.* flag is the follower's and every --teleop.* flag the leader's.
        set("role", role, said_by + " (the " + role + ")");
    }
    if ((fields_ & kArmRole) == 0) target.role.reset();
    if (!target.port) {
        throw UsageError(command_ +
                         ": --port is required (or LeRobot's --robot.port or "
                         "--teleop.port)");
    }
    return target;
}

void refuse_conflicting_overrides(const std::string& command,
                                  const std::vector<config::Override>& overrides) {
    for (std::size_t i = 0; i < overrides.size(); ++i) {
        for (std::size_t j = i + 1; j < overrides.size(); ++j) {
            const config::Override& a = overrides[i];
            const config::Override& b = overrides[j];
            if (a.pointer == b.pointer && a.flag != b.flag && a.json_text != b.json_text) {
                throw UsageError(command + ": " + a.flag + " " + a.json_text + " and " + b.flag +
                                 " " + b.json_text + " both set " + a.pointer +
                                 "; give one of them");
            }
        }
    }
}

std::unique_ptr<arm_tools::Prompter> make_prompter(bool yes, double phase_s, Clock& clock) {
    if (yes) return std::make_unique<arm_tools::AutoPrompter>(phase_s, clock);
    return std::make_unique<ConsolePrompter>();
}

void register_arm(CLI::App& root, const GlobalOptions& globals, Commands& commands) {
    CLI::App* arm_app = root.add_subcommand(
        "arm", "SO-101 arm utilities: find-port, scan, setup-motors, calibrate, read, teleop, sim");
    arm_app->require_subcommand(1);
    register_arm_find_port(*arm_app, globals, commands);
    register_arm_scan(*arm_app, globals, commands);
    register_arm_setup_motors(*arm_app, globals, commands);
    register_arm_calibrate(*arm_app, globals, commands);
    register_arm_read(*arm_app, globals, commands);
    register_arm_teleop(*arm_app, globals, commands);
    register_arm_sim(*arm_app, globals, commands);
}

}  // namespace rcls::cli
