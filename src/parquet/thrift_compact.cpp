// SPDX-License-Identifier: MIT
#include "thrift_compact.hpp"

#include "rcls/core/error.hpp"

namespace rcls::parquet::thrift {
namespace {

constexpr int kMaxDepth = 32;

}  // namespace

void Reader::fail(const std::string& what) const {
    throw DataError(context_ + ": corrupt metadata: " + what + " at byte " + std::to_string(pos_));
}

void Reader::enter() {
    if (++depth_ > kMaxDepth) fail("nesting deeper than " + std::to_string(kMaxDepth));
}

std::uint8_t Reader::byte() {
    if (pos_ >= data_.size()) fail("unexpected end");
    return static_cast<std::uint8_t>(data_[pos_++]);
}

std::uint64_t Reader::varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        const std::uint8_t b = byte();
        value |= static_cast<std::uint64_t>(b & 0x7F) << shift;
        if ((b & 0x80) == 0) return value;
    }
    fail("varint longer than 10 bytes");
}

std::int32_t Reader::zigzag32() {
    const std::uint64_t raw = varint();
    if (raw > 0xFFFFFFFFull) fail("32-bit integer out of range");
    const auto u = static_cast<std::uint32_t>(raw);
    return static_cast<std::int32_t>((u >> 1) ^ (~(u & 1) + 1));
}

std::int64_t Reader::zigzag64() {
    const std::uint64_t u = varint();
    return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

bool Reader::read_bool(std::uint8_t type) {
    if (type == kTrue) return true;
    if (type == kFalse) return false;
    const std::uint8_t b = byte();  // a list element
    if (b != kTrue && b != kFalse && b != 0) fail("bad boolean");
    return b == kTrue;
}

std::string Reader::read_binary() {
    const std::uint64_t size = varint();
    if (size > data_.size() - pos_) {
        fail("string of " + std::to_string(size) + " bytes past the end");
    }
    std::string value(data_.substr(pos_, static_cast<std::size_t>(size)));
    pos_ += static_cast<std::size_t>(size);
    return value;
}

std::size_t Reader::list_header(std::uint8_t& elem_type) {
    const std::uint8_t header = byte();
    elem_type = header & 0x0F;
    std::uint64_t count = header >> 4;
    if (count == 15) count = varint();
    // Every element takes at least one byte, so a count beyond the bytes left is corrupt.
    if (count > data_.size() - pos_) {
        fail("list of " + std::to_string(count) + " elements past the end");
    }
    return static_cast<std::size_t>(count);
}

void Reader::skip(std::uint8_t type) {
    switch (type) {
        case kTrue:
        case kFalse:
            return;
        case kByte:
            byte();
            return;
        case kI16:
        case kI32:
        case kI64:
            varint();
            return;
        case kDouble:
            for (int i = 0; i < 8; ++i) {
                byte();
            }
            return;
        case kBinary:
            read_binary();
            return;
        case kList:
        case kSet:
            read_list([&](std::uint8_t elem) {
                if (elem == kTrue || elem == kFalse) {
                    byte();
                } else {
                    skip(elem);
                }
            });
            return;
        case kMap: {
            const std::uint64_t count = varint();
            if (count == 0) return;
            if (count > data_.size() - pos_) fail("map past the end");
            const std::uint8_t kinds = byte();
            enter();
            for (std::uint64_t i = 0; i < count; ++i) {
                skip(kinds >> 4);
                skip(kinds & 0x0F);
            }
            leave();
            return;
        }
        case kStruct:
            read_struct([&](std::int16_t, std::uint8_t field_type) { skip(field_type); });
            return;
        default:
            fail("unknown type code " + std::to_string(type));
    }
}

void Writer::varint(std::uint64_t value) {
    while (value >= 0x80) {
        out_.push_back(static_cast<char>((value & 0x7F) | 0x80));
        value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
}

void Writer::zigzag(std::int64_t value) {
    varint((static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63));
}

void Writer::field_header(std::int16_t id, Type type) {
    const int delta = id - last_id_.back();
    if (delta > 0 && delta <= 15) {
        out_.push_back(static_cast<char>((delta << 4) | type));
    } else {
        out_.push_back(static_cast<char>(type));
        zigzag(id);
    }
    last_id_.back() = id;
}

void Writer::field_i32(std::int16_t id, std::int32_t value) {
    field_header(id, kI32);
    zigzag(value);
}

void Writer::field_i64(std::int16_t id, std::int64_t value) {
    field_header(id, kI64);
    zigzag(value);
}

void Writer::field_bool(std::int16_t id, bool value) {
    field_header(id, value ? kTrue : kFalse);
}

void Writer::field_binary(std::int16_t id, std::string_view value) {
    field_header(id, kBinary);
    list_binary(value);
}

void Writer::list_binary(std::string_view value) {
    varint(value.size());
    out_.append(value);
}

void Writer::begin_struct(std::int16_t id) {
    field_header(id, kStruct);
    last_id_.push_back(0);
}

void Writer::begin_list(std::int16_t id, Type elem_type, std::size_t size) {
    field_header(id, kList);
    if (size < 15) {
        out_.push_back(static_cast<char>((size << 4) | elem_type));
    } else {
        out_.push_back(static_cast<char>(0xF0 | elem_type));
        varint(size);
    }
}

void Writer::begin_list_struct() {
    last_id_.push_back(0);
}

void Writer::end_struct() {
    out_.push_back(static_cast<char>(kStop));
    if (last_id_.size() > 1) last_id_.pop_back();
}

}  // namespace rcls::parquet::thrift
