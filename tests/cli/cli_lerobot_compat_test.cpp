// SPDX-License-Identifier: MIT
//
// A LeRobot user's habits (issue 10 items 13, 14 and 10): LeRobot's flag spellings on every arm
// command, LeRobot's own config files, and an echoing bus line said as such. Run as a user runs
// rcls, against simulated SO-101 buses served on pseudo-terminals.
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rcls/arm/sim_bus.hpp"
#include "rcls/core/clock.hpp"

#include "../unit/eval/eval_fixture.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"

namespace rcls::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

/// A LeRobot calibration file: every joint calibrated to [1000, 3000] with no offset.
std::string calibration_text() {
    std::string text = "{";
    const char* joints[] = {"shoulder_pan", "shoulder_lift", "elbow_flex",
                            "wrist_flex",   "wrist_roll",    "gripper"};
    for (int i = 0; i < 6; ++i) {
        text += std::string(i ? "," : "") + "\"" + joints[i] +
                "\": {\"id\": " + std::to_string(i + 1) +
                ", \"drive_mode\": 0, \"homing_offset\": 0, \"range_min\": 1000, "
                "\"range_max\": 3000}";
    }
    return text + "}";
}

class CliLerobotFlags : public ::testing::Test {
protected:
    std::string serve(arm::SimOptions options = {}) {
        bus_ = std::make_shared<arm::SimBus>(std::move(options), steady_clock().now());
        server_ = std::make_unique<arm::PtySimServer>(bus_, dir_ / "bus");
        server_->start();
        return server_->path();
    }
    std::vector<std::string> env() const {
        return {"HF_LEROBOT_CALIBRATION=" + (dir_ / "calibration").string()};
    }
    TempDir dir_;
    std::shared_ptr<arm::SimBus> bus_;
    std::unique_ptr<arm::PtySimServer> server_;
};

// Item 13: `arm read`, `scan`, `calibrate` and `setup-motors` take LeRobot's `--robot.*` and
// `--teleop.*` spellings ('=' or a space, '-' or '_') as their own options.
TEST_F(CliLerobotFlags, ReadTakesLeRobotsSpellings) {
    const std::string port = serve();
    const fs::path folder = dir_ / "mine";
    write_text(folder / "blue.json", calibration_text());
    const ProcessResult r = run_rcls({"arm", "read", "--robot.port=" + port, "--robot.id", "blue",
                                      "--robot.calibration-dir=" + folder.string(), "--json"},
                                     seconds(60), env());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out).size(), 6u) << r.out;

    // --teleop.* is the leader: its calibration is looked for among the leaders'.
    write_text(dir_ / "calibration/teleoperators/so_leader/my_leader.json", calibration_text());
    const ProcessResult leader =
        run_rcls({"arm", "read", "--teleop.port", port, "--teleop.id=my_leader",
                  "--teleop.type=so101_leader", "--json"},
                 seconds(60), env());
    ASSERT_EQ(leader.exit_code, 0) << leader.err;
    EXPECT_EQ(nlohmann::json::parse(leader.out).size(), 6u) << leader.out;
}

TEST_F(CliLerobotFlags, ScanAndSetupMotorsTakeLeRobotsSpellings) {
    const std::string port = serve();
    const ProcessResult scan =
        run_rcls({"arm", "scan", "--robot.type=so101_follower", "--robot.port=" + port, "--json"},
                 seconds(60));
    ASSERT_EQ(scan.exit_code, 0) << scan.err;
    EXPECT_EQ(nlohmann::json::parse(scan.out).size(), 6u);

    arm::SimOptions factory;
    factory.factory_setup = true;
    server_.reset();
    const std::string fresh = serve(factory);
    const ProcessResult setup = run_rcls(
        {"arm", "setup-motors", "--teleop.type", "so101_leader", "--teleop.port", fresh, "--yes"},
        seconds(60));
    ASSERT_EQ(setup.exit_code, 0) << setup.err;
    EXPECT_NE(setup.out.find("all six motors of " + fresh), std::string::npos) << setup.out;
}

