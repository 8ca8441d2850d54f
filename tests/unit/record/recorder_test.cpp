// SPDX-License-Identifier: MIT
//
// The recording workflow on the simulated rig (virtual time): frames checked one by one against
// what the simulated bus reported, keys, resume, fault runs and fatal faults.
#include "rcls/record/recorder.hpp"

#include <cmath>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/dataset/dataset.hpp"
#include "rcls/parquet/table.hpp"
#include "rcls/record/rig.hpp"
#include "rcls/sim/world.hpp"

#include "temp_dir.hpp"

namespace rcls::record {
namespace {

/// A small, fast simulated recording: 2 episodes of 2 s at 10 fps, one 96x64 camera, H.264.
config::RecordConfig sim_config(const std::filesystem::path& root) {
    config::RecordConfig c;
    c.fps = 10;
    c.num_episodes = 2;
    c.control_time_s = 2.0;
    c.reset_time_s = 0.5;
    c.play_sounds = false;
    c.robot.type = "so101_follower_sim";
    c.robot.port = "sim_follower";
    c.robot.id = "sim_follower";
    c.teleop.type = "so101_leader_sim";
    c.teleop.port = "sim_leader";
    c.teleop.id = "sim_leader";
    config::CameraConfig camera;
    camera.type = "sim";
    camera.width = 96;
    camera.height = 64;
    camera.fps = 10;
    camera.warmup_s = 0;
    c.robot.cameras = {{"front", camera}};
    c.dataset.root = root.string();
    c.dataset.vcodec = "libx264";
    return c;
}

/// An arm that forwards to another and keeps what it read (the state the bus reported); it can
/// stop answering after `fail_after_reads` reads, as an unplugged servo.
class WatchedArm final : public arm::Arm {
public:
    explicit WatchedArm(arm::Arm& inner) : inner_(inner) {}
    void connect() override { inner_.connect(); }
    bool is_connected() const override { return inner_.is_connected(); }
    arm::JointValues read_positions() override {
        if (fail_after_reads >= 0 && static_cast<int>(reads.size()) >= fail_after_reads) {
            throw DeviceError("servo wrist_flex (id 4) on sim_follower stopped answering");
        }
        reads.push_back(inner_.read_positions());
        return reads.back();
    }
    arm::JointValues send_goals(const arm::JointValues& goals,
                                const arm::JointValues* present) override {
        return inner_.send_goals(goals, present);
    }
    void disconnect() override {
        ++disconnects;
        inner_.disconnect();
    }
    arm::BusStats bus_stats() const override { return inner_.bus_stats(); }
    std::uint64_t clamped_goals() const override { return inner_.clamped_goals(); }
    Clock& clock() const override { return inner_.clock(); }
    const arm::ArmOptions& options() const override { return inner_.options(); }

    std::vector<arm::JointValues> reads;
    int fail_after_reads = -1;
    int disconnects = 0;

private:
    arm::Arm& inner_;
};

/// The simulated rig with a watched follower and a camera that may drop or lose frames.
class TestRig final : public Rig {
public:
    TestRig(const config::RecordConfig& config, SimRigOptions options)
        : inner_(make_rig(config, options)), follower_(inner_->follower()) {}
    void connect() override { inner_->connect(); }
    void disconnect() noexcept override {
        if (follower_.is_connected()) ++follower_.disconnects;
        inner_->disconnect();
    }
    arm::Arm& leader() override { return inner_->leader(); }
    arm::Arm& follower() override { return follower_; }
    std::vector<std::string> camera_names() const override { return inner_->camera_names(); }
    camera::Frame grab(std::size_t index) override {
        ++grabs;
        if (unplug_after_grabs >= 0 && grabs > unplug_after_grabs) {
            throw DeviceError("camera front (/dev/video0): no frame for 1.0 s; check its cable");
        }
        if (have_last_ && drop_probability > 0 &&
            std::uniform_real_distribution<double>(0, 1)(rng_) < drop_probability) {
            ++dropped;
            return last_;  // no new frame: the step gets the previous one again
        }
        last_ = inner_->grab(index);
        have_last_ = true;
        return last_;
    }
    Clock& clock() override { return inner_->clock(); }
    void begin_episode(std::int64_t e) override { inner_->begin_episode(e); }
    void before_step(double t, bool resetting) override { inner_->before_step(t, resetting); }
    void after_observation() override { inner_->after_observation(); }
    void after_frame(std::int64_t f) override { inner_->after_frame(f); }
    std::optional<sim::EpisodeTruth> end_episode(std::int64_t n) override {
        return inner_->end_episode(n);
    }
    KeySource* keys() override { return inner_->keys(); }
    bool simulated() const override { return true; }

