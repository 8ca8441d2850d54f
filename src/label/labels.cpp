// SPDX-License-Identifier: MIT
//
// Label parsing, validation, span rules and the reference's table (labels.hpp).
#include "rcls/label/labels.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/strings.hpp"
#include "rcls/sim/world.hpp"

namespace rcls::label {
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

constexpr std::int64_t kMaxFrame = 1'000'000'000;  // bounds what a label may name

/// A non-negative integer filling all of `text`, or nullopt.
std::optional<std::int64_t> parse_index(std::string_view text) {
    if (text.empty() || text.size() > 12) return std::nullopt;
    std::int64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || value < 0 || value > kMaxFrame) return std::nullopt;
    return value;
}

std::string shown(std::string_view text) {
    std::string out(text.substr(0, 40));
    if (text.size() > 40) out += "...";
    return "\"" + out + "\"";
}

/// Lines of `text`, without their line ends.
std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t begin = 0;
    while (begin <= text.size()) {
        std::size_t end = text.find('\n', begin);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(begin, end - begin);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.push_back(line);
        begin = end + 1;
    }
    return lines;
}

void add_once(LabelSet& set,
              std::int64_t episode,
              EpisodeLabel label,
              std::string source,
              const std::string& name) {
    if (set.episodes.count(episode) > 0) {
        throw ConfigError(source + ": episode " + std::to_string(episode) +
                          " is labelled twice in " + name + " (also at " + set.sources.at(episode) +
                          ")");
    }
    set.set(episode, label, std::move(source));
}

std::int64_t episode_key(std::string_view key, const std::string& where) {
    const std::optional<std::int64_t> episode = parse_index(trim(key));
    if (!episode) {
        throw ConfigError(where + ": " + shown(key) + " is not an episode index");
    }
    return *episode;
}

/// A JSON label value: 42, -1 (never), "never", "42-180", {"start": 42, "end": 180}.
EpisodeLabel json_label(const Json& value, const std::string& where) {
    if (value.is_number_integer()) {
        const auto frame = value.get<std::int64_t>();
        if (frame == -1) return EpisodeLabel::failed();
        if (frame < 0 || frame > kMaxFrame) {
            throw ConfigError(where + ": " + value.dump() + " is not a frame index");
        }
        return EpisodeLabel::span(frame);
    }
    if (value.is_string()) return parse_spec(value.get<std::string>(), where);
    if (value.is_object()) {
        EpisodeLabel label;
        for (const auto& [key, item] : value.items()) {
            if (key == "never") {
                if (!item.is_boolean()) throw ConfigError(where + "/never: expected true or false");
                label.never = item.get<bool>();
            } else if (key == "start" || key == "end") {
                if (item.is_null() && key == "end") continue;
                if (!item.is_number_integer() || item.get<std::int64_t>() < 0 ||
                    item.get<std::int64_t>() > kMaxFrame) {
                    throw ConfigError(where + "/" + key + ": expected a frame index, got " +
                                      item.dump());
                }
                (key == "start" ? label.start : label.end.emplace()) = item.get<std::int64_t>();
            } else {
                throw ConfigError(where + ": unknown key \"" + key +
                                  "\" (expected start, end or never)");
            }
        }
        if (!label.never && !value.contains("start")) {
            throw ConfigError(where + ": needs \"start\" (or \"never\": true)");
        }
        if (label.never) label = EpisodeLabel::failed();
        return label;
    }
    throw ConfigError(where + ": expected a frame, \"never\" or \"START-END\", got " +
                      value.dump());
}

Json parse_json_text(std::string_view text, const std::string& name) {
    try {
        return Json::parse(text);
    } catch (const Json::parse_error& e) {
        std::string what = e.what();
        if (const auto pos = what.find("parse error"); pos != std::string::npos) {
            what = what.substr(pos);
        }
        throw ConfigError(name + ": invalid JSON: " + what);
    }
}

/// The object of episodes: the whole document, or its "episodes" member.
const Json& episodes_object(const Json& doc, const std::string& name, bool require_member) {
    if (!doc.is_object()) throw ConfigError(name + ": expected a JSON object of episodes");
    if (doc.contains("episodes")) {
        const Json& episodes = doc.at("episodes");
        if (!episodes.is_object()) {
            throw ConfigError(name + ": /episodes: expected an object mapping episode to label");
        }
        return episodes;
    }
    if (require_member) throw ConfigError(name + ": missing key \"episodes\"");
    return doc;
}

}  // namespace

std::string to_string(const EpisodeLabel& label) {
    if (label.never) return "never";
    if (label.end) return std::to_string(label.start) + "-" + std::to_string(*label.end);
    return std::to_string(label.start);
}

