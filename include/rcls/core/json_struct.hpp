// SPDX-License-Identifier: MIT
//
// Strict JSON binding for config structs. A struct lists its fields once, in a template member
//
//     template <class V> void visit(V& v) {
//         v.field("fps", fps, "Frames per second");
//         v.require("fps", fps > 0, "must be positive");
//         v.field("robot", robot, "The follower arm");      // a nested struct with its own visit()
//     }
//
// and the visitors below read it (Reader: unknown keys and wrong types are errors naming the
// JSON pointer, the expected type and the nearest valid key), write it (to_json, in field
// order), and list its keys (field_names). src/cli binds every leaf field to a `--a.b` override
// flag with parse_override(). Missing keys keep the struct's in-class defaults, unless the field
// is listed with `v.required(...)`.
//
// This is rcls's one JSON reader. Its Context says, besides where the value came from:
//   - which error it throws (ErrorKind): ConfigError for rcls's own configs and calibration
//     files, ModelError for checkpoint files, DataError for datasets; chosen by the code that
//     opens the file (parse_file(path, kind)), never by catching and rethrowing;
//   - how strict it is (Mode): kStrict rejects unknown keys (rcls's configs); kLenient ignores
//     them and lets null stand for "not set" on non-numeric fields (files LeRobot writes, whose
//     keys differ across versions).
// The Reader also works without a struct, field by field, for file layouts not worth one:
//
//     Reader group(json, {path.string(), "/0", ErrorKind::kModel, Mode::kLenient});
//     group.required("lr", lr);
//     group.field("amsgrad", amsgrad);
//
// Include this header only in .cpp files: it pulls in all of nlohmann/json.
#pragma once

#include <array>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "rcls/core/dict.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/strings.hpp"

namespace rcls::json_struct {

using Json = nlohmann::ordered_json;

/// Which rcls error a reader throws (exit 3, 5 or 6).
enum class ErrorKind { kConfig, kData, kModel };

/// kStrict: unknown keys are errors. kLenient: unknown keys are ignored, and null keeps the
/// default of a non-numeric field (LeRobot writes None for unset strings, lists and maps).
enum class Mode { kStrict, kLenient };

/// Keys of another program's files that rcls knows and does not use (LeRobot's, listed once in
/// config/lerobot_keys.hpp). A strict Reader whose Context points at one collects such keys
/// instead of refusing them, so that the caller can name them once; other unknown keys stay
/// errors.
struct ForeignKeys {
    /// JSON pointers ("/wandb", "/dataset/video_backend"); a "*" segment matches any one key, and
    /// a pattern also covers everything below it.
    std::vector<std::string> patterns;
    /// The pointers of the keys met and ignored, in reading order (a section's before its
    /// parent's).
    std::vector<std::string> ignored;

    /// Whether `pointer` is one of `patterns` or below one.
    bool matches(std::string_view pointer) const;
    /// `ignored` as dotted paths ("wandb", "dataset.video_backend"), comma-separated.
    std::string describe_ignored() const;
};

/// Throws the error of `kind` (ConfigError, DataError or ModelError) with `message`.
[[noreturn]] void throw_error(ErrorKind kind, const std::string& message);

/// Where the value being read came from, for messages (a file path or "option --x"), and how to
/// read it.
struct Context {
    Context(std::string source_,
            std::string pointer_ = {},
            ErrorKind kind_ = ErrorKind::kConfig,
            Mode mode_ = Mode::kStrict,
            ForeignKeys* foreign_ = nullptr)
        : source(std::move(source_)),
          pointer(std::move(pointer_)),
          kind(kind_),
          mode(mode_),
          foreign(foreign_) {}

    std::string source;
    std::string pointer;  ///< JSON pointer of the value, "" for the document root.
    ErrorKind kind = ErrorKind::kConfig;
    Mode mode = Mode::kStrict;
    /// Strict mode: keys another program writes, ignored and collected there (null: none).
    ForeignKeys* foreign = nullptr;