    double drop_probability = 0;
    int dropped = 0;
    int grabs = 0;
    int unplug_after_grabs = -1;
    WatchedArm& watched() { return follower_; }

private:
    std::unique_ptr<Rig> inner_;
    WatchedArm follower_;
    std::mt19937 rng_{5};
    camera::Frame last_;
    bool have_last_ = false;
};

/// Keys pressed at given (episode attempt, frame) moments; the attempt counts re-recordings.
class PlannedKeys final : public KeySource {
public:
    std::vector<RecordKey> poll() override {
        std::vector<RecordKey> out(queue.begin(), queue.end());
        queue.clear();
        return out;
    }
    std::deque<RecordKey> queue;
};

SimRigOptions quiet_sim() {
    SimRigOptions o;
    o.press_keys = false;
    return o;
}

std::vector<float> column_floats(const parquet::Table& t,
                                 const std::string& name,
                                 std::size_t row) {
    const parquet::Column* c = t.find(name);
    EXPECT_NE(c, nullptr) << name;
    std::vector<float> out;
    if (c == nullptr) return out;
    if (c->list_depth() == 0) return {static_cast<float>(c->number(row))};  // shape (1,): scalar
    for (double v : c->numbers(row))
        out.push_back(static_cast<float>(v));
    return out;
}

TEST(Recorder, TwoSimEpisodesMatchTheBusFrameByFrame) {
    testing::TempDir dir;
    const auto root = dir / "ds";
    const config::RecordConfig config = sim_config(root);
    TestRig rig(config, quiet_sim());
    PlannedKeys keys;
    std::vector<RecordedFrame> frames;
    RecordOptions options;
    options.root = root;
    options.keys = &keys;
    options.on_frame = [&](const RecordedFrame& f) {
        frames.push_back(f);
        if (f.episode_index == 0 && f.frame_index == 6) keys.queue.push_back(RecordKey::Success);
    };
    const std::size_t reads_before = rig.watched().reads.size();
    const RecordSummary summary = record(config, rig, options);
    rig.disconnect();
    EXPECT_EQ(rig.watched().disconnects, 1);  // torque off
    ASSERT_EQ(summary.episodes.size(), 2u);
    EXPECT_EQ(summary.frames, 40);
    EXPECT_EQ(summary.episodes[0].success_frame, 7);
    EXPECT_EQ(summary.episodes[0].success_frames, 13);
    EXPECT_FALSE(summary.episodes[1].success_frame.has_value());
    EXPECT_EQ(reads_before, 0u);

    const dataset::Dataset ds = dataset::Dataset::open(root);
    EXPECT_EQ(ds.info().total_episodes, 2);
    EXPECT_EQ(ds.info().total_frames, 40);
    EXPECT_DOUBLE_EQ(ds.info().fps, 10.0);
    std::map<std::string, std::string> dtypes;
    for (const auto& f : ds.info().features)
        dtypes[f.key] = f.dtype;
    EXPECT_EQ(dtypes["observation.images.front"], "video");
    EXPECT_EQ(dtypes["observation.state"], "float32");
    EXPECT_EQ(dtypes["action"], "float32");
    EXPECT_EQ(dtypes["next.reward"], "float32");
    EXPECT_EQ(dtypes["next.done"], "bool");
    EXPECT_TRUE(ds.find_problems(true).empty());

    // The observation reads are every read of the follower that started a step: the episode's
    // steps and the reset's steps interleave, so match them through the recorded frames.
    std::size_t k = 0;
    for (std::int64_t e = 0; e < 2; ++e) {
        const parquet::Table table = ds.read_episode(e);
        ASSERT_EQ(table.num_rows, 20);
        for (std::size_t r = 0; r < 20; ++r) {
            const RecordedFrame& f = frames.at(k++);
            ASSERT_EQ(f.frame_index, static_cast<std::int64_t>(r));
            // What the bus reported at the step's start is what the dataset holds.
            bool found = false;
            for (const arm::JointValues& read : rig.watched().reads)
                found |= read == f.state;
            EXPECT_TRUE(found) << "episode " << e << " frame " << r;
            const std::vector<float> state = column_floats(table, "observation.state", r);
            const std::vector<float> action = column_floats(table, "action", r);
            ASSERT_EQ(state.size(), 6u);
            for (std::size_t j = 0; j < 6; ++j) {
                EXPECT_EQ(state[j], static_cast<float>(f.state[j])) << "e" << e << " f" << r;
                EXPECT_EQ(action[j], static_cast<float>(f.action[j]));
            }
            const float reward = column_floats(table, "next.reward", r).at(0);
            EXPECT_EQ(reward, (e == 0 && r >= 7) ? 1.0f : 0.0f) << "e" << e << " f" << r;
            const float done = column_floats(table, "next.done", r).at(0);
            EXPECT_EQ(done, r == 19 ? 1.0f : 0.0f);
        }
    }
    // The leader moved the follower: the state changes over an episode.
    EXPECT_NE(frames.front().state, frames.at(19).state);
    // Key presses beside the dataset, in the format `rcls label --from-record` reads.
    const auto keys_json = nlohmann::json::parse(read_file(root / "meta/rcls_record_keys.json"));
    EXPECT_EQ(keys_json["episodes"]["0"], nlohmann::json::array({7}));
    EXPECT_EQ(keys_json["episodes"]["1"], nlohmann::json::array());
    // The simulation's ground truth for both episodes.
    EXPECT_EQ(sim::read_ground_truth(sim::ground_truth_path(root)).size(), 2u);
}

TEST(Recorder, ASecondSuccessKeyEndsTheSuccessAndLaterOnesAreIgnored) {
    // The cube slipped after `s`: a second `s` makes its frame the last with reward 1.
    testing::TempDir dir;
    const auto root = dir / "ds";
    config::RecordConfig config = sim_config(root);
    config.num_episodes = 1;
    TestRig rig(config, quiet_sim());
    PlannedKeys keys;
    RecordOptions options;
    options.root = root;
    options.keys = &keys;
    options.on_frame = [&](const RecordedFrame& f) {
        if (f.frame_index == 6 || f.frame_index == 11 || f.frame_index == 14) {
            keys.queue.push_back(RecordKey::Success);  // lands on the next frame
        }
    };
    const RecordSummary summary = record(config, rig, options);
    ASSERT_EQ(summary.episodes.size(), 1u);
    const EpisodeSummary& e = summary.episodes[0];
    EXPECT_EQ(e.success_frame, 7);
    EXPECT_EQ(e.success_end_frame, 12);
    EXPECT_EQ(e.key_frame, 7);
    EXPECT_EQ(e.success_frames, 6);
    EXPECT_EQ(summary.success_frames, 6);
    const parquet::Table table = dataset::Dataset::open(root).read_episode(0);
    ASSERT_EQ(table.num_rows, 20);
    for (std::size_t r = 0; r < 20; ++r) {
        const float reward = column_floats(table, "next.reward", r).at(0);
        EXPECT_EQ(reward, (r >= 7 && r <= 12) ? 1.0f : 0.0f) << "frame " << r;
    }
    // The keys file holds both presses, and `rcls label --from-record` reads them as the span.
    const auto keys_json = nlohmann::json::parse(read_file(root / "meta/rcls_record_keys.json"));
    EXPECT_EQ(keys_json["episodes"]["0"], nlohmann::json::array({7, 12}));
    const auto summary_doc = nlohmann::json::parse(summary_json(summary));
    EXPECT_EQ(summary_doc["episodes"][0]["success_end_frame"], 12);
}

TEST(Recorder, DiscardReRecordAndStopKeys) {
    testing::TempDir dir;
    const auto root = dir / "ds";
    config::RecordConfig config = sim_config(root);
    config.num_episodes = 5;
    TestRig rig(config, quiet_sim());
    PlannedKeys keys;
    int attempt = 0;
    RecordOptions options;
    options.root = root;
    options.keys = &keys;
    options.on_frame = [&](const RecordedFrame& f) {
        if (f.frame_index == 0) ++attempt;
        if (attempt == 1 && f.frame_index == 4) keys.queue.push_back(RecordKey::Rerecord);
        if (attempt == 2 && f.frame_index == 2) keys.queue.push_back(RecordKey::Success);
        if (attempt == 2 && f.frame_index == 7) keys.queue.push_back(RecordKey::EndEpisode);
        if (attempt == 3 && f.frame_index == 2) keys.queue.push_back(RecordKey::Stop);
    };
    const RecordSummary summary = record(config, rig, options);
    EXPECT_EQ(summary.rerecorded, 1);
    EXPECT_EQ(summary.discarded_frames, 6);  // frames 0-5: the r press lands on frame 5
    EXPECT_TRUE(summary.stopped);
    ASSERT_EQ(summary.episodes.size(), 2u);
    EXPECT_EQ(summary.episodes[0].frames, 9);  // ended on frame 8
    EXPECT_EQ(summary.episodes[0].end, EpisodeEnd::kEarly);
    EXPECT_EQ(summary.episodes[0].success_frame, 3);
    EXPECT_EQ(summary.episodes[1].frames, 4);  // q lands on frame 3, which is kept
    EXPECT_EQ(summary.episodes[1].end, EpisodeEnd::kStop);
    const dataset::Dataset ds = dataset::Dataset::open(root);
    EXPECT_EQ(ds.info().total_episodes, 2);
    EXPECT_EQ(ds.info().total_frames, 13);
    const parquet::Table first = ds.read_episode(0);
    EXPECT_EQ(column_floats(first, "next.done", 8).at(0), 1.0f);
    EXPECT_EQ(column_floats(first, "next.reward", 2).at(0), 0.0f);
    EXPECT_EQ(column_floats(first, "next.reward", 3).at(0), 1.0f);
}

TEST(Recorder, ResumeAppendsAndRefusesOtherFeatures) {
    testing::TempDir dir;
    const auto root = dir / "ds";
    config::RecordConfig config = sim_config(root);
    config.num_episodes = 1;
    config.control_time_s = 1.0;
    RecordOptions options;
    options.root = root;
    {
        TestRig rig(config, quiet_sim());
        EXPECT_EQ(record(config, rig, options).episodes.size(), 1u);
    }
    {
        TestRig rig(config, quiet_sim());
        try {
            record(config, rig, options);
            ADD_FAILURE() << "recording over a dataset without --resume";
        } catch (const DataError& e) {
            EXPECT_NE(std::string(e.what()).find("--resume"), std::string::npos) << e.what();
        }
    }
    options.resume = true;
    {
        TestRig rig(config, quiet_sim());
        const RecordSummary s = record(config, rig, options);
        ASSERT_EQ(s.episodes.size(), 1u);
        EXPECT_EQ(s.episodes[0].episode_index, 1);
        EXPECT_EQ(s.dataset_episodes, 2);
    }
    config.resize_size = std::array<int, 2>{32, 48};
    {
        TestRig rig(config, quiet_sim());
        try {
            record(config, rig, options);
            ADD_FAILURE() << "resumed with other features";
        } catch (const DataError& e) {
            EXPECT_NE(std::string(e.what()).find("observation.images.front is 3x64x96 there, "
                                                 "3x32x48 here"),
                      std::string::npos)
                << e.what();
        }
    }
    const auto keys_json = nlohmann::json::parse(read_file(root / "meta/rcls_record_keys.json"));
    EXPECT_TRUE(keys_json["episodes"].contains("0"));
    EXPECT_TRUE(keys_json["episodes"].contains("1"));
    EXPECT_EQ(dataset::Dataset::open(root).info().total_episodes, 2);
}

TEST(Recorder, CorruptBusRepliesAndDroppedCameraFramesLoseNoStep) {
    testing::TempDir dir;
    const auto root = dir / "ds";
    config::RecordConfig config = sim_config(root);
    config.robot.num_read_retries = 10;
    config.teleop.num_read_retries = 10;
    SimRigOptions sim = quiet_sim();
    sim.faults.corrupt.probability = 0.05;
    TestRig rig(config, sim);
    rig.drop_probability = 0.10;
    RecordOptions options;
    options.root = root;
    const RecordSummary summary = record(config, rig, options);
    ASSERT_EQ(summary.episodes.size(), 2u);
    EXPECT_EQ(summary.frames, 40);  // every step of every episode
    EXPECT_GT(summary.bus_retries, 0u);
    EXPECT_GT(summary.stale_frames, 0u);
    EXPECT_EQ(summary.stale_frames, static_cast<std::uint64_t>(rig.dropped));
    const dataset::Dataset ds = dataset::Dataset::open(root);
    EXPECT_EQ(ds.info().total_frames, 40);
    EXPECT_TRUE(ds.find_problems(true).empty());
}

/// A fatal fault in episode 1: the error comes out, episode 0 stays, torque goes off.
void expect_fault_keeps_episode_zero(
    const std::function<void(TestRig&)>& arm_fault,
    const std::function<void(RecordOptions&, bool&)>& options_fault,
    ExitCode code) {
    testing::TempDir dir;
    const auto root = dir / "ds";
    const config::RecordConfig config = sim_config(root);
    bool in_episode_one = false;
    int disconnects = 0;
    {
        TestRig rig(config, quiet_sim());
        arm_fault(rig);
        RecordOptions options;
        options.root = root;
        options_fault(options, in_episode_one);
        options.on_frame = [&](const RecordedFrame& f) {
            if (f.episode_index == 1) in_episode_one = true;
        };
        try {
            record(config, rig, options);
            ADD_FAILURE() << "the fault did not stop the recording";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), code) << e.what();
            EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line";
        }
        rig.disconnect();  // what the rig's owner does on the way out
        disconnects = rig.watched().disconnects;
    }
    EXPECT_EQ(disconnects, 1);
    const dataset::Dataset ds = dataset::Dataset::open(root);
    EXPECT_EQ(ds.info().total_episodes, 1);
    EXPECT_EQ(ds.read_episode(0).num_rows, 20);
    EXPECT_TRUE(ds.find_problems(true).empty());
}

