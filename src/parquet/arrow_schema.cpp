// SPDX-License-Identifier: MIT
#include "arrow_schema.hpp"

#include <cstdint>
#include <cstring>
#include <map>

namespace rcls::parquet {
namespace {

/// A minimal FlatBuffers builder. Like the official one it fills the buffer from the back, so
/// that every object is written before the objects that point at it and all offsets point
/// forward; a handle is the buffer size at the moment an object was finished.
class FlatBuilder {
public:
    using Handle = std::uint32_t;

    Handle size() const { return static_cast<Handle>(buf_.size()); }

    Handle string(const std::string& s) {
        align(4, s.size() + 1);
        prepend_bytes("\0", 1);
        prepend_bytes(s.data(), s.size());
        prepend_scalar<std::uint32_t>(static_cast<std::uint32_t>(s.size()));
        return size();
    }

    Handle offset_vector(const std::vector<Handle>& items) {
        align(4, items.size() * 4);
        for (auto it = items.rbegin(); it != items.rend(); ++it)
            prepend_offset(*it);
        prepend_scalar<std::uint32_t>(static_cast<std::uint32_t>(items.size()));
        return size();
    }

    void start_table() {
        fields_.clear();
        table_start_ = size();
    }
    template <class T>
    void add_scalar(int id, T value) {
        prepend_scalar<T>(value);
        fields_[id] = size();
    }
    void add_offset(int id, Handle target) {
        prepend_offset(target);
        fields_[id] = size();
    }
    Handle end_table() {
        prepend_scalar<std::int32_t>(0);  // soffset to the vtable, patched below
        const Handle table = size();
        const int max_id = fields_.empty() ? -1 : fields_.rbegin()->first;
        std::vector<std::uint16_t> vtable(static_cast<std::size_t>(max_id + 1) + 2, 0);
        vtable[0] = static_cast<std::uint16_t>(vtable.size() * 2);
        vtable[1] = static_cast<std::uint16_t>(table - table_start_);
        for (const auto& [id, handle] : fields_) {
            vtable[static_cast<std::size_t>(id) + 2] = static_cast<std::uint16_t>(table - handle);
        }
        for (auto it = vtable.rbegin(); it != vtable.rend(); ++it)
            prepend_scalar(*it);
        const Handle vt = size();
        // The vtable sits before the table: soffset = table position - vtable position.
        const std::int32_t soffset = static_cast<std::int32_t>(vt - table);
        std::memcpy(buf_.data() + (buf_.size() - table), &soffset, 4);
        return table;
    }

    /// Finishes with `root` and returns the buffer, padded to 8 bytes.
    std::string finish(Handle root) {
        align(min_align_, 4);
        prepend_offset(root);
        return buf_;
    }

private:
    void align(std::size_t alignment, std::size_t extra) {
        min_align_ = std::max(min_align_, alignment);
        while ((buf_.size() + extra) % alignment != 0)
            buf_.insert(buf_.begin(), '\0');
    }
    void prepend_bytes(const char* data, std::size_t n) { buf_.insert(0, data, n); }
    template <class T>
    void prepend_scalar(T value) {
        align(sizeof(T), sizeof(T));
        char bytes[sizeof(T)];
        std::memcpy(bytes, &value, sizeof(T));
        prepend_bytes(bytes, sizeof(T));
    }
    void prepend_offset(Handle target) {
        align(4, 4);
        prepend_scalar<std::uint32_t>(size() + 4 - target);
    }

