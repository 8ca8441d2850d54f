// SPDX-License-Identifier: MIT
#include "rcls/dataset/samples.hpp"

#include <algorithm>

#include "rcls/core/error.hpp"

namespace rcls::dataset {

Samples::Samples(const Dataset& dataset, SampleOptions options)
    : dataset_(dataset), options_(std::move(options)) {
    const DatasetInfo& info = dataset_.info();
    if (options_.images) {
        camera_ = options_.camera;
        const std::vector<std::string> cameras = info.video_keys();
        if (camera_.empty() && !cameras.empty()) camera_ = cameras.front();
        if (!camera_.empty() &&
            std::find(cameras.begin(), cameras.end(), camera_) == cameras.end()) {
            throw DataError(dataset_.root().string() + ": \"" + camera_ +
                            "\" is not a camera of this dataset");
        }
    }
    if (const Feature* f = info.feature("next.reward"); f != nullptr && !f->is_visual()) {
        has_labels_ = true;
    }
    if (const Feature* f = info.feature("observation.state"); f != nullptr && !f->is_visual()) {
        has_state_ = true;
        state_size_ = static_cast<std::size_t>(f->size());
    }
    episodes_ = options_.episodes;
    if (episodes_.empty()) {
        for (const EpisodeMeta& m : dataset_.meta().episodes)
            episodes_.push_back(m.episode_index);
    }
    for (const std::int64_t e : episodes_) {
        starts_.push_back(total_);
        lengths_.push_back(dataset_.episode(e).length);  // throws for a missing episode
        total_ += lengths_.back();
    }
    if (!camera_.empty()) frames_.emplace(dataset_, options_.order, options_.decoder_threads);
}

const Samples::EpisodeRows& Samples::rows(std::int64_t episode_index) {
    const auto found = rows_.find(episode_index);
    if (found != rows_.end()) return found->second;
    const parquet::Table t = dataset_.read_episode(episode_index);
    EpisodeRows r;
    const auto n = static_cast<std::size_t>(t.num_rows);
    const parquet::Column* index = t.find("index");
    const parquet::Column* timestamp = t.find("timestamp");
    const parquet::Column* state = has_state_ ? t.find("observation.state") : nullptr;
    const parquet::Column* label = has_labels_ ? t.find("next.reward") : nullptr;
    const std::string where =
        dataset_.root().string() + ": episode " + std::to_string(episode_index) + ": column ";
    if (index == nullptr || timestamp == nullptr)
        throw DataError(where + "index or timestamp missing");
    if (has_state_ && state == nullptr) throw DataError(where + "\"observation.state\" missing");
    if (has_labels_ && label == nullptr) throw DataError(where + "\"next.reward\" missing");
    for (std::size_t i = 0; i < n; ++i) {
        r.index.push_back(index->integer(i));
        r.timestamp.push_back(timestamp->number(i));
        if (state != nullptr) {
            const std::vector<double> v = state->numbers(i);
            if (v.size() != state_size_) {
                throw DataError(where + "\"observation.state\" has " + std::to_string(v.size()) +
                                " values in frame " + std::to_string(i) + ", expected " +
                                std::to_string(state_size_));
            }
            r.state.insert(r.state.end(), v.begin(), v.end());
        }
        if (label != nullptr) r.label.push_back(static_cast<float>(label->number(i)));
    }
    return rows_.emplace(episode_index, std::move(r)).first->second;
}

Sample Samples::make(std::int64_t episode_index, std::int64_t frame_index, std::int64_t length) {
    const EpisodeRows& r = rows(episode_index);
    const auto t = static_cast<std::size_t>(frame_index);
    if (frame_index < 0 || frame_index >= length || t >= r.index.size()) {
        throw DataError(dataset_.root().string() + ": episode " + std::to_string(episode_index) +
                        " has no frame " + std::to_string(frame_index));
    }
    Sample s;
    s.index = r.index[t];
    s.episode_index = episode_index;
    s.frame_index = frame_index;
    s.timestamp = r.timestamp[t];
    if (has_state_) {
        s.state.assign(r.state.begin() + static_cast<std::ptrdiff_t>(t * state_size_),
                       r.state.begin() + static_cast<std::ptrdiff_t>((t + 1) * state_size_));
    }
    if (has_labels_) s.label = r.label[t];
    if (frames_) s.image = frames_->frame(episode_index, camera_, frame_index);
    return s;
}

Sample Samples::at(std::int64_t i) {
    if (i < 0 || i >= total_) {
        throw UsageError("sample " + std::to_string(i) + " is out of range (there are " +
                         std::to_string(total_) + ")");
    }
    const auto it = std::upper_bound(starts_.begin(), starts_.end(), i);
    const auto k = static_cast<std::size_t>(it - starts_.begin() - 1);
    return make(episodes_[k], i - starts_[k], lengths_[k]);
}

Sample Samples::get(std::int64_t episode_index, std::int64_t frame_index) {
    const auto it = std::find(episodes_.begin(), episodes_.end(), episode_index);
    if (it == episodes_.end()) {
        throw DataError(dataset_.root().string() + ": episode " + std::to_string(episode_index) +
                        " is not among the chosen episodes");
    }
    const auto k = static_cast<std::size_t>(it - episodes_.begin());
    return make(episode_index, frame_index, lengths_[k]);
}

}  // namespace rcls::dataset