TEST(Recorder, ServoThatStopsAnsweringIsADeviceErrorAndKeepsSavedEpisodes) {
    expect_fault_keeps_episode_zero([](TestRig& rig) { rig.watched().fail_after_reads = 30; },
                                    [](RecordOptions&, bool&) {}, ExitCode::kDevice);
}

TEST(Recorder, UnpluggedCameraIsADeviceErrorAndKeepsSavedEpisodes) {
    expect_fault_keeps_episode_zero([](TestRig& rig) { rig.unplug_after_grabs = 25; },
                                    [](RecordOptions&, bool&) {}, ExitCode::kDevice);
}

TEST(Recorder, FullDiskIsADataErrorAndKeepsSavedEpisodes) {
    expect_fault_keeps_episode_zero(
        [](TestRig&) {},
        [](RecordOptions& options, bool& in_episode_one) {
            options.writer.on_step = [&in_episode_one](std::string_view) {
                if (in_episode_one) throw DataError("write: No space left on device");
            };
        },
        ExitCode::kData);
}

TEST(Recorder, CtrlCDiscardsTheUnfinishedEpisodeAndKeepsTheSavedOnes) {
    testing::TempDir dir;
    const auto root = dir / "ds";
    config::RecordConfig config = sim_config(root);
    config.num_episodes = 3;
    TestRig rig(config, quiet_sim());
    RecordOptions options;
    options.root = root;
    options.on_frame = [&](const RecordedFrame& f) {
        if (f.episode_index == 1 && f.frame_index == 5) request_interrupt();
    };
    const RecordSummary summary = record(config, rig, options);
    reset_interrupt();
    EXPECT_TRUE(summary.interrupted);
    ASSERT_EQ(summary.episodes.size(), 1u);
    EXPECT_EQ(summary.discarded_frames, 6);
    EXPECT_EQ(dataset::Dataset::open(root).info().total_episodes, 1);
}

