// SPDX-License-Identifier: MIT
//
// `rcls train`'s loop in-process (rcls::train over rcls::model): the optimizer step against
// PyTorch (Debian's python3-torch) on the same tensors, the checkpoint files against LeRobot's
// layout, determinism and resume, the head mode's feature cache, and training on from a
// LeRobot-layout checkpoint. Tiny runs: a few synthetic 64x64 episodes, a few steps.
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "rcls/core/error.hpp"
#include "rcls/core/events.hpp"
#include "rcls/core/interrupt.hpp"
#include "rcls/model/checkpoint.hpp"
#include "rcls/model/optimizer.hpp"
#include "rcls/model/weights.hpp"
#include "rcls/safetensors/safetensors.hpp"
#include "rcls/train/train.hpp"

#include "../eval/eval_fixture.hpp"
#include "temp_dir.hpp"

namespace rcls::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// A tiny run: `episodes` synthetic episodes, 64x64, random encoder, one thread.
config::TrainConfig tiny_config(const fs::path& dataset, const fs::path& output) {
    config::TrainConfig c;
    c.dataset.root = dataset.string();
    c.output_dir = output.string();
    c.reward_model.image_size = 64;
    c.reward_model.learning_rate = 1e-3;
    c.pretrained_encoder = false;
    c.steps = 6;
    c.save_freq = 3;
    c.log_freq = 2;
    c.eval_freq = 3;
    c.batch_size = 4;
    c.num_threads = 1;
    c.val_episodes = std::vector<int>{2};
    c.train_mode = "full";
    return c;
}

class TrainerRun : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        data_ = new TempDir();
        write_eval_dataset(data_->path() / "ds", 3);
    }
    static void TearDownTestSuite() {
        delete data_;
        data_ = nullptr;
    }
    static fs::path dataset() { return data_->path() / "ds"; }
    fs::path out(const std::string& name) const { return dir_ / name; }
    static fs::path final_dir(const fs::path& run, std::int64_t step) {
        return model::step_dir(run, step, 6);
    }
    static std::string weights(const fs::path& run, std::int64_t step) {
        return read_text(final_dir(run, step) / "pretrained_model" / "model.safetensors");
    }
    static inline TempDir* data_ = nullptr;
    TempDir dir_;
};

/// Requests Ctrl-C when the run reports step `at`.
class InterruptAt : public EventSink {
public:
    explicit InterruptAt(std::uint64_t at) : at_(at) { previous_ = set_event_sink(this); }
    ~InterruptAt() override {
        set_event_sink(previous_);
        reset_interrupt();
    }
    void on_progress(const ProgressEvent& e) override {
        if (e.label == "train" && e.done == at_) request_interrupt();
    }
    void on_status(const StatusEvent&) override {}
    void on_notice(const NoticeEvent&) override {}

private:
    std::uint64_t at_;
    EventSink* previous_ = nullptr;
};

