// SPDX-License-Identifier: MIT
//
// The eval workflow on a written dataset with a random checkpoint (the model runs in-process):
// scoring every frame, the training status from rcls_train.json, the saved recommendation, the
// JSON, and the HTML report's sections.
#include "rcls/eval/eval.hpp"

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/eval/report.hpp"
#include "rcls/model/checkpoint.hpp"
#include "rcls/model/predictor.hpp"
#include "rcls/predict/predict.hpp"

#include "eval_fixture.hpp"
#include "temp_dir.hpp"

namespace rcls::eval {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

class EvalWorkflow : public ::testing::Test {
protected:
    void SetUp() override {
        testing::write_random_checkpoint(pretrained(), testing::classifier_config({"front"}), 3);
        testing::write_eval_dataset(dir_ / "ds", 4);
    }
    fs::path pretrained() const { return dir_ / "run/checkpoints/000010/pretrained_model"; }
    EvalOptions options() const {
        EvalOptions o;
        o.checkpoint = dir_ / "run";
        o.dataset = (dir_ / "ds").string();
        o.num_threads = 1;
        return o;
    }
    void write_train_info(const std::string& text) {
        write_file_atomic(pretrained() / kTrainInfoFile, text);
    }
    TempDir dir_;
};

TEST_F(EvalWorkflow, ScoresEveryFrameAsPredictDoes) {
    const EvalResult r = run_eval(options());
    ASSERT_EQ(r.episodes.size(), 4u);
    std::int64_t frames = 0;
    for (const EpisodeScores& e : r.episodes) {
        EXPECT_EQ(static_cast<std::int64_t>(e.probability.size()),
                  testing::synthetic_length(e.episode_index));
        for (std::size_t t = 0; t < e.label.size(); ++t) {
            EXPECT_EQ(
                e.label[t],
                testing::synthetic_success(e.episode_index, static_cast<std::int64_t>(t)) ? 1 : 0);
        }
        frames += static_cast<std::int64_t>(e.probability.size());
    }
    EXPECT_EQ(r.frames, frames);
    predict::PredictOptions po;
    po.checkpoint = dir_ / "run";
    po.inputs = {dir_ / "ds"};
    po.num_threads = 1;
    std::vector<double> expected;
    predict::run_predict(
        po, [&](const predict::FrameResult& f) { expected.push_back(f.prediction.probability); });
    std::vector<double> got;
    for (const EpisodeScores& e : r.episodes)
        got.insert(got.end(), e.probability.begin(), e.probability.end());
    EXPECT_EQ(got, expected);
    EXPECT_EQ(r.at_threshold.confusion.total(), frames);
    EXPECT_EQ(r.status, TrainingStatus::kUnknown);
    EXPECT_EQ(r.checkpoint, model::resolve_pretrained_dir(dir_ / "run"));
    EXPECT_EQ(r.outcomes.size(), 4u);
    EXPECT_EQ(r.grid.size(), 19u * 5u);
    EXPECT_EQ(r.cameras, std::vector<std::string>{"observation.images.front"});
}

TEST_F(EvalWorkflow, DefaultsToTheHeldOutEpisodesOfRclsTrainJson) {
    write_train_info(R"({"train_episodes": [0, 1], "val_episodes": [2, 3], "dataset_root": ")" +
                     (dir_ / "ds").string() + "\"}");
    const EvalResult held = run_eval(options());
    ASSERT_EQ(held.episodes.size(), 2u);
    EXPECT_EQ(held.episodes[0].episode_index, 2);
    EXPECT_EQ(held.episodes[1].episode_index, 3);
    EXPECT_EQ(held.status, TrainingStatus::kHeldOut);
    EXPECT_EQ(data_sentence(held).find("TRAINING-SET"), std::string::npos);