TEST_F(CliLerobotFlags, CalibrateTakesLeRobotsSpellingsAndTheRoleFromThem) {
    const std::string port = serve();
    const ProcessResult r =
        run_rcls({"arm", "calibrate", "--teleop.type=so101_leader", "--teleop.port=" + port,
                  "--teleop.id=pink", "--yes", "--range-seconds", "2"},
                 seconds(120), env());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, (dir_ / "calibration/teleoperators/so_leader/pink.json").string() + "\n");
}

TEST_F(CliLerobotFlags, ALeRobotSpellingThatContradictsTheNativeOptionIsAUsageError) {
    struct Case {
        std::vector<std::string> args;
        std::string first;
        std::string second;
    };
    const std::vector<Case> cases = {
        {{"arm", "read", "--port", "/dev/ttyA", "--robot.port=/dev/ttyB", "--raw"},
         "--port /dev/ttyA",
         "--robot.port /dev/ttyB"},
        {{"arm", "scan", "--robot.port", "/dev/ttyA", "--teleop.port", "/dev/ttyB"},
         "--robot.port /dev/ttyA",
         "--teleop.port /dev/ttyB"},
        {{"arm", "calibrate", "--port", "/dev/ttyA", "--role", "leader", "--robot.id", "x"},
         "--role leader",
         "--robot.id x"},
        {{"arm", "calibrate", "--port", "/dev/ttyA", "--id", "a", "--robot.id=b"},
         "--id a",
         "--robot.id b"},
        {{"arm", "setup-motors", "--port", "/dev/ttyA", "--robot.port", "/dev/ttyB"},
         "--port /dev/ttyA",
         "--robot.port /dev/ttyB"},
        {{"arm", "teleop", "--follower-port", "/dev/ttyA", "--robot.port", "/dev/ttyB"},
         "--follower-port \"/dev/ttyA\"",
         "--robot.port \"/dev/ttyB\""},
    };
    for (const Case& c : cases) {
        const ProcessResult r = run_rcls(c.args, seconds(20), env());
        EXPECT_EQ(r.exit_code, 2) << c.args[1] << ": " << r.err;
        EXPECT_NE(r.err.find(c.first), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(c.second), std::string::npos) << r.err;
    }
    const ProcessResult type = run_rcls({"arm", "scan", "--robot.type=so101_leader"}, seconds(20));
    EXPECT_EQ(type.exit_code, 2) << type.err;
    EXPECT_NE(type.err.find("--robot.type so101_leader: the robot is a follower arm"),
              std::string::npos)
        << type.err;
    const ProcessResult none = run_rcls({"arm", "scan"}, seconds(20));
    EXPECT_EQ(none.exit_code, 2) << none.err;
    EXPECT_NE(none.err.find("--port is required (or LeRobot's --robot.port"), std::string::npos)
        << none.err;
}

// ---- Item 14: LeRobot's own config files ----------------------------------------------------

/// How many times `needle` occurs in `text`.
std::size_t occurrences(const std::string& text, const std::string& needle) {
    std::size_t count = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos;
         at = text.find(needle, at + 1)) {
        ++count;
    }
    return count;
}

/// The ignored-keys warning's list ("a, b, c"), or "" when there is none.
std::string ignored_list(const std::string& err) {
    const std::string marker = "ignoring LeRobot keys rcls does not use: ";
    const std::size_t at = err.find(marker);
    if (at == std::string::npos) return "";
    const std::size_t start = at + marker.size();
    return err.substr(start, err.find('\n', start) - start);
}

