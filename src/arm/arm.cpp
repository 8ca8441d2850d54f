// SPDX-License-Identifier: MIT
#include "rcls/arm/arm.hpp"

#include <spdlog/spdlog.h>

#include "rcls/arm/sim_bus.hpp"
#include "rcls/arm/so101.hpp"
#include "rcls/config/record_config.hpp"
#include "rcls/core/dict.hpp"
#include "rcls/core/error.hpp"

namespace rcls::arm {
namespace {

struct KnownType {
    std::string_view name;
    ArmType type;
};

constexpr KnownType kKnownTypes[] = {
    {"so101_follower", {ArmRole::kFollower, false}},
    {"so100_follower", {ArmRole::kFollower, false}},
    {"so101_leader", {ArmRole::kLeader, false}},
    {"so100_leader", {ArmRole::kLeader, false}},
    {"so101_follower_sim", {ArmRole::kFollower, true}},
    {"so101_leader_sim", {ArmRole::kLeader, true}},
};

/// The fields SOFollowerConfig and SOLeaderConfig share.
template <class Section>
ArmOptions common_options(const Section& section) {
    ArmOptions options;
    options.type = section.type;
    options.role = parse_arm_type(section.type).role;
    options.port = section.port;
    options.id = section.id;
    options.calibration_dir = section.calibration_dir;
    options.use_degrees = section.use_degrees;
    options.num_read_retries = section.num_read_retries;
    return options;
}

}  // namespace

ArmType parse_arm_type(std::string_view type) {
    for (const KnownType& known : kKnownTypes) {
        if (known.name == type) return known.type;
    }
    std::string names;
    for (const KnownType& known : kKnownTypes) {
        names += (names.empty() ? "" : ", ") + std::string(known.name);
    }
    throw ConfigError("unknown arm type \"" + std::string(type) + "\"; known types: " + names);
}

ArmOptions arm_options(const config::RobotConfig& robot) {
    ArmOptions options = common_options(robot);
    options.disable_torque_on_disconnect = robot.disable_torque_on_disconnect;
    options.max_relative_target = robot.max_relative_target;
    options.position_p_coefficient = robot.position_p_coefficient;
    options.position_i_coefficient = robot.position_i_coefficient;
    options.position_d_coefficient = robot.position_d_coefficient;
    return options;
}

ArmOptions arm_options(const config::TeleopConfig& teleop) {
    ArmOptions options = common_options(teleop);
    options.disable_torque_on_disconnect = false;  // a leader's torque is never on
    return options;
}

ArmOptions follower_options(const config::RecordConfig& config) {
    ArmOptions options = arm_options(config.robot);
    for (const std::string& joint : config.locked_joints) {
        const auto index = joint_index(joint);
        if (!index) throw ConfigError("/locked_joints: unknown joint \"" + joint + "\"");
        options.locked[*index] = true;
        if (const double* position = dict_find(config.locked_joint_positions, joint)) {
            options.locked_positions[*index] = *position;
        }
    }
    return options;
}

ArmOptions leader_options(const config::RecordConfig& config) {
    return arm_options(config.teleop);
}

std::string Arm::describe() const {
    const ArmOptions& o = options();
    return to_string(o.role) + " '" + o.id + "' on " + o.port;
}

std::unique_ptr<Arm> make_arm(const ArmOptions& options, Clock& clock) {
    const ArmType type = parse_arm_type(options.type);
    if (type.role != options.role) {
        throw ConfigError("arm type \"" + options.type + "\" is a " + to_string(type.role) +
                          ", but it is configured as the " + to_string(options.role));
    }
    if (!type.simulated) {
        if (!clock.is_real_time()) {
            throw UsageError("the real arm on " + options.port +
                             " runs on real time, not on a simulated clock");
        }
        return std::make_unique<So101Arm>(options);
    }
    SimOptions sim;
    // The leader is moved by the simulated person; the follower, with torque on, by its goals.
    sim.motion = type.role == ArmRole::kLeader ? SimMotion::kPerson : SimMotion::kStill;
    sim.seed = type.role == ArmRole::kLeader ? 1 : 2;
    sim.log_requests = false;  // may run for hours
    ArmOptions sim_options = options;
    if (!sim_options.builtin_calibration) sim_options.builtin_calibration = simulated_calibration();
    return std::make_unique<So101Arm>(make_sim_port(sim, options.port, &clock),
                                      std::move(sim_options));
}

TorqueOffGuard::~TorqueOffGuard() {
    try {
        arm_.disconnect();
    } catch (const std::exception& e) {
        spdlog::warn("could not turn torque off: {}", e.what());
    }
}

TeleopStep teleop_step(Arm& leader, Arm& follower) {
    TeleopStep step;
    step.observation = follower.read_positions();
    step.leader = leader.read_positions();
    step.action = follower.send_goals(step.leader, &step.observation);
    return step;
}

}  // namespace rcls::arm
