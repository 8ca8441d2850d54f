// SPDX-License-Identifier: MIT
#include "rcls/sim/world.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "rcls/arm/sim_bus.hpp"
#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"

namespace rcls::sim {
namespace {

std::unique_ptr<arm::SimBus> make_bus(std::uint64_t seed) {
    arm::SimOptions options;
    options.motion = arm::SimMotion::kStill;  // the scripted person moves it
    options.seed = static_cast<std::uint32_t>(seed);
    options.wire_time = false;
    options.log_requests = false;
    return std::make_unique<arm::SimBus>(options, arm::SimBus::Clock::time_point{});
}

}  // namespace

std::string to_string(Outcome outcome) {
    switch (outcome) {
        case Outcome::kSuccess:
            return "success";
        case Outcome::kMiss:
            return "miss";
        case Outcome::kDrop:
            return "drop";
    }
    return "miss";
}

std::uint64_t episode_seed(std::uint64_t seed, std::int64_t episode) {
    return seed * 1000003ULL + static_cast<std::uint64_t>(episode);
}

ReachGraspWorld::ReachGraspWorld(const WorldOptions& options)
    : options_(options),
      leader_(make_bus(options.seed)),
      follower_(make_bus(options.seed + 1)),
      scene_(options.scene) {
    start_episode(0);
}

ReachGraspWorld::~ReachGraspWorld() = default;

void ReachGraspWorld::start_episode(std::int64_t episode) {
    episode_ = episode;
    const std::uint64_t seed = episode_seed(options_.seed, episode);
    scene_.reset(seed);
    appearance_ = episode_appearance(options_.appearance, options_.seed, seed);
    person_ =
        std::make_unique<ScriptedOperator>(scene_.cube_start(), scene_.cube_start_yaw(),
                                           scene_.options().cube_size_m, seed, options_.person);
    time_s_ = 0;
    person_->move_leader(*leader_, 0.0);
    for (std::uint8_t id = 1; id <= 6; ++id) {
        follower_->set_actual_position(id, leader_->actual_position(id));
    }
    scene_.update_from_bus(*follower_, 0.0);
}

void ReachGraspWorld::advance_to(double t_s) {
    // Steps of at most 20 ms, so that the follower tracks the leader smoothly.
    while (time_s_ < t_s - 1e-9) {
        const double dt = std::min(0.02, t_s - time_s_);
        time_s_ += dt;
        person_->move_leader(*leader_, time_s_);
        for (std::uint8_t id = 1; id <= 6; ++id) {
            follower_->set_actual_position(id, leader_->actual_position(id));
        }
        scene_.update_from_bus(*follower_, dt);
    }
}

Outcome ReachGraspWorld::outcome() const {
    if (scene_.held_above(kLiftThresholdM)) return Outcome::kSuccess;
    return scene_.grasps() > 0 ? Outcome::kDrop : Outcome::kMiss;
}

EpisodeTruth run_episode(
    ReachGraspWorld& world,
    std::int64_t episode,
    double fps,
    std::int64_t num_frames,
    const std::function<void(std::int64_t, const ReachGraspWorld&)>& on_frame) {
    world.start_episode(episode);
    EpisodeTruth truth;
    truth.episode_index = episode;
    truth.seed = world.scene().options().seed;
    truth.num_frames = num_frames;
    std::int64_t last_held = -1;
    for (std::int64_t frame = 0; frame < num_frames; ++frame) {
        world.advance_to(static_cast<double>(frame) / fps);
        if (world.scene().held_above(kLiftThresholdM)) {
            if (!truth.first_success_frame) truth.first_success_frame = frame;
            last_held = frame;
        }
        if (on_frame) on_frame(frame, world);
    }
    truth.outcome = world.outcome();
    if (truth.first_success_frame && truth.outcome != Outcome::kSuccess) {
        truth.last_success_frame = last_held;
    }
    return truth;
}

std::filesystem::path ground_truth_path(const std::filesystem::path& dataset_root) {
    return dataset_root / "rcls" / "sim_ground_truth.json";
}

std::string ground_truth_json(const std::vector<EpisodeTruth>& episodes, double fps) {
    nlohmann::ordered_json doc;
    doc["format"] = "rcls_sim_ground_truth";
    doc["version"] = 1;
    doc["fps"] = fps;
    doc["lift_threshold_m"] = kLiftThresholdM;
    doc["episodes"] = nlohmann::ordered_json::array();
    for (const EpisodeTruth& e : episodes) {
        nlohmann::ordered_json j;
        j["episode_index"] = e.episode_index;
        j["seed"] = e.seed;
        j["num_frames"] = e.num_frames;
        j["outcome"] = to_string(e.outcome);
        j["first_success_frame"] =
            e.first_success_frame ? nlohmann::ordered_json(*e.first_success_frame) : nullptr;
        j["last_success_frame"] =
            e.last_success_frame ? nlohmann::ordered_json(*e.last_success_frame) : nullptr;
        doc["episodes"].push_back(j);
    }
    return doc.dump(2) + "\n";
}

void write_ground_truth(const std::filesystem::path& dataset_root,
                        const std::vector<EpisodeTruth>& episodes,
                        double fps) {
    write_file_atomic(ground_truth_path(dataset_root), ground_truth_json(episodes, fps));
}

std::vector<EpisodeTruth> read_ground_truth(const std::filesystem::path& path) {
    const std::string text = read_file(path);
    std::vector<EpisodeTruth> out;
    try {
        const nlohmann::json doc = nlohmann::json::parse(text);
        if (doc.at("format") != "rcls_sim_ground_truth") {
            throw DataError(path.string() + ": not an rcls simulation ground truth file");
        }
        for (const auto& j : doc.at("episodes")) {
            EpisodeTruth e;
            e.episode_index = j.at("episode_index").get<std::int64_t>();
            e.seed = j.at("seed").get<std::uint64_t>();
            e.num_frames = j.at("num_frames").get<std::int64_t>();
            const std::string outcome = j.at("outcome").get<std::string>();
            e.outcome = outcome == "success" ? Outcome::kSuccess
                        : outcome == "drop"  ? Outcome::kDrop
                                             : Outcome::kMiss;
            if (!j.at("first_success_frame").is_null()) {
                e.first_success_frame = j.at("first_success_frame").get<std::int64_t>();
            }
            if (j.contains("last_success_frame") && !j.at("last_success_frame").is_null()) {
                e.last_success_frame = j.at("last_success_frame").get<std::int64_t>();
            }
            out.push_back(e);
        }
    } catch (const nlohmann::json::exception& error) {
        throw DataError(path.string() + ": invalid ground truth file: " + error.what());
    }
    return out;
}

}  // namespace rcls::sim
