// SPDX-License-Identifier: MIT
//
// Bad inputs found by trying main as users would (issue "Fixes from trying main as users would"):
// each must end in one line naming the path or option, with the documented exit code, never a hang
// or a runaway.
#include <gtest/gtest.h>

#include "checkpoint_fixture.hpp"
#include "error_message.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"
#include <sys/stat.h>

namespace rcls::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

class CliBadInput : public ::testing::Test {
protected:
    fs::path fifo(const std::string& name) const {
        const fs::path path = dir_ / name;
        EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0);
        return path;
    }
    TempDir dir_;
};

TEST_F(CliBadInput, AFifoGivenAsAVideoIsRefusedNotWaitedOn) {
    const fs::path path = fifo("f.mp4");
    const ProcessResult r =
        run_rcls({"preprocess", path.string(), "--output", (dir_ / "o").string()}, seconds(20));
    EXPECT_EQ(r.exit_code, 5) << r.err;
    EXPECT_NE(r.err.find(path.string() + ": is a named pipe (FIFO), not a video file"),
              std::string::npos)
        << r.err;
}

TEST_F(CliBadInput, AFifoGivenAsAConfigWithNoWriterIsRefusedNotWaitedOn) {
    const fs::path path = fifo("record.json");
    const ProcessResult r = run_rcls({"config", "check", path.string()}, seconds(20));
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.exit_code, 128 + 9) << "killed by the test's timeout: it hung";
    EXPECT_NE(r.err.find(path.string()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("named pipe"), std::string::npos) << r.err;
}

TEST_F(CliBadInput, AFifoGivenAsADatasetFileIsRefusedNotWaitedOn) {
    fs::create_directories(dir_ / "ds" / "meta");
    const fs::path info = dir_ / "ds" / "meta" / "info.json";
    ASSERT_EQ(::mkfifo(info.c_str(), 0600), 0);
    const ProcessResult r = run_rcls({"dataset", "info", (dir_ / "ds").string()}, seconds(20));
    EXPECT_EQ(r.exit_code, 5) << r.err;
    EXPECT_NE(r.err.find(info.string()), std::string::npos) << r.err;
}

TEST_F(CliBadInput, ACharacterDeviceIsRefusedNotReadForEver) {
    const ProcessResult r = run_rcls({"config", "check", "/dev/zero"}, seconds(20));
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.exit_code, 128 + 9) << "killed by the test's timeout: it hung";
    EXPECT_NE(r.err.find("/dev/zero: is a character device"), std::string::npos) << r.err;
}

TEST_F(CliBadInput, ThreadCountsAreBoundedWithAClearError) {
    write_random_checkpoint(dir_ / "model", classifier_config({"front"}), 3);
    for (const char* threads : {"100000", "1000"}) {
        const ProcessResult r = run_rcls({"predict", "--checkpoint", (dir_ / "model").string(),
                                          "--benchmark", "1", "--threads", threads},
                                         seconds(60));
        EXPECT_EQ(r.exit_code, 3) << threads << ": " << r.err;
        EXPECT_NE(r.err.find("--threads: " + std::string(threads) + " threads is out of range"),
                  std::string::npos)
            << r.err;
        EXPECT_EQ(count_lines(r.err), 1) << r.err;
    }
}

TEST_F(CliBadInput, PreprocessJobsAreBoundedWithAClearError) {
    const ProcessResult r = run_rcls(
        {"preprocess", "/nonexistent.mp4", "--output", (dir_ / "o").string(), "--jobs", "100000"},
        seconds(20));
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("--jobs: 100000 threads is out of range"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace rcls::testing
