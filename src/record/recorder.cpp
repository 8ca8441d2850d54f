// SPDX-License-Identifier: MIT
#include "rcls/record/recorder.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <map>
#include <mutex>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/events.hpp"
#include "rcls/core/fixed_rate_loop.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/core/strings.hpp"
#include "rcls/image/channel_order.hpp"
#include "rcls/image/pipeline.hpp"
#include "rcls/label/labels.hpp"
#include "rcls/sim/world.hpp"
#include "rcls/video/video_writer.hpp"

namespace fs = std::filesystem;

namespace rcls::record {
namespace {

constexpr const char* kSource = "record";

/// "from frame 52", or "frames 52-57" when a second key press ended the success; for an episode
/// with a success frame.
std::string success_span_text(const EpisodeSummary& s) {
    return s.success_end_frame ? "frames " + std::to_string(*s.success_frame) + "-" +
                                     std::to_string(*s.success_end_frame)
                               : "from frame " + std::to_string(*s.success_frame);
}

std::string ms_text(double ms) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.2f ms", ms);
    return buffer;
}

std::string video_key(const std::string& camera) {
    return "observation.images." + camera;
}

/// The crop of camera `name`: crop_params_dict keys are LeRobot's "observation.images.<name>"
/// (the bare camera name is accepted too).
std::optional<image::CropRect> camera_crop(const config::RecordConfig& config,
                                           const std::string& name) {
    if (!config.crop_params_dict) return std::nullopt;
    const auto* rect = dict_find(*config.crop_params_dict, video_key(name));
    if (rect == nullptr) rect = dict_find(*config.crop_params_dict, name);
    if (rect == nullptr) return std::nullopt;
    return image::CropRect{(*rect)[0], (*rect)[1], (*rect)[2], (*rect)[3]};
}

/// The crop-and-resize pipeline of camera `name` (rcls preprocess's pipeline; LeRobot's recorder
/// resizes with antialiased bilinear, torchvision's F.resize).
image::Pipeline camera_pipeline(const config::RecordConfig& config, const std::string& name) {
    image::Pipeline pipeline;
    pipeline.crop.reset();
    pipeline.size.reset();
    if (auto rect = camera_crop(config, name)) pipeline.crop = image::CropSpec::rect(*rect);
    if (config.resize_size) {
        pipeline.size = cv::Size((*config.resize_size)[1], (*config.resize_size)[0]);
    }
    pipeline.filter = image::Filter::kBilinear;
    return pipeline;
}

/// The size camera `name` delivers (after its rotation).
cv::Size camera_size(const config::CameraConfig& camera) {
    const bool turned = camera.rotation == 90 || camera.rotation == -90 || camera.rotation == 270;
    return turned ? cv::Size(camera.height, camera.width) : cv::Size(camera.width, camera.height);
}

/// Every crop_params_dict key names a camera.
void check_crop_keys(const config::RecordConfig& config) {
    if (!config.crop_params_dict) return;
    for (const auto& [key, rect] : *config.crop_params_dict) {
        bool known = false;
        for (const auto& [name, camera] : config.robot.cameras) {
            known = known || key == name || key == video_key(name);
        }
        if (!known) {
            throw ConfigError("crop_params_dict: \"" + key +
                              "\" is not a camera; keys are observation.images.<camera> with the "
                              "cameras of robot.cameras");
        }
    }
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
    std::string out;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        out += (i ? "x" : "") + std::to_string(shape[i]);
    }
    return out.empty() ? "()" : out;
}

std::string names_text(const std::vector<std::string>& names) {
    std::string out = "[";
    for (std::size_t i = 0; i < names.size(); ++i)
        out += (i ? ", " : "") + names[i];
    return out + "]";
}

video::EncoderSettings encoder_settings(const config::RecordDatasetConfig& dataset) {
    video::EncoderSettings settings = video::lerobot_encoder_settings();
    settings.codec = video::parse_codec(dataset.vcodec);
    settings.crf = dataset.crf;
    settings.gop = dataset.g;
    settings.pixel_format = dataset.pix_fmt;
    if (settings.codec != video::Codec::kAv1) settings.preset.clear();
    return settings;
}

