// SPDX-License-Identifier: MIT
#include "rcls/sim/serve.hpp"

#include <chrono>
#include <cmath>
#include <memory>
#include <thread>

#include "rcls/core/clock.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/sim/operator.hpp"
#include "rcls/sim/scene.hpp"
#include "rcls/sim/world.hpp"

namespace rcls::sim {

ServeReport serve_reach_grasp(
    const ServeOptions& options,
    const std::function<void(const std::string&, const std::string&)>& on_ready) {
    Clock& clock = steady_clock();  // the buses are served on pseudo-terminals in real time
    const auto start = clock.now();
    arm::SimOptions bus_options;
    bus_options.motion = arm::SimMotion::kStill;  // the scripted person moves the leader
    bus_options.log_requests = false;
    bus_options.seed = static_cast<std::uint32_t>(options.seed);
    auto follower = std::make_shared<arm::SimBus>(bus_options, start);
    auto leader = std::make_shared<arm::SimBus>(bus_options, start);
    arm::PtySimServer follower_server(follower, options.follower_link);
    arm::PtySimServer leader_server(leader, options.leader_link);
    follower_server.start();
    leader_server.start();
    on_ready(follower_server.path(), leader_server.path());

    ServeReport report;
    Scene scene;
    std::unique_ptr<ScriptedOperator> person;
    std::int64_t episode = -1;
    double previous_t = 0.0;
    while (!interrupted()) {
        const double t = seconds_between(start, clock.now());
        if (options.duration_s && t >= *options.duration_s) break;
        const auto e = static_cast<std::int64_t>(std::floor(t / options.episode_s));
        if (e != episode) {
            if (episode >= 0 && scene.held_above(kLiftThresholdM)) ++report.successes;
            episode = e;
            const std::uint64_t seed = episode_seed(options.seed, e);
            scene.reset(seed);
            person = std::make_unique<ScriptedOperator>(scene.cube_start(), scene.cube_start_yaw(),
                                                        scene.options().cube_size_m, seed);
            ++report.episodes;
        }
        person->move_leader(*leader, t - static_cast<double>(e) * options.episode_s);
        scene.update_from_bus(*follower, t - previous_t);
        previous_t = t;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    follower_server.stop();
    leader_server.stop();
    report.follower = follower->stats();
    report.leader = leader->stats();
    return report;
}

}  // namespace rcls::sim