    std::string buf_;
    std::map<int, Handle> fields_;
    Handle table_start_ = 0;
    std::size_t min_align_ = 8;
};

// Schema.fbs `Type` union tags.
constexpr std::uint8_t kTypeInt = 2;
constexpr std::uint8_t kTypeFloatingPoint = 3;
constexpr std::uint8_t kTypeUtf8 = 5;
constexpr std::uint8_t kTypeBool = 6;
constexpr std::uint8_t kTypeList = 12;
constexpr std::uint8_t kTypeFixedSizeList = 16;

FlatBuilder::Handle leaf_type(FlatBuilder& b, ValueType type, std::uint8_t& tag) {
    b.start_table();
    switch (type) {
        case ValueType::kBool:
            tag = kTypeBool;
            break;
        case ValueType::kInt32:
        case ValueType::kInt64:
            tag = kTypeInt;
            b.add_scalar<std::int32_t>(0, type == ValueType::kInt32 ? 32 : 64);
            b.add_scalar<std::uint8_t>(1, 1);
            break;
        case ValueType::kFloat:
        case ValueType::kDouble:
            tag = kTypeFloatingPoint;
            b.add_scalar<std::int16_t>(0, type == ValueType::kFloat ? 1 : 2);
            break;
        case ValueType::kString:
            tag = kTypeUtf8;
            break;
    }
    return b.end_table();
}

FlatBuilder::Handle field(FlatBuilder& b,
                          const std::string& name,
                          const Column& column,
                          int level) {
    const FlatBuilder::Handle name_handle = b.string(name);
    std::uint8_t tag = 0;
    FlatBuilder::Handle type_handle = 0;
    std::vector<FlatBuilder::Handle> children;
    if (level < column.list_depth()) {
        children.push_back(field(b, "item", column, level + 1));
        b.start_table();
        // Only the innermost list carries the FixedSizeList hint.
        if (column.fixed_size > 0 && level + 1 == column.list_depth()) {
            tag = kTypeFixedSizeList;
            b.add_scalar<std::int32_t>(0, column.fixed_size);
        } else {
            tag = kTypeList;
        }
        type_handle = b.end_table();
    } else {
        type_handle = leaf_type(b, column.type, tag);
    }
    const FlatBuilder::Handle children_handle = b.offset_vector(children);
    b.start_table();
    b.add_offset(0, name_handle);
    b.add_offset(3, type_handle);
    b.add_offset(5, children_handle);
    b.add_scalar<std::uint8_t>(1, 1);  // nullable
    b.add_scalar<std::uint8_t>(2, tag);
    return b.end_table();
}

std::string base64(const std::string& bytes) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const std::uint32_t n = (static_cast<std::uint8_t>(bytes[i]) << 16) |
                                (static_cast<std::uint8_t>(bytes[i + 1]) << 8) |
                                static_cast<std::uint8_t>(bytes[i + 2]);
        for (int s = 18; s >= 0; s -= 6)
            out.push_back(kAlphabet[(n >> s) & 63]);
    }
    const std::size_t left = bytes.size() - i;
    if (left > 0) {
        std::uint32_t n = static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[i])) << 16;
        if (left == 2)
            n |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[i + 1])) << 8;
        out.push_back(kAlphabet[(n >> 18) & 63]);
        out.push_back(kAlphabet[(n >> 12) & 63]);
        out.push_back(left == 2 ? kAlphabet[(n >> 6) & 63] : '=');
        out.push_back('=');
    }
    return out;
}

}  // namespace

std::string arrow_schema_base64(const Table& table,
                                const std::vector<std::pair<std::string, std::string>>& metadata) {
    FlatBuilder b;
    std::vector<FlatBuilder::Handle> key_values;
    for (const auto& [key, value] : metadata) {
        const FlatBuilder::Handle k = b.string(key);
        const FlatBuilder::Handle v = b.string(value);
        b.start_table();
        b.add_offset(0, k);
        b.add_offset(1, v);
        key_values.push_back(b.end_table());
    }
    const FlatBuilder::Handle metadata_handle = b.offset_vector(key_values);
    std::vector<FlatBuilder::Handle> fields;
    for (const Column& column : table.columns)
        fields.push_back(field(b, column.name, column, 0));
    const FlatBuilder::Handle fields_handle = b.offset_vector(fields);
    b.start_table();  // Schema
    b.add_offset(1, fields_handle);
    b.add_offset(2, metadata_handle);
    b.add_scalar<std::int16_t>(0, 0);  // little endian
    const FlatBuilder::Handle schema = b.end_table();
    b.start_table();                   // Message
    b.add_scalar<std::int64_t>(3, 0);  // bodyLength
    b.add_offset(2, schema);
    b.add_scalar<std::int16_t>(0, 4);  // MetadataVersion V5
    b.add_scalar<std::uint8_t>(1, 1);  // MessageHeader: Schema
    std::string flat = b.finish(b.end_table());
    while (flat.size() % 8 != 0)
        flat.push_back('\0');
    std::string message("\xFF\xFF\xFF\xFF", 4);
    const auto length = static_cast<std::uint32_t>(flat.size());
    for (int i = 0; i < 4; ++i)
        message.push_back(static_cast<char>((length >> (8 * i)) & 0xFF));
    message += flat;
    return base64(message);
}

}  // namespace rcls::parquet