TEST_F(TrainerRun, WritesLeRobotsCheckpointLayout) {
    const train::TrainSummary s = train::run_train(tiny_config(dataset(), out("run")));
    EXPECT_EQ(s.result.steps, 6);
    EXPECT_EQ(s.val_episodes, (std::vector<std::int64_t>{2}));
    EXPECT_EQ(s.train_episodes, (std::vector<std::int64_t>{0, 1}));
    ASSERT_TRUE(s.result.validation.has_value());
    EXPECT_EQ(s.result.validation->episodes, 1u);
    const fs::path checkpoints = out("run") / "checkpoints";
    EXPECT_EQ(model::list_checkpoint_steps(out("run")), (std::vector<std::int64_t>{3, 6}));
    ASSERT_TRUE(fs::is_symlink(checkpoints / "last"));
    EXPECT_EQ(fs::read_symlink(checkpoints / "last"), fs::path("000006"));  // relative
    const fs::path pm = checkpoints / "000006" / "pretrained_model";
    for (const char* f :
         {"config.json", "model.safetensors", "train_config.json", "rcls_train.json",
          "classifier_preprocessor.json", "classifier_postprocessor.json"}) {
        EXPECT_TRUE(fs::is_regular_file(pm / f)) << f;
    }
    const fs::path ts = checkpoints / "000006" / "training_state";
    for (const char* f : {"optimizer_state.safetensors", "optimizer_param_groups.json",
                          "rng_state.safetensors", "training_step.json"}) {
        EXPECT_TRUE(fs::is_regular_file(ts / f)) << f;
    }
    // torch >= 2.7's AdamW param group keys, as LeRobot's resume loads them.
    const Json groups = Json::parse(read_text(ts / "optimizer_param_groups.json"));
    std::set<std::string> keys;
    for (const auto& [k, v] : groups.at(0).items())
        keys.insert(k);
    EXPECT_EQ(keys, (std::set<std::string>{"lr", "betas", "eps", "weight_decay", "amsgrad",
                                           "foreach", "maximize", "capturable", "differentiable",
                                           "fused", "decoupled_weight_decay", "params"}));
    EXPECT_EQ(Json::parse(read_text(ts / "training_step.json")).at("step"), 6);
    // Full mode: every parameter trained, so every one has AdamW state (36 + 5 + 6 tensors).
    const auto state = safetensors::File::load(ts / "optimizer_state.safetensors");
    EXPECT_TRUE(state.contains("state/0/exp_avg"));
    EXPECT_TRUE(state.contains("state/46/exp_avg_sq"));
    // train_config.json: only keys of LeRobot's TrainPipelineConfig (HEAD), no rcls settings.
    const Json tc = Json::parse(read_text(pm / "train_config.json"));
    const std::set<std::string> lerobot = {"dataset",
                                           "env",
                                           "policy",
                                           "reward_model",
                                           "output_dir",
                                           "job_name",
                                           "resume",
                                           "seed",
                                           "cudnn_deterministic",
                                           "num_workers",
                                           "batch_size",
                                           "prefetch_factor",
                                           "persistent_workers",
                                           "steps",
                                           "env_eval_freq",
                                           "log_freq",
                                           "eval_steps",
                                           "max_eval_samples",
                                           "tolerance_s",
                                           "save_checkpoint",
                                           "save_freq",
                                           "use_policy_training_preset",
                                           "optimizer",
                                           "scheduler",
                                           "eval",
                                           "wandb",
                                           "peft",
                                           "sample_weighting",
                                           "rename_map"};
    for (const auto& [k, v] : tc.items())
        EXPECT_TRUE(lerobot.count(k)) << "unknown key " << k;
    EXPECT_EQ(tc.at("reward_model").at("type"), "reward_classifier");
    EXPECT_FALSE(tc.at("reward_model").contains("image_size"));
    EXPECT_FALSE(tc.contains("train_mode"));
    const Json config = Json::parse(read_text(pm / "config.json"));
    EXPECT_EQ(config.at("input_features").begin().value().at("shape"), Json({3, 64, 64}));
    // rcls's own settings beside them, with the split rcls eval defaults to.
    const Json rcls = Json::parse(read_text(pm / "rcls_train.json"));
    EXPECT_EQ(rcls.at("val_episodes"), Json({2}));
    EXPECT_EQ(rcls.at("train_episodes"), Json({0, 1}));
    EXPECT_EQ(rcls.at("image_size"), 64);
    EXPECT_EQ(rcls.at("train_mode"), "full");
    // metrics.jsonl: log lines and validation lines.
    std::ifstream metrics(out("run") / "metrics.jsonl");
    int logs = 0, evals = 0;
    for (std::string line; std::getline(metrics, line);) {
        const Json j = Json::parse(line);
        if (j.contains("loss")) ++logs;
        if (j.contains("val_accuracy")) ++evals;
    }
    EXPECT_EQ(logs, 3);
    EXPECT_EQ(evals, 2);
    // The checkpoint loads as a model.
    const model::LoadedClassifier loaded = model::load_pretrained(out("run"));
    EXPECT_EQ(loaded.config.image_keys().size(), 1u);
}

TEST_F(TrainerRun, SameSeedIsByteIdenticalAndResumeEqualsStraightRun) {
    train::run_train(tiny_config(dataset(), out("a")));
    train::run_train(tiny_config(dataset(), out("b")));
    EXPECT_EQ(weights(out("a"), 6), weights(out("b"), 6));
    {
        const InterruptAt stop(3);
        EXPECT_THROW(train::run_train(tiny_config(dataset(), out("c"))), InterruptedError);
    }
    EXPECT_EQ(model::list_checkpoint_steps(out("c")), (std::vector<std::int64_t>{3}));
    config::TrainConfig resume = tiny_config(dataset(), out("c"));
    resume.resume = true;
    const train::TrainSummary s = train::run_train(resume);
    EXPECT_EQ(s.result.start_step, 3);
    EXPECT_EQ(s.result.steps, 6);
    EXPECT_EQ(weights(out("a"), 6), weights(out("c"), 6));
    const auto state = [&](const fs::path& run) {
        return read_text(final_dir(run, 6) / "training_state" / "optimizer_state.safetensors");
    };
    EXPECT_EQ(state(out("a")), state(out("c")));
    // A different seed trains differently.
    config::TrainConfig other = tiny_config(dataset(), out("d"));
    other.seed = 7;
    train::run_train(other);
    EXPECT_NE(weights(out("a"), 6), weights(out("d"), 6));
}

