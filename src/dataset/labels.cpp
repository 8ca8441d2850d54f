// SPDX-License-Identifier: MIT
#include "rcls/dataset/labels.hpp"

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"
#include "rcls/parquet/reader.hpp"
#include "rcls/parquet/writer.hpp"

#include "tables.hpp"
#include "writer_state.hpp"

namespace rcls::dataset {
namespace fs = std::filesystem;
using parquet::Column;
using parquet::Table;
using parquet::ValueType;
using namespace tables;

namespace {

constexpr const char* kReward = "next.reward";
constexpr const char* kDone = "next.done";

/// `info` with the label features, added before the default features when missing. Throws
/// DataError when the dataset has them with another dtype or shape.
DatasetInfo with_label_features(DatasetInfo info, const fs::path& root) {
    for (const auto& [key, dtype] : {std::pair{kReward, "float32"}, std::pair{kDone, "bool"}}) {
        if (const Feature* f = info.feature(key)) {
            if (f->dtype != dtype || f->size() != 1) {
                throw DataError(root.string() + ": feature \"" + key + "\" is " + f->dtype +
                                " of " + std::to_string(f->size()) +
                                " values; labels need a scalar " + dtype);
            }
            continue;
        }
        const auto at = std::find_if(info.features.begin(), info.features.end(),
                                     [](const Feature& f) { return is_default_feature(f.key); });
        info.features.insert(at, make_feature(key, dtype, {1}));
    }
    return info;
}

/// Column `key` of `old` (rows of several episodes) with the labels of `labels`' episodes.
Column relabel(const Table& old,
               const std::string& key,
               const std::map<std::int64_t, EpisodeLabels>& labels,
               const fs::path& path) {
    const bool reward = key == kReward;
    Column c = empty_column(key, reward ? ValueType::kFloat : ValueType::kBool, false, 0);
    const Column* before = old.find(key);
    const Column& episodes = old.column("episode_index");
    const Column& frames = old.column("frame_index");
    for (std::size_t r = 0; r < static_cast<std::size_t>(old.num_rows); ++r) {
        const std::int64_t e = episodes.integer(r);
        const auto it = labels.find(e);
        if (it == labels.end()) {
            if (before == nullptr) {
                throw DataError(path.string() + ": episode " + std::to_string(e) + " has no \"" +
                                key + "\" and no new labels");
            }
            c.append_rows(*before, r, r + 1);
            continue;
        }
        const auto t = static_cast<std::size_t>(frames.integer(r));
        if (reward) {
            std::get<std::vector<float>>(c.values).push_back(it->second.reward.at(t));
        } else {
            std::get<std::vector<std::uint8_t>>(c.values).push_back(
                static_cast<std::uint8_t>(it->second.done.at(t) != 0 ? 1 : 0));
        }
    }
    return c;
}

}  // namespace

fs::path label_journal_path(const fs::path& root) {
    return root / kStagingDir / "labels.journal";
}

bool finish_label_rewrite(const fs::path& root, bool durable) {
    const bool finished = StagedFiles::finish_journal(label_journal_path(root), durable);
    if (finished) spdlog::info("{}: completed an interrupted label rewrite", root.string());
    return finished;
}

void rewrite_labels(const fs::path& root,
                    const std::map<std::int64_t, EpisodeLabels>& labels,
                    WriterOptions options) {
    DatasetWriter writer = DatasetWriter::open(root, options);
    CommittedState& c = writer.state_->committed;
    const DatasetInfo info = with_label_features(c.meta.info, root);
    const bool added = info.features.size() != c.meta.info.features.size();

    // Every labelled episode exists and gets one value per frame.
    for (const auto& [e, l] : labels) {
        const EpisodeMeta* m = c.meta.find_episode(e);
        if (m == nullptr || e >= c.meta.info.total_episodes) {
            throw DataError(root.string() + ": episode " + std::to_string(e) +
                            " does not exist; the dataset has " +
                            std::to_string(c.meta.info.total_episodes));
        }
        if (static_cast<std::int64_t>(l.reward.size()) != m->length ||
            static_cast<std::int64_t>(l.done.size()) != m->length) {
            throw DataError(root.string() + ": episode " + std::to_string(e) + " has " +
                            std::to_string(m->length) + " frames, its labels " +
                            std::to_string(l.reward.size()) + " rewards and " +
                            std::to_string(l.done.size()) + " done flags");
        }
    }
    if (added) {
        for (const EpisodeMeta& m : c.meta.episodes) {
            if (labels.count(m.episode_index) == 0) {
                throw DataError(root.string() + ": the dataset has no labels yet; episode " +
                                std::to_string(m.episode_index) + " needs them too");
            }
        }
    }

    // Data files: the label columns replaced (or added, in info.json's order).
    StagedFiles::Options so;
    so.staging_dir = root / kStagingDir;
    so.durable = options.durable;
    so.on_step = options.on_step;
    so.journal = label_journal_path(root);
    StagedFiles files(std::move(so));
    std::set<std::pair<std::int64_t, std::int64_t>> data_files;
    for (const EpisodeMeta& m : c.meta.episodes) {
        if (added || labels.count(m.episode_index) > 0) {
            data_files.insert({m.data_chunk_index, m.data_file_index});
        }
    }
    const std::string hf = hf_features_json(info.features);
    Table current;  // the new rows of the file the next episode appends to
    for (const auto& [chunk, file] : data_files) {
        const ChunkFile at{chunk, file};
        const fs::path path = c.data_path(at);
        const Table old = parquet::read_table(path);
        Table t;
        t.num_rows = old.num_rows;
        t.metadata = old.metadata;
        bool has_hf = false;
        for (auto& [k, v] : t.metadata) {
            if (k == "huggingface") {
                v = hf;
                has_hf = true;
            }
        }
        if (!has_hf) t.metadata.emplace_back("huggingface", hf);
        for (const Feature* f : tabular_features(info)) {
            if (f->key == kReward || f->key == kDone) {
                t.columns.push_back(relabel(old, f->key, labels, path));
            } else if (const Column* col = old.find(f->key)) {
                t.columns.push_back(*col);
            } else {
                throw DataError(path.string() + ": column \"" + f->key + "\" missing");
            }
        }
        for (const Column& col : old.columns) {  // columns info.json does not name stay
            if (info.feature(col.name) == nullptr) t.columns.push_back(col);
        }
        files.add(path, parquet::encode_table(t));
        if (at == c.data_at) current = std::move(t);
    }

    // Per-episode statistics of the labels, then every episode metadata file that holds one.
    CommittedState next = c;
    next.meta.info = info;
    std::set<std::pair<std::int64_t, std::int64_t>> meta_files;
    for (std::size_t i = 0; i < next.meta.episodes.size(); ++i) {
        const std::int64_t e = next.meta.episodes[i].episode_index;
        const auto l = labels.find(e);
        if (l == labels.end()) continue;
        Stats& stats = next.episode_stats.at(i);
        const std::vector<double> reward(l->second.reward.begin(), l->second.reward.end());
        const std::vector<double> done(l->second.done.begin(), l->second.done.end());
        for (const auto& [key, values] : {std::pair{kReward, &reward}, std::pair{kDone, &done}}) {
            FeatureStats fs_ = compute_stats(*values, 1);
            const auto it = std::find_if(stats.begin(), stats.end(),
                                         [&](const auto& kv) { return kv.first == key; });
            if (it != stats.end()) {
                it->second = std::move(fs_);
            } else {
                stats.emplace_back(key, std::move(fs_));
            }
        }
        meta_files.insert({next.episode_meta_file[i].chunk, next.episode_meta_file[i].file});
    }
    if (added) {
        for (const ChunkFile& at : next.episode_meta_file)
            meta_files.insert({at.chunk, at.file});
    }
    std::size_t meta_bytes = next.meta_bytes;
    for (const auto& [chunk, file] : meta_files) {
        const ChunkFile at{chunk, file};
        std::string bytes = parquet::encode_table(next.episodes_table(at));
        if (at == next.meta_at) meta_bytes = bytes.size();
        files.add(next.episodes_path(at), bytes);
    }
    next.meta_bytes = meta_bytes;
    next.meta.stats_json = stats_json(info, next.dataset_stats());
    files.add(root / "meta/stats.json", next.meta.stats_json);
    files.add(root / "meta/info.json", dump_info(info));
    files.commit();

    if (current.num_rows > 0) {
        next.data_bytes = static_cast<std::size_t>(fs::file_size(next.data_path(next.data_at)));
        next.data_table = std::move(current);
    } else if (added) {
        next.data_table = empty_data_table(info);
    }
    c = std::move(next);
}

}  // namespace rcls::dataset
