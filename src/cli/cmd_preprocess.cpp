// SPDX-License-Identifier: MIT
//
// `rcls preprocess INPUT... --output DIR [--crop center|none|T,L,H,W] [--size N|WxH]
// [--filter lanczos|area|bilinear] [--frames] [--vcodec h264|av1|mpeg4] [--crf N] [--preset P]
// [--gop N] [--jobs N] [--force] [--json]`: crop and resize videos and frames (the workflow lives
// in rcls/preprocess/preprocess.hpp).
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rcls/core/strings.hpp"
#include "rcls/image/pipeline.hpp"
#include "rcls/preprocess/preprocess.hpp"
#include "rcls/video/video_writer.hpp"

#include "command.hpp"

namespace rcls::cli {
namespace {

struct PreprocessCommandOptions {
    std::vector<std::string> inputs;
    std::string output;
    std::string crop = "center";
    std::string size = "128";
    std::string filter = "lanczos";
    bool frames = false;
    std::string vcodec = "h264";
    std::optional<int> crf;
    std::optional<int> gop;
    std::string preset;
    unsigned jobs = 0;
    bool force = false;
    bool json = false;
    bool skip_missing = false;
};

/// The workflow's options from the command line; bad values throw ConfigError (exit 3).
preprocess::PreprocessOptions to_options(const PreprocessCommandOptions& cli) {
    preprocess::PreprocessOptions options;
    options.inputs.assign(cli.inputs.begin(), cli.inputs.end());
    options.output_dir = cli.output;
    options.pipeline.crop = image::parse_crop_option(cli.crop);
    options.pipeline.size = image::parse_size_option(cli.size);
    options.pipeline.filter = image::parse_filter(cli.filter);
    options.encoder = preprocess::default_encoder(video::parse_codec(cli.vcodec));
    if (cli.crf) options.encoder.crf = cli.crf;
    if (cli.gop) options.encoder.gop = cli.gop;
    if (!cli.preset.empty()) options.encoder.preset = cli.preset;
    options.frames = cli.frames;
    options.force = cli.force;
    options.jobs = cli.jobs;
    options.skip_missing = cli.skip_missing;
    return options;
}

int run_preprocess_command(const PreprocessCommandOptions& cli, const GlobalOptions& globals) {
    const preprocess::PreprocessOptions options = to_options(cli);
    if (globals.print_config) {
        std::cout << preprocess::options_json(options).dump(2) << std::endl;
        return 0;
    }
    const preprocess::PreprocessSummary summary = preprocess::run_preprocess(options);
    if (cli.json) {
        std::cout << preprocess::summary_json(summary).dump(2) << std::endl;
    } else {
        std::printf("preprocess: %d processed (%lld frames), %d up to date, in %s; outputs in %s\n",
                    summary.processed, static_cast<long long>(summary.frames), summary.skipped,
                    format_duration(summary.seconds).c_str(),
                    summary.items.size() == 1 && !summary.items.front().outputs.empty() &&
                            options.output_dir.empty()
                        ? summary.items.front().outputs.front().c_str()
                        : options.output_dir.c_str());
    }
    return 0;
}

}  // namespace

void register_preprocess(CLI::App& root, const GlobalOptions& globals, Commands& commands) {
    auto cli = std::make_shared<PreprocessCommandOptions>();
    CLI::App* app = root.add_subcommand(
        "preprocess",
        "Crop and resize videos and frames (default: centre crop, Lanczos to 128x128, as\n"
        "`ffmpeg -vf \"crop=480:480:80:0,scale=128:128:flags=lanczos\"` on 640x480 input)");
    app->add_option("inputs", cli->inputs,
                    "Video files, folders of videos, folders of image frames, or images; or one "
                    "LeRobot dataset folder (v2.1 or v3.0), written as a new v3.0 dataset")
        ->required();
    app->add_option(
        "-o,--output", cli->output,
        "Output folder: processed videos keep their names; a folder of frames becomes a "
        "folder of the same name. For a LeRobot dataset: the new dataset's folder "
        "(default: $HF_LEROBOT_HOME/<user>/<name>_<size>)");
    app->add_option("--crop", cli->crop,
                    "center (largest centred square), none, or TOP,LEFT,HEIGHT,WIDTH in pixels")
        ->capture_default_str();
    app->add_option("--size", cli->size, "Output size: N (N x N), WIDTHxHEIGHT, or none")
        ->capture_default_str();
    app->add_option("--filter", cli->filter,
                    "Resize filter: lanczos (as ffmpeg), area, or bilinear "
                    "(antialiased, as torchvision/LeRobot)")
        ->capture_default_str();
    app->add_flag("--frames", cli->frames,
                  "Also write each video's frames as PNG: OUTPUT/<input name>/frame_000000.png");
    app->add_option("--vcodec", cli->vcodec, "Codec of the processed videos: h264, av1 or mpeg4")
        ->capture_default_str();
    app->add_option("--crf", cli->crf,
                    "Quality, lower is better: h264 0-51 (default 19), av1 0-63 (default 30, as "
                    "LeRobot); mpeg4: quantiser 1-31 (default 4)");
    app->add_option(
        "--gop", cli->gop,
        "Keyframe interval in frames (default: av1 2, as LeRobot; others the encoder's)");
    app->add_option("--preset", cli->preset,
                    "Encoder preset: h264 ultrafast..veryslow (default veryfast; ffmpeg's default "
                    "is medium with --crf 23), av1 0-13 (default 12)");
    app->add_option("-j,--jobs", cli->jobs, "Files processed at once (default: one per core)");
    app->add_flag("--force", cli->force,
                  "Redo outputs that are up to date, and replace files rcls did not make");
    app->add_flag("--skip-missing", cli->skip_missing,
                  "Datasets: leave out episodes whose data or video is missing (with a warning)");
    app->add_flag("--json", cli->json, "Print the summary as JSON");
    commands.push_back(
        {app, [cli, &globals] { return run_preprocess_command(*cli, globals); }, true});
}

}  // namespace rcls::cli