/// The reward classifier train config of LeRobot's HIL-SERL docs (docs/source/hilserl.mdx).
constexpr const char* kLerobotDocsTrainConfig = R"({
  "dataset": {"repo_id": "hf_username/dataset_name", "root": null},
  "reward_model": {
    "type": "reward_classifier", "model_name": "helper2424/resnet10", "model_type": "cnn",
    "num_cameras": 2, "num_classes": 2, "hidden_dim": 256, "dropout_rate": 0.1,
    "learning_rate": 1e-4, "device": "cuda",
    "input_features": {
      "observation.images.front": {"type": "VISUAL", "shape": [3, 128, 128]},
      "observation.images.side": {"type": "VISUAL", "shape": [3, 128, 128]}
    },
    "push_to_hub": true, "repo_id": "hf_username/model_repo"
  },
  "batch_size": 16, "num_workers": 4, "steps": 5000, "log_freq": 10, "env_eval_freq": 1000,
  "save_freq": 1000, "save_checkpoint": true, "seed": 2, "resume": false,
  "optimizer": {"grad_clip_norm": 10.0},
  "wandb": {"enable": true, "project": "reward-classifier", "disable_artifact": false},
  "job_name": "reward-classifier"
})";

/// A train_config.json as lerobot-train v0.4 saves it (draccus dump of TrainPipelineConfig with
/// the reward classifier as `policy`), every field written.
constexpr const char* kLerobotSavedTrainConfig = R"({
    "dataset": {
        "repo_id": "me/cubes",
        "root": "/data/cubes",
        "episodes": null,
        "image_transforms": {
            "enable": false,
            "max_num_transforms": 3,
            "random_order": false,
            "tfs": {
                "brightness": {"weight": 1.0, "type": "ColorJitter", "kwargs": {"brightness": [0.8, 1.2]}},
                "contrast": {"weight": 1.0, "type": "ColorJitter", "kwargs": {"contrast": [0.8, 1.2]}},
                "saturation": {"weight": 1.0, "type": "ColorJitter", "kwargs": {"saturation": [0.5, 1.5]}},
                "hue": {"weight": 1.0, "type": "ColorJitter", "kwargs": {"hue": [-0.05, 0.05]}},
                "sharpness": {"weight": 1.0, "type": "SharpnessJitter", "kwargs": {"sharpness": [0.5, 1.5]}}
            }
        },
        "revision": null,
        "use_imagenet_stats": true,
        "video_backend": "torchcodec",
        "streaming": false
    },
    "env": null,
    "policy": {
        "type": "reward_classifier",
        "n_obs_steps": 1,
        "normalization_mapping": {"VISUAL": "MEAN_STD"},
        "input_features": {"observation.images.front": {"type": "VISUAL", "shape": [3, 96, 96]}},
        "output_features": {},
        "device": "cpu",
        "use_amp": false,
        "use_peft": false,
        "push_to_hub": false,
        "repo_id": null,
        "private": null,
        "tags": null,
        "license": null,
        "pretrained_path": null,
        "name": "reward_classifier",
        "num_classes": 2,
        "hidden_dim": 256,
        "latent_dim": 256,
        "image_embedding_pooling_dim": 8,
        "dropout_rate": 0.1,
        "model_name": "helper2424/resnet10",
        "model_type": "cnn",
        "num_cameras": 1,
        "learning_rate": 0.0001,
        "weight_decay": 0.01,
        "grad_clip_norm": 1.0
    },
    "output_dir": "outputs/train/2025-10-01/12-00-00_reward_classifier",
    "job_name": "reward_classifier",
    "resume": false,
    "seed": 1000,
    "num_workers": 4,
    "batch_size": 8,
    "steps": 100000,
    "eval_freq": 20000,
    "log_freq": 200,
    "tolerance_s": 0.0001,
    "save_checkpoint": true,
    "save_freq": 20000,
    "use_policy_training_preset": true,
    "optimizer": {"type": "adamw", "lr": 0.0001, "weight_decay": 0.01, "grad_clip_norm": 1.0,
                  "betas": [0.9, 0.999], "eps": 1e-08},
    "scheduler": null,
    "eval": {"n_episodes": 50, "batch_size": 50, "use_async_envs": false},
    "wandb": {"enable": false, "disable_artifact": false, "project": "lerobot", "entity": null,
              "notes": null, "run_id": null, "mode": null},
    "peft": null,
    "use_rabc": false,
    "rabc_progress_path": null,
    "rabc_kappa": 0.01,
    "rabc_epsilon": 1e-06,
    "rabc_head_mode": "sparse",
    "rename_map": {},
    "checkpoint_path": null
})";

