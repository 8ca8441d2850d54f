// SPDX-License-Identifier: MIT
//
// The live reward classifier as `rcls record` runs it (README, "Live classifier while
// recording"): an untrained checkpoint of the default size (one camera, 128x128), 640x480 RGB
// camera frames. For each thread count it reports
//   - latency: submit() to the decision, one frame at a time (crop, resize, forward on the
//     worker), p50/p99/mean in ms;
//   - submit: what submit() itself costs the control thread, p50/p99/max in ms;
//   - at <fps>: frames submitted at a fixed rate for --seconds; scored and replaced (dropped)
//     frames, i.e. whether the classifier keeps up with every frame.
// Usage: reward_detector_bench [--frames N] [--fps F] [--seconds S] [--threads 1,2]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>

#include "rcls/model/predictor.hpp"
#include "rcls/record/reward_detector.hpp"

#include "checkpoint_fixture.hpp"
#include "temp_dir.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double percentile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

double mean(const std::vector<double>& v) {
    double sum = 0;
    for (const double x : v)
        sum += x;
    return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

}  // namespace

int main(int argc, char** argv) {
    int frames = 200;
    double fps = 30;
    double seconds = 10;
    std::vector<int> threads{1, 2};
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const std::string value = argv[i + 1];
        if (flag == "--frames")
            frames = std::stoi(value);
        else if (flag == "--fps")
            fps = std::stod(value);
        else if (flag == "--seconds")
            seconds = std::stod(value);
        else if (flag == "--threads") {
            threads.clear();
            for (std::size_t p = 0; p < value.size();) {
                const std::size_t comma = value.find(',', p);
                threads.push_back(std::stoi(value.substr(p, comma - p)));
                p = comma == std::string::npos ? value.size() : comma + 1;
            }
        } else {
            std::fprintf(stderr, "unknown option %s\n", flag.c_str());
            return 2;
        }
    }
    rcls::model::prepare_process_for_inference();  // as rcls record does: passive OpenMP waits
    rcls::testing::TempDir dir;
    rcls::testing::write_random_checkpoint(dir / "ck", rcls::testing::classifier_config({"front"}));

    std::vector<cv::Mat> images;
    for (int i = 0; i < 8; ++i) {
        cv::Mat image(480, 640, CV_8UC3);
        cv::RNG rng(static_cast<std::uint64_t>(i + 1));
        rng.fill(image, cv::RNG::UNIFORM, 0, 256);
        images.push_back(image);
    }

    for (const int n : threads) {
        rcls::record::RewardDetector detector(dir / "ck", std::nullopt, std::nullopt, n);
        const auto wait_one = [&] {
            for (;;) {
                if (!detector.poll().empty()) return;
                std::this_thread::sleep_for(std::chrono::microseconds(200));
            }
        };
        for (int i = 0; i < 10; ++i) {  // warm-up
            detector.submit(i, {images[i % images.size()]});
            wait_one();
        }
        std::vector<double> latency;
        std::vector<double> submit;
        for (int i = 0; i < frames; ++i) {
            const auto start = Clock::now();
            detector.submit(i, {images[static_cast<std::size_t>(i) % images.size()]});
            submit.push_back(ms_since(start));
            wait_one();
            latency.push_back(ms_since(start));
        }
        // A fixed rate, as the recording loop submits.
        const std::int64_t scored_before = detector.scored();
        const std::int64_t dropped_before = detector.dropped();
        const auto period = std::chrono::duration<double>(1.0 / fps);
        const int steps = static_cast<int>(seconds * fps);
        std::vector<double> paced_submit;
        const auto begin = Clock::now();
        for (int i = 0; i < steps; ++i) {
            std::this_thread::sleep_until(begin + std::chrono::duration_cast<Clock::duration>(
                                                      period * static_cast<double>(i)));
            const auto start = Clock::now();
            detector.submit(frames + i, {images[static_cast<std::size_t>(i) % images.size()]});
            paced_submit.push_back(ms_since(start));
            detector.poll();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        std::printf(
            "{\"threads\": %d, \"input\": \"640x480 RGB\", \"model\": \"1 camera 128x128\", "
            "\"frames\": %d, \"latency_p50_ms\": %.2f, \"latency_p99_ms\": %.2f, "
            "\"latency_mean_ms\": %.2f, \"submit_p50_ms\": %.3f, \"submit_p99_ms\": %.3f, "
            "\"submit_max_ms\": %.3f, \"paced_fps\": %.1f, \"paced_frames\": %d, "
            "\"paced_scored\": %lld, \"paced_dropped\": %lld, \"paced_submit_max_ms\": %.3f}\n",
            n, frames, percentile(latency, 0.5), percentile(latency, 0.99), mean(latency),
            percentile(submit, 0.5), percentile(submit, 0.99), percentile(submit, 1.0), fps, steps,
            static_cast<long long>(detector.scored() - scored_before),
            static_cast<long long>(detector.dropped() - dropped_before),
            percentile(paced_submit, 1.0));
        std::fflush(stdout);
    }
    return 0;
}
