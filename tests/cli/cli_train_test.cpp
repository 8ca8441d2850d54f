// SPDX-License-Identifier: MIT
//
// `rcls train` run as a user runs it (the loop from the librcls_torch plugin): a tiny run on a
// small labelled dataset whose checkpoint `rcls predict` and `rcls eval` load, the --json summary,
// and one-line errors with their exit codes.
#include <algorithm>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rcls/core/atomic_file.hpp"

#include "../unit/eval/eval_fixture.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"

namespace rcls::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

class CliTrain : public ::testing::Test {
protected:
    void SetUp() override { write_eval_dataset(dir_ / "ds", 3); }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }
    ProcessResult train(std::vector<std::string> extra) const {
        std::vector<std::string> args = {"train",     "--dataset.root",
                                         path("ds"),  "--output_dir",
                                         path("run"), "--steps",
                                         "4",         "--batch_size",
                                         "4",         "--save_freq",
                                         "2",         "--reward_model.image_size",
                                         "64",        "--pretrained_encoder",
                                         "false",     "--num_threads",
                                         "1",         "--val_episodes",
                                         "[2]",       "--log_freq",
                                         "2"};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_rcls(args);
    }
    TempDir dir_;
};

TEST_F(CliTrain, TinyRunWhoseCheckpointPredictAndEvalLoad) {
    const ProcessResult r = train({"--train_mode", "head", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Json summary = Json::parse(r.out);
    EXPECT_EQ(summary.at("steps"), 4);
    EXPECT_EQ(summary.at("val_episodes"), Json({2}));
    EXPECT_TRUE(summary.at("validation").contains("val_accuracy"));
    EXPECT_EQ(summary.at("checkpoint"), path("run/checkpoints/000004/pretrained_model"));
    EXPECT_TRUE(fs::is_regular_file(dir_ / "run" / "metrics.jsonl"));
    EXPECT_NE(r.err.find("pretrained_encoder false"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("step:2 smpl:"), std::string::npos) << r.err;

    const ProcessResult p =
        run_rcls({"predict", "--checkpoint", path("run"), path("ds"), "--json"});
    EXPECT_EQ(p.exit_code, 0) << p.err;
    const ProcessResult e = run_rcls({"eval", "--checkpoint", path("run"), "--dataset.root",
                                      path("ds"), "--json", "--threads", "1"});
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_NE(e.out.find("\"episodes\""), std::string::npos);

    // --resume on a finished run has nothing to do; without --resume the folder is refused.
    const ProcessResult again = train({});
    EXPECT_EQ(again.exit_code, 3) << again.err;
    EXPECT_NE(again.err.find("--resume"), std::string::npos) << again.err;
}

TEST_F(CliTrain, MemoryBudgetZeroStreamsTheSameBytesAndOutOfRangeExits3) {
    // --memory_budget_mb 0 streams frames and the feature pool from <output_dir>/.scratch: the
    // checkpoint is byte-identical to the default (in-memory) run's, and the folder is gone.
    const ProcessResult a = train({"--train_mode", "head", "--json"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(Json::parse(a.out).at("streamed"), false);
    fs::rename(dir_ / "run", dir_ / "memory");
    const ProcessResult b = train({"--train_mode", "head", "--json", "--memory_budget_mb", "0"});
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_EQ(Json::parse(b.out).at("streamed"), true);
    EXPECT_NE(b.err.find("streamed from scratch files in"), std::string::npos) << b.err;
    EXPECT_FALSE(fs::exists(dir_ / "run" / ".scratch"));
    const auto weights = [&](const char* run) {
        return read_file(dir_ / run / "checkpoints" / "000004" / "pretrained_model" /
                         "model.safetensors");
    };
    EXPECT_TRUE(weights("memory") == weights("run")) << "model.safetensors differ";

    for (const char* bad : {"-1", "1048577"}) {
        const ProcessResult r = run_rcls({"train", "--dataset.root", path("ds"), "--output_dir",
                                          path("bad"), "--memory_budget_mb", bad});
        EXPECT_EQ(r.exit_code, 3) << bad << ": " << r.err;
        EXPECT_NE(r.err.find("memory_budget_mb"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("between 0 and 1048576"), std::string::npos) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
        EXPECT_FALSE(fs::exists(dir_ / "bad"));
    }
}

TEST_F(CliTrain, MissingEncoderWeightsExit6AndCudaWithoutCudaExit4) {
    const ProcessResult r =
        run_rcls({"train", "--dataset.root", path("ds"), "--output_dir", path("run"),
                  "--reward_model.model_name", path("no_such_resnet10")});
    EXPECT_EQ(r.exit_code, 6) << r.err;
    EXPECT_NE(r.err.find("no_such_resnet10"), std::string::npos) << r.err;
    const ProcessResult c =
        run_rcls({"train", "--dataset.root", path("ds"), "--output_dir", path("run2"),
                  "--pretrained_encoder", "false", "--reward_model.device", "cuda"});
    EXPECT_EQ(c.exit_code, 4) << c.err;
    EXPECT_NE(c.err.find("CUDA"), std::string::npos) << c.err;
}

TEST_F(CliTrain, UnlabelledDatasetExits5) {
    write_eval_dataset(dir_ / "raw", 2, /*labelled=*/false);
    const ProcessResult r =
        run_rcls({"train", "--dataset.root", path("raw"), "--output_dir", path("run"),
                  "--pretrained_encoder", "false", "--reward_model.image_size", "64"});
    EXPECT_EQ(r.exit_code, 5) << r.err;
    EXPECT_NE(r.err.find("rcls label"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace rcls::testing
