// SPDX-License-Identifier: MIT
#include "rcls/core/json_struct.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/strings.hpp"

namespace rcls::json_struct {

void throw_error(ErrorKind kind, const std::string& message) {
    switch (kind) {
        case ErrorKind::kData:
            throw DataError(message);
        case ErrorKind::kModel:
            throw ModelError(message);
        case ErrorKind::kConfig:
            break;
    }
    throw ConfigError(message);
}

Context Context::at(std::string_view key) const {
    return Context(source, append_pointer(pointer, key), kind, mode, foreign);
}

bool ForeignKeys::matches(std::string_view pointer) const {
    const std::vector<std::string> keys = split(std::string(pointer), '/');
    for (const std::string& pattern : patterns) {
        const std::vector<std::string> wanted = split(pattern, '/');
        if (wanted.size() > keys.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < wanted.size() && same; ++i) {
            same = wanted[i] == "*" || wanted[i] == keys[i];
        }
        if (same) return true;
    }
    return false;
}

std::string ForeignKeys::describe_ignored() const {
    std::vector<std::string> names;
    for (const std::string& pointer : ignored) {
        std::string name = pointer.substr(pointer.empty() ? 0 : 1);
        std::replace(name.begin(), name.end(), '/', '.');
        names.push_back(name);
    }
    return join(names, ", ");
}

void fail(const Context& context, const std::string& message) {
    std::string where = context.source;
    if (!context.pointer.empty()) where += ": " + context.pointer;
    throw_error(context.kind, where + ": " + message);
}

std::string type_name(const Json& value) {
    switch (value.type()) {
        case Json::value_t::object:
            return "object";
        case Json::value_t::array:
            return "array";
        case Json::value_t::string:
            return "string";
        case Json::value_t::boolean:
            return "boolean";
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
            return "integer";
        case Json::value_t::number_float:
            return "number";
        case Json::value_t::null:
            return "null";
        default:
            return "binary";
    }
}

std::string describe(const Json& value) {
    if (value.is_object()) return "an object";
    if (value.is_array()) return "a list of " + std::to_string(value.size());
    if (value.is_null()) return "null";
    std::string text = value.dump();
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return type_name(value) + " " + text;
}

std::string append_pointer(std::string_view pointer, std::string_view key) {
    std::string out(pointer);
    out += '/';
    for (const char ch : key) {
        if (ch == '~') {
            out += "~0";
        } else if (ch == '/') {
            out += "~1";
        } else {
            out += ch;
        }
    }
    return out;
}

namespace {

/// A SAX handler that only tracks the JSON pointer of the value being parsed, to say where a
/// number that does not fit a double (1e400) is: nlohmann's out_of_range error carries neither
/// the position nor the pointer.
class PointerTracker : public nlohmann::json_sax<Json> {
public:
    bool null() override { return value(); }
    bool boolean(bool) override { return value(); }
    bool number_integer(number_integer_t) override { return value(); }
    bool number_unsigned(number_unsigned_t) override { return value(); }
    bool number_float(number_float_t, const string_t&) override { return value(); }
    bool string(string_t&) override { return value(); }
    bool binary(binary_t&) override { return value(); }
    bool start_object(std::size_t) override { return open(false); }
    bool start_array(std::size_t) override { return open(true); }
    bool key(string_t& key) override {
        frames_.back().key = key;
        return true;
    }
    bool end_object() override { return close(); }
    bool end_array() override { return close(); }
    bool parse_error(std::size_t position,
                     const std::string&,
                     const nlohmann::detail::exception& e) override {
        error_position = position;
        error_id = e.id;
        error_pointer = pointer();
        return false;
    }