/// `episodes` episodes of 8 s on the simulated rig (the scripted person presses the keys).
RecordSummary record_sim_episodes(const std::filesystem::path& root,
                                  int episodes,
                                  const SimRigOptions& sim) {
    config::RecordConfig config = sim_config(root);
    config.num_episodes = episodes;
    config.control_time_s = 8.0;
    config.reset_time_s = 0.2;
    auto rig = make_rig(config, sim);
    RecordOptions options;
    options.root = root;
    return record(config, *rig, options);
}

TEST(Recorder, SimulatedPersonPressesSuccessAfterTheLiftAndAgainWhenTheCubeFalls) {
    // Seed 2's first 10 episodes: lifts that hold, a cube that falls on the frame it crossed 2 cm
    // (episode 5: before any reaction could land), one that falls just after the press (episode
    // 9), and misses.
    testing::TempDir dir;
    const auto root = dir / "ds";
    SimRigOptions sim;
    sim.seed = 2;
    const RecordSummary summary = record_sim_episodes(root, 10, sim);
    ASSERT_EQ(summary.episodes.size(), 10u);
    const auto truth = sim::read_ground_truth(sim::ground_truth_path(root));
    ASSERT_EQ(truth.size(), 10u);
    int held = 0;
    int fell_before_press = 0;
    int fell_after_press = 0;
    for (std::size_t i = 0; i < truth.size(); ++i) {
        const EpisodeSummary& e = summary.episodes[i];
        const sim::EpisodeTruth& t = truth[i];
        EXPECT_EQ(t.first_success_frame, e.truth_onset_frame) << "episode " << i;
        if (!t.first_success_frame) {
            EXPECT_FALSE(e.key_frame.has_value()) << "episode " << i;
            continue;
        }
        if (!e.key_frame) {
            // Fell before the reaction's 2-3 frames were up: no press.
            ASSERT_TRUE(t.last_success_frame.has_value()) << "episode " << i;
            EXPECT_LT(*t.last_success_frame - *t.first_success_frame, 2) << "episode " << i;
            ++fell_before_press;
            continue;
        }
        const std::int64_t delay = *e.key_frame - *t.first_success_frame;
        EXPECT_GE(delay, 2) << "episode " << i;  // 0.2-0.3 s at 10 fps
        EXPECT_LE(delay, 3) << "episode " << i;
        EXPECT_EQ(e.success_frame, e.key_frame) << "episode " << i;
        if (t.last_success_frame) {
            // Fell after the press: a second press 2-3 frames after the first frame down.
            ASSERT_TRUE(e.success_end_frame.has_value()) << "episode " << i;
            const std::int64_t end_delay = *e.success_end_frame - (*t.last_success_frame + 1);
            EXPECT_GE(end_delay, 2) << "episode " << i;
            EXPECT_LE(end_delay, 3) << "episode " << i;
            ++fell_after_press;
        } else {
            EXPECT_FALSE(e.success_end_frame.has_value()) << "episode " << i;
            ++held;
        }
    }
    EXPECT_GE(held, 5);
    EXPECT_EQ(fell_before_press, 1);
    EXPECT_EQ(fell_after_press, 1);
}

