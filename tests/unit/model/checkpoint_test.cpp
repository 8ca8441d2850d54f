// SPDX-License-Identifier: MIT
//
// LeRobot's checkpoint folder layout and its crash safety (lerobot_formats.md §3.5).
#include "rcls/model/checkpoint.hpp"

#include <stdexcept>

#include <gtest/gtest.h>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"

#include "temp_dir.hpp"

namespace rcls::model {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::write_text;

/// Fills a step folder the way a trainer would (the contents do not matter here).
void fill_with(const fs::path& dir, const std::string& marker) {
    write_text(dir / kPretrainedModelDir / kConfigFile, "{}");
    write_text(dir / kPretrainedModelDir / kModelFile, marker);
    write_text(dir / kTrainingStateDir / kTrainingStepFile, "{\"step\": 1}");
}

TEST(Checkpoint, StepNamesArePaddedToSixDigitsOrTheTotal) {
    EXPECT_EQ(step_name(5000, 100000), "005000");
    EXPECT_EQ(step_name(3000, 3000), "003000");
    EXPECT_EQ(step_name(7, 1234567), "0000007");
    EXPECT_EQ(step_dir("/runs/a", 20, 100), fs::path("/runs/a/checkpoints/000020"));
}

TEST(Checkpoint, WritesStepFolderAndRelativeLastLink) {
    TempDir run;
    const fs::path dir =
        write_checkpoint(run.path(), 1000, 3000, [](const fs::path& d) { fill_with(d, "a"); });
    EXPECT_EQ(dir, run / "checkpoints" / "001000");
    EXPECT_EQ(read_file(dir / "pretrained_model" / "model.safetensors"), "a");
    const fs::path last = run / "checkpoints" / "last";
    ASSERT_TRUE(fs::is_symlink(last));
    EXPECT_EQ(fs::read_symlink(last), fs::path("001000"));

    write_checkpoint(run.path(), 2000, 3000, [](const fs::path& d) { fill_with(d, "b"); });
    EXPECT_EQ(fs::read_symlink(last), fs::path("002000"));
    EXPECT_EQ(list_checkpoint_steps(run.path()), (std::vector<std::int64_t>{1000, 2000}));
    // Only the two step folders and the link: no temporary leftovers.
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(run / "checkpoints"))
        ++entries;
    EXPECT_EQ(entries, 3u);
}

TEST(Checkpoint, RewritingAStepReplacesIt) {
    TempDir run;
    write_checkpoint(run.path(), 10, 10, [](const fs::path& d) { fill_with(d, "old"); });
    write_checkpoint(run.path(), 10, 10, [](const fs::path& d) { fill_with(d, "new"); });
    EXPECT_EQ(read_file(run / "checkpoints" / "000010" / "pretrained_model" / "model.safetensors"),
              "new");
    EXPECT_EQ(list_checkpoint_steps(run.path()), (std::vector<std::int64_t>{10}));
}

TEST(Checkpoint, AFailedWriteLeavesThePreviousCheckpointsAlone) {
    TempDir run;
    write_checkpoint(run.path(), 1, 2, [](const fs::path& d) { fill_with(d, "good"); });
    EXPECT_THROW(write_checkpoint(run.path(), 2, 2,
                                  [](const fs::path& d) {
                                      fill_with(d, "half");
                                      throw DataError("disk full");
                                  }),
                 DataError);
    EXPECT_FALSE(fs::exists(run / "checkpoints" / "000002"));
    EXPECT_EQ(fs::read_symlink(run / "checkpoints" / "last"), fs::path("000001"));
    EXPECT_EQ(list_checkpoint_steps(run.path()), (std::vector<std::int64_t>{1}));
}

TEST(Checkpoint, StaleTemporaryFolderFromAKilledRunIsCleanedUp) {
    TempDir run;
    // What a run killed while writing step 5 leaves (its process id cannot exist).
    fill_with(run / "checkpoints" / ".000005.tmp-999999999-0", "killed");
    write_checkpoint(run.path(), 6, 6, [](const fs::path& d) { fill_with(d, "x"); });
    EXPECT_FALSE(fs::exists(run / "checkpoints" / ".000005.tmp-999999999-0"));
    EXPECT_EQ(list_checkpoint_steps(run.path()), (std::vector<std::int64_t>{6}));
}

TEST(Checkpoint, ResolvesEveryWayOfNamingACheckpoint) {
    TempDir run;
    write_checkpoint(run.path(), 100, 200, [](const fs::path& d) { fill_with(d, "1"); });
    write_checkpoint(run.path(), 200, 200, [](const fs::path& d) { fill_with(d, "2"); });
    const fs::path expected = run / "checkpoints" / "last" / "pretrained_model";
    EXPECT_EQ(resolve_pretrained_dir(run.path()), expected);
    EXPECT_EQ(resolve_pretrained_dir(run / "checkpoints"), expected);
    EXPECT_EQ(resolve_pretrained_dir(run / "checkpoints" / "last"), expected);
    EXPECT_EQ(resolve_pretrained_dir(run / "checkpoints" / "000100"),
              run / "checkpoints" / "000100" / "pretrained_model");
    EXPECT_EQ(resolve_pretrained_dir(run / "checkpoints" / "000100" / "pretrained_model"),
              run / "checkpoints" / "000100" / "pretrained_model");
    // Without the link, the highest step wins.
    fs::remove(run / "checkpoints" / "last");
    EXPECT_EQ(resolve_pretrained_dir(run.path()),
              run / "checkpoints" / "000200" / "pretrained_model");
}

TEST(Checkpoint, NonCheckpointsAreModelErrors) {
    TempDir dir;
    EXPECT_THROW((void)resolve_pretrained_dir(dir / "missing"), ModelError);
    try {
        (void)resolve_pretrained_dir(dir.path());
        FAIL();
    } catch (const ModelError& e) {
        EXPECT_NE(std::string(e.what()).find("not a checkpoint"), std::string::npos);
    }
    write_text(dir / "config.json", "{}");
    try {
        (void)resolve_pretrained_dir(dir.path());
        FAIL();
    } catch (const ModelError& e) {
        EXPECT_NE(std::string(e.what()).find("model.safetensors: not found"), std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace rcls::model