void LabelSet::set(std::int64_t episode, EpisodeLabel label, std::string source) {
    episodes[episode] = label;
    sources[episode] = std::move(source);
}

void LabelSet::merge(const LabelSet& later) {
    for (const auto& [episode, label] : later.episodes) {
        set(episode, label, later.sources.at(episode));
    }
}

EpisodeLabel parse_spec(std::string_view spec, const std::string& where) {
    const std::string_view text = trim(spec);
    if (ascii_lower(text) == "never") return EpisodeLabel::failed();
    const std::size_t dash = text.find('-');
    if (dash == std::string_view::npos) {
        if (const auto start = parse_index(text)) return EpisodeLabel::span(*start);
    } else {
        const auto start = parse_index(trim(text.substr(0, dash)));
        const auto end = parse_index(trim(text.substr(dash + 1)));
        if (start && end) return EpisodeLabel::span(*start, *end);
    }
    throw ConfigError(where + ": " + shown(text) +
                      " is not a label; expected a frame (42), \"never\", or START-END (42-180)");
}

LabelSet parse_set_option(std::string_view text) {
    const std::string where = "--set " + std::string(text.substr(0, 60));
    const std::size_t eq = text.find('=');
    if (eq == std::string_view::npos) {
        throw ConfigError(where + ": expected EP=SPEC, e.g. 3=42, 7=never or 4=42-180");
    }
    LabelSet set;
    set.set(episode_key(text.substr(0, eq), where), parse_spec(text.substr(eq + 1), where), where);
    return set;
}

LabelFormat detect_format(std::string_view text) {
    const std::string_view body = trim(text);
    if (body.starts_with('{')) return LabelFormat::kJson;
    for (std::string_view line : lines_of(body)) {
        line = trim(line);
        if (line.empty() || line.starts_with('#')) continue;
        return ascii_lower(line).find("episode_index") != std::string::npos ? LabelFormat::kCsv
                                                                            : LabelFormat::kTable;
    }
    return LabelFormat::kTable;
}

LabelSet parse_labels(std::string_view text, const std::string& name) {
    switch (detect_format(text)) {
        case LabelFormat::kJson:
            return parse_json(text, name);
        case LabelFormat::kCsv:
            return parse_csv(text, name);
        case LabelFormat::kTable:
            break;
    }
    return parse_table(text, name);
}

LabelSet parse_table(std::string_view text, const std::string& name) {
    LabelSet set;
    const std::vector<std::string_view> lines = lines_of(text);
    bool any = false;
    for (std::size_t n = 0; n < lines.size(); ++n) {
        std::string_view line = lines[n];
        if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) {
            line = line.substr(0, hash);
        }
        const std::string where = name + " line " + std::to_string(n + 1);
        std::size_t i = 0;
        auto skip_space = [&] {
            while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i])))
                ++i;
        };
        auto fail = [&](const std::string& what) {
            return ConfigError(where + ": " + what +
                               "; expected entries `EP: SPEC` such as `00: 119    05: never`");
        };
        skip_space();
        // A line of totals, as to_table() prints under the table, is not an entry.
        if (line.find("frames:") != std::string_view::npos) continue;
        while (i < line.size()) {
            const std::size_t episode_begin = i;
            while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i])))
                ++i;
            const auto episode = parse_index(line.substr(episode_begin, i - episode_begin));
            if (!episode)
                throw fail(shown(line.substr(episode_begin)) + " does not start an entry");
            skip_space();
            if (i >= line.size() || line[i] != ':') {
                throw fail("episode " + std::to_string(*episode) + " has no `:` after it");
            }
            ++i;
            skip_space();
            const std::size_t spec_begin = i;
            while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i])))
                ++i;
            const std::string_view spec = line.substr(spec_begin, i - spec_begin);
            if (spec.empty()) throw fail("episode " + std::to_string(*episode) + " has no label");
            const std::string entry_where = where + ", episode " + std::to_string(*episode);
            if (spec == "-") {  // unlabelled, as to_table() prints it
                if (set.episodes.count(*episode) > 0) {
                    throw ConfigError(entry_where + ": labelled twice in " + name);
                }
            } else {
                add_once(set, *episode, parse_spec(spec, entry_where), where, name);
            }
            any = true;
            skip_space();
        }
    }
    if (!any) {
        throw ConfigError(name +
                          ": no labels found; expected the reference table "
                          "(`00: 119    05: 39`), CSV with an episode_index header, or JSON");
    }
    return set;
}

