// SPDX-License-Identifier: MIT
#include "checkpoint_fixture.hpp"

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "rcls/safetensors/safetensors.hpp"

#include "temp_dir.hpp"

namespace rcls::testing {
namespace {

using Shape = std::vector<std::int64_t>;

// helper2424/resnet10's tensors (lerobot_formats.md §2.4).
std::vector<std::pair<std::string, Shape>> resnet10_tensors() {
    std::vector<std::pair<std::string, Shape>> out = {{"embedder.0.weight", {64, 3, 7, 7}},
                                                      {"embedder.1.group_norm.weight", {64}},
                                                      {"embedder.1.group_norm.bias", {64}}};
    const std::int64_t sizes[] = {64, 128, 256, 512};
    std::int64_t in = 64;
    for (int i = 0; i < 4; ++i) {
        const std::string stage = "encoder.stages." + std::to_string(i) + ".";
        const std::int64_t c = sizes[i];
        out.push_back({stage + "conv1.conv.weight", {c, in, 3, 3}});
        out.push_back({stage + "norm1.group_norm.weight", {c}});
        out.push_back({stage + "norm1.group_norm.bias", {c}});
        out.push_back({stage + "conv2.conv.weight", {c, c, 3, 3}});
        out.push_back({stage + "norm2.group_norm.weight", {c}});
        out.push_back({stage + "norm2.group_norm.bias", {c}});
        if (in != c) {
            out.push_back({stage + "shortcut.0.conv.weight", {c, in, 1, 1}});
            out.push_back({stage + "shortcut.1.group_norm.weight", {c}});
            out.push_back({stage + "shortcut.1.group_norm.bias", {c}});
        }
        in = c;
    }
    return out;
}

}  // namespace

model::ClassifierConfig classifier_config(const std::vector<std::string>& cameras, int size) {
    model::ClassifierConfig config;
    config.input_features.clear();
    for (const std::string& camera : cameras) {
        config.input_features.emplace_back("observation.images." + camera,
                                           model::Feature{"VISUAL", {3, size, size}});
    }
    config.num_cameras = static_cast<int>(cameras.size());
    return config;
}

void write_random_checkpoint(const std::filesystem::path& dir,
                             const model::ClassifierConfig& config,
                             unsigned seed) {
    std::mt19937 rng(seed);
    safetensors::Writer writer;
    const auto add = [&](const std::string& name, const Shape& shape, const char* kind) {
        std::int64_t count = 1;
        for (const std::int64_t d : shape)
            count *= d;
        std::vector<float> values(static_cast<std::size_t>(count));
        const std::string k = kind;
        if (k == "one" || k == "zero") {
            std::fill(values.begin(), values.end(), k == "one" ? 1.0f : 0.0f);
        } else {
            const double fan_in = shape.size() > 1 ? static_cast<double>(count / shape[0]) : 16.0;
            std::normal_distribution<float> normal(0.0f,
                                                   static_cast<float>(1.0 / std::sqrt(fan_in)));
            for (float& v : values)
                v = normal(rng);
        }
        writer.add_f32(name, shape, values);
    };
    for (const auto& [name, shape] : resnet10_tensors()) {
        const bool norm = name.find("group_norm") != std::string::npos;
        add("encoder." + name, shape, !norm ? "random" : name.ends_with("weight") ? "one" : "zero");
        for (const std::string& key : config.image_keys()) {
            writer.set_metadata("encoders." + model::module_key(key) + ".0." + name,
                                "encoder." + name);
        }
    }
    const std::int64_t f = config.image_embedding_pooling_dim;
    for (const std::string& key : config.image_keys()) {
        const std::string prefix = "encoders." + model::module_key(key) + ".";
        add(prefix + "1.kernel", {512, 4, 4, f}, "random");
        add(prefix + "3.weight", {config.latent_dim, 512 * f}, "random");
        add(prefix + "3.bias", {config.latent_dim}, "random");
        add(prefix + "4.weight", {config.latent_dim}, "one");
        add(prefix + "4.bias", {config.latent_dim}, "zero");
    }
    add("classifier_head.0.weight", {config.hidden_dim, config.latent_dim * config.num_cameras},
        "random");
    add("classifier_head.0.bias", {config.hidden_dim}, "random");
    add("classifier_head.2.weight", {config.hidden_dim}, "one");
    add("classifier_head.2.bias", {config.hidden_dim}, "zero");
    add("classifier_head.4.weight", {1, config.hidden_dim}, "random");
    add("classifier_head.4.bias", {1}, "random");
    writer.save(dir / "model.safetensors");
    write_text(dir / "config.json", model::classifier_config_json(config));
}

}  // namespace rcls::testing
