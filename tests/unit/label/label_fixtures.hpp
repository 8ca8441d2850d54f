// SPDX-License-Identifier: MIT
//
// A dataset shaped like the reference workflow's: 20 episodes whose lengths add up to 1932, and
// success starts (the reference's own table for episodes 0, 5, 10 and 15) that give 869 success
// and 1063 failure frames.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>

#include "rcls/dataset/writer.hpp"

#include "dataset_fixtures.hpp"

namespace rcls::testing {

inline constexpr std::array<std::int64_t, 20> kReferenceLengths{
    150, 88, 92, 97, 101, 84, 95, 99, 90, 93, 96, 89, 102, 94, 91, 98, 87, 100, 93, 93};
inline constexpr std::array<std::int64_t, 20> kReferenceStarts{
    119, 36, 50, 49, 58, 39, 52, 57, 47, 50, 47, 44, 60, 51, 48, 62, 42, 56, 51, 45};

/// The starts as the reference's notes write them (four columns, episodes down the columns).
inline constexpr const char* kReferenceTable =
    "00: 119    05: 39     10: 47     15: 62\n"
    "01: 36     06: 52     11: 44     16: 42\n"
    "02: 50     07: 57     12: 60     17: 56\n"
    "03: 49     08: 47     13: 51     18: 51\n"
    "04: 58     09: 50     14: 48     19: 45\n";

/// Writes the reference-shaped dataset at `root` (no camera; rewards all 0, as recorded before
/// labelling). With `camera`, adds a 64x64 camera encoded as MPEG-4 part 2 (fast).
inline void write_reference_dataset(const std::filesystem::path& root,
                                    bool camera = false,
                                    std::size_t episodes = kReferenceLengths.size()) {
    dataset::DatasetSpec spec = camera ? synthetic_spec_with_camera() : synthetic_spec();
    dataset::WriterOptions options;
    options.durable = false;
    if (camera) {
        video::EncoderSettings mpeg4;
        mpeg4.codec = video::Codec::kMpeg4;
        mpeg4.gop = 2;
        options.video = mpeg4;
    }
    auto writer = dataset::DatasetWriter::create(root, spec, options);
    for (std::size_t e = 0; e < episodes; ++e) {
        for (std::int64_t t = 0; t < kReferenceLengths[e]; ++t) {
            dataset::Frame f = synthetic_frame(static_cast<std::int64_t>(e), t);
            f.values["next.reward"] = {0.0};
            f.values["next.done"] = {0.0};
            if (camera)
                f.images[kSyntheticCamera] = synthetic_image(static_cast<std::int64_t>(e), t);
            writer.add_frame(f);
        }
        writer.save_episode();
    }
}

}  // namespace rcls::testing
