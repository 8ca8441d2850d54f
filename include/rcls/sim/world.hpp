// SPDX-License-Identifier: MIT
//
// The simulated reach-and-grasp task as a whole: a leader and a follower SO-101 on simulated servo
// buses, the scripted operator moving the leader, the scene following the follower, and the
// ground truth of each episode.
//
//     ReachGraspWorld world({.seed = 3});
//     world.start_episode(0);
//     for (int i = 0; i < 80; ++i) {
//         world.advance_to(i / 10.0);   // the operator moves the leader; follower = leader
//         renderer.render(world.scene().snapshot(), world.appearance(), View::kFront, i, frame);
//     }
//
// The recorder (next issue) reads the leader and writes the follower itself; it then calls
// scene().update_from_bus(follower, dt) instead of advance_to().
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rcls/sim/operator.hpp"
#include "rcls/sim/renderer.hpp"
#include "rcls/sim/scene.hpp"

namespace rcls::arm {
class SimBus;
}

namespace rcls::sim {

/// The height above the table at which a held cube counts as lifted (a success).
inline constexpr double kLiftThresholdM = 0.02;

/// Settings of the world.
struct WorldOptions {
    std::uint64_t seed = 1;  ///< Episode e uses seed * 1000003 + e for its cube, looks and person.
    SceneOptions scene{};    ///< Its seed is replaced per episode.
    OperatorOptions person{};
    /// kPerEpisode: a new look per episode; kSession: one look (seeded by `seed`) with small
    /// per-episode variation, as one recording session (episode_appearance()).
    AppearanceMode appearance = AppearanceMode::kPerEpisode;
};

/// How an episode ended.
enum class Outcome {
    kSuccess,  ///< The cube is held at least 2 cm above the table at the end.
    kMiss,     ///< The jaws never closed on the cube.
    kDrop,     ///< The cube was grasped but fell (the jaws slipped or opened).
};

/// "success", "miss" or "drop".
std::string to_string(Outcome outcome);

/// The seed of episode `episode` of a world seeded `seed`.
std::uint64_t episode_seed(std::uint64_t seed, std::int64_t episode);

/// Leader and follower buses, scene, operator and looks, one episode at a time. Not thread-safe.
class ReachGraspWorld {
public:
    explicit ReachGraspWorld(const WorldOptions& options = {});
    ~ReachGraspWorld();

    /// Puts a new cube down and starts a new attempt; time starts at 0.
    void start_episode(std::int64_t episode);

    /// Moves time to `t_s` (seconds into the episode): the operator moves the leader, the
    /// follower's servos are put where the leader's are (follower = leader), and the scene
    /// follows the follower's servos.
    void advance_to(double t_s);

    Scene& scene() { return scene_; }
    const Scene& scene() const { return scene_; }
    const Appearance& appearance() const { return appearance_; }
    const ScriptedOperator& person() const { return *person_; }
    arm::SimBus& leader() { return *leader_; }
    arm::SimBus& follower() { return *follower_; }
    std::int64_t episode() const { return episode_; }
    double time_s() const { return time_s_; }
    /// The outcome so far.
    Outcome outcome() const;

private:
    WorldOptions options_;
    std::unique_ptr<arm::SimBus> leader_;
    std::unique_ptr<arm::SimBus> follower_;
    Scene scene_;
    Appearance appearance_;
    std::unique_ptr<ScriptedOperator> person_;
    std::int64_t episode_ = 0;
    double time_s_ = 0;
};

/// Ground truth of one simulated episode.
struct EpisodeTruth {
    std::int64_t episode_index = 0;
    std::uint64_t seed = 0;
    std::int64_t num_frames = 0;
    /// The first frame at which the cube is held at least 2 cm above the table; null: never.
    std::optional<std::int64_t> first_success_frame;
    Outcome outcome = Outcome::kMiss;
    /// When the cube was lifted but is not held up at the end (it slipped): the last frame at
    /// which it was held at least 2 cm up; null: held to the end (or never lifted).
    std::optional<std::int64_t> last_success_frame;
};

/// Runs episode `episode` of `world` for `num_frames` frames at `fps`; `on_frame` (if set) sees
/// each frame's world after it moved there.
EpisodeTruth run_episode(
    ReachGraspWorld& world,
    std::int64_t episode,
    double fps,
    std::int64_t num_frames,
    const std::function<void(std::int64_t frame, const ReachGraspWorld&)>& on_frame = {});

/// Where rcls keeps the ground truth of a simulated dataset: <root>/rcls/sim_ground_truth.json
/// (a folder of rcls's own, which LeRobot does not read).
std::filesystem::path ground_truth_path(const std::filesystem::path& dataset_root);

/// The ground truth file's text:
/// {"format": "rcls_sim_ground_truth", "version": 1, "fps": 10, "lift_threshold_m": 0.02,
///  "episodes": [{"episode_index": 0, "seed": 7, "num_frames": 80, "outcome": "success",
///                "first_success_frame": 41, "last_success_frame": null}, ...]}
/// (`last_success_frame` is absent in files of earlier versions: read as null.)
std::string ground_truth_json(const std::vector<EpisodeTruth>& episodes, double fps);

/// Writes ground_truth_json() to ground_truth_path(dataset_root) atomically. Throws DataError.
void write_ground_truth(const std::filesystem::path& dataset_root,
                        const std::vector<EpisodeTruth>& episodes,
                        double fps);

/// Reads a ground truth file. Throws DataError naming the file when it is missing or invalid.
std::vector<EpisodeTruth> read_ground_truth(const std::filesystem::path& path);

}  // namespace rcls::sim
