// SPDX-License-Identifier: MIT
#include "rcls/eval/gates.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "rcls/core/error.hpp"
#include "rcls/core/strings.hpp"

namespace rcls::eval {
namespace {

using json = nlohmann::ordered_json;

constexpr const char* kBaseline = "baseline.";
constexpr const char* kDelta = "delta.";

bool starts_with(const std::string& text, const std::string& prefix) {
    return text.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The figures of `doc`'s objects by key path: numbers, true/false as 1/0, null as nullopt.
void flatten(const json& doc,
             const std::string& prefix,
             std::vector<std::pair<std::string, std::optional<double>>>& out) {
    for (auto it = doc.begin(); it != doc.end(); ++it) {
        const std::string path = prefix + it.key();
        const json& value = it.value();
        if (value.is_object()) {
            flatten(value, path + ".", out);
        } else if (value.is_number()) {
            out.emplace_back(path, value.get<double>());
        } else if (value.is_boolean()) {
            out.emplace_back(path, value.get<bool>() ? 1.0 : 0.0);
        } else if (value.is_null()) {
            out.emplace_back(path, std::nullopt);
        }
    }
}

std::map<std::string, std::optional<double>> figures_of(const json& doc) {
    std::vector<std::pair<std::string, std::optional<double>>> list;
    flatten(doc, "", list);
    return {list.begin(), list.end()};
}

/// A small evaluation whose JSON has every figure (a recommendation found, every figure
/// defined): figure_names() reads the key paths off it, so the list follows to_json().
EvalResult sample_result() {
    EvalResult result;
    EpisodeScores success;
    success.episode_index = 0;
    success.probability = {0.1, 0.2, 0.7, 0.9, 0.95};
    success.label = {0, 0, 1, 1, 1};
    EpisodeScores failure;
    failure.episode_index = 1;
    failure.first_index = 5;
    failure.probability = {0.1, 0.3, 0.2};
    failure.label = {0, 0, 0};
    result.episodes = {success, failure};
    compute_figures(result);
    return result;
}

std::string value_text(const std::optional<double>& v) {
    return v ? number_text(*v) : std::string("n/a");
}

const char* flag(GateKind kind) {
    return kind == GateKind::kFailUnder ? "--fail-under" : "--fail-over";
}

/// `name` as a full figure path: itself, or the one figure it is the dot-separated tail of.
std::string resolve(const std::string& name, const std::string& given, GateKind kind) {
    const std::vector<std::string>& names = figure_names();
    std::vector<std::string> matches;
    for (const std::string& full : names) {
        if (full == name) return full;
        if (full.size() > name.size() && ends_with(full, "." + name)) matches.push_back(full);
    }
    if (matches.size() == 1) return matches.front();
    if (matches.empty()) {
        throw UsageError(std::string(flag(kind)) + " " + given + ": no figure " + name +
                         " in eval's JSON (`rcls eval --list-figures` lists them)");
    }
    throw UsageError(std::string(flag(kind)) + " " + given + ": " + name +
                     " is ambiguous; name one of " + join(matches, ", "));
}

}  // namespace

const std::vector<std::string>& figure_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::pair<std::string, std::optional<double>>> list;
        flatten(json::parse(to_json(sample_result())), "", list);
        std::vector<std::string> out;
        for (const auto& [path, value] : list) {
            (void)value;
            out.push_back(path);
        }
        return out;
    }();
    return names;
}