TEST_F(TrainerRun, ExistingOutputWithoutResumeIsAConfigError) {
    train::run_train(tiny_config(dataset(), out("run")));
    EXPECT_THROW(train::run_train(tiny_config(dataset(), out("run"))), ConfigError);
}

TEST_F(TrainerRun, HeadModeCacheTrainsAsUncached) {
    config::TrainConfig cached = tiny_config(dataset(), out("cached"));
    cached.train_mode = "head";
    cached.dataset.image_transforms.enable = false;
    config::TrainConfig uncached = cached;
    uncached.output_dir = out("uncached").string();
    uncached.feature_cache = false;
    train::run_train(cached);
    train::run_train(uncached);
    const auto a = model::load_pretrained(out("cached"));
    const auto b = model::load_pretrained(out("uncached"));
    const auto pa = a.model->unique_named_parameters();
    const auto pb = b.model->unique_named_parameters();
    ASSERT_EQ(pa.size(), pb.size());
    bool head_moved = false;
    for (std::size_t i = 0; i < pa.size(); ++i) {
        EXPECT_TRUE(torch::allclose(pa[i].second, pb[i].second, 1e-4, 1e-5)) << pa[i].first;
    }
    // Only the head learned (LeRobot's quirk): the camera layers kept their initial values.
    const auto initial = model::load_pretrained(model::step_dir(out("cached"), 3, 6));
    for (const auto& [name, tensor] : initial.model->unique_named_parameters()) {
        const bool is_head = name.rfind("classifier_head.", 0) == 0;
        const auto it =
            std::find_if(pa.begin(), pa.end(), [&](const auto& p) { return p.first == name; });
        ASSERT_NE(it, pa.end());
        if (is_head) {
            head_moved = head_moved || !torch::equal(tensor, it->second);
        } else {
            EXPECT_TRUE(torch::equal(tensor, it->second)) << name;
        }
    }
    EXPECT_TRUE(head_moved);
}

/// Head mode with colour jitter and the feature pool: `variants` augmented variants per frame,
/// `pool` at a time, all but the first computed by the background producer while steps train.
config::TrainConfig pool_config(const fs::path& dataset, const fs::path& output) {
    config::TrainConfig c = tiny_config(dataset, output);
    c.train_mode = "head";
    c.batch_size = 8;  // 6 steps x 8 samples cover 3 variants of the 17 training frames
    c.cache_variants = 3;
    c.cache_pool = 2;
    return c;
}

TEST_F(TrainerRun, FeaturePoolIsByteIdenticalAndResumeEqualsStraightRun) {
    // What a step draws from depends on the step alone, not on when the producer thread
    // finishes a variant: same seed, same bytes; stopped at step 3 (variant 1 published, variant
    // 2 not yet) and resumed, the same bytes as the straight run.
    train::run_train(pool_config(dataset(), out("a")));
    train::run_train(pool_config(dataset(), out("b")));
    EXPECT_EQ(weights(out("a"), 6), weights(out("b"), 6));
    {
        const InterruptAt stop(3);
        EXPECT_THROW(train::run_train(pool_config(dataset(), out("c"))), InterruptedError);
    }
    config::TrainConfig resume = pool_config(dataset(), out("c"));
    resume.resume = true;
    EXPECT_EQ(train::run_train(resume).result.start_step, 3);
    EXPECT_EQ(weights(out("a"), 6), weights(out("c"), 6));
    // The later variants are used: one variant per frame trains differently.
    config::TrainConfig single = pool_config(dataset(), out("d"));
    single.cache_variants = 1;
    train::run_train(single);
    EXPECT_NE(weights(out("a"), 6), weights(out("d"), 6));
}

