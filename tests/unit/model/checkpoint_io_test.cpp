// SPDX-License-Identifier: MIT
//
// Checkpoint files: model.safetensors as safetensors.torch.save_model writes it for LeRobot's
// module, the processor files, LeRobot 0.3 and 0.4+ layouts, the standalone encoder weights and
// training_state/ (lerobot_formats.md §1.8, §1.9, §2.4, §3.5).
#include <stdlib.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/optim/adamw.h>
#include <torch/types.h>
#include <torch/utils.h>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/model/checkpoint.hpp"
#include "rcls/model/training_state.hpp"
#include "rcls/model/weights.hpp"
#include "rcls/safetensors/safetensors.hpp"

#include "error_message.hpp"
#include "temp_dir.hpp"

namespace rcls::model {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::write_text;

ClassifierConfig two_cameras() {
    ClassifierConfig config;
    config.input_features = {{"observation.images.front", {"VISUAL", {3, 128, 128}}},
                             {"observation.images.side", {"VISUAL", {3, 128, 128}}}};
    config.num_cameras = 2;
    return config;
}

NormStats custom_stats(const ClassifierConfig& config) {
    NormStats stats;
    float offset = 0.0f;
    for (const std::string& key : config.image_keys()) {
        stats.emplace_back(key,
                           ImageStats{{0.1f + offset, 0.2f, 0.3f}, {0.4f, 0.5f + offset, 0.6f}});
        offset += 0.01f;
    }
    return stats;
}

/// Rewrites `file` through `edit`, which gets each tensor (name, dtype, shape, bytes) and returns
/// false to drop it.
void rewrite(
    const fs::path& file,
    const std::function<
        bool(std::string&, safetensors::Dtype&, std::vector<std::int64_t>&, std::string&)>& edit,
    const std::vector<std::pair<std::string, std::string>>& extra_metadata = {}) {
    const safetensors::File in = safetensors::File::load(file);
    safetensors::Writer out;
    for (const std::string& original : in.names()) {
        std::string name = original;
        safetensors::Dtype dtype = in.info(original).dtype;
        std::vector<std::int64_t> shape = in.info(original).shape;
        const auto span = in.bytes(original);
        std::string bytes(reinterpret_cast<const char*>(span.data()), span.size());
        if (edit(name, dtype, shape, bytes)) out.add(name, dtype, shape, bytes);
    }
    for (const auto& [key, value] : in.metadata())
        out.set_metadata(key, value);
    for (const auto& [key, value] : extra_metadata)
        out.set_metadata(key, value);
    out.save(file);
}

TEST(CheckpointIo, SaveLoadRoundTripIsBitExact) {
    TempDir dir;
    torch::manual_seed(1);
    Classifier model(two_cameras());
    save_pretrained(dir / "pretrained_model", model, custom_stats(model->config()));
    const LoadedClassifier loaded = load_pretrained(dir / "pretrained_model");
    const auto original = model->unique_named_parameters();
    const auto back = loaded.model->unique_named_parameters();
    ASSERT_EQ(original.size(), back.size());
    for (std::size_t i = 0; i < original.size(); ++i) {
        EXPECT_EQ(original[i].first, back[i].first);
        EXPECT_TRUE(torch::equal(original[i].second, back[i].second)) << original[i].first;
    }
    // The shared encoder stays shared after loading.
    EXPECT_EQ(
        loaded.model->encoders->named_parameters()["observation_images_side.0.embedder.0.weight"]
            .data_ptr(),
        loaded.model->encoder->stem_conv->weight.data_ptr());
    ASSERT_EQ(loaded.stats.size(), 2u);
    EXPECT_EQ(loaded.stats[1].first, "observation.images.side");
    EXPECT_EQ(loaded.stats[1].second.mean, custom_stats(model->config())[1].second.mean);
    EXPECT_EQ(loaded.stats[1].second.std, custom_stats(model->config())[1].second.std);
    EXPECT_NE(loaded.stats_from.find(kNormalizerStateFile), std::string::npos);
    EXPECT_EQ(classifier_config_json(loaded.config), classifier_config_json(model->config()));
    EXPECT_FALSE(loaded.model->is_training());
}

TEST(CheckpointIo, ModelFileStoresTheSharedEncoderOnceWithAliasMetadata) {
    TempDir dir;
    Classifier model(two_cameras());
    save_model_safetensors(dir / "model.safetensors", model);
    const safetensors::File file = safetensors::File::load(dir / "model.safetensors");
    EXPECT_EQ(file.names().size(), 36u + 2 * 5 + 6);
    for (const std::string& name : file.names()) {
        EXPECT_EQ(name.find(".0.embedder"), std::string::npos) << name;
        EXPECT_EQ(file.info(name).dtype, safetensors::Dtype::kF32);
    }
    EXPECT_EQ(file.metadata().size(), 2u * 36);
    EXPECT_EQ(file.metadata().at("encoders.observation_images_front.0.embedder.0.weight"),
              "encoder.embedder.0.weight");
    EXPECT_EQ(file.metadata().at(
                  "encoders.observation_images_side.0.encoder.stages.3.shortcut.1.group_norm.bias"),
              "encoder.encoder.stages.3.shortcut.1.group_norm.bias");
    EXPECT_EQ(file.info("encoders.observation_images_front.1.kernel").shape,
              (std::vector<std::int64_t>{512, 4, 4, 8}));
}

TEST(CheckpointIo, ProcessorFilesAreLeRobots) {
    TempDir dir;
    Classifier model(two_cameras());
    save_pretrained(dir.path(), model, custom_stats(model->config()));
    const auto pre = nlohmann::ordered_json::parse(read_file(dir / kPreprocessorFile));
    EXPECT_EQ(pre["name"], "classifier_preprocessor");
    ASSERT_EQ(pre["steps"].size(), 3u);
    EXPECT_EQ(pre["steps"][0]["registry_name"], "normalizer_processor");
    EXPECT_EQ(pre["steps"][0]["state_file"],
              "classifier_preprocessor_step_0_normalizer_processor.safetensors");
    EXPECT_EQ(pre["steps"][0]["config"]["eps"], 1e-8);
    EXPECT_EQ(pre["steps"][0]["config"]["norm_map"]["VISUAL"], "MEAN_STD");
    EXPECT_EQ(pre["steps"][0]["config"]["features"]["observation.images.side"]["shape"],
              nlohmann::json::parse("[3, 128, 128]"));
    EXPECT_EQ(pre["steps"][1]["state_file"],
              "classifier_preprocessor_step_1_normalizer_processor.safetensors");
    EXPECT_EQ(pre["steps"][2]["registry_name"], "device_processor");
    const auto post = nlohmann::ordered_json::parse(read_file(dir / kPostprocessorFile));
    EXPECT_EQ(post["name"], "classifier_postprocessor");
    EXPECT_EQ(post["steps"][1]["class"], "lerobot.processor.pipeline.IdentityProcessorStep");
    const safetensors::File state = safetensors::File::load(dir / kNormalizerStateFile);
    EXPECT_EQ(state.info("observation.images.front.mean").shape,
              (std::vector<std::int64_t>{3, 1, 1}));
    EXPECT_EQ(state.to_float32("observation.images.front.std"),
              (std::vector<float>{0.4f, 0.5f, 0.6f}));
}

TEST(CheckpointIo, MissingTensorIsRefusedByName) {
    TempDir dir;
    Classifier model(two_cameras());
    save_pretrained(dir.path(), model, custom_stats(model->config()));
    rewrite(dir / kModelFile, [](std::string& name, auto&, auto&, auto&) {
        return name != "classifier_head.4.bias";
    });
    const std::string message =
        testing::error_message<ModelError>([&] { (void)load_pretrained(dir.path()); });
    EXPECT_NE(message.find("model.safetensors: tensor \"classifier_head.4.bias\" [1] is missing"),
              std::string::npos)
        << message;
}

TEST(CheckpointIo, WrongDtypeIsRefused) {
    TempDir dir;
    Classifier model(two_cameras());
    save_pretrained(dir.path(), model, custom_stats(model->config()));
    rewrite(dir / kModelFile,
            [](std::string& name, safetensors::Dtype& dtype, auto&, std::string& bytes) {
                if (name == "classifier_head.2.weight") {
                    dtype = safetensors::Dtype::kF16;
                    bytes.resize(bytes.size() / 2);
                }
                return true;
            });
    const std::string message =
        testing::error_message<ModelError>([&] { (void)load_pretrained(dir.path()); });
    EXPECT_NE(message.find("tensor \"classifier_head.2.weight\": dtype F16, expected F32"),
              std::string::npos)
        << message;
}

TEST(CheckpointIo, WrongShapeNamesBothShapes) {
    TempDir dir;
    Classifier model(two_cameras());
    save_pretrained(dir.path(), model, custom_stats(model->config()));
    ClassifierConfig smaller = two_cameras();
    smaller.hidden_dim = 128;
    write_text(dir / kConfigFile, classifier_config_json(smaller));
    const std::string message =
        testing::error_message<ModelError>([&] { (void)load_pretrained(dir.path()); });
    EXPECT_NE(message.find("tensor \"classifier_head.0.weight\": shape [256, 512] in the file, "
                           "[128, 512] in the model"),
              std::string::npos)
        << message;
}

TEST(CheckpointIo, AnotherArchitectureIsNamedAsSuch) {
    TempDir dir;
    Classifier model(two_cameras());
    save_pretrained(dir.path(), model, custom_stats(model->config()));
    rewrite(dir / kModelFile, [](std::string& name, auto&, auto&, auto&) {
        if (name.rfind("encoder.", 0) == 0)
            name = "encoder.resnet." + name.substr(8);  // e.g. a HF ResNet-18
        return true;
    });
    const std::string message =
        testing::error_message<ModelError>([&] { (void)load_pretrained(dir.path()); });
    EXPECT_NE(message.find("tensor \"encoder.embedder.0.weight\" [64, 3, 7, 7] is missing"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("another architecture"), std::string::npos) << message;
}

TEST(CheckpointIo, CorruptModelFileIsAModelErrorNamingTheFile) {
    TempDir dir;
    Classifier model(two_cameras());
    save_pretrained(dir.path(), model, custom_stats(model->config()));
    const std::string bytes = read_file(dir / kModelFile);
    write_text(dir / kModelFile, bytes.substr(0, bytes.size() / 2));
    const std::string message =
        testing::error_message<ModelError>([&] { (void)load_pretrained(dir.path()); });
    EXPECT_NE(message.find((dir / kModelFile).string()), std::string::npos) << message;
    EXPECT_NE(message.find("truncated"), std::string::npos) << message;
}

TEST(CheckpointIo, ReadsLeRobot03StatisticsFromTheModelFile) {
    // LeRobot 0.3 keeps Normalize's buffers in the model (normalize_inputs.buffer_<key>.mean/std)
    // and writes no processor files.
    TempDir dir;
    Classifier model(two_cameras());
    save_pretrained(dir.path(), model, custom_stats(model->config()));
    for (const char* file : {kPreprocessorFile, kPostprocessorFile, kNormalizerStateFile,
                             kTargetNormalizerStateFile}) {
        fs::remove(dir / file);
    }
    safetensors::Writer extra;
    const safetensors::File original = safetensors::File::load(dir / kModelFile);
    for (const std::string& name : original.names()) {
        const auto span = original.bytes(name);
        extra.add(name, safetensors::Dtype::kF32, original.info(name).shape,
                  {reinterpret_cast<const char*>(span.data()), span.size()});
    }
    for (const auto& [key, value] : original.metadata())
        extra.set_metadata(key, value);
    const float front_mean[] = {0.11f, 0.22f, 0.33f};
    const float front_std[] = {0.44f, 0.55f, 0.66f};
    const float side_mean[] = {0.5f, 0.5f, 0.5f};
    const float side_std[] = {0.25f, 0.25f, 0.25f};
    extra.add_f32("normalize_inputs.buffer_observation_images_front.mean", {3, 1, 1}, front_mean);
    extra.add_f32("normalize_inputs.buffer_observation_images_front.std", {3, 1, 1}, front_std);
    extra.add_f32("normalize_inputs.buffer_observation_images_side.mean", {3, 1, 1}, side_mean);
    extra.add_f32("normalize_inputs.buffer_observation_images_side.std", {3, 1, 1}, side_std);
    extra.save(dir / kModelFile);

    const LoadedClassifier loaded = load_pretrained(dir.path());
    EXPECT_EQ(loaded.stats[0].second.mean, (std::array<float, 3>{0.11f, 0.22f, 0.33f}));
    EXPECT_EQ(loaded.stats[1].second.std, (std::array<float, 3>{0.25f, 0.25f, 0.25f}));
    EXPECT_NE(loaded.stats_from.find("LeRobot 0.3"), std::string::npos);
}

TEST(CheckpointIo, WithoutStatisticsImageNetIsUsed) {
    TempDir dir;
    Classifier model(two_cameras());
    save_pretrained(dir.path(), model, custom_stats(model->config()));
    fs::remove(dir / kPreprocessorFile);
    fs::remove(dir / kNormalizerStateFile);
    const LoadedClassifier loaded = load_pretrained(dir.path());
    EXPECT_EQ(loaded.stats[0].second.mean, imagenet_stats().mean);
    EXPECT_NE(loaded.stats_from.find("ImageNet"), std::string::npos);
}

TEST(CheckpointIo, StatisticsMissingACameraAreRefused) {
    TempDir dir;
    Classifier model(two_cameras());
    save_pretrained(dir.path(), model, custom_stats(model->config()));
    rewrite(dir / kNormalizerStateFile, [](std::string& name, auto&, auto&, auto&) {
        return name.find(".side.") == std::string::npos;
    });
    const std::string message =
        testing::error_message<ModelError>([&] { (void)load_pretrained(dir.path()); });
    EXPECT_NE(message.find("no \"observation.images.side.mean\""), std::string::npos) << message;
}

/// A standalone helper2424/resnet10 model.safetensors from `net`'s weights, with the given names.
void write_encoder_file(ResNet10& net, const fs::path& path, bool old_names) {
    safetensors::Writer writer;
    for (const auto& item : net->named_parameters()) {
        std::string name = item.key();
        if (old_names) {
            if (const std::size_t at = name.find(".group_norm."); at != std::string::npos)
                name.erase(at, 11);
        }
        const torch::Tensor t = item.value().contiguous();
        writer.add(name, safetensors::Dtype::kF32, t.sizes().vec(),
                   {static_cast<const char*>(t.data_ptr()), static_cast<std::size_t>(t.nbytes())});
    }
    writer.set_metadata("format", "pt");
    writer.save(path);
}

TEST(CheckpointIo, LoadsTheStandaloneEncoderWithEitherKeyNaming) {
    TempDir dir;
    torch::manual_seed(5);
    ResNet10 source;
    {
        const torch::NoGradGuard no_grad;
        for (torch::Tensor& p : source->parameters())
            p.copy_(torch::randn_like(p));
    }
    for (const bool old_names : {false, true}) {
        const fs::path file = dir / (old_names ? "old.safetensors" : "new.safetensors");
        write_encoder_file(source, file, old_names);
        if (old_names) {
            EXPECT_TRUE(
                safetensors::File::load(file).contains("encoder.stages.1.shortcut.1.weight"));
        }
        ResNet10 target;
        load_encoder_weights(target, file);
        for (std::size_t i = 0; i < source->parameters().size(); ++i) {
            EXPECT_TRUE(torch::equal(source->parameters()[i], target->parameters()[i]))
                << old_names << " " << i;
        }
    }
}

TEST(CheckpointIo, EncoderFileOfAnotherModelIsRefused) {
    TempDir dir;
    safetensors::Writer writer;
    const float one = 1.0f;
    writer.add_f32("resnet.embedder.embedder.convolution.weight", {1}, {&one, 1});
    writer.save(dir / "model.safetensors");
    ResNet10 net;
    const std::string message = testing::error_message<ModelError>(
        [&] { load_encoder_weights(net, dir / "model.safetensors"); });
    EXPECT_NE(message.find("not helper2424/resnet10 weights"), std::string::npos) << message;
}

/// Sets an environment variable for one test.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }

private:
    const char* name_;
    std::optional<std::string> old_;
};

TEST(CheckpointIo, FindsEncoderWeightsInTheHubCache) {
    TempDir cache;
    const ScopedEnv env("HF_HUB_CACHE", cache.path().string());
    const fs::path repo = cache / "models--helper2424--resnet10";
    write_text(repo / "refs" / "main", "abc123\n");
    write_text(repo / "snapshots" / "abc123" / "model.safetensors", "x");
    write_text(repo / "snapshots" / "old000" / "model.safetensors", "y");
    EXPECT_EQ(find_encoder_weights("helper2424/resnet10"),
              repo / "snapshots" / "abc123" / "model.safetensors");
    fs::remove_all(repo / "refs");
    fs::remove_all(repo / "snapshots" / "abc123");
    EXPECT_EQ(find_encoder_weights("helper2424/resnet10"),
              repo / "snapshots" / "old000" / "model.safetensors");
    // A path wins over the cache.
    write_text(cache / "local" / "model.safetensors", "z");
    EXPECT_EQ(find_encoder_weights((cache / "local").string()),
              cache / "local" / "model.safetensors");
}

TEST(CheckpointIo, MissingEncoderWeightsSayHowToGetThem) {
    TempDir cache;
    const ScopedEnv env("HF_HUB_CACHE", cache.path().string());
    const std::string message = testing::error_message<ModelError>(
        [] { (void)find_encoder_weights("helper2424/resnet10"); });
    EXPECT_NE(message.find("not on this machine"), std::string::npos) << message;
    EXPECT_NE(message.find("huggingface-cli download helper2424/resnet10"), std::string::npos)
        << message;
    EXPECT_NE(message.find((cache / "models--helper2424--resnet10" / "snapshots").string()),
              std::string::npos)
        << message;
}

TEST(CheckpointIo, TrainingStateRoundTrips) {
    TempDir dir;
    torch::manual_seed(2);
    Classifier model(two_cameras());
    const std::vector<torch::Tensor> params = model->unique_parameters();
    torch::optim::AdamW optimizer(params, torch::optim::AdamWOptions(1e-4).weight_decay(0.01));
    // Two steps with gradients on the head only, as LeRobot's training gives.
    for (int step = 0; step < 2; ++step) {
        optimizer.zero_grad();
        const torch::Tensor loss =
            model->forward({torch::randn({2, 3, 128, 128}), torch::randn({2, 3, 128, 128})})
                .pow(2)
                .sum();
        loss.backward();
        optimizer.step();
    }
    std::mt19937 order(77);
    order();
    const RngState rng = capture_rng_state(order);
    const auto next_order = order();
    const float next_torch = torch::rand({1}).item<float>();
    save_training_state(dir.path(), 2, optimizer, params, rng);

    const safetensors::File state = safetensors::File::load(dir / kOptimizerStateFile);
    EXPECT_EQ(state.names().size(), 6u * 3);  // the six head tensors: step, exp_avg, exp_avg_sq
    EXPECT_EQ(state.to_float32("state/46/step"), (std::vector<float>{2.0f}));
    EXPECT_EQ(state.info("state/46/exp_avg").shape, (std::vector<std::int64_t>{256, 512}));
    EXPECT_FALSE(state.contains("state/45/exp_avg"));
    const auto groups = nlohmann::json::parse(read_file(dir / kOptimizerParamGroupsFile));
    EXPECT_EQ(groups[0]["lr"], 1e-4);
    EXPECT_EQ(groups[0]["weight_decay"], 0.01);
    EXPECT_EQ(groups[0]["params"].size(), 52u);
    EXPECT_EQ(nlohmann::json::parse(read_file(dir / kTrainingStepFile)),
              nlohmann::json::parse(R"({"step": 2})"));
    const safetensors::File random = safetensors::File::load(dir / kRngStateFile);
    EXPECT_EQ(random.to_int64("py_rng_version"), (std::vector<std::int64_t>{3}));
    EXPECT_EQ(random.info("py_rng_state").shape, (std::vector<std::int64_t>{625}));
    EXPECT_EQ(random.info("np_rng_state_values").shape, (std::vector<std::int64_t>{624}));
    EXPECT_EQ(random.info("torch_rng_state").dtype, safetensors::Dtype::kU8);

    Classifier fresh(two_cameras());
    const std::vector<torch::Tensor> fresh_params = fresh->unique_parameters();
    torch::optim::AdamW restored(fresh_params, torch::optim::AdamWOptions(1.0));
    const TrainingProgress progress = load_training_state(dir.path(), restored, fresh_params);
    EXPECT_EQ(progress.step, 2);
    EXPECT_EQ(
        static_cast<const torch::optim::AdamWOptions&>(restored.param_groups()[0].options()).lr(),
        1e-4);
    const auto& a = static_cast<const torch::optim::AdamWParamState&>(
        *optimizer.state().at(c10::guts::to_string(params[46].unsafeGetTensorImpl())));
    const auto& b = static_cast<const torch::optim::AdamWParamState&>(
        *restored.state().at(c10::guts::to_string(fresh_params[46].unsafeGetTensorImpl())));
    EXPECT_EQ(a.step(), b.step());
    EXPECT_TRUE(torch::equal(a.exp_avg(), b.exp_avg()));
    EXPECT_TRUE(torch::equal(a.exp_avg_sq(), b.exp_avg_sq()));

    // The generators continue exactly where they were when captured.
    std::mt19937 other(1);
    restore_rng_state(progress.rng, other);
    EXPECT_EQ(other(), next_order);
    EXPECT_EQ(torch::rand({1}).item<float>(), next_torch);
}

TEST(CheckpointIo, SaveCheckpointWritesLeRobotsWholeLayout) {
    TempDir run;
    torch::manual_seed(9);
    Classifier model(two_cameras());
    torch::optim::AdamW optimizer(model->unique_parameters(), torch::optim::AdamWOptions(1e-4));
    const fs::path dir =
        save_checkpoint(run.path(), 3000, 3000, model, custom_stats(model->config()), optimizer,
                        capture_rng_state(std::mt19937(3)), R"({"steps": 3000})");
    EXPECT_EQ(dir, run / "checkpoints" / "003000");
    for (const char* file :
         {kConfigFile, kModelFile, kTrainConfigFile, kPreprocessorFile, kPostprocessorFile,
          kNormalizerStateFile, kTargetNormalizerStateFile}) {
        EXPECT_TRUE(fs::is_regular_file(dir / kPretrainedModelDir / file)) << file;
    }
    for (const char* file :
         {kOptimizerStateFile, kOptimizerParamGroupsFile, kRngStateFile, kTrainingStepFile}) {
        EXPECT_TRUE(fs::is_regular_file(dir / kTrainingStateDir / file)) << file;
    }
    EXPECT_EQ(fs::read_symlink(run / "checkpoints" / "last"), fs::path("003000"));
    const LoadedClassifier loaded = load_pretrained(run.path());
    EXPECT_TRUE(
        torch::equal(loaded.model->unique_parameters()[51], model->unique_parameters()[51]));
}

TEST(CheckpointIo, TrainingStateOfAnotherModelIsRefused) {
    TempDir dir;
    Classifier model(two_cameras());
    const std::vector<torch::Tensor> params = model->unique_parameters();
    torch::optim::AdamW optimizer(params, torch::optim::AdamWOptions(1e-4));
    save_training_state(dir.path(), 0, optimizer, params, capture_rng_state(std::mt19937(1)));
    ClassifierConfig one;
    Classifier smaller(one);
    const std::vector<torch::Tensor> fewer = smaller->unique_parameters();
    torch::optim::AdamW other(fewer, torch::optim::AdamWOptions(1e-4));
    const std::string message = testing::error_message<ModelError>(
        [&] { (void)load_training_state(dir.path(), other, fewer); });
    EXPECT_NE(message.find("52 parameters, the model has 47"), std::string::npos) << message;
}

}  // namespace
}  // namespace rcls::model
