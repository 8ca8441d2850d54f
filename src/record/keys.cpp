// SPDX-License-Identifier: MIT
#include "rcls/record/keys.hpp"

namespace rcls::record {
namespace {

constexpr char kEscape = '\x1b';

/// The key a single byte outside an escape sequence stands for.
std::optional<RecordKey> plain_key(char byte) {
    switch (byte) {
        case 's':
        case 'S':
            return RecordKey::Success;
        case 'f':
        case 'F':
            return RecordKey::Failure;
        case ' ':
            return RecordKey::EndEpisode;
        case 'r':
        case 'R':
            return RecordKey::Rerecord;
        case 'q':
        case 'Q':
            return RecordKey::Stop;
        default:
            return std::nullopt;
    }
}

/// A CSI/SS3 sequence ends with a byte in 0x40..0x7e (its final byte).
bool is_final_byte(char byte) {
    return byte >= 0x40 && byte <= 0x7e;
}

}  // namespace

std::string_view to_string(RecordKey key) {
    switch (key) {
        case RecordKey::Success:
            return "success";
        case RecordKey::Failure:
            return "failure";
        case RecordKey::EndEpisode:
            return "end_episode";
        case RecordKey::Rerecord:
            return "rerecord";
        case RecordKey::Stop:
            return "stop";
    }
    return "unknown";
}

std::vector<RecordKey> KeyParser::feed(std::string_view bytes) {
    std::vector<RecordKey> keys;
    for (const char byte : bytes) {
        if (escape_.empty()) {
            if (byte == kEscape) {
                escape_.push_back(byte);
            } else if (const auto key = plain_key(byte)) {
                keys.push_back(*key);
            }
            continue;
        }
        if (escape_.size() == 1) {
            if (byte == '[' || byte == 'O') {
                escape_.push_back(byte);
            } else if (byte == kEscape) {
                // ESC ESC: the first was a lone Esc.
                keys.push_back(RecordKey::Stop);
            } else {
                // ESC <byte> (Alt+key): neither a lone Esc nor a sequence we know; dropped.
                escape_.clear();
            }
            continue;
        }
        // Inside ESC [ ... or ESC O ...: parameters until the final byte.
        if (is_final_byte(byte)) {
            const bool plain = escape_.size() == 2;  // no parameters (ESC [ C, ESC O C)
            if (plain && byte == 'C') keys.push_back(RecordKey::EndEpisode);
            if (plain && byte == 'D') keys.push_back(RecordKey::Rerecord);
            escape_.clear();
        } else if (byte == kEscape) {
            // A broken sequence followed by a new escape: restart.
            escape_.assign(1, kEscape);
        } else if (escape_.size() < 16) {
            escape_.push_back(byte);
        } else {
            escape_.clear();  // an endless sequence: give up on it
        }
    }
    return keys;
}

std::vector<RecordKey> KeyParser::flush() {
    std::vector<RecordKey> keys;
    if (escape_.size() == 1) keys.push_back(RecordKey::Stop);
    escape_.clear();
    return keys;
}

void ScriptedKeySource::push(RecordKey key) {
    const std::lock_guard lock(mutex_);
    queue_.push_back(key);
}

std::vector<RecordKey> ScriptedKeySource::poll() {
    const std::lock_guard lock(mutex_);
    std::vector<RecordKey> keys(queue_.begin(), queue_.end());
    queue_.clear();
    return keys;
}

}  // namespace rcls::record