LabelSet parse_csv(std::string_view text, const std::string& name) {
    LabelSet set;
    const std::vector<std::string_view> lines = lines_of(text);
    std::optional<std::size_t> end_column;
    bool header_seen = false;
    for (std::size_t n = 0; n < lines.size(); ++n) {
        const std::string_view line = trim(lines[n]);
        if (line.empty() || line.starts_with('#')) continue;
        const std::string where = name + " line " + std::to_string(n + 1);
        std::vector<std::string> fields = split(line, ',');
        for (std::string& field : fields) {
            std::string_view f = trim(field);
            if (f.size() >= 2 && f.front() == '"' && f.back() == '"') f = f.substr(1, f.size() - 2);
            field = std::string(f);
        }
        if (!header_seen) {
            const bool ok = (fields.size() == 2 || fields.size() == 3) &&
                            fields[0] == "episode_index" && fields[1] == "success_start" &&
                            (fields.size() == 2 || fields[2] == "success_end");
            if (!ok) {
                throw ConfigError(where +
                                  ": expected the header "
                                  "episode_index,success_start[,success_end], got " +
                                  shown(line));
            }
            if (fields.size() == 3) end_column = 2;
            header_seen = true;
            continue;
        }
        const std::size_t expected = end_column ? 3 : 2;
        if (fields.size() != expected) {
            throw ConfigError(where + ": expected " + std::to_string(expected) + " fields, got " +
                              std::to_string(fields.size()));
        }
        const std::int64_t episode = episode_key(fields[0], where);
        const std::string entry_where = where + ", episode " + std::to_string(episode);
        EpisodeLabel label;
        if (fields[1] == "-1" || ascii_lower(fields[1]) == "never") {
            label.never = true;
            if (end_column && !fields[2].empty()) {
                throw ConfigError(entry_where +
                                  ": a success_end for an episode that never "
                                  "succeeds");
            }
        } else {
            const auto start = parse_index(fields[1]);
            if (!start) {
                throw ConfigError(entry_where + ": success_start " + shown(fields[1]) +
                                  " is not a frame index or \"never\"");
            }
            label.start = *start;
            if (end_column && !fields[2].empty()) {
                const auto end = parse_index(fields[2]);
                if (!end) {
                    throw ConfigError(entry_where + ": success_end " + shown(fields[2]) +
                                      " is not a frame index (empty: to the episode's end)");
                }
                label.end = *end;
            }
        }
        add_once(set, episode, label, where, name);
    }
    if (!header_seen) throw ConfigError(name + ": empty CSV");
    return set;
}

LabelSet parse_json(std::string_view text, const std::string& name) {
    const Json doc = parse_json_text(text, name);
    const Json& episodes = episodes_object(doc, name, false);
    LabelSet set;
    for (const auto& [key, value] : episodes.items()) {
        const std::string where = name + ": /" + key;
        set.set(episode_key(key, where), json_label(value, where), where);
    }
    return set;
}

LabelSet load_labels_file(const fs::path& path) {
    std::string text;
    try {
        text = read_file(path);
    } catch (const DataError& e) {
        throw ConfigError(std::string("--labels: ") + e.what());
    }
    return parse_labels(text, path.string());
}

fs::path record_keys_path(const fs::path& root) {
    return root / "meta" / "rcls_record_keys.json";
}

fs::path sim_ground_truth_path(const fs::path& root) {
    return sim::ground_truth_path(root);
}

LabelSet load_record_keys(const fs::path& root, std::int64_t earlier_frames) {
    const fs::path path = record_keys_path(root);
    std::error_code error;
    if (!fs::exists(path, error)) {
        throw ConfigError(path.string() +
                          ": missing; --from-record needs the key presses `rcls record` keeps "
                          "there");
    }
    const std::string name = path.string();
    const Json doc = parse_json_text(read_file(path), name);
    const Json& episodes = episodes_object(doc, name, true);
    LabelSet set;
    for (const auto& [key, value] : episodes.items()) {
        const std::string where = name + ": /episodes/" + key;
        if (!value.is_array() || value.size() > 2) {
            throw ConfigError(where + ": expected a list of at most two key-press frames");
        }
        std::vector<std::int64_t> presses;
        for (const Json& press : value) {
            if (!press.is_number_integer() || press.get<std::int64_t>() < 0 ||
                press.get<std::int64_t>() > kMaxFrame) {
                throw ConfigError(where + ": " + press.dump() + " is not a frame index");
            }
            presses.push_back(
                std::max<std::int64_t>(0, press.get<std::int64_t>() - earlier_frames));
        }
        EpisodeLabel label;
        if (presses.empty()) {
            label.never = true;
        } else {
            label.start = presses[0];
            if (presses.size() == 2) label.end = presses[1];
        }
        set.set(episode_key(key, where), label, where);
    }
    return set;
}

