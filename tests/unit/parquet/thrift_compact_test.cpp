// SPDX-License-Identifier: MIT
// Expected bytes come from the compact protocol spec (thrift-compact-protocol.md), worked out by
// hand: field header = delta << 4 | type, integers zigzag varints, struct end = 0x00.
#include "thrift_compact.hpp"

#include <string>

#include <gtest/gtest.h>

#include "rcls/core/error.hpp"

namespace rcls::parquet::thrift {
namespace {

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (int v : values)
        out.push_back(static_cast<char>(v));
    return out;
}

TEST(ThriftCompactWriter, EncodesShortFieldHeadersAndZigzagIntegers) {
    Writer w;
    w.field_i32(1, 5);      // 0x15, zigzag(5) = 10
    w.field_i64(2, -1);     // 0x16, zigzag(-1) = 1
    w.field_bool(3, true);  // 0x11
    w.end_struct();
    EXPECT_EQ(w.bytes(), bytes({0x15, 0x0A, 0x16, 0x01, 0x11, 0x00}));
}

TEST(ThriftCompactWriter, UsesLongFieldHeaderForLargeDeltas) {
    Writer w;
    w.field_i32(20, 1);  // delta 20 > 15: type byte 0x05, then zigzag(20) = 40 = 0x28
    w.end_struct();
    EXPECT_EQ(w.bytes(), bytes({0x05, 0x28, 0x02, 0x00}));
}

TEST(ThriftCompactWriter, EncodesListsAndStrings) {
    Writer w;
    w.begin_list(1, kBinary, 2);  // field 0x19, list header 2 << 4 | 8 = 0x28
    w.list_binary("ab");
    w.list_binary("");
    w.end_struct();
    EXPECT_EQ(w.bytes(), bytes({0x19, 0x28, 0x02, 'a', 'b', 0x00, 0x00}));
}

TEST(ThriftCompactReader, ReadsWhatTheSpecDescribes) {
    const std::string data = bytes({0x15, 0x0A, 0x16, 0x01, 0x11, 0x05, 0x28, 0x02, 0x00});
    Reader r(data, "test");
    std::vector<std::pair<int, std::int64_t>> fields;
    r.read_struct([&](std::int16_t id, std::uint8_t type) {
        if (type == kI32) {
            fields.emplace_back(id, r.read_i32());
        } else if (type == kI64) {
            fields.emplace_back(id, r.read_i64());
        } else {
            fields.emplace_back(id, r.read_bool(type) ? 1 : 0);
        }
    });
    const std::vector<std::pair<int, std::int64_t>> expected{{1, 5}, {2, -1}, {3, 1}, {20, 1}};
    EXPECT_EQ(fields, expected);
    EXPECT_EQ(r.position(), data.size());
}

TEST(ThriftCompactReader, SkipsNestedUnknownFields) {
    // field 1: struct { field 1: list<i32> [1, 2] }, field 2: i32 7
    const std::string data = bytes({0x1C, 0x19, 0x25, 0x02, 0x04, 0x00, 0x15, 0x0E, 0x00});
    Reader r(data, "test");
    std::int32_t seven = 0;
    r.read_struct([&](std::int16_t id, std::uint8_t type) {
        if (id == 2) {
            seven = r.read_i32();
        } else {
            r.skip(type);
        }
    });
    EXPECT_EQ(seven, 7);
}

TEST(ThriftCompactReader, TruncatedInputIsADataError) {
    const std::string data = bytes({0x15});
    Reader r(data, "f.parquet");
    EXPECT_THROW(r.read_struct([&](std::int16_t, std::uint8_t type) { r.skip(type); }), DataError);
}

TEST(ThriftCompactReader, ListLongerThanTheInputIsADataError) {
    // list header 0xF5 (size in a varint, i32 elements), size 0x7FFFFFFF
    const std::string data = bytes({0x19, 0xF5, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00});
    Reader r(data, "f.parquet");
    try {
        r.read_struct([&](std::int16_t, std::uint8_t type) { r.skip(type); });
        FAIL() << "no exception";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("f.parquet: corrupt metadata"), std::string::npos);
    }
}

TEST(ThriftCompactReader, DeepNestingIsADataError) {
    std::string data;
    for (int i = 0; i < 100; ++i)
        data.push_back(0x1C);  // field 1: struct, repeatedly
    data.append(100, '\0');
    Reader r(data, "f.parquet");
    EXPECT_THROW(r.read_struct([&](std::int16_t, std::uint8_t type) { r.skip(type); }), DataError);
}

}  // namespace
}  // namespace rcls::parquet::thrift
