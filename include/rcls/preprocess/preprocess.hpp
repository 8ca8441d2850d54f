// SPDX-License-Identifier: MIT
//
// The workflow behind `rcls preprocess`: crop and resize every frame of videos, folders of videos
// and folders of image frames with the image pipeline, writing processed videos (and optionally PNG
// frames) under the same names in an output folder.
//
// Guarantees:
// - Inputs are processed in parallel, one file per worker; progress goes to a bar or log lines.
// - Every output appears under its final name only when complete (temporary names, then rename),
//   so Ctrl-C or a crash leaves finished outputs intact and no half-written ones.
// - The output folder's manifest (kManifestName) records, for every finished output, the input it
//   came from (path, size, modification time) and the settings that made it. A rerun skips outputs
//   that are up to date, redoes those whose input or settings changed, and refuses to overwrite
//   files it did not make unless `force` is set.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rcls/image/pipeline.hpp"
#include "rcls/video/video_writer.hpp"

namespace rcls::preprocess {

/// The manifest file written into every output folder.
inline constexpr const char* kManifestName = "rcls_preprocess.json";

/// The encoder settings `rcls preprocess` uses for `codec` unless told otherwise:
/// - h264: x264 preset veryfast, crf 19. On 128x128 camera footage this gives the quality of
///   x264's own defaults (preset medium, crf 23: what `ffmpeg -i in.mp4 out.mp4` writes) or better
///   (45.4 vs 44.9 dB PSNR against the uncompressed frames) in about a third of the encoding time,
///   for files about 1.3x larger. `--preset medium --crf 23` gives ffmpeg's settings exactly.
/// - av1: LeRobot's dataset settings (lerobot_encoder_settings()).
/// - mpeg4: quantiser 4.
video::EncoderSettings default_encoder(video::Codec codec);

/// Everything `rcls preprocess` needs.
struct PreprocessOptions {
    std::vector<std::filesystem::path> inputs;  ///< Videos, folders of videos, folders of frames.
    std::filesystem::path output_dir;
    image::Pipeline pipeline;  ///< Crop and resize (default: centre crop, Lanczos 128x128).
    /// How processed videos are encoded (default: default_encoder(video::Codec::kH264)).
    video::EncoderSettings encoder = default_encoder(video::Codec::kH264);
    bool frames = false;  ///< Also write PNG frames to <output>/<stem>/frame_000000.png.
    bool force = false;   ///< Redo finished outputs and replace files rcls did not make.
    unsigned jobs = 0;    ///< Files processed at once; 0: one per core.
    /// Datasets: skip episodes whose data or video is missing or damaged (with a warning)
    /// instead of failing.
    bool skip_missing = false;
};

/// What an input is.
enum class InputKind {
    kVideo,   ///< A video file: processed into a video of the same name.
    kFrames,  ///< A folder of image frames: processed into a folder of the same name.
    kImage,   ///< One image file: processed into an image of the same name.
};

/// One unit of work: an input and the name its output takes in the output folder.
struct WorkItem {
    InputKind kind = InputKind::kVideo;
    std::filesystem::path input;
    std::string name;                                ///< Output file or folder name.
    std::vector<std::filesystem::path> frame_files;  ///< kFrames: the images, sorted by name.
};

/// Expands `inputs` into work items: video and image files as they are, folders into their videos
/// (or, when a folder holds no videos, into one item of its image frames). Throws DataError for a
/// missing input or a folder with neither, and UsageError when two inputs would write the same
/// output name.
std::vector<WorkItem> collect_work(const std::vector<std::filesystem::path>& inputs);

/// The outcome of one work item.
struct ItemResult {
    std::filesystem::path input;
    std::vector<std::filesystem::path> outputs;  ///< Files and folders written (or up to date).
    std::int64_t frames = 0;
    bool skipped = false;  ///< Already up to date.
};

/// The outcome of a whole run.
struct PreprocessSummary {
    std::vector<ItemResult> items;  ///< In input order; failed items are not listed.
    std::int64_t frames = 0;        ///< Frames processed (not counting skipped items).
    int processed = 0;
    int skipped = 0;
    double seconds = 0.0;
};

/// Runs the job. With one input, its error is thrown as is. With several, each failure is logged
/// (one error line) while the others go on, then a summary error carrying the first failure's
/// exit code is thrown.
/// On Ctrl-C it stops starting items, abandons the ones in progress (no partial outputs) and
/// throws InterruptedError.
PreprocessSummary run_preprocess(const PreprocessOptions& options);

/// The file a processed dataset's meta/ folder records its source and pipeline in.
inline constexpr const char* kDatasetRecordName = "meta/rcls_preprocess.json";

/// Where a processed dataset goes by default: $HF_LEROBOT_HOME/<user>/<name>_<size>, <user>/<name>
/// being the source's last two folders (its repo id), e.g. /shared/me/cubes ->
/// ~/.cache/huggingface/lerobot/me/cubes_128 (repo id me/cubes_128); never beside a source that
/// may be read-only.
std::filesystem::path default_dataset_output(const std::filesystem::path& root,
                                             const image::Pipeline& pipeline);

/// Processes the LeRobot dataset at `root` (v2.1 or v3.0) into a new v3.0 dataset at
/// options.output_dir: every camera's frames cropped and resized by options.pipeline and encoded
/// with options.encoder, every other column copied (timestamps and tasks included), and the
/// source and pipeline recorded in kDatasetRecordName. With options.frames, the first camera's
/// processed frames also go to <output>/frames_<size>/episode_<index>/frame_000000.png. Written
/// through DatasetWriter (crash-safe); rerunning continues after the episodes already committed.
/// Throws DataError naming the episode and file for missing or damaged input (unless
/// options.skip_missing), and for an output made from something else (unless options.force).
PreprocessSummary preprocess_dataset(const std::filesystem::path& root,
                                     const PreprocessOptions& options);

/// The settings that determine the outputs' content, as recorded in the manifest.
nlohmann::json output_settings_json(const PreprocessOptions& options);

/// All effective options (inputs, output, settings, jobs, force), for --print-config.
nlohmann::json options_json(const PreprocessOptions& options);

/// The summary as JSON, for --json.
nlohmann::json summary_json(const PreprocessSummary& summary);

}  // namespace rcls::preprocess
