// SPDX-License-Identifier: MIT
//
// Helpers for image and video tests: the ffmpeg binary as an independent reference, raw frame
// files, and PSNR computed here (not by the code under test).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

namespace rcls::testing {

/// Absolute path of `name` found on $PATH, or an empty path.
std::filesystem::path find_program(const std::string& name);

/// Runs `ffmpeg -hide_banner -loglevel error -nostdin -y ARGS...`. Throws std::runtime_error
/// (failing the test loudly) when ffmpeg is not installed (scripts/install_deps.sh installs it) or
/// exits non-zero; the message carries ffmpeg's stderr.
void run_ffmpeg(const std::vector<std::string>& args);

/// Writes `count` frames of FFmpeg's testsrc2 pattern (width x height, `fps`) to `path` with
/// libx264 (`codec` "libx264") or another ffmpeg encoder name and its default settings.
void make_testsrc_video(const std::filesystem::path& path,
                        int width,
                        int height,
                        int count,
                        int fps = 10,
                        const std::string& codec = "libx264");

/// Frames of a raw file of packed 8-bit pixels (`channels` per pixel, e.g. rgb24: 3).
std::vector<cv::Mat> read_raw_frames(const std::filesystem::path& path,
                                     int width,
                                     int height,
                                     int channels = 3);

/// Writes frames as one raw file of packed pixels (ffmpeg's -f rawvideo).
void write_raw_frames(const std::filesystem::path& path, const std::vector<cv::Mat>& frames);

/// Peak signal-to-noise ratio in dB of two 8-bit images of the same size and type, over all
/// values; +infinity when they are equal.
double psnr(const cv::Mat& a, const cv::Mat& b);

/// Largest absolute difference between two 8-bit images of the same size and type.
int max_abs_diff(const cv::Mat& a, const cv::Mat& b);

}  // namespace rcls::testing
