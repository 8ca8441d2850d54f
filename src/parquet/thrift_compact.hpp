// SPDX-License-Identifier: MIT
//
// The Thrift compact protocol, as far as Parquet's footer and page headers use it. Hand-written
// instead of Debian's libthrift: libthrift needs generated code from parquet.thrift (which rcls
// would have to carry anyway), and its containers allocate whatever size the input claims. This
// decoder checks every length and count against the bytes that are left and limits nesting, so
// a corrupt footer is a DataError, never a crash or a huge allocation.
//
// Wire format (thrift/doc/specs/thrift-compact-protocol.md): a field header is one byte
// `delta << 4 | type` (delta 1..15 from the previous field id), or `type` followed by a zigzag
// varint id; integers are zigzag varints; binary is varint length + bytes; a list header is
// `size << 4 | elem_type` (size 15: a varint size follows); a struct ends with a 0 byte.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rcls::parquet::thrift {

/// Compact protocol type codes.
enum Type : std::uint8_t {
    kStop = 0,
    kTrue = 1,
    kFalse = 2,
    kByte = 3,
    kI16 = 4,
    kI32 = 5,
    kI64 = 6,
    kDouble = 7,
    kBinary = 8,
    kList = 9,
    kSet = 10,
    kMap = 11,
    kStruct = 12,
};

/// Reads compact-protocol values from a byte range it does not own. Every read checks bounds and
/// throws DataError("<context>: corrupt metadata: ...") on malformed input.
class Reader {
public:
    Reader(std::string_view bytes, std::string context)
        : data_(bytes), context_(std::move(context)) {}

    /// Reads one struct: calls `on_field(id, type)` for each field, which must consume the value
    /// (a read_* call or skip(type)).
    template <class F>
    void read_struct(F&& on_field) {
        enter();
        std::int16_t last_id = 0;
        for (;;) {
            const std::uint8_t header = byte();
            const std::uint8_t type = header & 0x0F;
            if (type == kStop) break;
            const int delta = header >> 4;
            const std::int16_t id = delta != 0 ? static_cast<std::int16_t>(last_id + delta)
                                               : static_cast<std::int16_t>(zigzag32());
            last_id = id;
            on_field(id, type);
        }
        leave();
    }

    /// Reads a list header and calls `on_element(elem_type)` once per element.
    template <class F>
    void read_list(F&& on_element) {
        std::uint8_t elem_type = 0;
        const std::size_t count = list_header(elem_type);
        enter();
        for (std::size_t i = 0; i < count; ++i)
            on_element(elem_type);
        leave();
    }

    /// A one-byte integer (the compact protocol writes i8 as a raw byte).
    std::int8_t read_byte() { return static_cast<std::int8_t>(byte()); }
    std::int32_t read_i32() { return zigzag32(); }
    std::int64_t read_i64() { return zigzag64(); }
    /// A boolean field (value in the type code) or list element (one byte).
    bool read_bool(std::uint8_t type);
    std::string read_binary();
    /// Skips one value of `type`, however nested.
    void skip(std::uint8_t type);

    std::size_t position() const { return pos_; }
    /// Throws the DataError this reader throws for `what`.
    [[noreturn]] void fail(const std::string& what) const;

private:
    std::uint8_t byte();
    std::uint64_t varint();
    std::int32_t zigzag32();
    std::int64_t zigzag64();
    std::size_t list_header(std::uint8_t& elem_type);
    void enter();
    void leave() { --depth_; }

    std::string_view data_;
    std::string context_;
    std::size_t pos_ = 0;
    int depth_ = 0;
};

/// Appends compact-protocol values to a string. Structs nest with begin_struct()/end_struct().
class Writer {
public:
    Writer() { last_id_.push_back(0); }

    void field_i32(std::int16_t id, std::int32_t value);
    void field_i64(std::int16_t id, std::int64_t value);
    void field_bool(std::int16_t id, bool value);
    void field_binary(std::int16_t id, std::string_view value);
    /// Opens a struct-valued field; close it with end_struct().
    void begin_struct(std::int16_t id);
    /// Opens a list-valued field of `size` elements of `elem_type`.
    void begin_list(std::int16_t id, Type elem_type, std::size_t size);
    /// Opens a struct that is a list element; close it with end_struct().
    void begin_list_struct();
    void list_i32(std::int32_t value) { zigzag(value); }
    void list_binary(std::string_view value);
    /// Writes the stop byte of the innermost open struct.
    void end_struct();

    /// The bytes so far (the outermost struct needs its own end_struct()).
    const std::string& bytes() const { return out_; }

private:
    void field_header(std::int16_t id, Type type);
    void varint(std::uint64_t value);
    void zigzag(std::int64_t value);

    std::string out_;
    std::vector<std::int16_t> last_id_;
};

}  // namespace rcls::parquet::thrift
