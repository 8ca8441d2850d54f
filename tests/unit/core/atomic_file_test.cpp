// SPDX-License-Identifier: MIT
#include "rcls/core/atomic_file.hpp"

#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "rcls/core/error.hpp"

#include "temp_dir.hpp"
#include <sys/wait.h>

namespace rcls {
namespace {
namespace fs = std::filesystem;
using testing::TempDir;
using testing::write_text;

TEST(AtomicFile, WritesAndReadsBack) {
    TempDir dir;
    write_file_atomic(dir / "a/b/c.txt", "hello");
    EXPECT_EQ(read_file(dir / "a/b/c.txt"), "hello");
}

TEST(AtomicFile, ReplacesExistingFileWholly) {
    TempDir dir;
    write_file_atomic(dir / "c.txt", std::string(10000, 'x'));
    write_file_atomic(dir / "c.txt", "short");
    EXPECT_EQ(read_file(dir / "c.txt"), "short");
}

TEST(AtomicFile, LeavesNoTemporaryFiles) {
    TempDir dir;
    write_file_atomic(dir / "c.txt", "1");
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path()))
        ++entries;
    EXPECT_EQ(entries, 1u);
}

TEST(AtomicFile, MissingFileIsADataErrorNamingIt) {
    TempDir dir;
    try {
        read_file(dir / "nope.json");
        FAIL();
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("nope.json: file not found"), std::string::npos);
    }
}

TEST(AtomicOutput, IsInvisibleUntilCommitAndKeepsExtension) {
    TempDir dir;
    AtomicOutput output(dir / "clip.mp4");
    EXPECT_EQ(output.temp_path().extension(), ".mp4");
    EXPECT_TRUE(is_temporary_name(output.temp_path().filename().string()));
    write_file_atomic(output.temp_path(), "data");  // any writer that opens the path itself
    EXPECT_FALSE(fs::exists(dir / "clip.mp4"));
    output.commit();
    EXPECT_EQ(read_file(dir / "clip.mp4"), "data");
}

TEST(AtomicOutput, UncommittedOutputIsRemoved) {
    TempDir dir;
    fs::path temp;
    {
        AtomicOutput output(dir / "clip.mp4");
        temp = output.temp_path();
        write_file_atomic(temp, "partial");
    }
    EXPECT_FALSE(fs::exists(temp));
    EXPECT_FALSE(fs::exists(dir / "clip.mp4"));
}

TEST(AtomicOutput, CommitWithoutDataThrows) {
    TempDir dir;
    AtomicOutput output(dir / "x.bin");
    EXPECT_THROW(output.commit(), DataError);
}

TEST(AtomicFile, KilledWriterLeavesOldContentsReadable) {
    TempDir dir;
    write_file_atomic(dir / "state.json", "old");
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        // Write the temporary file's bytes, then die before the rename, as a kill -9 would.
        AtomicOutput output(dir / "state.json");
        write_file_atomic(output.temp_path(), "new but never committed");
        ::_exit(9);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_EQ(read_file(dir / "state.json"), "old");
    EXPECT_EQ(remove_stale_temporaries(dir.path()), 1u);
    EXPECT_EQ(remove_stale_temporaries(dir.path()), 0u);
}

TEST(AtomicFile, LiveWritersTemporaryFileIsKept) {
    TempDir dir;
    AtomicOutput output(dir / "x.bin");
    write_file_atomic(output.temp_path(), "in progress");
    EXPECT_EQ(remove_stale_temporaries(dir.path()), 0u);
    EXPECT_TRUE(fs::exists(output.temp_path()));
}

