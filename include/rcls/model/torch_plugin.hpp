// SPDX-License-Identifier: MIT
//
// The torch-free facade of rcls's libtorch code: what the torch side implements and the versioned
// function table through which it hands that out. Code without torch (the `rcls` binary, the
// workflows) includes this header and the facade classes over it (Predictor in predictor.hpp),
// never classifier.hpp.
//
// Where the torch side lives:
//   - the `rcls` binary links librcls.so (every non-torch module) and loads librcls_torch.so (the
//     torch code, linking the same librcls.so) the first time torch_plugin() is called, so that
//     commands which never run the model do not pay libtorch's half-second start-up;
//   - programs that link rcls::model (tests, benchmarks) have the torch side in-process.
// Either way one copy of rcls's process-wide state exists: the Ctrl-C flag (core/interrupt), the
// event sink (core/events), the logger and crash-safe file naming are the host's, so code in the
// plugin stops at Ctrl-C, reports progress and logs like any other code. The plugin checks this
// when it is loaded (TorchHost) and refuses to load otherwise.
//
// Adding a torch workflow (a Trainer, an Evaluator): an abstract backend interface and its request
// here, one entry appended to TorchPlugin (create_<name>), its torch implementation in src/model or
// its own torch module, and a torch-free facade class over the backend in its own header, as
// Predictor is over PredictorBackend. Appending an entry changes kTorchPluginAbi.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "rcls/core/events.hpp"
#include "rcls/model/classifier_config.hpp"
#include "rcls/model/predictor.hpp"

namespace rcls::model {

// ---- Predictor ----------------------------------------------------------------------------------

/// What a Predictor is built from: a checkpoint, or a config for an untrained model.
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
    /// Scores `batch` (moments of one frame per camera); see Predictor::predict_batch.
    virtual std::vector<Prediction> run(const std::vector<std::vector<cv::Mat>>& batch) = 0;
};

// ---- the function table -------------------------------------------------------------------------

/// The version of TorchHost and TorchPlugin; both sides must agree.
inline constexpr std::uint32_t kTorchPluginAbi = 1;

/// What the torch side offers. Entries are only ever appended.
struct TorchPlugin {
    std::uint32_t abi = kTorchPluginAbi;
    /// A Predictor's model. Throws ModelError for a bad checkpoint.
    std::unique_ptr<PredictorBackend> (*create_predictor)(const PredictorRequest& request) =
        nullptr;
};

/// What the host tells the plugin when loading it: its ABI and rcls version, and the identity of
/// its process-wide state, which the plugin compares with its own to prove they are one.
struct TorchHost {
    std::uint32_t abi = kTorchPluginAbi;
    const char* version = nullptr;  ///< rcls::kVersion.
    bool (*interrupted)() noexcept = nullptr;
    EventSink& (*event_sink)() = nullptr;
};

/// The plugin's C entry point: the table, or null with `*error` set to why it cannot serve this
/// host. The loader looks it up with dlsym.
using TorchPluginEntry = const TorchPlugin* (*)(const TorchHost* host, const char** error);
inline constexpr const char* kTorchPluginEntry = "rcls_torch_plugin";

/// The torch side for this process: the in-process table when rcls::model is linked, otherwise
/// the plugin's, loaded on the first call (ModelError naming where it looked when it is missing,
/// cannot be loaded, or does not match this rcls). Thread-safe.
const TorchPlugin& torch_plugin();

/// The TorchHost that describes this process.
TorchHost this_torch_host();

}  // namespace rcls::model