    std::size_t error_position = 0;
    int error_id = 0;
    std::string error_pointer;

private:
    struct Frame {
        bool array = false;
        std::size_t index = 0;
        std::string key;
    };
    std::string pointer() const {
        std::string out;
        for (const Frame& f : frames_) {
            out = append_pointer(out, f.array ? std::to_string(f.index) : f.key);
        }
        return out;
    }
    bool value() {
        if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
        return true;
    }
    bool open(bool array) {
        frames_.push_back({array, 0, {}});
        return true;
    }
    bool close() {
        frames_.pop_back();
        return value();
    }
    std::vector<Frame> frames_;
};

}  // namespace

Json parse_text(std::string_view text, const std::string& source, ErrorKind kind) {
    // nlohmann's lexer takes a NUL byte for the end of input: whatever follows it would be
    // ignored silently. JSON text never holds one.
    if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
        const std::string_view before = text.substr(0, nul);
        const std::size_t line =
            1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
        const std::size_t line_start = before.rfind('\n');
        const std::size_t column =
            nul - (line_start == std::string_view::npos ? 0 : line_start + 1) + 1;
        throw_error(kind, source + ":" + std::to_string(line) + ":" + std::to_string(column) +
                              ": invalid JSON: a NUL byte (the file is binary or corrupt)");
    }
    try {
        return Json::parse(text, nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/true);
    } catch (const Json::out_of_range& e) {
        // A number too large for a double (406: "number overflow parsing '1e400'"): name the
        // file, the line and the JSON pointer of the value.
        PointerTracker tracker;
        Json::sax_parse(text, &tracker, nlohmann::detail::input_format_t::json,
                        /*strict=*/true, /*ignore_comments=*/true);
        std::size_t line = 1;
        for (std::size_t i = 0; i < std::min(tracker.error_position, text.size()); ++i) {
            if (text[i] == '\n') ++line;
        }
        std::string what = e.what();
        if (const std::size_t at = what.find("] "); at != std::string::npos) {
            what = what.substr(at + 2);
        }
        throw_error(kind, source + ":" + std::to_string(line) + ": " +
                              (tracker.error_pointer.empty() ? "" : tracker.error_pointer + ": ") +
                              what + " (out of the range of a double)");
    } catch (const Json::parse_error& e) {
        // Turn the byte offset into line:column, and keep only nlohmann's explanation.
        const std::size_t offset = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
        std::size_t line = 1;
        std::size_t column = 1;
        for (std::size_t i = 0; i < offset; ++i) {
            if (text[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        std::string what = e.what();
        if (const std::size_t at = what.find("syntax error while parsing");
            at != std::string::npos) {
            what = what.substr(at + 7);
        } else if (const std::size_t colon = what.rfind(": "); colon != std::string::npos) {
            what = what.substr(colon + 2);
        }
        throw_error(kind, source + ":" + std::to_string(line) + ":" + std::to_string(column) +
                              ": invalid JSON: " + what);
    }
}

std::string read_text(const std::filesystem::path& path, ErrorKind kind) {
    // core's read_file: a named pipe without a writer, a device or a socket is refused rather than
    // waited on or read for ever; its DataError becomes the caller's kind of error here, once.
    try {
        return read_file(path);
    } catch (const DataError& e) {
        if (kind == ErrorKind::kData) throw;
        throw_error(kind, e.what());
    }
}

Json parse_file(const std::filesystem::path& path, ErrorKind kind, std::string_view what) {
    std::error_code error;
    if (!std::filesystem::exists(path, error)) {
        throw_error(kind, path.string() + ": " + std::string(what) + " not found");
    }
    if (std::filesystem::is_directory(path, error)) {
        throw_error(kind, path.string() + ": is a directory, expected a JSON " + std::string(what));
    }
    return parse_text(read_text(path, kind), path.string(), kind);
}

Reader::Reader(const Json& object, Context context)
    : object_(object), context_(std::move(context)) {
    if (!object_.is_object()) fail(context_, "expected object, got " + describe(object_));
}

void Reader::alias(std::string_view old_key, std::string_view key) {
    aliases_.emplace_back(old_key, key);
}

const Json* Reader::take(std::string_view key) {
    known_.emplace_back(key);
    const Json* found = nullptr;
    if (auto it = object_.find(key); it != object_.end()) found = &*it;
    for (const auto& [old_key, new_key] : aliases_) {
        if (new_key != key) continue;
        known_.push_back(old_key);
        auto it = object_.find(old_key);
        if (it == object_.end()) continue;
        // LeRobot writes the unused one as null beside the other ("policy": null beside
        // "reward_model"): a null name stands for nothing.
        if (it->is_null() && found != nullptr) continue;
        if (found != nullptr && found->is_null()) found = nullptr;
        if (found != nullptr) {
            fail(context_, "both \"" + std::string(key) + "\" and its old name \"" + old_key +
                               "\" are set; keep one");
        }
        found = &*it;
    }
    return found;
}

void Reader::field(std::string_view key,
                   std::string& value,
                   std::string_view help,
                   const std::vector<std::string>& choices) {
    field(key, value, help);
    if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
        fail(child(key), "\"" + value + "\" is not one of " + join(choices, ", ") +
                             did_you_mean(value, choices));
    }
}

void Reader::require(std::string_view key, bool ok, std::string_view message) const {
    if (!ok) fail(key.empty() ? context_ : child(key), std::string(message));
}

std::vector<std::string> Reader::unread_keys() const {
    std::vector<std::string> keys;
    for (const auto& [key, value] : object_.items()) {
        if (std::find(known_.begin(), known_.end(), key) == known_.end()) keys.push_back(key);
    }
    return keys;
}

void Reader::finish() const {
    if (context_.mode == Mode::kLenient) return;
    for (const std::string& key : unread_keys()) {
        if (context_.foreign != nullptr) {
            const std::string pointer = child(key).pointer;
            if (context_.foreign->matches(pointer)) {
                context_.foreign->ignored.push_back(pointer);
                continue;
            }
        }
        std::string suggestion = did_you_mean(key, known_);
        if (suggestion.empty()) suggestion = " (valid keys: " + join(known_, ", ") + ")";
        fail(child(key), "unknown key \"" + key + "\"" + suggestion);
    }
}

void set_at_pointer(Json& document, const std::string& pointer, Json value) {
    document[Json::json_pointer(pointer)] = std::move(value);
}

namespace detail {

Json parse_json_override(std::string_view text,
                         const std::string& flag,
                         const std::string& expected) {
    try {
        return Json::parse(text);
    } catch (const Json::parse_error&) {
        throw ConfigError("option " + flag + ": \"" + std::string(text) + "\" is not a valid " +
                          expected);
    } catch (const Json::out_of_range&) {  // 1e400: does not fit a double
        throw ConfigError("option " + flag + ": \"" + std::string(text) + "\" is out of range");
    }
}

}  // namespace detail
}  // namespace rcls::json_struct
