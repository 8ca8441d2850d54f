// SPDX-License-Identifier: MIT
//
// The `rcls eval --report` page in a real browser: headless Chromium (Debian's `chromium`,
// installed by scripts/install_deps.sh) loads it from disk with the network unused, its DOM is
// checked for every section and plot, its console for any message, and a screenshot is saved to
// <build>/tests/browser/eval_report.png (and checked to show more than a blank page). Without
// Chromium the test is skipped on a developer machine but fails when CI=true.
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "rcls/video/image_file.hpp"

#include "../unit/eval/eval_fixture.hpp"
#include "media.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"

namespace rcls::testing {
namespace {

namespace fs = std::filesystem;

fs::path chromium() {
    for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
        if (fs::path p = find_program(name); !p.empty()) return p;
    }
    return {};
}

bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string(ci) == "true";
}

/// Chromium with what headless runs need here (root in a container: no sandbox; no GPU).
ProcessResult run_chromium(const fs::path& browser, std::vector<std::string> args) {
    std::vector<std::string> argv = {browser.string(),
                                     "--headless",
                                     "--no-sandbox",
                                     "--disable-gpu",
                                     "--no-first-run",
                                     "--disable-extensions",
                                     "--disable-background-networking",
                                     "--enable-logging=stderr",
                                     "--v=0",
                                     "--virtual-time-budget=3000"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, std::chrono::seconds(120), {"HOME=/tmp"});
}

/// The page's console messages, from Chromium's log ("...:CONSOLE:N] "message", source: ...").
std::vector<std::string> console_messages(const std::string& log) {
    std::vector<std::string> out;
    std::istringstream in(log);
    for (std::string line; std::getline(in, line);) {
        if (line.find(":CONSOLE") != std::string::npos) out.push_back(line);
    }
    return out;
}

std::string file_url(const fs::path& path) {
    return "file://" + fs::absolute(path).string();
}

class BrowserReport : public ::testing::Test {
protected:
    void SetUp() override {
        browser_ = chromium();
        if (browser_.empty()) {
            if (in_ci()) FAIL() << "chromium not found; scripts/install_deps.sh installs it";
            GTEST_SKIP() << "chromium not found (scripts/install_deps.sh installs it)";
        }
    }
    fs::path browser_;
    TempDir dir_;
};

// The console check itself: a page with a console.error and an uncaught exception is caught.
TEST_F(BrowserReport, ConsoleCheckSeesErrors) {
    write_text(dir_ / "bad.html",
               "<!DOCTYPE html><html><body><p>x</p><script>console.error('boom');"
               "no_such_function();</script></body></html>");
    const ProcessResult r = run_chromium(browser_, {"--dump-dom", file_url(dir_ / "bad.html")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::vector<std::string> messages = console_messages(r.err);
    ASSERT_EQ(messages.size(), 2u) << r.err;
    EXPECT_NE(messages[0].find("boom"), std::string::npos);
    EXPECT_NE(messages[1].find("Uncaught ReferenceError"), std::string::npos);
}

TEST_F(BrowserReport, EverySectionAndPlotRendersWithoutConsoleErrors) {
    const fs::path pretrained = dir_ / "run/checkpoints/000010/pretrained_model";
    write_random_checkpoint(pretrained, classifier_config({"front"}), 5);
    write_text(dir_ / "run/metrics.jsonl",
               "{\"step\": 100, \"loss\": 0.69, \"accuracy\": 0.52}\n"
               "{\"step\": 200, \"loss\": 0.41, \"accuracy\": 0.81}\n"
               "{\"step\": 300, \"loss\": 0.22, \"accuracy\": 0.93}\n");
    write_eval_dataset(dir_ / "ds", 4);
    const fs::path html = dir_ / "report.html";
    const ProcessResult eval =
        run_rcls({"-q", "eval", "--checkpoint", (dir_ / "run").string(), "--dataset.root",
                  (dir_ / "ds").string(), "--threads", "1", "--report", html.string()});
    ASSERT_EQ(eval.exit_code, 0) << eval.err;

    const ProcessResult dom = run_chromium(browser_, {"--dump-dom", file_url(html)});
    ASSERT_EQ(dom.exit_code, 0) << dom.err;
    EXPECT_EQ(console_messages(dom.err), std::vector<std::string>{}) << dom.err;
    // Chromium re-serialises the page: attributes come back double-quoted.
    for (const char* id :
         {"summary",         "verdict",     "key-numbers", "recommendation", "timelines",
          "episode-0",       "episode-1",   "episode-2",   "episode-3",      "timeline-svg-0",
          "timeline-svg-3",  "curves",      "roc-svg",     "pr-svg",         "reliability-svg",
          "confusion-table", "sweep",       "sweep-svg",   "sweep-table",    "worst-frames",
          "training-curves", "training-svg"}) {
        EXPECT_NE(dom.out.find("id=\"" + std::string(id) + "\""), std::string::npos) << id;
    }
    const auto count = [&](const std::string& what) {
        std::size_t n = 0;
        for (std::size_t at = dom.out.find(what); at != std::string::npos;
             at = dom.out.find(what, at + 1)) {
            ++n;
        }
        return n;
    };
    EXPECT_EQ(count("<svg"), 4u + 4u + 1u);  // timelines, ROC/PR/reliability/sweep, training
    EXPECT_GE(count("<polyline"), 4u + 3u);  // a probability line per episode, the curves
    EXPECT_GE(count("<img src=\"data:image/png;base64,"), 16u);  // at least the worst frames
    EXPECT_EQ(count("src=\"http"), 0u);

    fs::create_directories(RCLS_BROWSER_OUT);
    const fs::path shot = fs::path(RCLS_BROWSER_OUT) / "eval_report.png";
    fs::remove(shot);
    const ProcessResult s = run_chromium(
        browser_, {"--screenshot=" + shot.string(), "--window-size=1120,1500", file_url(html)});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    EXPECT_EQ(console_messages(s.err), std::vector<std::string>{}) << s.err;
    ASSERT_TRUE(fs::exists(shot)) << s.err;
    const cv::Mat image = video::read_image(shot, image::ChannelOrder::kBgr);
    EXPECT_EQ(image.cols, 1120);
    EXPECT_EQ(image.rows, 1500);
    cv::Scalar mean, stddev;
    cv::meanStdDev(image, mean, stddev);
    EXPECT_GT(stddev[0] + stddev[1] + stddev[2], 30.0) << "a blank page?";
}

}  // namespace
}  // namespace rcls::testing
