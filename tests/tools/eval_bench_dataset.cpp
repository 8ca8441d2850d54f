// SPDX-License-Identifier: MIT
//
// Helper for scripts/bench_eval.sh (not a ctest): makes the reference workflow's shape of labelled
// dataset (20 episodes, 1932 frames, 640x480, next.reward from a success onset per episode) out of
// the real SO-101 wrist camera frames of ../shared/realdata/so101_chess_wrist_lerobot_pr1138
// (episodes 0 and 3), since no real dataset there carries reward labels. Episode i shows 96 or 97
// consecutive frames of one source episode, chosen so that most contain the grasp (the onset is
// the source's hand-labelled grasp_held_start frame).
//   eval_bench_dataset dataset SOURCE_ROOT OUT_ROOT [av1|h264]
//   eval_bench_dataset checkpoint DIR    a random one-camera ("front") checkpoint, as the tests'
//   eval_bench_dataset repeat SOURCE_ROOT OUT_ROOT FRAMES   SOURCE_ROOT's labelled episodes
//     (first camera, at its size) repeated in order until OUT_ROOT has at least FRAMES frames
//     (whole episodes), H.264: scripts/bench_train_memory.sh's 50,000-frame dataset
#include <cstdio>
#include <iostream>
#include <string>

#include "rcls/dataset/dataset.hpp"
#include "rcls/dataset/frame_reader.hpp"
#include "rcls/dataset/samples.hpp"
#include "rcls/dataset/writer.hpp"

#include "checkpoint_fixture.hpp"

int main(int argc, char** argv) {
    using namespace rcls;
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "checkpoint" && argc == 3) {
        rcls::testing::write_random_checkpoint(argv[2], rcls::testing::classifier_config({"front"}),
                                               5);
        return 0;
    }
    if (mode == "repeat" && argc == 5) {
        try {
            const dataset::Dataset source = dataset::Dataset::open(argv[2]);
            dataset::Samples samples(source);
            const std::string key = samples.camera();
            // The source's episodes in memory once (the reference size: 1932 frames, 95 MB).
            std::vector<std::vector<dataset::Sample>> episodes;
            for (std::int64_t i = 0; i < samples.size(); ++i) {
                dataset::Sample sample = samples.at(i);
                if (episodes.empty() ||
                    episodes.back().front().episode_index != sample.episode_index) {
                    episodes.emplace_back();
                }
                episodes.back().push_back(std::move(sample));
            }
            const cv::Size size = episodes.front().front().image.size();
            dataset::DatasetSpec spec;
            spec.robot_type = "so101_follower";
            spec.fps = 30;
            spec.features = dataset::so101_reward_features();
            spec.features.push_back(dataset::make_feature(
                key, "video", {3, size.height, size.width}, {"channels", "height", "width"}));
            dataset::WriterOptions options;
            options.durable = false;
            video::EncoderSettings settings;
            settings.codec = video::Codec::kH264;
            settings.gop = 2;
            settings.threads = 2;
            options.video = settings;
            auto writer = dataset::DatasetWriter::create(argv[3], spec, options);
            const long long want = std::stoll(argv[4]);
            long long total = 0;
            for (std::size_t e = 0; total < want; e = (e + 1) % episodes.size()) {
                const auto& episode = episodes[e];
                for (std::size_t t = 0; t < episode.size(); ++t) {
                    dataset::Frame frame;
                    frame.values["observation.state"] = std::vector<double>(6, 0.0);
                    frame.values["action"] = std::vector<double>(6, 0.0);
                    frame.values["next.reward"] = {episode[t].label.value_or(0.0f)};
                    frame.values["next.done"] = {t + 1 == episode.size() ? 1.0 : 0.0};
                    frame.images[key] = episode[t].image;
                    frame.task = "Grasp the chess piece";
                    writer.add_frame(frame);
                }
                writer.save_episode();
                total += static_cast<long long>(episode.size());
                std::fprintf(stderr, "\reval_bench_dataset: %lld of %lld frames", total, want);
            }
            std::fprintf(stderr, "\neval_bench_dataset: %lld frames in %s\n", total, argv[3]);
        } catch (const std::exception& e) {
            std::cerr << "eval_bench_dataset: " << e.what() << "\n";
            return 1;
        }
        return 0;
    }
    if (mode != "dataset" || argc < 4) {
        std::cerr << "usage: eval_bench_dataset dataset SOURCE_ROOT OUT_ROOT [av1|h264]\n"
                     "       eval_bench_dataset checkpoint DIR\n"
                     "       eval_bench_dataset repeat SOURCE_ROOT OUT_ROOT FRAMES\n";
        return 2;
    }
    ++argv;
    --argc;
    try {
        const dataset::Dataset source = dataset::Dataset::open(argv[1]);
        const std::string key = "observation.images.follower_wrist";
        dataset::FrameReader reader(source, image::ChannelOrder::kRgb, 0);
        dataset::DatasetSpec spec;
        spec.robot_type = "so101_follower";
        spec.fps = 30;
        spec.features = dataset::so101_reward_features();
        spec.features.push_back(dataset::make_feature(
            "observation.images.front", "video", {3, 480, 640}, {"channels", "height", "width"}));
        dataset::WriterOptions options;
        options.durable = false;
        video::EncoderSettings settings;
        settings.codec =
            argc > 3 && std::string(argv[3]) == "h264" ? video::Codec::kH264 : video::Codec::kAv1;
        settings.gop = 2;
        settings.threads = 2;
        if (settings.codec == video::Codec::kAv1) {
            settings.crf = 30;
            settings.preset = "10";  // the frames' decode cost does not depend on the preset
        }
        options.video = settings;
        auto writer = dataset::DatasetWriter::create(argv[2], spec, options);
        const struct {
            std::int64_t episode, length, grasp;
        } sources[] = {{0, 775, 365}, {3, 762, 300}};
        std::int64_t total = 0;
        for (int i = 0; i < 20; ++i) {
            const auto& s = sources[i % 2];
            const std::int64_t length = i < 12 ? 97 : 96;
            // Start between 80 frames before the grasp and 10 after it (the last two: all success).
            const std::int64_t start = s.grasp - 80 + (i / 2) * 10;
            for (std::int64_t t = 0; t < length; ++t) {
                dataset::Frame frame;
                frame.values["observation.state"] = std::vector<double>(6, 0.0);
                frame.values["action"] = std::vector<double>(6, 0.0);
                frame.values["next.reward"] = {start + t >= s.grasp ? 1.0 : 0.0};
                frame.values["next.done"] = {t == length - 1 ? 1.0 : 0.0};
                frame.images["observation.images.front"] = reader.frame(s.episode, key, start + t);
                frame.task = "Grasp the chess piece";
                writer.add_frame(frame);
            }
            writer.save_episode();
            total += length;
            std::fprintf(stderr, "\reval_bench_dataset: episode %d of 20", i + 1);
        }
        std::fprintf(stderr, "\neval_bench_dataset: %lld frames in %s\n",
                     static_cast<long long>(total), argv[2]);
    } catch (const std::exception& e) {
        std::cerr << "eval_bench_dataset: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