    /// The context of member or element `key` of this value (same source, kind and mode).
    Context at(std::string_view key) const;
};

/// Throws the context's error kind: "<source>: <pointer>: <message>".
[[noreturn]] void fail(const Context& context, const std::string& message);

/// "object", "array", "string", "integer", "number", "boolean" or "null".
std::string type_name(const Json& value);

/// A short rendering of a value for messages: `string "ten"`, `number 3.5`, `an object`.
std::string describe(const Json& value);

/// `pointer` + "/" + `key`, with '~' and '/' escaped as JSON pointers require.
std::string append_pointer(std::string_view pointer, std::string_view key);

/// Parses JSON text (// and /* */ comments allowed). Syntax errors are errors of `kind`
/// "<source>:<line>:<column>: invalid JSON: <what>".
Json parse_text(std::string_view text,
                const std::string& source,
                ErrorKind kind = ErrorKind::kConfig);

/// The bytes of a file; a missing, unreadable or directory path is an error of `kind` naming it.
std::string read_text(const std::filesystem::path& path, ErrorKind kind);

/// Reads and parses a JSON file. A missing file is an error of `kind` "<path>: <what> not found",
/// a folder "<path>: is a directory, expected a JSON <what>"; the rest as read_text, parse_text.
Json parse_file(const std::filesystem::path& path,
                ErrorKind kind = ErrorKind::kConfig,
                std::string_view what = "config file");

class KeyCollector;

/// A struct with a `template <class V> void visit(V&)` member listing its fields.
template <class T>
concept Visitable = requires(T& t, KeyCollector& v) {
    t.visit(v);
};

/// How one C++ type maps to JSON. Specialise it for custom leaf types.
template <class T, class Enable = void>
struct Codec;

/// The JSON type a field of type T expects, for messages and --help ("integer", "list of string").
template <class T>
std::string expected_type() {
    return Codec<T>::expected();
}

// ---- visitors ----------------------------------------------------------------------------------

/// Reads one JSON object into a struct, key by key, then rejects keys nobody asked for.
class Reader {
public:
    Reader(const Json& object, Context context);
    Reader(Json&&, Context) = delete;  // the Reader keeps a reference: keep the document alive

    /// Lets `old_key` stand for `key` (LeRobot renamed some sections across versions).
    void alias(std::string_view old_key, std::string_view key);

    template <class T>
    void field(std::string_view key, T& value, std::string_view help = {}) {
        (void)help;
        const Json* found = take(key);
        if (found == nullptr) return;
        if constexpr (!std::is_arithmetic_v<T>) {
            if (found->is_null() && context_.mode == Mode::kLenient) return;
        }
        Codec<T>::read(*found, value, child(key));
    }

    /// A field that must be present: "<source>: <pointer>: missing \"<key>\"" otherwise.
    template <class T>
    void required(std::string_view key, T& value, std::string_view help = {}) {
        (void)help;
        const Json* found = take(key);
        if (found == nullptr) fail(context_, "missing \"" + std::string(key) + "\"");
        Codec<T>::read(*found, value, child(key));
    }

    /// A string field that must be one of `choices`.
    void field(std::string_view key,
               std::string& value,
               std::string_view help,
               const std::vector<std::string>& choices);

    /// Throws ConfigError at `key` with `message` unless `ok`.
    void require(std::string_view key, bool ok, std::string_view message) const;

    /// Strict mode: rejects keys that were not read, naming the closest valid one; keys the
    /// context's ForeignKeys lists are collected there instead.
    void finish() const;

    /// The keys of the object that no field() or required() asked for, in document order.
    std::vector<std::string> unread_keys() const;

    const Context& context() const { return context_; }

private:
    const Json* take(std::string_view key);
    Context child(std::string_view key) const { return context_.at(key); }

    const Json& object_;
    Context context_;
    std::vector<std::string> known_;
    std::vector<std::pair<std::string, std::string>> aliases_;  // old -> new
};

/// Writes a struct's fields, in visit() order.
class Writer {
public:
    void alias(std::string_view, std::string_view) {}
    template <class T>
    void field(std::string_view key, const T& value, std::string_view = {}) {
        out_[std::string(key)] = Codec<T>::write(value);
    }
    template <class T>
    void required(std::string_view key, const T& value, std::string_view help = {}) {
        field(key, value, help);
    }
    void field(std::string_view key,
               const std::string& value,
               std::string_view,
               const std::vector<std::string>&) {
        out_[std::string(key)] = value;
    }
    void require(std::string_view, bool, std::string_view) const {}
    Json take() { return std::move(out_); }

private:
    Json out_ = Json::object();
};

/// Collects a struct's top-level keys.
class KeyCollector {
public:
    void alias(std::string_view old_key, std::string_view) { aliases.emplace_back(old_key); }
    template <class T>
    void field(std::string_view key, const T&, std::string_view = {}) {
        keys.emplace_back(key);
    }
    template <class T>
    void required(std::string_view key, const T&, std::string_view = {}) {
        keys.emplace_back(key);
    }
    void field(std::string_view key,
               const std::string&,
               std::string_view,
               const std::vector<std::string>&) {
        keys.emplace_back(key);
    }
    void require(std::string_view, bool, std::string_view) const {}