/// Episode e's saved summary as the keys file has it: the press frame, or none.
nlohmann::ordered_json read_keys_file(const fs::path& path) {
    nlohmann::ordered_json doc = {{"episodes", nlohmann::ordered_json::object()}};
    std::error_code error;
    if (!fs::exists(path, error)) return doc;
    try {
        nlohmann::ordered_json existing = nlohmann::ordered_json::parse(read_file(path));
        if (existing.contains("episodes") && existing["episodes"].is_object()) {
            doc["episodes"] = existing["episodes"];
        }
    } catch (const nlohmann::json::exception& e) {
        throw DataError(path.string() + ": not valid JSON (" + e.what() +
                        "); move it away to record on");
    }
    return doc;
}

/// The recording workflow (see the header).
class Recorder {
public:
    Recorder(const config::RecordConfig& config, Rig& rig, const RecordOptions& options)
        : config_(config), rig_(rig), options_(options), cameras_(rig.camera_names()) {
        check_crop_keys(config);
        for (const std::string& name : cameras_)
            pipelines_.push_back(camera_pipeline(config, name));
        prepared_.resize(cameras_.size());
        shown_images_.resize(cameras_.size());
        last_sequence_.assign(cameras_.size(), 0);
        for (std::size_t j = 0; j < arm::kNumJoints; ++j) {
            const std::string joint(arm::kJointNames[j]);
            for (const std::string& locked : config.locked_joints)
                locked_[j] |= locked == joint;
            if (const double* position = dict_find(config.locked_joint_positions, joint)) {
                locked_position_[j] = *position;
            }
        }
        summary_.root = options.root;
        if (options.classifier != nullptr) {
            for (const std::string& key : options.classifier->cameras()) {
                std::optional<std::size_t> found;
                for (std::size_t c = 0; c < cameras_.size(); ++c) {
                    if (key == video_key(cameras_[c]) || key == cameras_[c]) found = c;
                }
                if (!found) {
                    throw ConfigError(
                        "reward_classifier_pretrained_path: the checkpoint reads "
                        "camera \"" +
                        key + "\", which robot.cameras does not have");
                }
                classifier_cameras_.push_back(*found);
            }
        }
    }