TEST(Recorder, SimulatedPersonsReactionTimeSetsTheDelay) {
    testing::TempDir dir;
    SimRigOptions sim;
    sim.seed = 1;
    sim.reaction_s = 0.8;
    const RecordSummary summary = record_sim_episodes(dir / "ds", 1, sim);
    ASSERT_EQ(summary.episodes.size(), 1u);
    const EpisodeSummary& e = summary.episodes[0];
    ASSERT_TRUE(e.truth_onset_frame.has_value());
    ASSERT_TRUE(e.success_frame.has_value());
    const std::int64_t delay = *e.success_frame - *e.truth_onset_frame;
    EXPECT_GE(delay, 8);  // 0.8-0.9 s at 10 fps
    EXPECT_LE(delay, 9);
}

TEST(Recorder, RealTimeSimCameraRendersInItsOwnThreadAndTheStepNeverWaits) {
    // --sim_speed 1: the camera renders the published scene at its fps on its own thread, as a
    // real camera delivers; grab() hands over the newest frame without waiting for a new one.
    testing::TempDir dir;
    config::RecordConfig config = sim_config(dir / "ds");
    config.robot.cameras.front().second.width = 320;
    config.robot.cameras.front().second.height = 240;
    SimRigOptions sim = quiet_sim();
    sim.speed = 1.0;
    auto rig = make_rig(config, sim);
    rig->connect();
    const camera::Frame first = rig->grab(0);
    const auto t0 = std::chrono::steady_clock::now();
    const camera::Frame again = rig->grab(0);
    const double grab_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_LT(grab_ms, 5.0) << "grab() waited for the camera";
    EXPECT_EQ(again.sequence, first.sequence) << "no new frame yet: the same one, counted stale";
    std::this_thread::sleep_for(std::chrono::milliseconds(350));  // 3.5 periods at 10 fps
    const camera::Frame later = rig->grab(0);
    EXPECT_GE(later.sequence, first.sequence + 2) << "the camera's thread did not render";
    EXPECT_EQ(later.image.size(), cv::Size(320, 240));
    rig->disconnect();
}