TEST(AtomicOutputDirectory, IsInvisibleUntilCommitThenReplacesTheOldFolder) {
    TempDir dir;
    write_text(dir / "frames" / "old.png", "old");
    {
        AtomicOutput frames(dir / "frames", OutputKind::kDirectory);
        write_text(frames.temp_path() / "frame_000000.png", "new");
        EXPECT_TRUE(fs::exists(dir / "frames" / "old.png"));
        EXPECT_TRUE(is_temporary_name(frames.temp_path().filename().string()));
        frames.commit();
    }
    EXPECT_FALSE(fs::exists(dir / "frames" / "old.png"));
    EXPECT_EQ(read_file(dir / "frames" / "frame_000000.png"), "new");
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(AtomicOutputDirectory, UncommittedFolderIsRemoved) {
    TempDir dir;
    {
        AtomicOutput frames(dir / "frames", OutputKind::kDirectory);
        write_text(frames.temp_path() / "frame_000000.png", "partial");
    }
    EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(AtomicOutputDirectory, KilledWritersFolderIsRemovedAsStale) {
    TempDir dir;
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        AtomicOutput frames(dir / "frames", OutputKind::kDirectory);
        write_text(frames.temp_path() / "frame_000000.png", "partial");
        ::_exit(9);  // no destructor runs, as with kill -9
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_FALSE(fs::is_empty(dir.path()));
    EXPECT_EQ(remove_stale_temporaries(dir.path()), 1u);
    EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(StagedFiles, NothingIsVisibleUntilCommitThenEveryFileInOrder) {
    TempDir dir;
    write_text(dir / "b.txt", "old b");
    std::vector<std::string> steps;
    std::vector<std::string> seen_at_rename;
    StagedFiles::Options o;
    o.staging_dir = dir / ".staging";
    o.on_step = [&](std::string_view step) {
        steps.emplace_back(step);
        if (step == "rename") {
            seen_at_rename.push_back(std::string(fs::exists(dir / "x/a.txt") ? "a" : "-") +
                                     read_file(dir / "b.txt"));
        }
    };
    StagedFiles files(o);
    files.add(dir / "x/a.txt", "new a");
    const fs::path produced = files.add_produced(dir / "b.txt");
    EXPECT_EQ(produced.parent_path(), dir / ".staging");
    EXPECT_EQ(produced.extension(), ".txt");
    write_text(produced, "new b");
    EXPECT_FALSE(fs::exists(dir / "x/a.txt"));
    EXPECT_EQ(read_file(dir / "b.txt"), "old b");
    EXPECT_EQ(files.targets(), (std::vector<fs::path>{dir / "x/a.txt", dir / "b.txt"}));
    files.commit();
    EXPECT_EQ(read_file(dir / "x/a.txt"), "new a");
    EXPECT_EQ(read_file(dir / "b.txt"), "new b");
    // a is renamed before b: at b's rename, a is there and b still old.
    EXPECT_EQ(seen_at_rename, (std::vector<std::string>{"-old b", "aold b"}));
    EXPECT_EQ(steps, (std::vector<std::string>{"create", "write", "create", "fsync", "fsync",
                                               "rename", "rename"}));
    EXPECT_TRUE(fs::is_empty(dir / ".staging"));
}

TEST(StagedFiles, AnUncommittedSetLeavesNoFilesAndTheTargetsOld) {
    TempDir dir;
    write_text(dir / "a.txt", "old");
    {
        StagedFiles files({dir / ".staging", true, {}, {}});
        files.add(dir / "a.txt", "new");
        files.add(dir / "b.txt", "new");
    }
    EXPECT_EQ(read_file(dir / "a.txt"), "old");
    EXPECT_FALSE(fs::exists(dir / "b.txt"));
    EXPECT_TRUE(fs::is_empty(dir / ".staging"));
    StagedFiles missing({dir / ".staging", true, {}, {}});
    (void)missing.add_produced(dir / "c.txt");  // never written
    EXPECT_THROW(missing.commit(), DataError);
}

TEST(StagedFiles, AJournalCompletesASetInterruptedAfterItsCommitPoint) {
    TempDir dir;
    write_text(dir / "a.txt", "old a");
    write_text(dir / "b.txt", "old b");
    const fs::path journal = dir / ".staging/set.journal";
    int renames = 0;
    StagedFiles::Options o{dir / ".staging", false, {}, journal};
    o.on_step = [&](std::string_view step) {
        // The journal's own rename is the first; fail before b's, the third.
        if (step == "rename" && ++renames == 3) throw std::runtime_error("killed");
    };
    {
        StagedFiles files(o);
        files.add(dir / "a.txt", "new a");
        files.add(dir / "b.txt", "new b");
        EXPECT_THROW(files.commit(), std::runtime_error);
    }
    EXPECT_EQ(read_file(dir / "a.txt"), "new a");
    EXPECT_EQ(read_file(dir / "b.txt"), "old b");  // a mix, until the journal is finished
    ASSERT_TRUE(fs::exists(journal));
    EXPECT_TRUE(StagedFiles::finish_journal(journal, false));
    EXPECT_EQ(read_file(dir / "b.txt"), "new b");
    EXPECT_FALSE(fs::exists(journal));
    EXPECT_FALSE(StagedFiles::finish_journal(journal, false));
    // Interrupted before the journal: nothing changes, and there is nothing to finish.
    o.on_step = [&](std::string_view step) {
        if (step == "journal") throw std::runtime_error("killed");
    };
    {
        StagedFiles files(o);
        files.add(dir / "a.txt", "newer a");
        EXPECT_THROW(files.commit(), std::runtime_error);
    }
    EXPECT_EQ(read_file(dir / "a.txt"), "new a");
    EXPECT_FALSE(StagedFiles::finish_journal(journal, false));
}

}  // namespace
}  // namespace rcls