/// Records, when the run reports step `at`, which of the streamed run's scratch files exist.
class ScratchSeenAt : public EventSink {
public:
    ScratchSeenAt(fs::path scratch, std::uint64_t at) : scratch_(std::move(scratch)), at_(at) {
        previous_ = set_event_sink(this);
    }
    ~ScratchSeenAt() override { set_event_sink(previous_); }
    void on_progress(const ProgressEvent& e) override {
        if (e.label != "train" || e.done != at_) return;
        for (const char* name : {"train_frames.u8", "val_frames.u8", "feature_pool.f32"}) {
            std::error_code ec;
            if (fs::is_regular_file(scratch_ / name, ec) && fs::file_size(scratch_ / name, ec) > 0)
                seen.insert(name);
        }
    }
    void on_status(const StatusEvent&) override {}
    void on_notice(const NoticeEvent&) override {}
    std::set<std::string> seen;

private:
    fs::path scratch_;
    std::uint64_t at_;
    EventSink* previous_ = nullptr;
};

TEST_F(TrainerRun, StreamedRunIsByteIdenticalToInMemoryAndRemovesItsScratchFiles) {
    // memory_budget_mb 0 streams frames and feature pool from files: the same bytes as the
    // default (in memory) run, in full, head with the pool of jittered variants, plain head and
    // serl; the scratch files exist while steps train and are gone after.
    const auto streamed = [](config::TrainConfig c) {
        c.memory_budget_mb = 0;
        return c;
    };
    struct Case {
        const char* name;
        config::TrainConfig config;
        std::set<std::string> files;
    };
    config::TrainConfig head = pool_config(dataset(), out("unused"));
    head.dataset.image_transforms.enable = false;
    config::TrainConfig serl = pool_config(dataset(), out("unused"));
    serl.train_mode = "serl";
    const std::set<std::string> frames = {"train_frames.u8", "val_frames.u8"};
    std::set<std::string> pooled = frames;
    pooled.insert("feature_pool.f32");
    const std::vector<Case> cases = {{"full", tiny_config(dataset(), out("unused")), frames},
                                     {"pool", pool_config(dataset(), out("unused")), pooled},
                                     {"head", head, pooled},
                                     {"serl", serl, pooled}};
    for (const Case& k : cases) {
        SCOPED_TRACE(k.name);
        config::TrainConfig memory = k.config;
        memory.output_dir = out(std::string(k.name) + "_memory").string();
        config::TrainConfig stream = streamed(k.config);
        stream.output_dir = out(std::string(k.name) + "_stream").string();
        const train::TrainSummary a = train::run_train(memory);
        train::TrainSummary b;
        {
            const ScratchSeenAt seen(out(std::string(k.name) + "_stream") / train::kScratchDirName,
                                     2);
            b = train::run_train(stream);
            EXPECT_EQ(seen.seen, k.files);
        }
        EXPECT_FALSE(a.streamed);
        EXPECT_TRUE(b.streamed);
        EXPECT_FALSE(fs::exists(out(std::string(k.name) + "_stream") / train::kScratchDirName));
        EXPECT_FALSE(fs::exists(out(std::string(k.name) + "_memory") / train::kScratchDirName));
        // EXPECT_TRUE, not EXPECT_EQ: gtest would print both files (megabytes) on a mismatch.
        EXPECT_TRUE(weights(out(std::string(k.name) + "_memory"), 6) ==
                    weights(out(std::string(k.name) + "_stream"), 6))
            << "model.safetensors differ";
        ASSERT_TRUE(a.result.validation && b.result.validation);
        EXPECT_EQ(a.result.validation->loss, b.result.validation->loss);
    }
}

