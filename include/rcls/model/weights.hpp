// SPDX-License-Identifier: MIT
//
// Reward classifier weights on disk, in LeRobot's formats (lerobot_formats.md §1.8, §1.9, §2.4):
//
//   pretrained_model/config.json          the ClassifierConfig (classifier_config.hpp)
//   pretrained_model/model.safetensors    the state dict, shared encoder stored once as
//                                         "encoder.*", its aliases "encoders.<camera>.0.*" listed
//                                         in the metadata (safetensors.torch.save_model)
//   pretrained_model/classifier_preprocessor.json + ..._step_0_normalizer_processor.safetensors
//                                         the normalisation statistics (LeRobot >= 0.4)
//   pretrained_model/classifier_postprocessor.json
//
// LeRobot 0.3 checkpoints keep the statistics inside model.safetensors
// ("normalize_inputs.buffer_<camera>.mean/std"); both layouts load. Includes libtorch.
#pragma once

#include <filesystem>
#include <string>

#include "rcls/model/classifier.hpp"
#include "rcls/model/classifier_config.hpp"
#include "rcls/safetensors/safetensors.hpp"

namespace rcls::model {

/// A classifier loaded from a checkpoint, in eval mode.
struct LoadedClassifier {
    ClassifierConfig config;
    NormStats stats;         ///< Per camera, in camera order.
    std::string stats_from;  ///< Where the statistics came from, for logs.
    Classifier model{nullptr};
};

/// Writes model.safetensors exactly as safetensors.torch.save_model does for LeRobot's module:
/// tensors sharing storage are stored once under the lexicographically smallest name, the
/// others recorded in the metadata as alias -> kept name. Atomic; throws DataError on I/O errors.
void save_model_safetensors(const std::filesystem::path& path, Classifier& model);

/// Adds `tensor` to `writer` as F32 under `name` (detached, copied to the CPU, contiguous).
void add_f32_tensor(safetensors::Writer& writer,
                    const std::string& name,
                    const torch::Tensor& tensor);

/// Loads model.safetensors into `model`. Every tensor of the model must be in the file (directly
/// or through a shared alias) as F32 with the model's shape; otherwise ModelError naming the file,
/// the key and both shapes or dtypes. Tensors the model does not have are ignored with a warning,
/// except LeRobot 0.3's normalisation buffers, which load_pretrained reads.
void load_model_safetensors(const std::filesystem::path& path, Classifier& model);

/// Writes a complete pretrained_model folder (config.json, model.safetensors, the pre- and
/// postprocessor files with `stats`), each file atomically. `stats` must hold every camera.
void save_pretrained(const std::filesystem::path& dir, Classifier& model, const NormStats& stats);

/// Loads a checkpoint: a pretrained_model folder, a step folder, `checkpoints/last`, a
/// `checkpoints` folder or a training run folder (resolve_pretrained_dir). Statistics come from
/// the preprocessor file (LeRobot >= 0.4), else from model.safetensors (LeRobot 0.3), else
/// ImageNet's. Throws ModelError when anything is missing or does not fit.
LoadedClassifier load_pretrained(const std::filesystem::path& checkpoint);

/// Finds the standalone helper2424/resnet10 weights: `model_name` is a model.safetensors file, a
/// folder holding one, or a Hugging Face model id looked up in the hub cache
/// (hf_hub_cache()/models--<org>--<name>/snapshots/<revision>/model.safetensors, the revision in
/// refs/main first). Nothing is downloaded: throws ModelError saying how to get the weights.
std::filesystem::path find_encoder_weights(const std::string& model_name);

/// Loads helper2424/resnet10's model.safetensors into `encoder`. Accepts the current key names
/// ("embedder.1.group_norm.weight") and those from before 2025-04 ("embedder.1.weight"), with or
/// without an "encoder."/"resnet." prefix. Throws ModelError on missing keys or wrong shapes.
void load_encoder_weights(ResNet10& encoder, const std::filesystem::path& file);

}  // namespace rcls::model
