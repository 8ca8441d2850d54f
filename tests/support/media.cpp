// SPDX-License-Identifier: MIT
#include "media.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <unistd.h>

#include "run_process.hpp"

namespace rcls::testing {
namespace fs = std::filesystem;

fs::path find_program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        const std::size_t colon = dirs.find(':', start);
        const std::string dir =
            dirs.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        if (!dir.empty()) {
            fs::path candidate = fs::path(dir) / name;
            if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        }
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    return {};
}

void run_ffmpeg(const std::vector<std::string>& args) {
    static const fs::path ffmpeg = find_program("ffmpeg");
    if (ffmpeg.empty()) {
        throw std::runtime_error(
            "ffmpeg not found on PATH: it is the reference for these tests; run "
            "scripts/install_deps.sh");
    }
    std::vector<std::string> argv{ffmpeg.string(), "-hide_banner", "-loglevel",
                                  "error",         "-nostdin",     "-y"};
    argv.insert(argv.end(), args.begin(), args.end());
    const ProcessResult r = run_process(argv);
    if (r.exit_code != 0) {
        std::string command;
        for (const std::string& arg : argv) {
            command += arg + " ";
        }
        throw std::runtime_error("ffmpeg failed (exit " + std::to_string(r.exit_code) +
                                 "): " + command + "\n" + r.err);
    }
}

void make_testsrc_video(
    const fs::path& path, int width, int height, int count, int fps, const std::string& codec) {
    run_ffmpeg({"-f", "lavfi", "-i",
                "testsrc2=size=" + std::to_string(width) + "x" + std::to_string(height) +
                    ":rate=" + std::to_string(fps),
                "-frames:v", std::to_string(count), "-c:v", codec, "-pix_fmt", "yuv420p",
                path.string()});
}

std::vector<cv::Mat> read_raw_frames(const fs::path& path, int width, int height, int channels) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path.string());
    std::vector<cv::Mat> frames;
    const auto size = static_cast<std::streamsize>(width) * height * channels;
    while (true) {
        cv::Mat frame(height, width, CV_8UC(channels));
        in.read(reinterpret_cast<char*>(frame.data), size);
        if (in.gcount() != size) break;
        frames.push_back(frame);
    }
    return frames;
}

void write_raw_frames(const fs::path& path, const std::vector<cv::Mat>& frames) {
    std::ofstream out(path, std::ios::binary);
    for (const cv::Mat& frame : frames) {
        const cv::Mat packed = frame.isContinuous() ? frame : frame.clone();
        out.write(reinterpret_cast<const char*>(packed.data),
                  static_cast<std::streamsize>(packed.total() * packed.elemSize()));
    }
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

namespace {

/// Calls `f(a_value, b_value)` for every value of two 8-bit images of the same size and type.
template <class F>
void for_each_value_pair(const cv::Mat& a, const cv::Mat& b, F&& f) {
    if (a.size() != b.size() || a.type() != b.type() || a.depth() != CV_8U) {
        throw std::runtime_error("images differ in size or type, or are not 8-bit");
    }
    const int values = a.cols * a.channels();
    for (int y = 0; y < a.rows; ++y) {
        const std::uint8_t* pa = a.ptr<std::uint8_t>(y);
        const std::uint8_t* pb = b.ptr<std::uint8_t>(y);
        for (int x = 0; x < values; ++x) {
            f(pa[x], pb[x]);
        }
    }
}

}  // namespace

double psnr(const cv::Mat& a, const cv::Mat& b) {
    double sum = 0.0;
    for_each_value_pair(a, b,
                        [&](int va, int vb) { sum += static_cast<double>((va - vb) * (va - vb)); });
    if (sum == 0.0) return std::numeric_limits<double>::infinity();
    const double mse = sum / static_cast<double>(a.total() * a.channels());
    return 10.0 * std::log10(255.0 * 255.0 / mse);
}

int max_abs_diff(const cv::Mat& a, const cv::Mat& b) {
    int worst = 0;
    for_each_value_pair(a, b, [&](int va, int vb) { worst = std::max(worst, std::abs(va - vb)); });
    return worst;
}

}  // namespace rcls::testing