LabelSet load_sim_ground_truth(const fs::path& root) {
    const fs::path path = sim_ground_truth_path(root);
    std::error_code error;
    if (!fs::exists(path, error)) {
        throw ConfigError(path.string() +
                          ": missing; --from-sim needs the ground truth the simulated scene "
                          "writes there");
    }
    LabelSet set;
    for (const sim::EpisodeTruth& truth : sim::read_ground_truth(path)) {
        const std::string where =
            path.string() + ": episode " + std::to_string(truth.episode_index);
        set.set(truth.episode_index,
                truth.first_success_frame
                    ? EpisodeLabel::span(*truth.first_success_frame, truth.last_success_frame)
                    : EpisodeLabel::failed(),
                where);
    }
    return set;
}

LabelSet gather_labels(const std::vector<LabelInput>& inputs, const fs::path& root) {
    LabelSet set;
    for (const LabelInput& input : inputs) {
        switch (input.kind) {
            case LabelInput::Kind::kFile:
                set.merge(load_labels_file(input.value));
                break;
            case LabelInput::Kind::kSet:
                set.merge(parse_set_option(input.value));
                break;
            case LabelInput::Kind::kRecord:
                set.merge(load_record_keys(root, input.earlier_frames));
                break;
            case LabelInput::Kind::kSim:
                set.merge(load_sim_ground_truth(root));
                break;
        }
    }
    return set;
}

void validate(const LabelSet& labels,
              const std::vector<EpisodeLength>& episodes,
              bool allow_unlabelled) {
    std::map<std::int64_t, std::int64_t> lengths;
    for (const EpisodeLength& e : episodes)
        lengths[e.episode_index] = e.length;
    for (const auto& [episode, label] : labels.episodes) {
        const std::string from = " (from " + labels.sources.at(episode) + ")";
        const std::string where = "episode " + std::to_string(episode);
        const auto it = lengths.find(episode);
        if (it == lengths.end()) {
            const std::string range = lengths.empty()
                                          ? "none"
                                          : std::to_string(lengths.begin()->first) + "-" +
                                                std::to_string(lengths.rbegin()->first);
            throw ConfigError(where + ": no such episode in the dataset (episodes " + range + ")" +
                              from);
        }
        if (label.never) continue;
        const std::int64_t last = it->second - 1;
        if (label.start > last) {
            throw ConfigError(where + ": success start " + std::to_string(label.start) +
                              " is past the episode's last frame " + std::to_string(last) + from);
        }
        if (label.end && *label.end > last) {
            throw ConfigError(where + ": success end " + std::to_string(*label.end) +
                              " is past the episode's last frame " + std::to_string(last) + from);
        }
        if (label.end && *label.end < label.start) {
            throw ConfigError(where + ": success end " + std::to_string(*label.end) +
                              " is before its start " + std::to_string(label.start) + from);
        }
    }
    if (allow_unlabelled) return;
    std::vector<std::string> missing;
    for (const auto& [episode, length] : lengths) {
        if (labels.episodes.count(episode) == 0) missing.push_back(std::to_string(episode));
    }
    if (!missing.empty()) {
        const std::string first = missing.front();
        const std::size_t count = missing.size();
        if (missing.size() > 8) {
            missing.resize(8);
            missing.push_back("...");
        }
        throw ConfigError("episode " + first + ": no label (" + std::to_string(count) +
                          (count == 1 ? " episode" : " episodes") +
                          " unlabelled: " + join(missing, ", ") + "); label it (--set " + first +
                          "=FRAME or never) or pass --allow-unlabelled");
    }
}

std::vector<float> rewards(const EpisodeLabel& label, std::int64_t length) {
    std::vector<float> out(static_cast<std::size_t>(std::max<std::int64_t>(length, 0)), 0.0f);
    if (label.never) return out;
    const std::int64_t last = label.end ? std::min(*label.end, length - 1) : length - 1;
    for (std::int64_t t = label.start; t <= last; ++t)
        out[static_cast<std::size_t>(t)] = 1.0f;
    return out;
}

std::vector<bool> dones(std::int64_t length) {
    std::vector<bool> out(static_cast<std::size_t>(std::max<std::int64_t>(length, 0)), false);
    if (!out.empty()) out.back() = true;
    return out;
}

std::int64_t success_frames(const EpisodeLabel& label, std::int64_t length) {
    if (label.never || label.start >= length) return 0;
    const std::int64_t last = label.end ? std::min(*label.end, length - 1) : length - 1;
    return std::max<std::int64_t>(0, last - label.start + 1);
}