/// The reward classifier data collection env config of LeRobot's HIL-SERL docs, with the
/// documented SO-101 robot, leader, camera and image_preprocessing sections filled in.
constexpr const char* kLerobotGymManipulatorConfig = R"({
  "env": {
    "type": "gym_manipulator",
    "name": "real_robot",
    "fps": 10,
    "processor": {
      "control_mode": "leader",
      "observation": {"display_cameras": false, "add_joint_velocity_to_observation": false},
      "image_preprocessing": {
        "crop_params_dict": {"observation.images.front": [180, 250, 120, 150]},
        "resize_size": [128, 128]
      },
      "gripper": {"use_gripper": true, "gripper_penalty": 0.0},
      "reset": {
        "fixed_reset_joint_positions": [0.0, 0.0, 0.0, 90.0, 0.0, 5.0],
        "reset_time_s": 5.0,
        "control_time_s": 20.0,
        "terminate_on_success": false
      },
      "inverse_kinematics": null,
      "reward_classifier": null,
      "max_gripper_pos": 100.0
    },
    "robot": {
      "type": "so101_follower",
      "port": "/dev/ttyACM0",
      "id": "my_follower",
      "use_degrees": true,
      "cameras": {
        "front": {"type": "opencv", "index_or_path": 2, "width": 640, "height": 480, "fps": 30,
                  "backend": 0}
      }
    },
    "teleop": {"type": "so101_leader", "port": "/dev/ttyACM1", "id": "my_leader",
               "use_degrees": true}
  },
  "dataset": {
    "repo_id": "hf_username/dataset_name",
    "root": "data/your_dataset",
    "task": "reward_classifier_task",
    "num_episodes_to_record": 20,
    "replay_episode": null,
    "push_to_hub": true
  },
  "mode": "record",
  "device": "cpu"
})";

class CliLerobotConfigs : public ::testing::Test {
protected:
    std::string file(const std::string& name, const std::string& text) const {
        write_text(dir_ / name, text);
        return (dir_ / name).string();
    }
    TempDir dir_;
};

TEST_F(CliLerobotConfigs, LeRobotsDocumentedTrainConfigIsReadWithTheIgnoredKeysListedOnce) {
    const std::string path = file("reward_classifier_train_config.json", kLerobotDocsTrainConfig);
    const ProcessResult r = run_rcls({"--print-config", "train", "--config", path}, seconds(20));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto config = nlohmann::json::parse(r.out);
    EXPECT_EQ(config["batch_size"], 16);
    EXPECT_EQ(config["steps"], 5000);
    EXPECT_EQ(config["seed"], 2);
    EXPECT_EQ(config["job_name"], "reward-classifier");
    EXPECT_EQ(config["reward_model"]["hidden_dim"], 256);
    EXPECT_EQ(config["reward_model"]["dropout_rate"], 0.1);
    EXPECT_EQ(config["reward_model"]["image_size"], 128);
    EXPECT_EQ(occurrences(r.err, "ignoring LeRobot keys"), 1u) << r.err;
    const std::string ignored = ignored_list(r.err);
    for (const char* key : {"reward_model.num_cameras", "reward_model.push_to_hub",
                            "reward_model.repo_id", "env_eval_freq", "optimizer", "wandb"}) {
        EXPECT_EQ(occurrences(ignored, key), 1u) << key << " in " << ignored;
    }
    EXPECT_EQ(ignored.find("input_features"), std::string::npos) << "used: " << ignored;
}

