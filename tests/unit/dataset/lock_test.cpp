// SPDX-License-Identifier: MIT
#include "rcls/dataset/lock.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include "rcls/core/error.hpp"
#include "rcls/dataset/dataset.hpp"
#include "rcls/dataset/labels.hpp"
#include "rcls/dataset/writer.hpp"

#include "dataset_fixtures.hpp"
#include "temp_dir.hpp"
#include <sys/wait.h>

namespace rcls::dataset {
namespace {
namespace fs = std::filesystem;

std::string message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const DataError& e) {
        return e.what();
    }
    return "";
}

TEST(DatasetLock, ASecondWriterInThisProcessFailsNamingThePid) {
    testing::TempDir dir;
    const fs::path root = dir / "d";
    DatasetWriter first = DatasetWriter::create(root, testing::synthetic_spec());
    testing::write_synthetic_episodes(first, 0, 1);
    first.add_frame(testing::synthetic_frame(1, 0));  // an episode under way
    const std::string pid = "pid " + std::to_string(::getpid());
    const std::string open = message_of([&] { DatasetWriter::open(root); });
    EXPECT_NE(open.find(pid), std::string::npos) << open;
    EXPECT_NE(open.find(root.string()), std::string::npos) << open;
    const std::string labels = message_of([&] { rewrite_labels(root, {}); });
    EXPECT_NE(labels.find(pid), std::string::npos) << labels;
    // Reading is not writing: readers need no lock.
    EXPECT_EQ(Dataset::open(root).info().total_episodes, 1);
    // The first writer goes on undisturbed, and the lock goes with it.
    for (std::int64_t t = 1; t < testing::synthetic_length(1); ++t) {
        first.add_frame(testing::synthetic_frame(1, t));
    }
    first.save_episode();
    first = DatasetWriter::create(dir / "other", testing::synthetic_spec());  // drops the lock
    DatasetWriter second = DatasetWriter::open(root);
    EXPECT_EQ(second.meta().info.total_episodes, 2);
}

TEST(DatasetLock, AWriterInAnotherProcessKeepsItsStagingFiles) {
    if (!fs::exists("/usr/bin/ffmpeg")) GTEST_SKIP() << "ffmpeg not installed";
    testing::TempDir dir;
    const fs::path root = dir / "d";
    { DatasetWriter w = DatasetWriter::create(root, testing::synthetic_spec_with_camera()); }
    int ready[2], go[2];
    ASSERT_EQ(::pipe(ready), 0);
    ASSERT_EQ(::pipe(go), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        int code = 0;
        try {
            DatasetWriter writer = DatasetWriter::open(root);
            const fs::path video = writer.episode_video_path(testing::kSyntheticCamera);
            testing::make_synthetic_video(video, 0);
            for (std::int64_t t = 0; t < testing::synthetic_length(0); ++t) {
                writer.add_frame(testing::synthetic_frame(0, t));
            }
            char c = 1;
            if (::write(ready[1], &c, 1) != 1) ::_exit(3);
            if (::read(go[0], &c, 1) != 1) ::_exit(4);
            writer.save_episode();
        } catch (const std::exception&) {
            code = 5;
        }
        ::_exit(code);
    }
    char c = 0;
    ASSERT_EQ(::read(ready[0], &c, 1), 1);
    const fs::path staged = root / ".rcls-staging/episode-observation.images.front.mp4";
    EXPECT_TRUE(fs::exists(staged));
    const std::string second = message_of([&] { DatasetWriter::open(root); });
    EXPECT_NE(second.find("pid " + std::to_string(child)), std::string::npos) << second;
    const std::string create =
        message_of([&] { DatasetWriter::create(root, testing::synthetic_spec()); });
    EXPECT_FALSE(create.empty());
    EXPECT_TRUE(fs::exists(staged)) << "the second writer deleted the first one's staging files";
    ASSERT_EQ(::write(go[1], &c, 1), 1);
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    EXPECT_EQ(Dataset::open(root).info().total_episodes, 1);
    DatasetWriter after = DatasetWriter::open(root);  // the lock died with its holder
    EXPECT_EQ(after.meta().info.total_episodes, 1);
}

TEST(DatasetLock, TheEncodeQueueOptionIsChecked) {
    testing::TempDir dir;
    WriterOptions options;
    options.encode_queue_frames = 0;
    EXPECT_THROW(DatasetWriter::create(dir / "a", testing::synthetic_spec(), options), ConfigError);
    options.encode_queue_frames = kMaxEncodeQueueFrames + 1;
    EXPECT_THROW(DatasetWriter::create(dir / "a", testing::synthetic_spec(), options), ConfigError);
    options.encode_queue_frames = 1;
    DatasetWriter writer = DatasetWriter::create(dir / "a", testing::synthetic_spec(), options);
    options.encode_queue_frames = 0;
    writer = DatasetWriter::create(dir / "b", testing::synthetic_spec());
    EXPECT_THROW(DatasetWriter::open(dir / "a", options), ConfigError);
}

}  // namespace
}  // namespace rcls::dataset