    EvalOptions trained = options();
    trained.episodes = {1, 3};
    const EvalResult r = run_eval(trained);
    EXPECT_EQ(r.status, TrainingStatus::kTrainingSet);
    EXPECT_NE(to_text(r).find("TRAINING-SET  Frame level"), std::string::npos);
    EXPECT_NE(to_text(r).find("TRAINING-SET  Recommendation"), std::string::npos);
    EXPECT_EQ(nlohmann::json::parse(to_json(r))["figures_heading"], "TRAINING-SET");
    EXPECT_NE(save_recommendation(r).find("used in training"), std::string::npos);
}

TEST_F(EvalWorkflow, AnotherDatasetIsOfUnknownStatus) {
    write_train_info(
        R"({"train_episodes": [0], "val_episodes": [1], "dataset_root": "/elsewhere"})");
    const EvalResult r = run_eval(options());
    EXPECT_EQ(r.episodes.size(), 4u);
    EXPECT_EQ(r.status, TrainingStatus::kUnknown);
    EXPECT_NE(data_sentence(r).find("episodes of unknown training status"), std::string::npos);
}

TEST_F(EvalWorkflow, MalformedTrainInfoIsAModelError) {
    write_train_info(R"({"train_episodes": "all"})");
    EXPECT_THROW(run_eval(options()), ModelError);
}

TEST_F(EvalWorkflow, BadInputsAreNamed) {
    EvalOptions o = options();
    o.episodes = {9};
    EXPECT_THROW(run_eval(o), UsageError);
    o = options();
    o.threshold = 1.5;
    EXPECT_THROW(run_eval(o), UsageError);
    o = options();
    o.k = 0;
    EXPECT_THROW(run_eval(o), UsageError);
    testing::write_eval_dataset(dir_ / "unlabelled", 1, /*labelled=*/false);
    o = options();
    o.dataset = (dir_ / "unlabelled").string();
    try {
        run_eval(o);
        ADD_FAILURE() << "no error";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("rcls label"), std::string::npos) << e.what();
    }
    testing::write_eval_dataset(dir_ / "wrist", 1, true, "observation.images.wrist");
    o = options();
    o.dataset = (dir_ / "wrist").string();
    EXPECT_THROW(run_eval(o), UsageError);
    o.camera = "wrist";  // naming the camera scores it anyway
    EXPECT_EQ(run_eval(o).episodes.size(), 1u);
}

/// A result built from constructed scores, saved beside a fake checkpoint folder.
EvalResult constructed(const fs::path& checkpoint) {
    EvalResult r;
    r.checkpoint = checkpoint;
    r.dataset_root = "/data/cubes";
    r.fps = 10;
    for (std::int64_t e = 0; e < 3; ++e) {
        EpisodeScores s;
        s.episode_index = e;
        s.fps = 10;
        for (int t = 0; t < 10; ++t) {
            // The reward would come one frame late; k 5 at a low threshold fires at frame 4,
            // before the onset.
            s.label.push_back(t >= 6 ? 1 : 0);
            s.probability.push_back(t >= 7 ? 0.9 : 0.1);
        }
        r.episodes.push_back(s);
    }
    compute_figures(r);
    return r;
}

TEST_F(EvalWorkflow, SavesTheRecommendationBesideTheCheckpoint) {
    const EvalResult r = constructed(dir_ / "ck");
    ASSERT_TRUE(r.recommendation.found);
    EXPECT_EQ(save_recommendation(r), "");
    const auto saved = nlohmann::json::parse(read_file(dir_ / "ck" / kEvalFile));
    EXPECT_DOUBLE_EQ(saved["threshold"].get<double>(), r.recommendation.point.threshold);
    EXPECT_EQ(saved["k"], r.recommendation.point.k);
    EXPECT_EQ(saved["episodes"], nlohmann::json::parse("[0, 1, 2]"));
    EXPECT_EQ(saved["dataset"], "/data/cubes");
    EXPECT_EQ(saved["date"].get<std::string>().size(), 20u);  // 2026-12-07T04:00:00Z
    // 0.15 to 0.90 with k 1 fire at frame 7 of each (1 frame late), 0.10 by frame 4 and 0.95 never;
    // the tie goes to the highest threshold.
    EXPECT_DOUBLE_EQ(*r.recommendation.point.median_onset_error_frames, 1.0);
    EXPECT_DOUBLE_EQ(r.recommendation.point.threshold, 0.9);
    EXPECT_EQ(r.recommendation.point.k, 1);

    // A folder that cannot take the file: a warning, not an error.
    fs::create_directories(dir_ / "blocked" / kEvalFile / "x");
    const std::string why = save_recommendation(constructed(dir_ / "blocked"));
    EXPECT_NE(why.find("cannot save the recommendation"), std::string::npos) << why;
}