    std::vector<std::string> keys;
    std::vector<std::string> aliases;
};

// ---- entry points ------------------------------------------------------------------------------

/// Reads `json` into `value` (whose current contents are the defaults for missing keys).
template <Visitable T>
void read_into(const Json& json, T& value, const Context& context) {
    Codec<T>::read(json, value, context);
}

/// The JSON form of `value`, fields in visit() order.
template <Visitable T>
Json to_json(const T& value) {
    return Codec<T>::write(value);
}

/// The top-level keys of T.
template <Visitable T>
std::vector<std::string> field_names() {
    T probe{};
    KeyCollector collector;
    probe.visit(collector);
    return collector.keys;
}

/// Turns the text of a command-line override into the JSON value a field of type T takes:
/// strings stay text ("null" clears an optional), lists of strings also take "a,b,c", anything
/// else is parsed as JSON. Throws ConfigError naming `flag` when the text is not valid.
template <class T>
Json parse_override(std::string_view text, const std::string& flag);

/// Sets the value at `pointer` inside `document`, creating objects on the way.
void set_at_pointer(Json& document, const std::string& pointer, Json value);

// ---- codecs ------------------------------------------------------------------------------------

template <>
struct Codec<bool> {
    static std::string expected() { return "boolean"; }
    static void read(const Json& j, bool& v, const Context& c) {
        if (!j.is_boolean()) fail(c, "expected boolean, got " + describe(j));
        v = j.get<bool>();
    }
    static Json write(bool v) { return v; }
};

template <class T>
struct Codec<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
    static std::string expected() { return "integer"; }
    static void read(const Json& j, T& v, const Context& c) {
        bool integral = j.is_number_integer();
        if (j.is_number_float()) {
            const double d = j.get<double>();
            integral = d == static_cast<double>(static_cast<long long>(d));
        }
        if (!integral) fail(c, "expected integer, got " + describe(j));
        const long double wide = j.is_number_float() ? j.get<double>()
                                 : j.is_number_unsigned()
                                     ? static_cast<long double>(j.get<std::uint64_t>())
                                     : static_cast<long double>(j.get<std::int64_t>());
        if (wide < static_cast<long double>(std::numeric_limits<T>::min()) ||
            wide > static_cast<long double>(std::numeric_limits<T>::max())) {
            fail(c, "integer " + j.dump() + " is out of range");
        }
        v = static_cast<T>(wide);
    }
    static Json write(T v) { return v; }
};

template <class T>
struct Codec<T, std::enable_if_t<std::is_floating_point_v<T>>> {
    static std::string expected() { return "number"; }
    static void read(const Json& j, T& v, const Context& c) {
        if (!j.is_number()) fail(c, "expected number, got " + describe(j));
        // JSON has no NaN or infinity, but a double can exceed what T holds (1e300 as a float).
        const double wide = j.get<double>();
        if (!std::isfinite(wide) ||
            std::abs(wide) > static_cast<double>(std::numeric_limits<T>::max())) {
            fail(c, "number " + j.dump() + " is out of range");
        }
        v = static_cast<T>(wide);
    }
    static Json write(T v) { return v; }
};

template <>
struct Codec<std::string> {
    static std::string expected() { return "string"; }
    static void read(const Json& j, std::string& v, const Context& c) {
        if (!j.is_string()) fail(c, "expected string, got " + describe(j));
        v = j.get<std::string>();
    }
    static Json write(const std::string& v) { return v; }
};

/// Any JSON value, kept as it is (for parts of a file another layer interprets).
template <>
struct Codec<Json> {
    static std::string expected() { return "any JSON value"; }
    static void read(const Json& j, Json& v, const Context&) { v = j; }
    static Json write(const Json& v) { return v; }
};

template <class T>
struct Codec<std::optional<T>> {
    static std::string expected() { return Codec<T>::expected() + " or null"; }
    static void read(const Json& j, std::optional<T>& v, const Context& c) {
        if (j.is_null()) {
            v.reset();
            return;
        }
        T inner = v.value_or(T{});
        Codec<T>::read(j, inner, c);
        v = std::move(inner);
    }
    static Json write(const std::optional<T>& v) { return v ? Codec<T>::write(*v) : Json(nullptr); }
};

