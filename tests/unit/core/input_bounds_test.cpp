// SPDX-License-Identifier: MIT
//
// Inputs that are not regular files, and resource options out of bounds.
#include <fcntl.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/parallel.hpp"
#include "rcls/core/paths.hpp"

#include "error_message.hpp"
#include "temp_dir.hpp"
#include <sys/stat.h>

namespace rcls {
namespace {

namespace fs = std::filesystem;
using testing::error_message;
using testing::TempDir;

TEST(RequireRegularFile, NamesWhatThePathIsInstead) {
    TempDir dir;
    const fs::path fifo = dir / "pipe";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_EQ(error_message<DataError>([&] { require_regular_file(fifo, "video file"); }),
              fifo.string() +
                  ": is a named pipe (FIFO), not a video file; give the path of a regular file");
    EXPECT_EQ(
        error_message<DataError>([&] { require_regular_file(dir.path()); }),
        dir.path().string() + ": is a directory, not a file; give the path of a regular file");
    EXPECT_EQ(error_message<DataError>([] { require_regular_file("/dev/null"); }),
              "/dev/null: is a character device, not a file; give the path of a regular file");
    EXPECT_EQ(error_message<DataError>([&] { require_regular_file(dir / "missing"); }),
              (dir / "missing").string() + ": file not found");
    write_file(dir / "plain", "x");
    EXPECT_NO_THROW(require_regular_file(dir / "plain"));
}

TEST(ReadFile, AFifoWithoutAWriterIsAnErrorNotAHang) {
    TempDir dir;
    const fs::path fifo = dir / "pipe";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_EQ(
        error_message<DataError>([&] { read_file(fifo); }),
        fifo.string() + ": is a named pipe (FIFO) with nothing written to it; give a regular file");
}

TEST(ReadFile, APipeWithAWriterIsReadToItsEnd) {
    TempDir dir;
    const fs::path fifo = dir / "pipe";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    // The writer opens first (as `--config <(cmd)` does), so the reader sees its bytes.
    std::thread writer([&] {
        const int fd = ::open(fifo.c_str(), O_WRONLY);
        ASSERT_GE(fd, 0);
        const std::string text = "{\"fps\": 30}";
        ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
        ::close(fd);
    });
    // Wait until the writer holds the pipe open (an open for reading then succeeds at once).
    std::string contents;
    for (int attempt = 0; attempt < 200 && contents.empty(); ++attempt) {
        try {
            contents = read_file(fifo);
        } catch (const DataError&) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    writer.join();
    EXPECT_EQ(contents, "{\"fps\": 30}");
}

TEST(ReadFile, ADeviceIsRefused) {
    EXPECT_EQ(error_message<DataError>([] { read_file("/dev/zero"); }),
              "/dev/zero: is a character device, not a file; give the path of a regular file");
}

TEST(ThreadOption, ZeroMeansOnePerCoreAndTheRangeIsBounded) {
    EXPECT_EQ(resolve_thread_option(0, "--threads"), hardware_threads());
    EXPECT_EQ(resolve_thread_option(1, "--threads"), 1U);
    EXPECT_EQ(resolve_thread_option(max_threads(), "--threads"), max_threads());
    EXPECT_GE(max_threads(), 8U);
    const std::string limit = std::to_string(max_threads());
    EXPECT_EQ(error_message<ConfigError>([] { resolve_thread_option(100000, "--threads"); }),
              "--threads: 100000 threads is out of range; use 0 (one per core) to " + limit +
                  " (4 per hardware thread on this machine)");
    EXPECT_NE(error_message<ConfigError>([] {
                  resolve_thread_option(-1, "--jobs");
              }).find("--jobs: -1 threads is out of range"),
              std::string::npos);
}

}  // namespace
}  // namespace rcls
