// SPDX-License-Identifier: MIT
#include "rcls/model/training_state.hpp"

#include <array>
#include <cctype>
#include <sstream>

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>
#include <torch/types.h>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/json_struct.hpp"
#include "rcls/model/checkpoint.hpp"
#include "rcls/model/weights.hpp"
#include "rcls/safetensors/safetensors.hpp"

namespace rcls::model {
namespace fs = std::filesystem;
namespace {

using Json = nlohmann::ordered_json;
constexpr std::size_t kMtWords = 624;

std::string state_key(const torch::Tensor& param) {
    return c10::guts::to_string(param.unsafeGetTensorImpl());
}

torch::optim::AdamWOptions& options_of(torch::optim::AdamW& optimizer) {
    return static_cast<torch::optim::AdamWOptions&>(optimizer.param_groups().at(0).options());
}

torch::Tensor read_tensor(const safetensors::File& file,
                          const std::string& name,
                          const torch::Tensor& like) {
    const safetensors::TensorInfo& info = file.info(name);
    if (info.shape != like.sizes().vec()) {
        throw ModelError(file.source() + ": tensor \"" + name + "\": shape " +
                         safetensors::shape_string(info.shape) + " in the file, " +
                         safetensors::shape_string(like.sizes().vec()) +
                         " for the parameter; the optimizer state is from another model");
    }
    std::vector<float> values = file.to_float32(name);
    return torch::from_blob(values.data(), info.shape, torch::kFloat32).clone();
}

}  // namespace

RngState capture_rng_state(const std::mt19937& data_order) {
    RngState state;
    {
        auto gen = at::detail::getDefaultCPUGenerator();
        const std::lock_guard<std::mutex> lock(gen.mutex());
        const torch::Tensor bytes = gen.get_state();
        const auto* data = bytes.data_ptr<std::uint8_t>();
        state.torch_state.assign(data, data + bytes.numel());
    }
    // libstdc++ writes the 624 state words followed by the position.
    std::ostringstream text;
    text << data_order;
    std::istringstream in(text.str());
    std::uint64_t value = 0;
    std::vector<std::uint64_t> values;
    while (in >> value)
        values.push_back(value);
    if (values.size() != kMtWords + 1) throw std::logic_error("unexpected std::mt19937 text form");
    for (std::size_t i = 0; i < kMtWords; ++i)
        state.mt_words.push_back(static_cast<std::uint32_t>(values[i]));
    state.mt_index = static_cast<std::uint32_t>(values[kMtWords]);
    return state;
}

void restore_rng_state(const RngState& state, std::mt19937& data_order) {
    if (!state.torch_state.empty()) {
        auto gen = at::detail::getDefaultCPUGenerator();
        const std::lock_guard<std::mutex> lock(gen.mutex());
        torch::Tensor bytes =
            torch::empty({static_cast<std::int64_t>(state.torch_state.size())}, torch::kUInt8);
        std::copy(state.torch_state.begin(), state.torch_state.end(),
                  bytes.data_ptr<std::uint8_t>());
        gen.set_state(bytes);
    }
    if (state.mt_words.size() == kMtWords) {
        std::ostringstream text;
        for (const std::uint32_t word : state.mt_words)
            text << word << ' ';
        text << state.mt_index;
        std::istringstream in(text.str());
        in >> data_order;
    }
}

void save_training_state(const fs::path& dir,
                         std::int64_t step,
                         const torch::optim::AdamW& optimizer,
                         const std::vector<torch::Tensor>& params,
                         const RngState& rng) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw DataError(dir.string() + ": cannot create directory: " + ec.message());

    safetensors::Writer state;
    const auto& states = optimizer.state();
    for (std::size_t i = 0; i < params.size(); ++i) {
        const auto it = states.find(state_key(params[i]));
        if (it == states.end()) continue;
        const auto& adam = static_cast<const torch::optim::AdamWParamState&>(*it->second);
        const std::string prefix = "state/" + std::to_string(i) + "/";
        const float step_value = static_cast<float>(adam.step());
        state.add_f32(prefix + "step", {}, {&step_value, 1});
        add_f32_tensor(state, prefix + "exp_avg", adam.exp_avg());
        add_f32_tensor(state, prefix + "exp_avg_sq", adam.exp_avg_sq());
        if (adam.max_exp_avg_sq().defined())
            add_f32_tensor(state, prefix + "max_exp_avg_sq", adam.max_exp_avg_sq());
    }
    state.save(dir / kOptimizerStateFile);