template <class T>
struct Codec<std::vector<T>> {
    static std::string expected() { return "list of " + Codec<T>::expected(); }
    static void read(const Json& j, std::vector<T>& v, const Context& c) {
        if (!j.is_array()) fail(c, "expected " + expected() + ", got " + describe(j));
        std::vector<T> out(j.size());
        for (std::size_t i = 0; i < j.size(); ++i) {
            Codec<T>::read(j[i], out[i], c.at(std::to_string(i)));
        }
        v = std::move(out);
    }
    static Json write(const std::vector<T>& v) {
        Json out = Json::array();
        for (const T& item : v)
            out.push_back(Codec<T>::write(item));
        return out;
    }
};

template <class T, std::size_t N>
struct Codec<std::array<T, N>> {
    static std::string expected() {
        return "list of " + std::to_string(N) + " " + Codec<T>::expected();
    }
    static void read(const Json& j, std::array<T, N>& v, const Context& c) {
        if (!j.is_array() || j.size() != N)
            fail(c, "expected " + expected() + ", got " + describe(j));
        for (std::size_t i = 0; i < N; ++i) {
            Codec<T>::read(j[i], v[i], c.at(std::to_string(i)));
        }
    }
    static Json write(const std::array<T, N>& v) {
        Json out = Json::array();
        for (const T& item : v)
            out.push_back(Codec<T>::write(item));
        return out;
    }
};

template <class T>
struct Codec<Dict<T>> {
    static std::string expected() { return "object of " + Codec<T>::expected(); }
    static void read(const Json& j, Dict<T>& v, const Context& c) {
        if (!j.is_object()) fail(c, "expected " + expected() + ", got " + describe(j));
        Dict<T> out;
        for (const auto& [key, item] : j.items()) {
            // An entry that is already present (e.g. a default camera) keeps its values as
            // defaults.
            const T* existing = dict_find(v, key);
            T value = existing != nullptr ? *existing : T{};
            Codec<T>::read(item, value, c.at(key));
            out.emplace_back(key, std::move(value));
        }
        v = std::move(out);
    }
    static Json write(const Dict<T>& v) {
        Json out = Json::object();
        for (const auto& [key, item] : v)
            out[key] = Codec<T>::write(item);
        return out;
    }
};

template <class... Ts>
struct Codec<std::variant<Ts...>> {
    static std::string expected() {
        std::string out;
        ((out += (out.empty() ? "" : " or ") + Codec<Ts>::expected()), ...);
        return out;
    }
    /// The first alternative, in declaration order, that accepts the value wins.
    static void read(const Json& j, std::variant<Ts...>& v, const Context& c) {
        if (!(try_read<Ts>(j, v, c) || ...))
            fail(c, "expected " + expected() + ", got " + describe(j));
    }
    static Json write(const std::variant<Ts...>& v) {
        return std::visit(
            [](const auto& item) { return Codec<std::decay_t<decltype(item)>>::write(item); }, v);
    }

private:
    template <class T>
    static bool try_read(const Json& j, std::variant<Ts...>& v, const Context& c) {
        T value{};
        try {
            Codec<T>::read(j, value, c);
        } catch (const Error&) {  // this alternative does not fit; try the next
            return false;
        }
        v = std::move(value);
        return true;
    }
};

template <Visitable T>
struct Codec<T> {
    static std::string expected() { return "object"; }
    static void read(const Json& j, T& v, const Context& c) {
        if (!j.is_object()) fail(c, "expected object, got " + describe(j));
        Reader reader(j, c);
        v.visit(reader);
        reader.finish();
    }
    static Json write(const T& v) {
        Writer writer;
        T copy = v;
        copy.visit(writer);
        return writer.take();
    }
};

// ---- parse_override ----------------------------------------------------------------------------

namespace detail {
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
Json parse_json_override(std::string_view text,
                         const std::string& flag,
                         const std::string& expected);
}  // namespace detail

template <class T>
Json parse_override(std::string_view text, const std::string& flag) {
    if constexpr (std::is_same_v<T, std::string>) {
        return Json(std::string(text));
    } else if constexpr (std::is_same_v<T, std::optional<std::string>>) {
        return text == "null" ? Json(nullptr) : Json(std::string(text));
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
        if (!text.empty() && text.front() == '[') {
            return detail::parse_json_override(text, flag, expected_type<T>());
        }
        if (text.empty()) return Json::array();
        return Json(split(text, ','));  // "a,,b" keeps its empty field
    } else {
        return detail::parse_json_override(text, flag, expected_type<T>());
    }
}

}  // namespace rcls::json_struct