TEST_F(EvalWorkflow, JsonHasTheDocumentedKeys) {
    const auto j = nlohmann::json::parse(to_json(constructed(dir_ / "ck")));
    EXPECT_DOUBLE_EQ(j["frame_level"]["accuracy"].get<double>(), 27.0 / 30.0);
    // Frame 6 (label 1, p 0.1) ties with the six failure frames: (3 * 6 + 0.5 * 6) / (4 * 6).
    EXPECT_DOUBLE_EQ(j["frame_level"]["roc_auc"].get<double>(), 21.0 / 24.0);
    ASSERT_EQ(j["episodes"].size(), 3u);
    EXPECT_EQ(j["episodes"][0]["onset_error_frames"], 1);
    EXPECT_EQ(j["episodes"][0]["false_positives_before_onset"], 0);
    EXPECT_DOUBLE_EQ(j["recommendation"]["threshold"].get<double>(), 0.9);
    EXPECT_EQ(j["recommendation"]["k"], 1);
    EXPECT_EQ(j["threshold_sweep"].size(), 19u);
    EXPECT_EQ(j["reliability_diagram"].size(), 10u);
    EXPECT_TRUE(j["roc_curve"][0]["threshold"].is_null());  // +inf
    EXPECT_EQ(j["training_status"], "unknown");
}

TEST_F(EvalWorkflow, ReportHasEverySection) {
    std::ofstream(dir_ / "run" / "metrics.jsonl") << R"({"step": 10, "loss": 0.7, "accuracy": 0.5})"
                                                  << "\n"
                                                  << "not json\n"
                                                  << R"({"step": 20, "loss": 0.4, "accuracy": 0.8})"
                                                  << "\n";
    const EvalResult r = run_eval(options());
    const std::string html = render_report(r);
    for (const char* id :
         {"id='summary'", "id='recommendation'", "id='timelines'", "id='episode-0'",
          "id='episode-3'", "id='roc-svg'", "id='pr-svg'", "id='reliability-svg'",
          "id='confusion-table'", "id='sweep-table'", "id='worst-frames'", "id='training-svg'"}) {
        EXPECT_NE(html.find(id), std::string::npos) << id;
    }
    EXPECT_NE(html.find("data:image/png;base64,iVBORw0KGgo"), std::string::npos);  // PNG magic
    EXPECT_EQ(html.find("<script"), std::string::npos);
    EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // only the namespace
    const auto curves = read_training_curves(r.checkpoint);
    ASSERT_TRUE(curves.has_value());
    ASSERT_EQ(curves->size(), 2u);
    EXPECT_DOUBLE_EQ(*(*curves)[1].accuracy, 0.8);
    fs::remove(dir_ / "run" / "metrics.jsonl");
    EXPECT_FALSE(read_training_curves(r.checkpoint).has_value());
    EXPECT_NE(render_report(r).find("no metrics.jsonl"), std::string::npos);
}

TEST(EvalBase64, MatchesRfc4648Vectors) {
    const auto b = [](const std::string& s) {
        return base64(std::vector<std::uint8_t>(s.begin(), s.end()));
    };
    EXPECT_EQ(b(""), "");
    EXPECT_EQ(b("f"), "Zg==");
    EXPECT_EQ(b("fo"), "Zm8=");
    EXPECT_EQ(b("foo"), "Zm9v");
    EXPECT_EQ(b("foob"), "Zm9vYg==");
    EXPECT_EQ(b("fooba"), "Zm9vYmE=");
    EXPECT_EQ(b("foobar"), "Zm9vYmFy");
}

}  // namespace
}  // namespace rcls::eval
