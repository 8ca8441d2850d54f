// SPDX-License-Identifier: MIT
//
// The one place the label module writes into an existing v3.0 dataset: per-episode next.reward
// and next.done handed to the dataset module's crash-safe column rewrite.
#include "rcls/core/error.hpp"
#include "rcls/label/apply.hpp"

namespace rcls::label {

void rewrite_label_columns(const std::filesystem::path& root, const LabelColumns& columns) {
    (void)columns;
    throw DataError(root.string() +
                    ": relabelling a v3.0 dataset in place is not available yet (the dataset "
                    "module's column rewrite is missing)");
}

}  // namespace rcls::label