TEST_F(CliLerobotConfigs, ATrainConfigAsLeRobotSavesItIsRead) {
    const std::string path = file("train_config.json", kLerobotSavedTrainConfig);
    const ProcessResult r = run_rcls({"--print-config", "train", "--config", path}, seconds(20));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto config = nlohmann::json::parse(r.out);
    EXPECT_EQ(config["dataset"]["root"], "/data/cubes");
    EXPECT_EQ(config["dataset"]["image_transforms"]["enable"], false);
    EXPECT_EQ(config["reward_model"]["weight_decay"], 0.01);
    EXPECT_EQ(config["reward_model"]["image_size"], 96);
    EXPECT_EQ(config["steps"], 100000);
    const std::string ignored = ignored_list(r.err);
    for (const char* key : {"env", "reward_model.n_obs_steps", "reward_model.use_amp",
                            "dataset.video_backend", "dataset.revision", "tolerance_s", "use_rabc",
                            "rename_map", "checkpoint_path", "wandb"}) {
        EXPECT_NE(ignored.find(key), std::string::npos) << key << " in " << ignored;
    }
}

TEST_F(CliLerobotConfigs, ATypoInALeRobotFileIsStillAConfigErrorNamingTheKeyAndFile) {
    std::string text = kLerobotDocsTrainConfig;
    text.replace(text.find("\"batch_size\""), 12, "\"batch_sise\"");
    const std::string path = file("typo.json", text);
    const ProcessResult r = run_rcls({"--print-config", "train", "--config", path}, seconds(20));
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find(path + ": /batch_sise: unknown key \"batch_sise\""), std::string::npos)
        << r.err;

    std::string gym = kLerobotGymManipulatorConfig;
    gym.replace(gym.find("\"gripper_penalty\""), 17, "\"gripper_penality\"");
    gym.replace(gym.find("\"control_time_s\""), 16, "\"control_time\"");
    const std::string gym_path = file("env_typo.json", gym);
    const ProcessResult g =
        run_rcls({"--print-config", "record", "--config", gym_path}, seconds(20));
    EXPECT_EQ(g.exit_code, 3) << g.err;
    EXPECT_NE(g.err.find(gym_path + ": /env/processor/reset/control_time: unknown key"),
              std::string::npos)
        << g.err;
}

TEST_F(CliLerobotConfigs, AGymManipulatorEnvConfigIsReadForRecording) {
    const std::string path = file("env_config.json", kLerobotGymManipulatorConfig);
    const ProcessResult r = run_rcls({"--print-config", "record", "--config", path}, seconds(20));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto config = nlohmann::json::parse(r.out);
    EXPECT_EQ(config["fps"], 10);
    EXPECT_EQ(config["num_episodes"], 20);
    EXPECT_EQ(config["control_time_s"], 20.0);
    EXPECT_EQ(config["reset_time_s"], 5.0);
    EXPECT_EQ(config["terminate_on_success"], false);
    EXPECT_EQ(config["resize_size"], nlohmann::json::array({128, 128}));
    EXPECT_EQ(config["crop_params_dict"]["observation.images.front"],
              nlohmann::json::array({180, 250, 120, 150}));
    EXPECT_EQ(config["robot"]["port"], "/dev/ttyACM0");
    EXPECT_EQ(config["robot"]["id"], "my_follower");
    EXPECT_EQ(config["robot"]["cameras"]["front"]["index_or_path"], 2);
    EXPECT_EQ(config["teleop"]["id"], "my_leader");
    EXPECT_EQ(config["dataset"]["repo_id"], "hf_username/dataset_name");
    EXPECT_EQ(config["dataset"]["root"], "data/your_dataset");
    EXPECT_EQ(config["dataset"]["task"], "reward_classifier_task");
    EXPECT_EQ(config["dataset"]["push_to_hub"], false);  // rcls never uploads
    EXPECT_EQ(occurrences(r.err, "ignoring LeRobot keys"), 1u) << r.err;
    const std::string ignored = ignored_list(r.err);
    for (const char* key :
         {"env.name", "env.processor.control_mode", "env.processor.gripper",
          "env.processor.reset.fixed_reset_joint_positions", "env.robot.cameras.front.backend",
          "dataset.replay_episode", "dataset.push_to_hub", "device"}) {
        EXPECT_EQ(occurrences(ignored, key), 1u) << key << " in " << ignored;
    }

    std::string replay = kLerobotGymManipulatorConfig;
    replay.replace(replay.find("\"mode\": \"record\""), 16, "\"mode\": \"replay\"");
    const ProcessResult m = run_rcls(
        {"--print-config", "record", "--config", file("replay.json", replay)}, seconds(20));
    EXPECT_EQ(m.exit_code, 3) << m.err;
    EXPECT_NE(m.err.find("/mode: \"replay\" is not recording"), std::string::npos) << m.err;
}

