// SPDX-License-Identifier: MIT
#include "rcls/dataset/writer.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/dataset/episode_plan.hpp"
#include "rcls/dataset/labels.hpp"
#include "rcls/dataset/layout.hpp"
#include "rcls/dataset/lock.hpp"
#include "rcls/dataset/stats.hpp"
#include "rcls/parquet/reader.hpp"
#include "rcls/parquet/writer.hpp"
#include "rcls/video/concat.hpp"

#include "encoder_worker.hpp"
#include "tables.hpp"
#include "writer_state.hpp"

namespace rcls::dataset {
namespace fs = std::filesystem;
using parquet::Column;
using parquet::Table;
using parquet::ValueType;
using namespace tables;

namespace {

/// Replaces one file (repairs and create()), through the staging folder.
void replace_file(const fs::path& root,
                  const fs::path& target,
                  std::string_view bytes,
                  const WriterOptions& options,
                  bool traced = true) {
    StagedFiles files = staged(root, options, traced);
    files.add(target, bytes);
    files.commit();
}

void check_queue_option(const WriterOptions& options) {
    if (options.encode_queue_frames < kMinEncodeQueueFrames ||
        options.encode_queue_frames > kMaxEncodeQueueFrames) {
        throw ConfigError("WriterOptions.encode_queue_frames is " +
                          std::to_string(options.encode_queue_frames) + "; use " +
                          std::to_string(kMinEncodeQueueFrames) + " to " +
                          std::to_string(kMaxEncodeQueueFrames));
    }
}

}  // namespace

StagedFiles staged(const fs::path& root, const WriterOptions& options, bool traced) {
    StagedFiles::Options o;
    o.staging_dir = root / kStagingDir;
    o.durable = options.durable;
    if (traced) o.on_step = options.on_step;
    return StagedFiles(std::move(o));
}

Feature make_feature(std::string key,
                     std::string dtype,
                     std::vector<std::int64_t> shape,
                     std::vector<std::string> names) {
    Feature f;
    f.key = std::move(key);
    f.dtype = std::move(dtype);
    f.shape = std::move(shape);
    f.names = std::move(names);
    f.names_json = f.names.empty() ? "null" : nlohmann::json(f.names).dump();
    return f;
}

std::vector<Feature> so101_reward_features() {
    const std::vector<std::string> joints{"shoulder_pan.pos", "shoulder_lift.pos", "elbow_flex.pos",
                                          "wrist_flex.pos",   "wrist_roll.pos",    "gripper.pos"};
    return {make_feature("observation.state", "float32", {6}, joints),
            make_feature("action", "float32", {6}, joints),
            make_feature("next.reward", "float32", {1}), make_feature("next.done", "bool", {1})};
}

namespace {

void remove_file(const fs::path& path, const WriterOptions& options) {
    if (options.on_step) options.on_step("remove");
    std::error_code error;
    fs::remove(path, error);
    if (error) throw DataError(path.string() + ": cannot remove: " + error.message());
    spdlog::info("{}: removed (left by an interrupted write)", path.string());
}

/// Rows [0, rows) of `table` when it has more; returns whether it trimmed.
bool trim_rows(Table& table, std::int64_t rows) {
    if (table.num_rows <= rows) return false;
    table = table.slice(0, static_cast<std::size_t>(rows));
    return true;
}

/// How many leading rows of `table` belong to episodes below `committed`.
std::int64_t committed_rows(const Table& table, std::int64_t committed, const fs::path& path) {
    const Column* episodes = table.find("episode_index");
    if (episodes == nullptr) throw DataError(path.string() + ": column \"episode_index\" missing");
    std::int64_t n = 0;
    while (n < table.num_rows && episodes->integer(static_cast<std::size_t>(n)) < committed) {
        ++n;
    }
    return n;
}

}  // namespace

void DatasetWriter::State::repair() {
    CommittedState& c = committed;
    Metadata& meta = c.meta;
    const fs::path& root = meta.root;
    WriterOptions quiet;  // repairs are not fault-injection points
    quiet.durable = options.durable;
    std::error_code error;
    fs::remove_all(root / kStagingDir, error);
    const std::int64_t total = meta.info.total_episodes;

    // Episode metadata: positions and statistics of the committed episodes; trim the rest.
    c.episode_stats.assign(meta.episodes.size(), {});
    c.episode_meta_file.assign(meta.episodes.size(), ChunkFile{});
    bool rewrite_meta = false;
    for (const auto& [at, path] : chunk_files(root / "meta/episodes", ".parquet")) {
        const Table t = parquet::read_table(path);
        const std::int64_t keep = committed_rows(t, total, path);
        if (keep == 0) {
            remove_file(path, quiet);
            continue;
        }
        rewrite_meta |= keep < t.num_rows;
        for (std::size_t r = 0; r < static_cast<std::size_t>(keep); ++r) {
            const auto e = static_cast<std::size_t>(t.column("episode_index").integer(r));
            if (e >= meta.episodes.size()) continue;
            c.episode_meta_file[e] = at;
            c.episode_stats[e] = read_episode_stats(t, r, meta.info);
        }
        c.meta_at = at;
        c.meta_bytes = static_cast<std::size_t>(fs::file_size(path, error));
    }
    if (rewrite_meta) {
        const std::string bytes = parquet::encode_table(c.episodes_table(c.meta_at));
        replace_file(root, c.episodes_path(c.meta_at), bytes, quiet);
        c.meta_bytes = bytes.size();
        spdlog::info("{}: dropped episode metadata of an interrupted write", root.string());
    }

    // Data: keep the committed rows of the last file in use; later files are leftovers.
    c.data_at = meta.episodes.empty() ? ChunkFile{}
                                      : ChunkFile{meta.episodes.back().data_chunk_index,
                                                  meta.episodes.back().data_file_index};
    for (const auto& [at, path] : chunk_files(root / "data", ".parquet")) {
        if (meta.episodes.empty() || before(c.data_at, at)) remove_file(path, quiet);
    }
    if (!meta.episodes.empty()) {
        const fs::path path = c.data_path(c.data_at);
        c.data_table = parquet::read_table(path);
        if (trim_rows(c.data_table, committed_rows(c.data_table, total, path))) {
            const std::string bytes = parquet::encode_table(c.data_table);
            replace_file(root, path, bytes, quiet);
            spdlog::info("{}: dropped rows of an interrupted write", path.string());
        }
        c.data_bytes = static_cast<std::size_t>(fs::file_size(path, error));
    }

    // Videos: per camera, trim the file of the last committed episode, delete later files.
    for (const std::string& key : meta.info.video_keys()) {
        const fs::path dir = root / "videos" / key;
        if (meta.episodes.empty()) {
            for (const auto& [at, path] : chunk_files(dir, ".mp4")) {
                remove_file(path, quiet);
            }
            continue;
        }
        const EpisodeMeta& last = meta.episodes.back();
        const auto ref = last.videos.find(key);
        if (ref == last.videos.end()) {
            throw DataError(root.string() + ": episode " + std::to_string(last.episode_index) +
                            " has no video reference for \"" + key + "\"");
        }
        const ChunkFile at{ref->second.chunk_index, ref->second.file_index};
        for (const auto& [other, path] : chunk_files(dir, ".mp4")) {
            if (before(at, other)) remove_file(path, quiet);
        }
        const fs::path path = c.video_path(key, at);
        const video::VideoProbe probe = video::probe_video(path);
        const double frame_s = probe.fps > 0.0 ? 1.0 / probe.fps : 0.0;
        if (probe.end_s > ref->second.to_timestamp + 0.5 * frame_s) {
            StagedFiles files = staged(root, quiet);
            video::concatenate_videos({{path, ref->second.to_timestamp}}, files.add_produced(path));
            files.commit();
            spdlog::info("{}: dropped frames of an interrupted write", path.string());
        }
        c.videos[key] = {at, static_cast<std::size_t>(fs::file_size(path, error))};
    }

    // Tasks added by an uncommitted episode, and statistics that counted it.
    if (static_cast<std::int64_t>(meta.tasks.size()) > meta.info.total_tasks) {
        meta.tasks.resize(static_cast<std::size_t>(meta.info.total_tasks));
        replace_file(root, root / "meta/tasks.parquet", parquet::encode_table(c.tasks_table()),
                     quiet);
    }
    if (!meta.episodes.empty()) {
        const std::string stats = stats_json(meta.info, c.dataset_stats());
        if (stats != meta.stats_json) {
            replace_file(root, root / "meta/stats.json", stats, quiet);
            meta.stats_json = stats;
        }
    }
}

DatasetWriter::DatasetWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
DatasetWriter::DatasetWriter(DatasetWriter&&) noexcept = default;
DatasetWriter& DatasetWriter::operator=(DatasetWriter&&) noexcept = default;
DatasetWriter::~DatasetWriter() = default;

namespace {

/// Throws unless `root` is missing, empty, or holds only what a create() killed before its
/// first commit left (the staging folder, an empty meta/, the lock file).
void check_new_root(const fs::path& root) {
    std::error_code error;
    if (!fs::exists(root, error)) return;
    for (const auto& entry : fs::directory_iterator(root, error)) {
        const std::string name = entry.path().filename().string();
        const bool leftover = name == kStagingDir || name == kLockFileName ||
                              (name == "meta" && fs::is_empty(entry.path(), error));
        if (!leftover) {
            throw DataError(root.string() +
                            ": already exists and is not empty; choose a new "
                            "dataset folder or append to it");
        }
    }
}

}  // namespace

DatasetWriter DatasetWriter::create(const fs::path& root,
                                    const DatasetSpec& spec,
                                    WriterOptions options) {
    check_queue_option(options);
    check_new_root(root);
    auto state = std::make_unique<State>();
    state->options = std::move(options);
    state->encoder = state->options.video.value_or(video::lerobot_encoder_settings());
    state->committed = new_dataset_state(root, spec);
    const DatasetInfo& info = state->committed.meta.info;
    std::error_code error;
    fs::create_directories(root / "meta", error);
    if (error) throw DataError(root.string() + ": cannot create folder: " + error.message());
    state->lock = DatasetLock::acquire(root, "writing");
    check_new_root(root);  // again, now that no other writer can be at work
    fs::remove_all(root / kStagingDir, error);
    replace_file(root, root / "meta/info.json", dump_info(info), state->options);
    return DatasetWriter(std::move(state));
}

DatasetWriter DatasetWriter::open(const fs::path& root, WriterOptions options) {
    check_queue_option(options);
    auto state = std::make_unique<State>();
    state->options = std::move(options);
    Metadata& meta = state->committed.meta;
    meta = load_metadata(root);
    if (!meta.info.is_v3()) {
        throw DataError(root.string() + ": a " + meta.info.codebase_version +
                        " dataset; rcls appends only to v3.0 datasets (write a new one)");
    }
    state->lock = DatasetLock::acquire(root, "writing");
    finish_label_rewrite(root, state->options.durable);
    meta = load_metadata(root);  // as committed by the last writer, now that it is gone
    state->encoder = video::lerobot_encoder_settings();
    for (const Feature& f : meta.info.features) {
        if (f.video && !f.video->codec.empty() && f.video->codec != "av1") {
            state->encoder.codec = video::parse_codec(f.video->codec);
            state->encoder.crf.reset();
            break;
        }
    }
    if (state->options.video) state->encoder = *state->options.video;
    for (const Feature* f : tabular_features(meta.info)) {
        if (!value_type_of(f->dtype)) {
            throw DataError(root.string() + ": feature \"" + f->key + "\" has dtype \"" + f->dtype +
                            "\", which rcls cannot append");
        }
    }
    state->committed.data_table = empty_data_table(meta.info);
    state->repair();
    return DatasetWriter(std::move(state));
}

void DatasetWriter::add_frame(const Frame& frame) {
    State& s = *state_;
    const Metadata& meta = s.meta();
    for (const auto& [key, worker] : s.encoders)
        worker->check();  // a failure surfaces here
    const std::string where = "frame " + std::to_string(s.buffer.size()) + " of episode " +
                              std::to_string(meta.info.total_episodes);
    for (const Feature* f : tabular_features(meta.info)) {
        if (is_default_feature(f->key)) continue;
        const auto it = frame.values.find(f->key);
        if (it == frame.values.end()) {
            throw DataError(where + ": feature \"" + f->key + "\" missing");
        }
        if (static_cast<std::int64_t>(it->second.size()) != f->size()) {
            throw DataError(where + ": feature \"" + f->key + "\" has " +
                            std::to_string(it->second.size()) + " values, expected " +
                            std::to_string(f->size()));
        }
    }
    for (const auto& [key, values] : frame.values) {
        const Feature* f = meta.info.feature(key);
        if (f == nullptr || f->is_visual() || is_default_feature(key)) {
            throw DataError(where + ": \"" + key + "\" is not a feature of this dataset");
        }
    }
    for (const auto& [key, image] : frame.images) {
        const Feature* f = meta.info.feature(key);
        if (f == nullptr || f->dtype != "video") {
            throw DataError(where + ": \"" + key + "\" is not a video feature of this dataset");
        }
        int height = 0, width = 0, channels = 0;
        f->image_size(height, width, channels);
        if (image.rows != height || image.cols != width || image.type() != CV_8UC3) {
            throw DataError(where + ": image of \"" + key + "\" is " + std::to_string(image.cols) +
                            "x" + std::to_string(image.rows) + " with " +
                            std::to_string(image.channels()) + " channels, the feature is " +
                            std::to_string(width) + "x" + std::to_string(height) + " 8-bit RGB");
        }
    }
    for (const std::string& key : meta.info.video_keys()) {
        const bool encoding = s.encoders.count(key) > 0;
        const bool given = frame.images.count(key) > 0;
        if (encoding != given && !(s.buffer.empty() && given)) {
            throw DataError(where + ": image of \"" + key +
                            "\" missing (every frame of an "
                            "episode needs one once its first has)");
        }
    }
    for (const auto& [key, image] : frame.images) {
        auto& worker = s.encoders[key];
        if (!worker) {
            EncoderWorker::Factory open = [path = episode_video_path(key), width = image.cols,
                                           height = image.rows, fps = meta.info.fps,
                                           settings = s.encoder] {
                return std::make_unique<video::VideoWriter>(path, width, height, fps,
                                                            image::ChannelOrder::kRgb, settings);
            };
            worker = std::make_unique<EncoderWorker>(
                std::move(open), static_cast<std::size_t>(s.options.encode_queue_frames),
                "episode " + std::to_string(meta.info.total_episodes) + ", camera " + key);
        }
        // The worker owns a copy: the caller may reuse its image buffer at once.
        worker->push(image.clone());
    }
    Frame values_only;
    values_only.values = frame.values;
    values_only.task = frame.task;
    values_only.timestamp = frame.timestamp;
    s.buffer.push_back(std::move(values_only));
}

void DatasetWriter::clear_episode() {
    state_->buffer.clear();
    state_->drop_episode_videos();
}

std::int64_t DatasetWriter::buffered_frames() const {
    return static_cast<std::int64_t>(state_->buffer.size());
}

const Metadata& DatasetWriter::meta() const {
    return state_->meta();
}

fs::path DatasetWriter::episode_video_path(const std::string& video_key) const {
    const Feature* f = state_->meta().info.feature(video_key);
    if (f == nullptr || f->dtype != "video") {
        throw DataError(state_->meta().root.string() + ": \"" + video_key +
                        "\" is not a video feature");
    }
    std::error_code error;
    fs::create_directories(state_->meta().root / kStagingDir, error);
    return state_->episode_video(video_key);
}

std::int64_t DatasetWriter::save_episode() {
    State& s = *state_;
    const Metadata& meta = s.meta();
    const std::int64_t episode_index = meta.info.total_episodes;
    if (s.buffer.empty()) throw DataError(meta.root.string() + ": no frames to save");

    // Gather what the plan needs: the images encoded while they came (wait for each camera's
    // worker to finish its file), and every camera's episode video as it is on disk.
    EpisodeInput input;
    input.frames = s.buffer;
    auto workers = std::move(s.encoders);
    s.encoders.clear();
    for (auto& [key, worker] : workers) {
        input.image_stats[key] = worker->finish();
    }
    workers.clear();
    for (const std::string& key : meta.info.video_keys()) {
        const fs::path path = s.episode_video(key);
        std::error_code error;
        if (!fs::exists(path, error)) {
            throw DataError("episode " + std::to_string(episode_index) + ": video of \"" + key +
                            "\" missing at " + path.string() +
                            " (encode the episode's frames there before saving it)");
        }
        EpisodeVideo& video = input.videos[key];
        video.path = path;
        video.bytes = static_cast<std::size_t>(fs::file_size(path, error));
        video.probe = video::probe_video(path);
    }
    EpisodePlan plan = plan_episode(s.committed, input);

    // Stage every file, then rename them in the plan's order: info.json last, the commit.
    StagedFiles files = staged(meta.root, s.options);
    files.add(plan.data.target, plan.data.bytes);
    std::map<std::string, JoinedVideo> joined;
    for (const PlannedVideo& v : plan.videos) {
        const fs::path temp = files.add_produced(v.target);
        joined[v.key].start_s = video::concatenate_videos(v.segments, temp).back().start_s;
        std::error_code error;
        joined[v.key].bytes = static_cast<std::size_t>(fs::file_size(temp, error));
    }
    plan_metadata(plan, joined);
    for (const PlannedFile& f : plan.metadata)
        files.add(f.target, f.bytes);
    files.commit();

    // Committed.
    s.committed = std::move(plan.next);
    s.buffer.clear();
    s.drop_episode_videos();
    std::error_code error;
    fs::remove(meta.root / kStagingDir, error);  // only when empty: a finished dataset has none
    return episode_index;
}

}  // namespace rcls::dataset