TEST_F(TrainerRun, StreamedRunRemovesItsScratchFilesOnCtrlCAndErrors) {
    config::TrainConfig c = pool_config(dataset(), out("stopped"));
    c.memory_budget_mb = 0;
    // Ctrl-C while steps train: a checkpoint, no scratch folder; resumed (streamed again), the
    // same bytes as a straight in-memory run.
    {
        const InterruptAt stop(3);
        EXPECT_THROW(train::run_train(c), InterruptedError);
    }
    EXPECT_FALSE(fs::exists(out("stopped") / train::kScratchDirName));
    config::TrainConfig resume = c;
    resume.resume = true;
    EXPECT_EQ(train::run_train(resume).result.start_step, 3);
    EXPECT_FALSE(fs::exists(out("stopped") / train::kScratchDirName));
    train::run_train(pool_config(dataset(), out("straight")));
    EXPECT_TRUE(weights(out("straight"), 6) == weights(out("stopped"), 6))
        << "model.safetensors differ";

    // Ctrl-C while frames decode (the training split's last progress report): the scratch folder
    // and the output folder it created are gone.
    {
        class StopAfterDecode : public EventSink {
        public:
            StopAfterDecode() { previous_ = set_event_sink(this); }
            ~StopAfterDecode() override {
                set_event_sink(previous_);
                reset_interrupt();
            }
            void on_progress(const ProgressEvent& e) override {
                if (e.label == "decode train" && e.finished) request_interrupt();
            }
            void on_status(const StatusEvent&) override {}
            void on_notice(const NoticeEvent&) override {}

        private:
            EventSink* previous_ = nullptr;
        } stop;
        config::TrainConfig d = c;
        d.output_dir = out("decode").string();
        EXPECT_THROW(train::run_train(d), InterruptedError);
    }
    EXPECT_FALSE(fs::exists(out("decode")));
    // An error after the frames were written (the torch side refuses the device): no scratch.
    config::TrainConfig e = c;
    e.output_dir = out("error").string();
    e.reward_model.device = "cuda";
    EXPECT_THROW(train::run_train(e), DeviceError);
    EXPECT_FALSE(fs::exists(out("error") / train::kScratchDirName));
}

TEST(TrainerMemory, ReferenceSizeStaysInMemoryAndFiftyThousandFramesStream) {
    // The default budget (1024 MiB) keeps the benchmark's reference-size dataset (1932 frames,
    // 128x128) in memory in every mode, and streams 50,000 frames.
    config::TrainConfig c;
    const std::uint64_t budget = static_cast<std::uint64_t>(c.memory_budget_mb) << 20;
    for (const char* mode : {"head", "serl", "full"}) {
        SCOPED_TRACE(mode);
        c.train_mode = mode;
        EXPECT_LT(train::in_memory_bytes(c, 1932, 0), budget);
        EXPECT_GT(train::in_memory_bytes(c, 50000, 0), budget);
    }
    // Frames: 128 x 128 x 3 bytes each; head's pool adds 4096 floats per frame and variant
    // (4 variants over 3000 steps of 32, and the producer's lead of 2).
    c.train_mode = "full";
    EXPECT_EQ(train::in_memory_bytes(c, 1000, 100), 1100u * 128 * 128 * 3);
    c.train_mode = "head";
    EXPECT_EQ(train::in_memory_bytes(c, 1000, 100), 1100u * 128 * 128 * 3 + 6u * 1000 * 4096 * 4);
    c.dataset.image_transforms.enable = false;
    EXPECT_EQ(train::in_memory_bytes(c, 1000, 100), 1100u * 128 * 128 * 3 + 1u * 1000 * 4096 * 4);
    c.feature_cache = false;
    EXPECT_EQ(train::in_memory_bytes(c, 1000, 100), 1100u * 128 * 128 * 3);
}

TEST_F(TrainerRun, TrainsOnFromALeRobotLayoutCheckpoint) {
    const fs::path start = out("lerobot") / "pretrained_model";
    // LeRobot's own size (its spatial embedding is 4x4): the 64x64 frames go through crop +
    // Lanczos.
    write_random_checkpoint(start, classifier_config({"front"}, 128), 11);
    config::TrainConfig c = tiny_config(dataset(), out("run"));
    c.reward_model.image_size = 128;
    c.train_mode = "serl";
    c.reward_model.pretrained_path = start.string();
    train::run_train(c);
    const auto initial = model::load_pretrained(start);
    const auto trained = model::load_pretrained(out("run"));
    const auto a = initial.model->unique_named_parameters();
    const auto b = trained.model->unique_named_parameters();
    // serl: the encoder stays as loaded, the spatial embedding learns.
    EXPECT_TRUE(torch::equal(a.front().second, b.front().second)) << a.front().first;
    const auto kernel = [](const auto& params) {
        for (const auto& [name, t] : params) {
            if (name.find(".1.kernel") != std::string::npos) return t;
        }
        return torch::Tensor();
    };
    EXPECT_FALSE(torch::equal(kernel(a), kernel(b)));
}