    RecordSummary run() {
        const auto wall_start = std::chrono::steady_clock::now();
        open_dataset();
        {
            std::lock_guard arms(rig_.arms_mutex());
            rig_.connect();
        }
        try {
            record_all();
        } catch (...) {
            finish_pending_save_quietly();
            summary_.wall_s = seconds_since(wall_start);
            throw;
        }
        summary_.wall_s = seconds_since(wall_start);
        summary_.dataset_episodes = writer_->meta().info.total_episodes;
        return summary_;
    }

private:
    static double seconds_since(std::chrono::steady_clock::time_point start) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }

    void open_dataset() {
        const std::vector<dataset::Feature> features = record_features(config_);
        dataset::WriterOptions writer_options = options_.writer;
        if (!writer_options.video) writer_options.video = encoder_settings(config_.dataset);
        const fs::path& root = options_.root;
        std::error_code error;
        const bool exists = fs::exists(root / "meta" / "info.json", error);
        if (exists && !options_.resume) {
            throw DataError(root.string() +
                            " already holds a dataset; add --resume to append episodes to it, "
                            "or set --dataset.root to a new folder");
        }
        if (exists) {
            writer_.emplace(dataset::DatasetWriter::open(root, writer_options));
            const dataset::DatasetInfo& info = writer_->meta().info;
            if (std::abs(info.fps - config_.fps) > 1e-9) {
                throw DataError(root.string() + ": recorded at " + number_text(info.fps) +
                                " fps, this recording is at " + std::to_string(config_.fps) +
                                " fps; set --fps " + number_text(info.fps) +
                                " or record into a new folder");
            }
            if (auto difference = feature_difference(info.features, features)) {
                throw DataError(root.string() + ": its features differ from this recording's: " +
                                *difference + "; record into a new folder (--dataset.root)");
            }
            std::error_code exists_error;
            if (rig_.simulated() && fs::exists(sim::ground_truth_path(root), exists_error)) {
                truths_ = sim::read_ground_truth(sim::ground_truth_path(root));
            }
            spdlog::info("{}: appending to {} episodes", root.string(), info.total_episodes);
        } else {
            if (options_.resume) {
                spdlog::info("{}: no dataset yet; --resume starts a new one", root.string());
            }
            dataset::DatasetSpec spec;
            spec.robot_type = "so101_follower";
            spec.fps = config_.fps;
            spec.features = features;
            writer_.emplace(dataset::DatasetWriter::create(root, spec, writer_options));
        }
        next_index_ = writer_->meta().info.total_episodes;
    }

    void record_all() {
        int recorded = 0;
        while (recorded < config_.num_episodes) {
            const std::int64_t index = next_index_;
            notice("Recording episode " + std::to_string(index));
            const Episode episode = record_episode(index, recorded);
            if (episode.interrupted) {
                summary_.discarded_frames += episode.frames;
                summary_.interrupted = true;
                notice("Interrupted: episode " + std::to_string(index) +
                           " discarded; the saved episodes are kept",
                       false);
                break;
            }
            if (episode.rerecord) {
                summary_.discarded_frames += episode.frames;
                ++summary_.rerecorded;
                notice("Re-recording episode " + std::to_string(index));
                if (!reset_phase()) {
                    summary_.interrupted = true;
                    break;
                }
                continue;
            }
            start_save(episode);
            ++recorded;
            if (episode.summary.end == EpisodeEnd::kStop) {
                summary_.stopped = true;
                break;
            }
            if (recorded < config_.num_episodes) {
                if (!reset_phase()) {
                    summary_.interrupted = true;
                    break;
                }
            }
        }
        finish_pending_save();
    }

    struct Episode {
        EpisodeSummary summary;
        std::int64_t frames = 0;
        bool rerecord = false;
        bool interrupted = false;
    };

    /// Reads the follower (the observation), lets the scene catch up, reads the leader and sends
    /// the goals (locked joints held, max_relative_target applied).
    arm::TeleopStep control_step(std::vector<camera::Frame>* frames) {
        arm::TeleopStep step;
        step.observation = rig_.follower().read_positions();
        rig_.after_observation();
        if (frames != nullptr) {
            frames->clear();
            for (std::size_t c = 0; c < cameras_.size(); ++c)
                frames->push_back(rig_.grab(c));
        }
        step.leader = rig_.leader().read_positions();
        arm::JointValues goals = step.leader;
        for (std::size_t j = 0; j < arm::kNumJoints; ++j) {
            if (locked_[j]) goals[j] = hold_[j];
        }
        step.action = rig_.follower().send_goals(goals, &step.observation);
        return step;
    }

    /// Where locked joints are held this episode: their configured position, else where they are.
    void capture_holds() {
        bool any = false;
        for (bool l : locked_)
            any = any || l;
        if (!any) return;
        const arm::JointValues now = rig_.follower().read_positions();
        for (std::size_t j = 0; j < arm::kNumJoints; ++j) {
            hold_[j] = locked_position_[j] ? *locked_position_[j] : now[j];
        }
    }

    std::uint64_t bus_retries() const {
        return rig_.leader().bus_stats().retries + rig_.follower().bus_stats().retries;
    }

    /// The camera image as stored: RGB, cropped and resized.
    cv::Mat stored_image(std::size_t c, const camera::Frame& frame) {
        cv::Mat rgb =
            frame.order == image::ChannelOrder::kRgb
                ? frame.image
                : image::convert_channel_order(frame.image, frame.order, image::ChannelOrder::kRgb);
        if (!prepared_[c] || prepared_[c]->input_size() != rgb.size()) {
            if (prepared_[c]) {
                throw DeviceError("camera " + cameras_[c] + " changed its image size from " +
                                  image::to_string(prepared_[c]->input_size()) + " to " +
                                  image::to_string(rgb.size()) +
                                  "; check the camera and its width/height in the config");
            }
            prepared_[c].emplace(pipelines_[c], rgb.size(),
                                 "camera " + cameras_[c] + " (crop_params_dict)");
            const cv::Size expected =
                pipelines_[c].output_size(camera_size(camera_config(cameras_[c])));
            if (prepared_[c]->output_size() != expected) {
                throw DeviceError("camera " + cameras_[c] + " delivers " +
                                  image::to_string(rgb.size()) + " images, not the " +
                                  image::to_string(camera_size(camera_config(cameras_[c]))) +
                                  " of robot.cameras." + cameras_[c] +
                                  " (width, height); set them to what the camera delivers");
            }
        }
        if (!pipelines_[c].crop && !pipelines_[c].size) return rgb.clone();
        cv::Mat out;
        prepared_[c]->apply(rgb, out);
        return out;
    }

    const config::CameraConfig& camera_config(const std::string& name) const {
        const config::CameraConfig* camera = dict_find(config_.robot.cameras, name);
        if (camera == nullptr) throw ConfigError("robot.cameras has no camera \"" + name + "\"");
        return *camera;
    }

    std::vector<RecordKey> poll_keys() {
        std::vector<RecordKey> keys;
        if (options_.keys != nullptr) keys = options_.keys->poll();
        if (KeySource* own = rig_.keys()) {
            for (RecordKey k : own->poll())
                keys.push_back(k);
        }
        return keys;
    }

    std::string key_help() const {
        return options_.keys != nullptr ? options_.keys->help() : std::string();
    }

    Episode record_episode(std::int64_t index, int recorded) {
        Episode episode;
        EpisodeSummary& s = episode.summary;
        s.episode_index = index;
        {
            std::lock_guard arms(rig_.arms_mutex());
            rig_.begin_episode(index);
            capture_holds();
        }
        if (options_.classifier != nullptr) options_.classifier->reset_episode();
        const auto max_steps =
            static_cast<std::size_t>(std::llround(config_.control_time_s * config_.fps));
        const std::uint64_t retries_before = bus_retries();
        const std::uint64_t clamped_before = rig_.follower().clamped_goals();
        std::uint64_t stale = 0;
        FixedRateLoopOptions loop_options;
        loop_options.fps = config_.fps;
        loop_options.max_steps = std::max<std::size_t>(1, max_steps);
        loop_options.realtime_priority = kControlLoopPriority;
        FixedRateLoop loop(rig_.clock(), loop_options);
        std::vector<camera::Frame> frames;
        double next_status_s = 0;
        const double fps = config_.fps;
        const double late_tolerance_ms = 100.0 / fps;  // FixedRateLoop's default tolerance
        double previous_work_ms = 0;
        loop.add_hook([&](const StepTiming& timing) {
            previous_work_ms = timing.work_ms;
            return LoopControl::kContinue;
        });
        loop.run([&](const StepTiming& timing) {
            std::lock_guard arms(rig_.arms_mutex());  // see Rig::emergency_stop()
            const auto frame_index = static_cast<std::int64_t>(timing.index);
            if (timing.late_ms > late_tolerance_ms) {
                // Which step, and what came before it: the clue to a late step's cause.
                spdlog::warn(
                    "episode {} step {} started {:.1f} ms late (the step before took {:.1f} ms "
                    "of work{})",
                    index, timing.index, timing.late_ms, previous_work_ms,
                    save_pending() ? "; the previous episode was being saved" : "");
            }
            rig_.before_step(static_cast<double>(timing.index) / fps, false);
            const arm::TeleopStep step = control_step(&frames);
            std::optional<EpisodeEnd> end;
            for (RecordKey key : poll_keys()) {
                switch (key) {
                    case RecordKey::Success:
                        if (!s.key_frame) {
                            s.key_frame = frame_index;
                        } else if (!s.success_end_frame) {
                            // A second press: the success is over (the cube slipped); this
                            // frame is its last.
                            s.success_end_frame = frame_index;
                            notice("Success ended at frame " + std::to_string(frame_index), false);
                            break;
                        }
                        if (!s.success_frame) {
                            s.success_frame = frame_index;
                            notice("Success from frame " + std::to_string(frame_index), false);
                            if (config_.terminate_on_success && !end) end = EpisodeEnd::kSuccess;
                        }
                        break;
                    case RecordKey::Failure:
                        if (!end) end = EpisodeEnd::kFailure;
                        break;
                    case RecordKey::EndEpisode:
                        if (!end) end = EpisodeEnd::kEarly;
                        break;
                    case RecordKey::Rerecord:
                        episode.rerecord = true;
                        break;
                    case RecordKey::Stop:
                        end = EpisodeEnd::kStop;
                        break;
                }
            }
            if (RewardDetector* classifier = options_.classifier) {
                for (const RewardDecision& d : classifier->poll()) {
                    ++s.classifier_scored;
                    if (!d.success || s.classifier_frame) continue;
                    s.classifier_frame = frame_index;
                    s.classifier_scored_frame = d.frame;
                    if (!s.success_frame) {
                        s.success_frame = frame_index;
                        notice("Classifier: success from frame " + std::to_string(frame_index) +
                                   " (p " + number_text(d.probability) + " at frame " +
                                   std::to_string(d.frame) + ")",
                               false);
                    }
                    if (config_.terminate_on_success && !end) end = EpisodeEnd::kSuccess;
                }
            }
            const bool last = end.has_value() || episode.rerecord ||
                              timing.index + 1 >= loop_options.max_steps.value_or(1);
            dataset::Frame frame;
            RecordedFrame recorded_frame;
            recorded_frame.episode_index = index;
            recorded_frame.frame_index = frame_index;
            recorded_frame.state = step.observation;
            recorded_frame.leader = step.leader;
            recorded_frame.action = step.action;
            const bool success =
                s.success_frame && !(s.success_end_frame && frame_index > *s.success_end_frame);
            recorded_frame.reward = success ? 1.0f : 0.0f;
            recorded_frame.done = last;
            for (std::size_t c = 0; c < cameras_.size(); ++c) {
                const camera::Frame& f = frames[c];
                if (last_sequence_[c] != 0 && f.sequence == last_sequence_[c]) ++stale;
                last_sequence_[c] = f.sequence;
                recorded_frame.camera_sequences.push_back(f.sequence);
                frame.images[video_key(cameras_[c])] = stored_image(c, f);
                if (options_.on_images) shown_images_[c] = frame.images[video_key(cameras_[c])];
            }
            frame.values["observation.state"] =
                std::vector<double>(step.observation.begin(), step.observation.end());
            frame.values["action"] = std::vector<double>(step.action.begin(), step.action.end());
            frame.values["next.reward"] = {static_cast<double>(recorded_frame.reward)};
            frame.values["next.done"] = {last ? 1.0 : 0.0};
            frame.task = config_.dataset.task;
            if (RewardDetector* classifier = options_.classifier) {
                classifier_images_.clear();
                for (const std::size_t c : classifier_cameras_) {
                    classifier_images_.push_back(frame.images.at(video_key(cameras_[c])));
                }
                classifier->submit(frame_index, classifier_images_);  // never waits
            }
            writer_->add_frame(frame);
            ++episode.frames;
            if (success) ++s.success_frames;
            rig_.after_frame(frame_index);
            if (options_.on_frame) options_.on_frame(recorded_frame);
            if (options_.on_images) options_.on_images(shown_images_);
            if (timing.elapsed_s >= next_status_s) {
                next_status_s = timing.elapsed_s + options_.status_interval_s;
                std::string text =
                    "episode " + std::to_string(index) + " (" + std::to_string(recorded + 1) + "/" +
                    std::to_string(config_.num_episodes) + ")  frame " +
                    std::to_string(frame_index + 1) + "/" + std::to_string(max_steps) + "  " +
                    (s.success_frame ? "success " + success_span_text(s)
                                     : std::string("no success yet"));
                const std::string help = key_help();
                if (!help.empty()) text += "  |  " + help;
                emit(StatusEvent{kSource, text, false});
            }
            if (end) s.end = *end;
            return last ? LoopControl::kStop : LoopControl::kContinue;
        });
        const LoopStatistics stats = loop.statistics();
        if (!scheduling_logged_ && rig_.clock().sleeps_in_real_time()) {
            scheduling_logged_ = true;
            if (stats.realtime) {
                spdlog::info("control loop: real-time priority (SCHED_FIFO {})",
                             kControlLoopPriority);
            } else {
                spdlog::info("control loop: normal priority; {}", stats.realtime_note);
            }
        }
        s.frames = episode.frames;
        s.period_p50_ms = stats.period_p50_ms;
        s.period_p99_ms = stats.period_p99_ms;
        s.period_max_ms = stats.period_max_ms;
        s.work_p99_ms = stats.work_p99_ms;
        s.late_steps = stats.late_steps;
        s.stale_frames = stale;
        s.bus_retries = bus_retries() - retries_before;
        s.clamped_goals = rig_.follower().clamped_goals() - clamped_before;
        emit(StatusEvent{kSource, "", false});
        const std::optional<sim::EpisodeTruth> truth = rig_.end_episode(episode.frames);
        if (interrupted()) {
            episode.interrupted = true;
            writer_->clear_episode();
            return episode;
        }
        if (episode.rerecord) {
            writer_->clear_episode();
            return episode;
        }
        if (truth) {
            s.truth_onset_frame = truth->first_success_frame;
            s.truth_outcome = sim::to_string(truth->outcome);
            pending_truth_ = truth;
        }
        return episode;
    }

    /// Saves the episode in the background: the reset's teleoperation goes on meanwhile.
    void start_save(const Episode& episode) {
        finish_pending_save();
        pending_summary_ = episode.summary;
        ++next_index_;
        dataset::DatasetWriter* writer = &*writer_;
        pending_save_ = std::async(std::launch::async, [writer] { return writer->save_episode(); });
    }

    bool save_pending() const { return pending_save_.valid(); }

    bool save_done() const {
        return !pending_save_.valid() ||
               pending_save_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    }

    void finish_pending_save() {
        if (!pending_save_.valid()) return;
        const std::int64_t index = pending_save_.get();
        EpisodeSummary s = *pending_summary_;
        pending_summary_.reset();
        s.episode_index = index;
        summary_.episodes.push_back(s);
        summary_.frames += s.frames;
        summary_.success_frames += s.success_frames;
        summary_.bus_retries += s.bus_retries;
        summary_.stale_frames += s.stale_frames;
        summary_.late_steps += s.late_steps;
        write_record_keys(options_.root, {s});
        if (pending_truth_) {
            sim::EpisodeTruth truth = *pending_truth_;
            pending_truth_.reset();
            truth.episode_index = index;
            std::erase_if(truths_,
                          [&](const sim::EpisodeTruth& t) { return t.episode_index == index; });
            truths_.push_back(truth);
            sim::write_ground_truth(options_.root, truths_, config_.fps);
        }
        std::string text =
            "episode " + std::to_string(index) + " saved: " + std::to_string(s.frames) +
            " frames (" + to_string(s.end) + "), " +
            (s.success_frame ? "success " + success_span_text(s) : std::string("no success key"));
        if (s.truth_outcome) {
            text += "; simulation: " + *s.truth_outcome +
                    (s.truth_onset_frame ? " from frame " + std::to_string(*s.truth_onset_frame)
                                         : std::string());
        }
        text += "; period p50 " + ms_text(s.period_p50_ms) + ", p99 " + ms_text(s.period_p99_ms) +
                ", max " + ms_text(s.period_max_ms) + "; late steps " +
                std::to_string(s.late_steps) + ", stale camera frames " +
                std::to_string(s.stale_frames) + ", bus retries " + std::to_string(s.bus_retries);
        notice(text, false);
    }

    /// After an error: the episode being saved is still committed when it can be.
    void finish_pending_save_quietly() noexcept {
        try {
            finish_pending_save();
        } catch (const std::exception& e) {
            spdlog::error("the last episode could not be saved: {}", e.what());
        }
    }

    /// Teleoperation for reset_time_s with nothing recorded (and until the episode is saved).
    /// Returns false when Ctrl-C ended it.
    bool reset_phase() {
        notice("Resetting. " + number_text(config_.reset_time_s) +
               (config_.reset_time_s == 1.0 ? " second." : " seconds."));
        FixedRateLoopOptions loop_options;
        loop_options.fps = config_.fps;
        loop_options.realtime_priority = kControlLoopPriority;  // teleoperation goes on
        FixedRateLoop loop(rig_.clock(), loop_options);
        const double period_s = 1.0 / config_.fps;
        bool waited_for_save = false;
        loop.run([&](const StepTiming& timing) {
            {
                std::lock_guard arms(rig_.arms_mutex());
                rig_.before_step(timing.elapsed_s, true);
                control_step(nullptr);
            }
            if (timing.elapsed_s + 1e-9 < config_.reset_time_s) return LoopControl::kContinue;
            if (save_done()) return LoopControl::kStop;
            if (!waited_for_save) {
                waited_for_save = true;
                // On simulated time the reset is over at once; only a real wait is news.
                if (rig_.clock().is_real_time()) {
                    spdlog::info("the reset goes on until the episode is saved");
                }
            }
            if (!rig_.clock().is_real_time()) {
                // Simulated time would race ahead of the saving thread; wait for it in real time.
                pending_save_.wait_for(std::chrono::duration<double>(period_s));
            }
            return LoopControl::kContinue;
        });
        if (interrupted()) return false;
        finish_pending_save();
        notice("Reset done.");
        return true;
    }

    void notice(const std::string& text, bool speak = true) const {
        emit(NoticeEvent{kSource, text, speak && config_.play_sounds ? text : std::string()});
    }

    const config::RecordConfig& config_;
    Rig& rig_;
    const RecordOptions& options_;
    std::vector<std::string> cameras_;
    std::vector<image::Pipeline> pipelines_;
    std::vector<std::optional<image::PreparedPipeline>> prepared_;
    std::vector<std::uint64_t> last_sequence_;
    std::array<bool, arm::kNumJoints> locked_{};
    std::array<std::optional<double>, arm::kNumJoints> locked_position_{};
    arm::JointValues hold_{};
    std::vector<std::size_t> classifier_cameras_;  ///< Our camera per checkpoint camera.
    std::vector<cv::Mat> classifier_images_;
    std::vector<cv::Mat> shown_images_;  ///< Handed to RecordOptions::on_images.
    std::optional<dataset::DatasetWriter> writer_;
    std::int64_t next_index_ = 0;
    std::future<std::int64_t> pending_save_;
    std::optional<EpisodeSummary> pending_summary_;
    std::optional<sim::EpisodeTruth> pending_truth_;
    bool scheduling_logged_ = false;  ///< The control loop's scheduling is logged once.
    std::vector<sim::EpisodeTruth> truths_;
    RecordSummary summary_;
};