    const auto& options =
        static_cast<const torch::optim::AdamWOptions&>(optimizer.param_groups().at(0).options());
    Json group = Json::object();
    group["lr"] = options.lr();
    group["betas"] = Json::array({std::get<0>(options.betas()), std::get<1>(options.betas())});
    group["eps"] = options.eps();
    group["weight_decay"] = options.weight_decay();
    group["amsgrad"] = options.amsgrad();
    group["foreach"] = nullptr;
    group["maximize"] = false;
    group["capturable"] = false;
    group["differentiable"] = false;
    group["fused"] = nullptr;
    // torch >= 2.7 writes it for AdamW (Adam with decoupled weight decay); LeRobot's resume loads
    // the groups into torch's AdamW and refuses a group without it.
    group["decoupled_weight_decay"] = true;
    Json indices = Json::array();
    for (std::size_t i = 0; i < params.size(); ++i)
        indices.push_back(i);
    group["params"] = std::move(indices);
    write_file_atomic(dir / kOptimizerParamGroupsFile, Json::array({group}).dump(4));

    safetensors::Writer random;
    std::vector<std::int64_t> words(rng.mt_words.begin(), rng.mt_words.end());
    std::vector<std::int64_t> py_state = words;
    py_state.push_back(rng.mt_index);
    const std::int64_t version = 3;
    const std::int64_t index = rng.mt_index;
    const std::int64_t has_gauss = 0;
    const float cached_gaussian = 0.0f;
    random.add_i64("py_rng_version", {1}, {&version, 1});
    random.add_i64("py_rng_state", {static_cast<std::int64_t>(py_state.size())}, py_state);
    random.add_i64("np_rng_state_values", {static_cast<std::int64_t>(words.size())}, words);
    random.add_i64("np_rng_state_index", {1}, {&index, 1});
    random.add_i64("np_rng_has_gauss", {1}, {&has_gauss, 1});
    random.add_f32("np_rng_cached_gaussian", {1}, {&cached_gaussian, 1});
    random.add("torch_rng_state", safetensors::Dtype::kU8,
               {static_cast<std::int64_t>(rng.torch_state.size())},
               {reinterpret_cast<const char*>(rng.torch_state.data()), rng.torch_state.size()});
    random.save(dir / kRngStateFile);

    write_file_atomic(dir / kTrainingStepFile, Json{{"step", step}}.dump(4));
}

