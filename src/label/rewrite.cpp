// SPDX-License-Identifier: MIT
//
// The one place the label module writes into an existing v3.0 dataset: per-episode next.reward
// and next.done handed to the dataset module's crash-safe label rewrite (dataset/labels.hpp).
#include <map>

#include "rcls/dataset/labels.hpp"
#include "rcls/label/apply.hpp"

namespace rcls::label {

void rewrite_label_columns(const std::filesystem::path& root, const LabelColumns& columns) {
    std::map<std::int64_t, dataset::EpisodeLabels> labels;
    for (const auto& [episode, reward] : columns.reward) {
        dataset::EpisodeLabels& out = labels[episode];
        out.reward = reward;
        const std::vector<bool>& done = columns.done.at(episode);
        out.done.reserve(done.size());
        for (const bool d : done)
            out.done.push_back(d ? 1 : 0);
    }
    dataset::rewrite_labels(root, labels);
}

}  // namespace rcls::label