TEST(Recorder, RealTimeSimRecordingKeepsEveryStepWithCameraThreadFrames) {
    testing::TempDir dir;
    const auto root = dir / "ds";
    config::RecordConfig config = sim_config(root);
    config.num_episodes = 1;
    config.control_time_s = 1.0;
    SimRigOptions sim = quiet_sim();
    sim.speed = 2.0;
    auto rig = make_rig(config, sim);
    std::vector<RecordedFrame> frames;
    RecordOptions options;
    options.root = root;
    options.on_frame = [&](const RecordedFrame& f) { frames.push_back(f); };
    const RecordSummary summary = record(config, *rig, options);
    rig->disconnect();
    ASSERT_EQ(summary.episodes.size(), 1u);
    ASSERT_EQ(frames.size(), 10u);
    std::uint64_t distinct = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        ASSERT_EQ(frames[i].camera_sequences.size(), 1u);
        if (i > 0) {
            EXPECT_GE(frames[i].camera_sequences[0], frames[i - 1].camera_sequences[0]);
            distinct += frames[i].camera_sequences[0] != frames[i - 1].camera_sequences[0];
        }
    }
    // Every step not given a new frame is counted stale.
    EXPECT_EQ(summary.episodes[0].stale_frames, 9u - distinct);
    EXPECT_EQ(dataset::Dataset::open(root).info().total_frames, 10);
}