nlohmann::ordered_json optional_json(const std::optional<std::int64_t>& value) {
    return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

}  // namespace

std::string to_string(EpisodeEnd end) {
    switch (end) {
        case EpisodeEnd::kTime:
            return "time";
        case EpisodeEnd::kSuccess:
            return "success";
        case EpisodeEnd::kFailure:
            return "failure";
        case EpisodeEnd::kEarly:
            return "early";
        case EpisodeEnd::kStop:
            return "stop";
    }
    return "time";
}

std::vector<dataset::Feature> record_features(const config::RecordConfig& config) {
    check_crop_keys(config);
    std::vector<dataset::Feature> features;
    for (const auto& [name, camera] : config.robot.cameras) {
        const cv::Size size =
            camera_pipeline(config, name).output_size(camera_size(camera), "camera " + name);
        features.push_back(dataset::make_feature(video_key(name), "video",
                                                 {3, size.height, size.width},
                                                 {"channels", "height", "width"}));
    }
    for (dataset::Feature& f : dataset::so101_reward_features())
        features.push_back(std::move(f));
    return features;
}

std::optional<std::string> feature_difference(const std::vector<dataset::Feature>& existing,
                                              const std::vector<dataset::Feature>& wanted) {
    std::map<std::string, const dataset::Feature*> there;
    for (const dataset::Feature& f : existing) {
        if (!dataset::is_default_feature(f.key)) there[f.key] = &f;
    }
    for (const dataset::Feature& f : wanted) {
        const auto it = there.find(f.key);
        if (it == there.end()) return f.key + " is missing there (this recording has it)";
        const dataset::Feature& e = *it->second;
        if (e.dtype != f.dtype) {
            return f.key + " is " + e.dtype + " there, " + f.dtype + " here";
        }
        if (e.shape != f.shape) {
            return f.key + " is " + shape_text(e.shape) + " there, " + shape_text(f.shape) +
                   " here";
        }
        if (!f.names.empty() && e.names != f.names) {
            return f.key + " names " + names_text(e.names) + " there, " + names_text(f.names) +
                   " here";
        }
        there.erase(it);
    }
    if (!there.empty()) {
        return there.begin()->first + " is there but not in this recording";
    }
    return std::nullopt;
}