EpisodeLabel label_from_rewards(const std::vector<float>& values, bool* contiguous) {
    std::int64_t first = -1, last = -1, count = 0;
    for (std::size_t t = 0; t < values.size(); ++t) {
        if (values[t] >= 0.5f) {
            if (first < 0) first = static_cast<std::int64_t>(t);
            last = static_cast<std::int64_t>(t);
            ++count;
        }
    }
    if (contiguous) *contiguous = first < 0 || count == last - first + 1;
    if (first < 0) return EpisodeLabel::failed();
    EpisodeLabel label = EpisodeLabel::span(first);
    if (last != static_cast<std::int64_t>(values.size()) - 1) label.end = last;
    return label;
}

LabelSummary summarize(const LabelSet& labels, const std::vector<EpisodeLength>& episodes) {
    LabelSummary summary;
    for (const EpisodeLength& e : episodes) {
        EpisodeResult result;
        result.episode_index = e.episode_index;
        result.length = e.length;
        summary.frames += e.length;
        if (const auto it = labels.episodes.find(e.episode_index); it != labels.episodes.end()) {
            result.label = it->second;
            result.success = success_frames(it->second, e.length);
            summary.success += result.success;
            summary.failure += e.length - result.success;
        } else {
            summary.unlabelled += e.length;
        }
        summary.episodes.push_back(result);
    }
    return summary;
}

std::string to_table(const LabelSummary& summary) {
    constexpr std::size_t kColumns = 4;
    const std::size_t n = summary.episodes.size();
    const std::size_t rows = (n + kColumns - 1) / kColumns;
    std::int64_t max_index = 0;
    std::size_t value_width = 6;
    std::vector<std::string> values;
    for (const EpisodeResult& e : summary.episodes) {
        max_index = std::max(max_index, e.episode_index);
        std::string value = e.label ? to_string(*e.label) : "-";
        if (!e.contiguous) value += "*";
        value_width = std::max(value_width, value.size());
        values.push_back(std::move(value));
    }
    const int index_width = std::max<int>(2, static_cast<int>(std::to_string(max_index).size()));
    std::ostringstream out;
    for (std::size_t r = 0; r < rows; ++r) {
        std::string line;
        for (std::size_t c = 0; c < kColumns; ++c) {
            const std::size_t i = c * rows + r;
            if (i >= n) break;
            char index[32];
            std::snprintf(index, sizeof index, "%0*lld: ", index_width,
                          static_cast<long long>(summary.episodes[i].episode_index));
            std::string cell = index + values[i];
            if (c + 1 < kColumns && (c + 1) * rows + r < n) {
                cell.resize(static_cast<std::size_t>(index_width) + 2 + value_width + 1, ' ');
            }
            line += cell;
        }
        out << line << "\n";
    }
    out << summary.episodes.size() << " episodes, " << summary.frames
        << " frames: " << summary.success << " success, " << summary.failure << " failure";
    if (summary.unlabelled > 0) out << ", " << summary.unlabelled << " unlabelled";
    out << "\n";
    bool any_gaps = false;
    for (const EpisodeResult& e : summary.episodes)
        any_gaps = any_gaps || !e.contiguous;
    if (any_gaps) out << "* success frames not one span: first-last shown\n";
    return out.str();
}

std::string to_json(const LabelSummary& summary) {
    nlohmann::ordered_json doc;
    nlohmann::ordered_json episodes = nlohmann::ordered_json::array();
    for (const EpisodeResult& e : summary.episodes) {
        nlohmann::ordered_json item;
        item["episode_index"] = e.episode_index;
        item["length"] = e.length;
        if (!e.label) {
            item["label"] = nullptr;
            item["success_start"] = nullptr;
            item["success_end"] = nullptr;
        } else {
            item["label"] = to_string(*e.label);
            if (e.label->never) {
                item["success_start"] = nullptr;
                item["success_end"] = nullptr;
            } else {
                item["success_start"] = e.label->start;
                item["success_end"] = e.label->end ? *e.label->end : e.length - 1;
            }
        }
        item["success_frames"] = e.success;
        item["contiguous"] = e.contiguous;
        episodes.push_back(item);
    }
    doc["episodes"] = episodes;
    doc["total_episodes"] = summary.episodes.size();
    doc["total_frames"] = summary.frames;
    doc["success_frames"] = summary.success;
    doc["failure_frames"] = summary.failure;
    doc["unlabelled_frames"] = summary.unlabelled;
    return doc.dump(2) + "\n";
}

}  // namespace rcls::label
