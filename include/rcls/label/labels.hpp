// SPDX-License-Identifier: MIT
//
// Success labels of a reward dataset: per episode, the frames where the task counts as done.
// The reference workflow labels the first success frame of each episode by hand; frames from it
// on get next.reward 1, earlier ones 0. An episode may also have failed ("never": every frame 0)
// or succeed only for a while ("42-180": frames 42 to 180 inclusive).
//
// Labels come as text in any of these forms, recognised from the content (parse_labels()):
//   - the reference's table, as pasted from its notes: "00: 119    05: 39     10: 47" (several
//     `EP: SPEC` entries per line; "-" leaves an episode unlabelled);
//   - CSV with the header `episode_index,success_start[,success_end]`;
//   - JSON {"0": 119, "3": "never", "4": "42-180"} (or the same under "episodes", or
//     {"0": {"start": 42, "end": 180}}).
// A SPEC is a frame ("42"), "never", or "START-END".
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rcls::label {

/// One episode's success span.
struct EpisodeLabel {
    bool never = false;               ///< The episode failed: no success frame.
    std::int64_t start = 0;           ///< First success frame (ignored when never).
    std::optional<std::int64_t> end;  ///< Last success frame, inclusive; nullopt: the last frame.

    bool operator==(const EpisodeLabel&) const = default;

    /// A failed episode.
    static EpisodeLabel failed() {
        EpisodeLabel label;
        label.never = true;
        return label;
    }
    /// Success from `first` to `last` (inclusive; nullopt: the episode's last frame).
    static EpisodeLabel span(std::int64_t first, std::optional<std::int64_t> last = std::nullopt) {
        EpisodeLabel label;
        label.start = first;
        label.end = last;
        return label;
    }
};

/// "119", "never" or "42-180".
std::string to_string(const EpisodeLabel& label);

/// Labels by episode index, each with where it came from (for error messages).
struct LabelSet {
    std::map<std::int64_t, EpisodeLabel> episodes;
    std::map<std::int64_t, std::string> sources;  ///< e.g. "labels.csv line 4", "--set 3=42".

    /// Adds or replaces the label of `episode`.
    void set(std::int64_t episode, EpisodeLabel label, std::string source);
    /// Takes every label of `later` (later inputs win).
    void merge(const LabelSet& later);
};

/// Parses a SPEC ("42", "never", "42-180"); `where` starts the error message. Throws ConfigError.
EpisodeLabel parse_spec(std::string_view spec, const std::string& where);

/// Parses "EP=SPEC" as given to --set. Throws ConfigError naming the option.
LabelSet parse_set_option(std::string_view text);

/// The kinds of label text.
enum class LabelFormat { kTable, kCsv, kJson };

/// Which kind `text` is: JSON when it starts with '{', CSV when its first line names
/// episode_index, else the reference table.
LabelFormat detect_format(std::string_view text);

/// Parses label text of any kind; `name` (the file) starts error messages. Throws ConfigError
/// naming the file and line (or key) for anything malformed or an episode given twice in one
/// file.
LabelSet parse_labels(std::string_view text, const std::string& name);
LabelSet parse_table(std::string_view text, const std::string& name);
LabelSet parse_csv(std::string_view text, const std::string& name);
LabelSet parse_json(std::string_view text, const std::string& name);

/// parse_labels() of a file; a missing or unreadable file is a ConfigError naming it.
LabelSet load_labels_file(const std::filesystem::path& path);

/// The file beside a dataset where `rcls record` keeps the success key presses:
/// <root>/meta/rcls_record_keys.json = {"episodes": {"3": [42], "4": [42, 180], "7": []}} (frame
/// indices of the presses in the episode: the first starts the success span, a second one ends it
/// (inclusive); none means the episode failed).
std::filesystem::path record_keys_path(const std::filesystem::path& root);
/// The simulated scene's ground truth (sim::ground_truth_path(): <root>/rcls/sim_ground_truth.json,
/// written by the simulation): the first frame the cube is held 2 cm up, per episode, or never.
std::filesystem::path sim_ground_truth_path(const std::filesystem::path& root);

/// Labels from record_keys_path(root), each press moved `earlier_frames` frames earlier (not
/// before frame 0): a press lands the operator's reaction time after what it marks. Throws
/// ConfigError naming the file when it is missing or malformed.
LabelSet load_record_keys(const std::filesystem::path& root, std::int64_t earlier_frames = 0);
/// Labels from sim_ground_truth_path(root), as load_record_keys().
LabelSet load_sim_ground_truth(const std::filesystem::path& root);

/// One label input of the command line, in the order given.
struct LabelInput {
    enum class Kind { kFile, kSet, kRecord, kSim };
    Kind kind = Kind::kFile;
    std::string value;  ///< The file (kFile) or "EP=SPEC" (kSet).
    /// kRecord: how many frames earlier each key press counts (load_record_keys()).
    std::int64_t earlier_frames = 0;
};

/// The labels of `inputs` combined in order, later ones winning; kRecord and kSim read the files
/// beside the dataset at `root`.
LabelSet gather_labels(const std::vector<LabelInput>& inputs, const std::filesystem::path& root);

/// One episode's length, as the dataset says.
struct EpisodeLength {
    std::int64_t episode_index = 0;
    std::int64_t length = 0;
};

/// Checks `labels` against the dataset's episodes: every labelled episode exists, every frame is
/// inside its episode, no span ends before it starts, and (unless `allow_unlabelled`) every
/// episode has a label. Throws ConfigError naming the episode (and where its label came from).
void validate(const LabelSet& labels,
              const std::vector<EpisodeLength>& episodes,
              bool allow_unlabelled);

/// next.reward of each frame of an episode of `length` frames: 1 inside the success span, else 0.
std::vector<float> rewards(const EpisodeLabel& label, std::int64_t length);
/// next.done of each frame: true on the last one only.
std::vector<bool> dones(std::int64_t length);
/// Success frames of an episode of `length` frames under `label`.
std::int64_t success_frames(const EpisodeLabel& label, std::int64_t length);

/// The label a reward column says: frames with reward >= 0.5 from the first to the last
/// (end nullopt when that is the episode's last frame); never when there are none. `contiguous`
/// tells whether every frame in between is a success too.
EpisodeLabel label_from_rewards(const std::vector<float>& rewards, bool* contiguous = nullptr);

/// Per-episode result of a labelling.
struct EpisodeResult {
    std::int64_t episode_index = 0;
    std::int64_t length = 0;
    std::optional<EpisodeLabel> label;  ///< nullopt: unlabelled.
    std::int64_t success = 0;           ///< Success frames.
    bool contiguous = true;  ///< False when the dataset's rewards are not one span (--show).
};

/// The whole table.
struct LabelSummary {
    std::vector<EpisodeResult> episodes;
    std::int64_t frames = 0;
    std::int64_t success = 0;
    std::int64_t failure = 0;
    std::int64_t unlabelled = 0;  ///< Frames of unlabelled episodes (neither success nor failure).
};

/// The summary of labelling `episodes` with `labels` (unlabelled episodes count as unlabelled).
LabelSummary summarize(const LabelSet& labels, const std::vector<EpisodeLength>& episodes);

/// The reference's table ("00: 119    05: 39 ..."; four columns, episodes down the columns, "-"
/// for unlabelled), then "N episodes, F frames: S success, X failure[, U unlabelled]".
std::string to_table(const LabelSummary& summary);
/// The summary as one JSON object (episodes with their spans, totals).
std::string to_json(const LabelSummary& summary);

}  // namespace rcls::label
