// SPDX-License-Identifier: MIT
//
// Small string helpers shared by error messages and parsers.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rcls {

/// Edit distance between `a` and `b`: insertions, deletions, substitutions and swaps of two
/// adjacent characters each cost 1.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word` when it is close enough to be a plausible typo (distance at
/// most a third of the longer length, and at most 3), otherwise nullopt.
std::optional<std::string> nearest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

/// " (did you mean \"<nearest_match>\"?)" for an error message, or "" when no candidate is close.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

/// `items` joined by `separator`.
std::string join(const std::vector<std::string>& items, std::string_view separator);

/// `text` split at every `separator`; empty fields are kept.
std::vector<std::string> split(std::string_view text, char separator);

/// `text` with ASCII letters in lower case (file extensions, names compared without case).
std::string ascii_lower(std::string_view text);

/// `text` without leading and trailing ASCII white space.
std::string_view trim(std::string_view text);

/// "1.2 s", "3 min 04 s", "1 h 02 min": a duration for humans.
std::string format_duration(double seconds);

/// A number as a person says it, at most 6 significant digits: "5", "2.5", "1e+300", "nan".
std::string number_text(double value);

}  // namespace rcls
