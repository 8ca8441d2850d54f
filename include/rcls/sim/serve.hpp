// SPDX-License-Identifier: MIT
//
// `rcls arm sim --scene reach_grasp`: the simulated task served for the other arm commands. The
// follower's and the leader's simulated buses are served on pseudo-terminals (as `rcls arm sim`
// serves one); the scripted person moves the leader through one reach-and-grasp attempt after
// another, and the scene follows the follower's servos, as the driver moves them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "rcls/arm/sim_bus.hpp"

namespace rcls::sim {

/// Settings of serve_reach_grasp().
struct ServeOptions {
    std::uint64_t seed = 1;
    std::optional<std::filesystem::path> follower_link{};  ///< Link to the follower's terminal.
    std::optional<std::filesystem::path> leader_link{};    ///< Link to the leader's terminal.
    std::optional<double> duration_s{};                    ///< null: until interrupted.
    double episode_s = 9.0;                                ///< One attempt, then the next cube.
};

/// What was served.
struct ServeReport {
    arm::SimStats follower;
    arm::SimStats leader;
    std::int64_t episodes = 0;  ///< Attempts started.
    int successes = 0;          ///< Attempts that ended with the cube held 2 cm up.
};

/// Serves until interrupted (Ctrl-C, SIGTERM) or for `duration_s`. `on_ready` gets the
/// follower's and the leader's paths as soon as both are served.
ServeReport serve_reach_grasp(
    const ServeOptions& options,
    const std::function<void(const std::string& follower, const std::string& leader)>& on_ready);

}  // namespace rcls::sim