TEST(Recorder, EmergencyStopWaitsBoundedForTheStepThenTurnsTorqueOff) {
    testing::TempDir dir;
    const config::RecordConfig config = sim_config(dir / "ds");
    TestRig rig(config, quiet_sim());
    rig.connect();
    {
        // The control thread is in a step: the arms stay busy longer than the wait.
        std::promise<void> locked;
        std::promise<void> release;
        std::thread step([&] {
            std::lock_guard lock(rig.arms_mutex());
            locked.set_value();
            release.get_future().wait();
        });
        locked.get_future().wait();
        const auto t0 = std::chrono::steady_clock::now();
        EXPECT_FALSE(rig.emergency_stop(std::chrono::milliseconds(100)));
        const double waited_s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        EXPECT_GE(waited_s, 0.09);
        EXPECT_LT(waited_s, 0.5);
        EXPECT_EQ(rig.watched().disconnects, 0);
        release.set_value();
        step.join();
    }
    EXPECT_TRUE(rig.emergency_stop(std::chrono::milliseconds(100)));
    EXPECT_EQ(rig.watched().disconnects, 1);  // torque off
    EXPECT_FALSE(rig.follower().is_connected());
}

TEST(Recorder, FeatureDifferenceNamesTheFeature) {
    testing::TempDir dir;
    const config::RecordConfig a = sim_config(dir.path());
    config::RecordConfig b = a;
    EXPECT_FALSE(feature_difference(record_features(a), record_features(b)).has_value());
    b.robot.cameras.push_back({"wrist", b.robot.cameras.front().second});
    const auto d = feature_difference(record_features(a), record_features(b));
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(*d, "observation.images.wrist is missing there (this recording has it)");
    b = a;
    b.crop_params_dict = Dict<std::array<int, 4>>{{"observation.images.front", {0, 0, 32, 32}}};
    EXPECT_EQ(*feature_difference(record_features(a), record_features(b)),
              "observation.images.front is 3x64x96 there, 3x32x32 here");
    b.crop_params_dict = Dict<std::array<int, 4>>{{"observation.images.side", {0, 0, 32, 32}}};
    EXPECT_THROW(record_features(b), ConfigError);
}

}  // namespace
}  // namespace rcls::record
