// SPDX-License-Identifier: MIT
//
// Training the reward classifier behind a torch-free interface: a facade over the torch side
// (rcls/model/torch_plugin.hpp, TrainerBackend), as Predictor is for inference. The caller (the
// train workflow, rcls/train/train.hpp) hands it decoded frames and settings; the Trainer runs
// LeRobot's loop (AdamW, gradient clipping, BCE with logits, ImageNet normalisation, LeRobot's
// ImageTransforms and rcls's geometric augmentation), validates on held-out episodes and writes
// LeRobot checkpoints (rcls/model/checkpoint.hpp).
#pragma once

#include <memory>

#include "rcls/model/torch_plugin.hpp"

namespace rcls::model {

/// One training run. Not thread-safe.
class Trainer {
public:
    /// Builds the model and optimizer (ModelError for missing weights or a checkpoint that does
    /// not fit, ConfigError for settings the torch side refuses, e.g. device cuda on a CPU-only
    /// libtorch).
    explicit Trainer(TrainerRequest request);
    ~Trainer();
    Trainer(Trainer&&) noexcept;
    Trainer& operator=(Trainer&&) noexcept;

    /// Trains from the start (or the resumed step) to config.steps, writing checkpoints at
    /// save_freq and at the last step. At Ctrl-C it saves a complete checkpoint of the step
    /// reached and returns with `interrupted` set.
    TrainResult run();

private:
    std::unique_ptr<TrainerBackend> backend_;
};

}  // namespace rcls::model
