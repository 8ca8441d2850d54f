// SPDX-License-Identifier: MIT
//
// The labelling page in a real browser: `rcls label DATASET --serve --port 0` runs as a child
// process, label_page.mjs drives the page in headless Chromium (puppeteer-core from this
// folder's node_modules: `npm ci` here), labels two episodes with the keyboard and saves; the test
// then checks the dataset. Without Chromium, node or the npm package the test is skipped, except
// under CI=true, where that is a failure.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <signal.h>
#include <string>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rcls/core/atomic_file.hpp"
#include "rcls/dataset/dataset.hpp"

#include "../../unit/label/label_fixtures.hpp"
#include "checkpoint_fixture.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"
#include <sys/wait.h>

namespace rcls::testing {
namespace {
namespace fs = std::filesystem;

const fs::path kHere = fs::path(RCLS_SOURCE_DIR) / "tests/browser/label";

/// Skips the test, or fails it under CI=true.
#define SKIP_OR_FAIL_IN_CI(why)                                          \
    do {                                                                 \
        const char* ci = std::getenv("CI");                              \
        if (ci != nullptr && std::string(ci) == "true") FAIL() << (why); \
        GTEST_SKIP() << (why);                                           \
    } while (0)

/// `rcls label ... --serve` as a child process whose first stdout line (the URL) is read.
class Server {
public:
    explicit Server(const std::vector<std::string>& args) {
        int out[2];
        if (pipe(out) != 0) return;
        pid_ = fork();
        if (pid_ == 0) {
            dup2(out[1], 1);
            close(out[0]);
            close(out[1]);
            std::vector<char*> argv;
            std::string binary = RCLS_BINARY;
            argv.push_back(binary.data());
            std::vector<std::string> copy = args;
            for (std::string& a : copy)
                argv.push_back(a.data());
            argv.push_back(nullptr);
            execv(binary.c_str(), argv.data());
            _exit(127);
        }
        close(out[1]);
        fd_ = out[0];
    }
    ~Server() {
        if (pid_ > 0 && !reaped_) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        if (fd_ >= 0) close(fd_);
    }
    /// The URL printed by the server ("" if none within `timeout`).
    std::string url(std::chrono::seconds timeout) {
        std::string line;
        const auto end = std::chrono::steady_clock::now() + timeout;
        fcntl(fd_, F_SETFL, O_NONBLOCK);
        while (std::chrono::steady_clock::now() < end) {
            char c = 0;
            const ssize_t n = read(fd_, &c, 1);
            if (n == 1) {
                if (c == '\n') break;
                line += c;
            } else if (n == 0) {
                break;
            } else {
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
        }
        const std::size_t at = line.find("http://");
        if (at == std::string::npos) return "";
        return line.substr(at, line.find(' ', at) - at);
    }
    /// Ctrl-C; the exit status.
    int interrupt() {
        kill(pid_, SIGINT);
        int status = 0;
        waitpid(pid_, &status, 0);
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

private:
    pid_t pid_ = -1;
    int fd_ = -1;
    bool reaped_ = false;
};

TEST(LabelBrowser, LabelsTwoEpisodesWithKeysAndSaves) {
    if (!fs::exists("/usr/bin/node")) SKIP_OR_FAIL_IN_CI("node is not installed");
    const char* chromium_env = std::getenv("CHROMIUM");
    const fs::path chromium = chromium_env != nullptr ? chromium_env : "/usr/bin/chromium";
    if (!fs::exists(chromium)) SKIP_OR_FAIL_IN_CI("chromium is not installed");
    if (!fs::exists(kHere / "node_modules/puppeteer-core")) {
        SKIP_OR_FAIL_IN_CI("puppeteer-core is not installed (npm ci in tests/browser/label)");
    }
    TempDir dir;
    const fs::path root = dir / "cam";
    write_reference_dataset(root, true, 3);
    write_random_checkpoint(dir / "model", classifier_config({"front"}), 3);
    Server server({"label", root.string(), "--serve", "--port", "0", "--every", "10",
                   "--checkpoint", (dir / "model").string()});
    const std::string url = server.url(std::chrono::seconds(60));
    ASSERT_FALSE(url.empty());
    const fs::path shot = dir / "label_page.png";
    const fs::path result_path = dir / "result.json";
    const ProcessResult r = run_process({"/usr/bin/node", (kHere / "label_page.mjs").string(), url,
                                         shot.string(), result_path.string()},
                                        std::chrono::seconds(240));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto result = nlohmann::json::parse(read_file(result_path));
    EXPECT_TRUE(result["errors"].empty()) << result.dump(2);
    EXPECT_NE(result["status0"].get<std::string>().find("label 15-35"), std::string::npos)
        << result.dump(2);
    EXPECT_NE(result["statusNever"].get<std::string>().find("label never"), std::string::npos);
    EXPECT_NE(result["status1"].get<std::string>().find("label 3"), std::string::npos);
    EXPECT_NE(result["statusBack"].get<std::string>().find("label 15-35"), std::string::npos);
    ASSERT_TRUE(result["save"].is_object()) << result.dump(2);
    EXPECT_TRUE(fs::exists(shot));
    // The classifier's probability per frame of episode 1 (88 frames), and the strip drawn.
    const auto& p = result["probabilities"];
    ASSERT_TRUE(p.contains("probabilities")) << p.dump();
    ASSERT_EQ(p["probabilities"].size(), 88u);
    for (const auto& v : p["probabilities"]) {
        EXPECT_GE(v.get<double>(), 0.0);
        EXPECT_LE(v.get<double>(), 1.0);
    }
    EXPECT_TRUE(p["onset"].is_null() || p["onset"].get<int>() < 88);
    EXPECT_TRUE(result["probabilityShown"].get<bool>());
    if (const char* keep = std::getenv("RCLS_LABEL_SCREENSHOT"))
        fs::copy_file(shot, keep, fs::copy_options::overwrite_existing);

    // Frame-step latency as the page measured it (key press to decoded image).
    std::vector<double> steps = result["steps"].get<std::vector<double>>();
    ASSERT_GE(steps.size(), 10u);
    std::sort(steps.begin(), steps.end());
    std::printf("frame step latency: median %.1f ms, max %.1f ms over %zu steps\n",
                steps[steps.size() / 2], steps.back(), steps.size());

    EXPECT_EQ(server.interrupt(), 130);
    // The dataset holds what the keys said.
    const dataset::Dataset d = dataset::Dataset::open(root);
    const auto r0 = d.read_episode(0).column("next.reward").as<float>();
    for (std::size_t t = 0; t < r0.size(); ++t) {
        EXPECT_EQ(r0[t], t >= 15 && t <= 35 ? 1.0f : 0.0f) << "episode 0 frame " << t;
    }
    const auto r1 = d.read_episode(1).column("next.reward").as<float>();
    for (std::size_t t = 0; t < r1.size(); ++t) {
        EXPECT_EQ(r1[t], t >= 3 ? 1.0f : 0.0f) << "episode 1 frame " << t;
    }
    const auto done = d.read_episode(1).column("next.done").as<std::uint8_t>();
    EXPECT_EQ(done.back(), 1);
    EXPECT_EQ(std::count(done.begin(), done.end(), 1), 1);
}

}  // namespace
}  // namespace rcls::testing
