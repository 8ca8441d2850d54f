// SPDX-License-Identifier: MIT
//
// A small labelled dataset with a camera (synthetic episodes, next.reward from their formula) and
// a random checkpoint for it, for the eval workflow and CLI tests.
#pragma once

#include <filesystem>
#include <string>

#include "checkpoint_fixture.hpp"
#include "dataset_fixtures.hpp"

namespace rcls::testing {

/// Writes synthetic episodes [0, episodes) with 64x64 frames of camera `camera` to `root`; with
/// `labelled` false, without next.reward.
inline void write_eval_dataset(const std::filesystem::path& root,
                               std::int64_t episodes,
                               bool labelled = true,
                               const std::string& camera = kSyntheticCamera) {
    dataset::DatasetSpec spec = synthetic_spec();
    spec.features.push_back(
        dataset::make_feature(camera, "video", {3, 64, 64}, {"channels", "height", "width"}));
    if (!labelled) {
        std::erase_if(spec.features,
                      [](const dataset::Feature& f) { return f.key == "next.reward"; });
    }
    dataset::WriterOptions options;
    video::EncoderSettings settings;
    settings.codec = video::Codec::kH264;
    options.video = settings;
    auto writer = dataset::DatasetWriter::create(root, spec, options);
    for (std::int64_t e = 0; e < episodes; ++e) {
        for (std::int64_t t = 0; t < synthetic_length(e); ++t) {
            dataset::Frame frame = synthetic_frame(e, t);
            if (!labelled) frame.values.erase("next.reward");
            frame.images[camera] = synthetic_image(e, t);
            writer.add_frame(frame);
        }
        writer.save_episode();
    }
}

}  // namespace rcls::testing