TEST_F(TrainerRun, MissingPretrainedEncoderSaysHowToGetIt) {
    config::TrainConfig c = tiny_config(dataset(), out("run"));
    c.pretrained_encoder = true;
    c.reward_model.model_name = (dir_.path() / "no_such_resnet10").string();
    try {
        train::run_train(c);
        FAIL() << "expected ModelError";
    } catch (const ModelError& e) {
        EXPECT_NE(std::string(e.what()).find("no_such_resnet10"), std::string::npos) << e.what();
    }
}

TEST(TrainerSplit, ValFractionIsSeededAndLeavesTrainingEpisodes) {
    config::TrainConfig c;
    c.val_fraction = 0.25;
    const std::vector<std::int64_t> eps = {0, 1, 2, 3, 4, 5, 6, 7};
    const auto a = train::choose_val_episodes(c, eps);
    EXPECT_EQ(a.size(), 2u);
    EXPECT_EQ(a, train::choose_val_episodes(c, eps));
    c.val_episodes = std::vector<int>{9};
    EXPECT_THROW(train::choose_val_episodes(c, eps), ConfigError);
    c.val_episodes = std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7};
    EXPECT_THROW(train::choose_val_episodes(c, eps), ConfigError);
}

/// The optimizer step (AdamW + clipping) against torch.optim.AdamW and clip_grad_norm_ in
/// python3-torch on the same tensors, three steps.
TEST(TrainerOptimizer, StepMatchesPyTorch) {
    torch::manual_seed(3);
    std::vector<torch::Tensor> params = {torch::randn({4, 3}), torch::randn({5}),
                                         torch::randn({2, 2})};
    std::vector<std::vector<torch::Tensor>> grads;
    for (int s = 0; s < 3; ++s) {
        grads.push_back({torch::randn({4, 3}) * 2, torch::randn({5}), torch::randn({2, 2}) * 3});
    }
    Json input;
    const auto to_json = [](const torch::Tensor& t) {
        const torch::Tensor c = t.contiguous();
        return Json{
            {"shape", c.sizes().vec()},
            {"values", std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel())}};
    };
    for (const auto& p : params)
        input["params"].push_back(to_json(p));
    for (const auto& step : grads) {
        Json g;
        for (const auto& t : step)
            g.push_back(to_json(t));
        input["grads"].push_back(g);
    }
    TempDir dir;
    const fs::path in = dir.path() / "in.json";
    std::ofstream(in) << input.dump();
    const std::string script =
        "import json,sys,torch\n"
        "d=json.load(open(sys.argv[1]))\n"
        "ps=[torch.tensor(p['values']).reshape(p['shape']).requires_grad_() for p in d['params']]\n"
        "opt=torch.optim.AdamW(ps,lr=1e-3,betas=(0.9,0.999),eps=1e-8,weight_decay=0.05)\n"
        "norms=[]\n"
        "for g in d['grads']:\n"
        "  for p,t in zip(ps,g): p.grad=torch.tensor(t['values']).reshape(t['shape'])\n"
        "  norms.append(float(torch.nn.utils.clip_grad_norm_(ps,1.0)))\n"
        "  opt.step()\n"
        "print(json.dumps({'norms':norms,'params':[p.detach().flatten().tolist() for p in ps]}))\n";
    const fs::path py = dir.path() / "ref.py";
    std::ofstream(py) << script;
    const std::string command =
        std::string(RCLS_PYTHON3) + " " + py.string() + " " + in.string() + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string text;
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr)
        text += buffer;
    ASSERT_EQ(::pclose(pipe), 0) << "python3-torch is required for this test: " << text;
    const Json ref = Json::parse(text);

    for (auto& p : params)
        p.requires_grad_(true);
    auto optimizer = model::make_adamw(params, 1e-3, 0.05);
    for (std::size_t s = 0; s < grads.size(); ++s) {
        for (std::size_t i = 0; i < params.size(); ++i)
            params[i].mutable_grad() = grads[s][i].clone();
        const double norm = model::clip_grad_norm(params, 1.0);
        EXPECT_NEAR(norm, ref.at("norms").at(s).get<double>(), 1e-5);
        optimizer->step();
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
        const auto expected = ref.at("params").at(i).get<std::vector<float>>();
        const torch::Tensor flat = params[i].detach().flatten().contiguous();
        for (std::size_t k = 0; k < expected.size(); ++k) {
            EXPECT_NEAR(flat[static_cast<std::int64_t>(k)].item<float>(), expected[k], 1e-6)
                << "param " << i << " element " << k;
        }
    }
}

}  // namespace
}  // namespace rcls::testing