void write_record_keys(const fs::path& root, const std::vector<EpisodeSummary>& episodes) {
    const fs::path path = label::record_keys_path(root);
    nlohmann::ordered_json doc = read_keys_file(path);
    for (const EpisodeSummary& e : episodes) {
        nlohmann::ordered_json presses = nlohmann::ordered_json::array();
        if (e.key_frame) presses.push_back(*e.key_frame);
        if (e.key_frame && e.success_end_frame) presses.push_back(*e.success_end_frame);
        doc["episodes"][std::to_string(e.episode_index)] = presses;
    }
    write_file_atomic(path, doc.dump(2) + "\n");
}

RecordSummary record(const config::RecordConfig& config, Rig& rig, const RecordOptions& options) {
    Recorder recorder(config, rig, options);
    return recorder.run();
}

std::string summary_json(const RecordSummary& summary) {
    nlohmann::ordered_json doc;
    doc["root"] = summary.root.string();
    doc["episodes_saved"] = summary.episodes.size();
    doc["dataset_episodes"] = summary.dataset_episodes;
    doc["frames"] = summary.frames;
    doc["success_frames"] = summary.success_frames;
    doc["rerecorded"] = summary.rerecorded;
    doc["stopped"] = summary.stopped;
    doc["interrupted"] = summary.interrupted;
    doc["discarded_frames"] = summary.discarded_frames;
    doc["faults"] = {{"bus_retries", summary.bus_retries},
                     {"stale_camera_frames", summary.stale_frames},
                     {"late_steps", summary.late_steps}};
    doc["wall_s"] = summary.wall_s;
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const EpisodeSummary& e : summary.episodes) {
        nlohmann::ordered_json j;
        j["episode_index"] = e.episode_index;
        j["frames"] = e.frames;
        j["end"] = to_string(e.end);
        j["success_frame"] = optional_json(e.success_frame);
        j["success_end_frame"] = optional_json(e.success_end_frame);
        j["success_frames"] = e.success_frames;
        j["key_frame"] = optional_json(e.key_frame);
        if (e.classifier_scored > 0 || e.classifier_frame) {
            j["classifier"] = {{"frame", optional_json(e.classifier_frame)},
                               {"scored_frame", optional_json(e.classifier_scored_frame)},
                               {"scored", e.classifier_scored}};
        }
        if (e.truth_outcome) {
            j["truth_onset_frame"] = optional_json(e.truth_onset_frame);
            j["truth_outcome"] = *e.truth_outcome;
        }
        j["timing"] = {{"period_p50_ms", e.period_p50_ms},
                       {"period_p99_ms", e.period_p99_ms},
                       {"period_max_ms", e.period_max_ms},
                       {"work_p99_ms", e.work_p99_ms},
                       {"late_steps", e.late_steps}};
        j["faults"] = {{"bus_retries", e.bus_retries},
                       {"stale_camera_frames", e.stale_frames},
                       {"clamped_goals", e.clamped_goals}};
        list.push_back(j);
    }
    doc["episodes"] = list;
    return doc.dump(2);
}

std::string describe(const RecordSummary& summary) {
    std::ostringstream out;
    out << summary.episodes.size() << " episodes saved, " << summary.frames << " frames ("
        << summary.success_frames << " success) in "
        << number_text(std::round(summary.wall_s * 10) / 10) << " s; late steps "
        << summary.late_steps << ", stale camera frames " << summary.stale_frames
        << ", bus retries " << summary.bus_retries;
    if (summary.rerecorded > 0) out << "; " << summary.rerecorded << " re-recorded";
    if (summary.stopped) out << "; stopped by the operator";
    if (summary.interrupted) out << "; interrupted (the unfinished episode was discarded)";
    return out.str();
}

}  // namespace rcls::record