TrainingProgress load_training_state(const fs::path& dir,
                                     torch::optim::AdamW& optimizer,
                                     const std::vector<torch::Tensor>& params) {
    TrainingProgress progress;
    const fs::path step_file = dir / kTrainingStepFile;
    const fs::path groups_file = dir / kOptimizerParamGroupsFile;
    namespace js = json_struct;
    // LeRobot's training_step.json and optimizer_param_groups.json: checkpoint files (ModelError),
    // read leniently (torch adds keys across versions: foreach, fused, capturable, ...).
    const js::Json step_json =
        js::parse_file(step_file, js::ErrorKind::kModel, "training step file");
    js::Reader step_reader(
        step_json, js::Context(step_file.string(), "", js::ErrorKind::kModel, js::Mode::kLenient));
    step_reader.required("step", progress.step);

    const js::Json groups =
        js::parse_file(groups_file, js::ErrorKind::kModel, "optimizer_param_groups.json");
    const js::Context groups_context(groups_file.string(), "", js::ErrorKind::kModel,
                                     js::Mode::kLenient);
    if (!groups.is_array() || groups.empty()) {
        js::fail(groups_context,
                 "not an optimizer_param_groups.json: expected a list of parameter groups, got " +
                     js::describe(groups));
    }
    js::Reader group(groups[0], groups_context.at("0"));
    std::vector<std::int64_t> group_params;
    double lr = 0.0, eps = 0.0, weight_decay = 0.0;
    std::array<double, 2> betas{};
    bool amsgrad = false;
    group.required("params", group_params);
    group.required("lr", lr);
    group.required("betas", betas);
    group.required("eps", eps);
    group.required("weight_decay", weight_decay);
    group.field("amsgrad", amsgrad);
    if (group_params.size() != params.size()) {
        throw ModelError(groups_file.string() + ": " + std::to_string(group_params.size()) +
                         " parameters, the model has " + std::to_string(params.size()));
    }
    auto& options = options_of(optimizer);
    options.lr(lr);
    options.betas({betas[0], betas[1]});
    options.eps(eps);
    options.weight_decay(weight_decay);
    options.amsgrad(amsgrad);

    const safetensors::File state = safetensors::File::load(dir / kOptimizerStateFile);
    auto& states = optimizer.state();
    for (std::size_t i = 0; i < params.size(); ++i) {
        const std::string prefix = "state/" + std::to_string(i) + "/";
        if (!state.contains(prefix + "exp_avg")) continue;
        auto adam = std::make_unique<torch::optim::AdamWParamState>();
        const std::vector<float> step = state.to_float32(prefix + "step");
        if (step.size() != 1)
            throw ModelError(state.source() + ": tensor \"" + prefix + "step\" is not a scalar");
        adam->step(static_cast<std::int64_t>(step[0]));
        adam->exp_avg(read_tensor(state, prefix + "exp_avg", params[i]));
        adam->exp_avg_sq(read_tensor(state, prefix + "exp_avg_sq", params[i]));
        if (state.contains(prefix + "max_exp_avg_sq")) {
            adam->max_exp_avg_sq(read_tensor(state, prefix + "max_exp_avg_sq", params[i]));
        }
        states[state_key(params[i])] = std::move(adam);
    }
    for (const std::string& name : state.names()) {
        // "state/<index>/<name>" with an index below the parameter count.
        std::size_t index = 0;
        std::size_t at = 6;
        bool ok = name.rfind("state/", 0) == 0 && at < name.size() && std::isdigit(name[at]);
        while (ok && at < name.size() && std::isdigit(name[at]) && index <= params.size()) {
            index = index * 10 + static_cast<std::size_t>(name[at++] - '0');
        }
        ok = ok && at < name.size() && name[at] == '/' && index < params.size();
        if (!ok) {
            throw ModelError(state.source() + ": tensor \"" + name +
                             "\" does not belong to any of the " + std::to_string(params.size()) +
                             " parameters");
        }
    }

    const safetensors::File random = safetensors::File::load(dir / kRngStateFile);
    if (random.contains("torch_rng_state")) {
        const auto bytes = random.bytes("torch_rng_state");
        const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
        progress.rng.torch_state.assign(data, data + bytes.size());
    }
    if (random.contains("np_rng_state_values")) {
        for (const std::int64_t word : random.to_int64("np_rng_state_values")) {
            progress.rng.mt_words.push_back(static_cast<std::uint32_t>(word));
        }
        progress.rng.mt_index =
            static_cast<std::uint32_t>(random.to_int64("np_rng_state_index").at(0));
        if (progress.rng.mt_words.size() != kMtWords || progress.rng.mt_index > kMtWords) {
            throw ModelError(random.source() +
                             ": np_rng_state_values/index do not hold an MT19937 state");
        }
    }
    return progress;
}

fs::path save_checkpoint(const fs::path& output_dir,
                         std::int64_t step,
                         std::int64_t total_steps,
                         Classifier& model,
                         const NormStats& stats,
                         const torch::optim::AdamW& optimizer,
                         const RngState& rng,
                         const std::string& train_config_json) {
    return write_checkpoint(output_dir, step, total_steps, [&](const fs::path& dir) {
        save_pretrained(dir / kPretrainedModelDir, model, stats);
        if (!train_config_json.empty()) {
            write_file_atomic(dir / kPretrainedModelDir / kTrainConfigFile, train_config_json);
        }
        save_training_state(dir / kTrainingStateDir, step, optimizer, model->unique_parameters(),
                            rng);
    });
}

}  // namespace rcls::model
