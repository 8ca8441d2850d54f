// SPDX-License-Identifier: MIT
//
// The seam between the torch-free Predictor facade and its libtorch implementation. Tests and
// torch code link the implementation directly (backend_direct.cpp); the `rcls` binary loads it
// from the librcls_torch plugin on first use (backend_plugin.cpp), so that commands which never
// touch the model do not pay libtorch's start-up (about half a second of static initialisation).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "rcls/model/classifier_config.hpp"
#include "rcls/model/predictor.hpp"

namespace rcls::model::detail {

/// What a backend is built from: a checkpoint, or a config for an untrained model.
struct PredictorRequest {
    std::filesystem::path checkpoint;  ///< Used when `untrained` is empty.
    std::optional<ClassifierConfig> untrained;
    std::uint64_t seed = 0;
    PredictorOptions options;
};

/// The model behind a Predictor. Implementations throw rcls::Error subclasses.
class PredictorBackend {
public:
    virtual ~PredictorBackend() = default;
    virtual const ClassifierConfig& config() const = 0;
    virtual const std::string& stats_from() const = 0;
    virtual int num_threads() const = 0;
    virtual std::vector<Prediction> run(const std::vector<std::vector<cv::Mat>>& batch) = 0;
};

/// Builds the libtorch backend (predictor_backend.cpp).
std::unique_ptr<PredictorBackend> make_torch_predictor_backend(const PredictorRequest& request);

/// The backend for `request`: direct, or through the plugin, depending on what is linked.
std::unique_ptr<PredictorBackend> create_predictor_backend(const PredictorRequest& request);

/// The plugin's entry point: a C name that dlsym can find.
using CreateBackendFunction = PredictorBackend* (*)(const PredictorRequest&);
inline constexpr const char* kCreateBackendSymbol = "rcls_model_create_predictor_backend";

}  // namespace rcls::model::detail