Gate parse_gate(const std::string& text, GateKind kind, bool with_baseline) {
    const std::size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
        throw UsageError(std::string(flag(kind)) + " " + text +
                         ": expected FIGURE=VALUE, e.g. frame_level.accuracy=0.95");
    }
    const std::string name(trim(text.substr(0, eq)));
    const std::string value_text(trim(text.substr(eq + 1)));
    errno = 0;
    char* end = nullptr;
    const double bound = std::strtod(value_text.c_str(), &end);
    if (value_text.empty() || end != value_text.c_str() + value_text.size() || errno == ERANGE ||
        !std::isfinite(bound)) {
        throw UsageError(std::string(flag(kind)) + " " + text + ": " + value_text +
                         " is not a finite number");
    }
    Gate gate;
    gate.kind = kind;
    gate.bound = bound;
    gate.given = text;
    for (const char* prefix : {kBaseline, kDelta}) {
        if (starts_with(name, prefix)) {
            if (!with_baseline) {
                throw UsageError(std::string(flag(kind)) + " " + text + ": " + prefix +
                                 "* figures need --baseline CKPT");
            }
            gate.figure = prefix + resolve(name.substr(std::string(prefix).size()), text, kind);
            return gate;
        }
    }
    gate.figure = resolve(name, text, kind);
    return gate;
}

std::vector<GateFailure> check_gates(const std::vector<Gate>& gates, const std::string& json_text) {
    const std::map<std::string, std::optional<double>> figures = figures_of(json::parse(json_text));
    std::vector<GateFailure> failed;
    for (const Gate& gate : gates) {
        const auto it = figures.find(gate.figure);
        const std::optional<double> value = it == figures.end() ? std::nullopt : it->second;
        const bool holds = value && (gate.kind == GateKind::kFailUnder ? !(*value < gate.bound)
                                                                       : !(*value > gate.bound));
        if (!holds) failed.push_back({gate, value});
    }
    return failed;
}

std::string describe(const GateFailure& failure) {
    const Gate& gate = failure.gate;
    std::string line = gate.figure + " = " + value_text(failure.value);
    if (!failure.value) {
        line += " (no value on these frames)";
    } else {
        line += gate.kind == GateKind::kFailUnder ? " is under the bound " : " is over the bound ";
        line += number_text(gate.bound);
    }
    return line + " (" + flag(gate.kind) + " " + gate.given + ")";
}

std::string to_json_with_baseline(const EvalResult& result, const EvalResult& baseline) {
    json doc = json::parse(to_json(result));
    const json base = json::parse(to_json(baseline));
    const std::map<std::string, std::optional<double>> mine = figures_of(doc);
    const std::map<std::string, std::optional<double>> theirs = figures_of(base);
    json delta = json::object();
    for (const std::string& name : figure_names()) {
        const auto a = mine.find(name);
        const auto b = theirs.find(name);
        std::string pointer = "/" + name;
        for (char& c : pointer) {
            if (c == '.') c = '/';
        }
        const bool both = a != mine.end() && b != theirs.end() && a->second && b->second;
        delta[json::json_pointer(pointer)] = both ? json(*a->second - *b->second) : json(nullptr);
    }
    doc["baseline"] = base;
    doc["delta"] = delta;
    return doc.dump(2);
}

std::string comparison_text(const EvalResult& result, const EvalResult& baseline) {
    const std::map<std::string, std::optional<double>> mine =
        figures_of(json::parse(to_json(result)));
    const std::map<std::string, std::optional<double>> theirs =
        figures_of(json::parse(to_json(baseline)));
    std::ostringstream out;
    out << "\nCompared with the baseline " << baseline.checkpoint.string() << " on the same "
        << result.episodes.size() << " episodes (" << result.frames << " frames)\n";
    char line[256];
    std::snprintf(line, sizeof line, "  %-58s %12s %12s %12s\n", "figure", "this", "baseline",
                  "difference");
    out << line;
    for (const std::string& name : figure_names()) {
        const auto a = mine.find(name);
        const auto b = theirs.find(name);
        const std::optional<double> va = a == mine.end() ? std::nullopt : a->second;
        const std::optional<double> vb = b == theirs.end() ? std::nullopt : b->second;
        const std::string diff = va && vb ? number_text(*va - *vb) : std::string("n/a");
        std::snprintf(line, sizeof line, "  %-58s %12s %12s %12s\n", name.c_str(),
                      value_text(va).c_str(), value_text(vb).c_str(), diff.c_str());
        out << line;
    }
    return out.str();
}

}  // namespace rcls::eval