TEST_F(CliLerobotConfigs, TheTrainConfigRclsTrainWritesRoundTrips) {
    write_eval_dataset(dir_ / "ds", 3);
    const ProcessResult t = run_rcls({"train",
                                      "--dataset.root",
                                      (dir_ / "ds").string(),
                                      "--output_dir",
                                      (dir_ / "run").string(),
                                      "--steps",
                                      "2",
                                      "--batch_size",
                                      "4",
                                      "--save_freq",
                                      "2",
                                      "--log_freq",
                                      "1",
                                      "--reward_model.image_size",
                                      "64",
                                      "--pretrained_encoder",
                                      "false",
                                      "--num_threads",
                                      "1",
                                      "--val_episodes",
                                      "[2]",
                                      "--train_mode",
                                      "head",
                                      "--seed",
                                      "7"});
    ASSERT_EQ(t.exit_code, 0) << t.err;
    const fs::path saved = dir_ / "run/checkpoints/last/pretrained_model/train_config.json";
    ASSERT_TRUE(fs::is_regular_file(saved));
    const ProcessResult r =
        run_rcls({"--print-config", "train", "--config", saved.string()}, seconds(20));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto config = nlohmann::json::parse(r.out);
    EXPECT_EQ(config["dataset"]["root"], (dir_ / "ds").string());
    EXPECT_EQ(config["output_dir"], (dir_ / "run").string());
    EXPECT_EQ(config["steps"], 2);
    EXPECT_EQ(config["batch_size"], 4);
    EXPECT_EQ(config["seed"], 7);
    EXPECT_EQ(config["reward_model"]["image_size"], 64);
    EXPECT_EQ(occurrences(r.err, "ignoring LeRobot keys"), 1u) << r.err;
}

// ---- Item 10: a line that echoes what is sent ------------------------------------------------

// `arm scan` on an adapter without echo suppression reported "Input voltage error" on every
// motor (the echoed PING read as status packets); the echo is now said as such, exit 4.
TEST_F(CliLerobotFlags, AnEchoingLineIsSaidAsSuchNotAsServoErrors) {
    arm::SimOptions options;
    options.faults.echo = true;
    const std::string port = serve(options);
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"arm", "scan", "--port", port},
          std::vector<std::string>{"arm", "read", "--port", port, "--raw", "--json"}}) {
        const ProcessResult r = run_rcls(args, seconds(60));
        EXPECT_EQ(r.exit_code, 4) << args[1] << ": " << r.err;
        EXPECT_NE(r.err.find("rcls: error: " + port + ": the line echoes every packet sent ("),
                  std::string::npos)
            << r.err;
        EXPECT_EQ(r.err.find("voltage"), std::string::npos) << r.err;
        EXPECT_TRUE(r.out.empty()) << r.out;
    }
}

TEST(CliArmSim, EchoFlagMakesTheSimulatedLineEcho) {
    TempDir dir;
    const std::string link = (dir / "bus").string();
    auto sim = std::async(std::launch::async, [&] {
        return run_rcls({"arm", "sim", "--link", link, "--echo", "--duration", "3"}, seconds(60));
    });
    for (int i = 0; i < 200 && !fs::exists(link); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // the other process
    }
    const ProcessResult r = run_rcls({"arm", "scan", "--port", link}, seconds(60));
    EXPECT_EQ(r.exit_code, 4) << r.err;
    EXPECT_NE(r.err.find(link + ": the line echoes every packet sent"), std::string::npos) << r.err;
    EXPECT_EQ(sim.get().exit_code, 0);
}

}  // namespace
}  // namespace rcls::testing
