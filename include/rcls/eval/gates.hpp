// SPDX-License-Identifier: MIT
//
// Quality gates and baseline comparison for `rcls eval` in scripts and CI: `--fail-under
// NAME=VALUE` / `--fail-over NAME=VALUE` on any figure of eval's JSON, named by its key path
// (nested keys joined with dots, e.g. frame_level.accuracy) or by a unique tail of it (accuracy),
// and `--baseline CKPT`, which adds the baseline's figures and the differences (this minus
// baseline) under "baseline" and "delta", so that gates can refuse a regression
// (`--fail-under delta.frame_level.roc_auc=0`).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "rcls/eval/eval.hpp"

namespace rcls::eval {

/// Which side of the bound fails.
enum class GateKind {
    kFailUnder,  ///< Fails when the figure is below the bound (--fail-under).
    kFailOver,   ///< Fails when the figure is above the bound (--fail-over).
};

/// One gate, its figure resolved to a full key path.
struct Gate {
    GateKind kind = GateKind::kFailUnder;
    std::string figure;  ///< Full key path, e.g. "frame_level.accuracy" or "delta.frame_level.f1".
    double bound = 0.0;
    std::string given;  ///< As on the command line ("accuracy=0.95"), for messages.
};

/// A gate that did not hold: the figure's value (nullopt when the figure has no value on these
/// frames, e.g. precision with nothing predicted, which fails every gate).
struct GateFailure {
    Gate gate;
    std::optional<double> value;
};

/// Every figure a gate can name, in the order of eval's JSON: the key paths of its numbers, of
/// its true/false values (as 1/0) and of the figures that may be null, inside objects (lists
/// such as `episodes` and `threshold_sweep` are left out). Does not depend on the data.
const std::vector<std::string>& figure_names();

/// Parses the text of --fail-under / --fail-over, "NAME=VALUE": VALUE a finite number, NAME a
/// figure_names() entry or a unique dot-separated tail of one, optionally prefixed "baseline." or
/// "delta." (only when `with_baseline`). Throws UsageError for a malformed text, a non-finite
/// bound, an unknown or ambiguous figure, or a baseline figure without --baseline.
Gate parse_gate(const std::string& text, GateKind kind, bool with_baseline);

/// Checks `gates` against eval's JSON document (to_json() or to_json_with_baseline()); returns
/// the gates that failed, in the order given.
std::vector<GateFailure> check_gates(const std::vector<Gate>& gates, const std::string& json_text);

/// One line for a failed gate: "frame_level.accuracy = 0.912 is under the bound 0.95
/// (--fail-under accuracy=0.95)".
std::string describe(const GateFailure& failure);

/// to_json(result) with "baseline" (to_json(baseline)) and "delta" (every figure of figure_names()
/// as result minus baseline; null where either is null) added.
std::string to_json_with_baseline(const EvalResult& result, const EvalResult& baseline);

/// The figures of both side by side with their differences, as a table.
std::string comparison_text(const EvalResult& result, const EvalResult& baseline);

}  // namespace rcls::eval
