// SPDX-License-Identifier: MIT
#include "rcls/parquet/writer.hpp"

#include <cstring>
#include <type_traits>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/version.hpp"

#include "arrow_schema.hpp"
#include "encoding.hpp"
#include "format.hpp"

namespace rcls::parquet {
namespace {

int codec_of(Compression c) {
    switch (c) {
        case Compression::kUncompressed:
            return format::kUncompressed;
        case Compression::kSnappy:
            return format::kSnappy;
        case Compression::kGzip:
            return format::kGzip;
        case Compression::kZstd:
            return format::kZstd;
    }
    return format::kUncompressed;
}

int physical_of(ValueType t) {
    switch (t) {
        case ValueType::kBool:
            return format::kBoolean;
        case ValueType::kInt32:
            return format::kInt32;
        case ValueType::kInt64:
            return format::kInt64;
        case ValueType::kFloat:
            return format::kFloat;
        case ValueType::kDouble:
            return format::kDouble;
        case ValueType::kString:
            return format::kByteArray;
    }
    return format::kByteArray;
}

bool type_matches(const Column& c) {
    switch (c.type) {
        case ValueType::kBool:
            return std::holds_alternative<std::vector<std::uint8_t>>(c.values);
        case ValueType::kInt32:
            return std::holds_alternative<std::vector<std::int32_t>>(c.values);
        case ValueType::kInt64:
            return std::holds_alternative<std::vector<std::int64_t>>(c.values);
        case ValueType::kFloat:
            return std::holds_alternative<std::vector<float>>(c.values);
        case ValueType::kDouble:
            return std::holds_alternative<std::vector<double>>(c.values);
        case ValueType::kString:
            return std::holds_alternative<std::vector<std::string>>(c.values);
    }
    return false;
}

void check_column(const Column& c, std::size_t rows) {
    const std::string where = "column \"" + c.name + "\": ";
    if (!type_matches(c)) throw DataError(where + "values do not match its type");
    if (c.num_rows() != rows) {
        throw DataError(where + std::to_string(c.num_rows()) + " rows, the table has " +
                        std::to_string(rows));
    }
    std::size_t parents = rows;
    for (const auto& off : c.offsets) {
        if (off.size() != parents + 1 || off.front() != 0) throw DataError(where + "bad offsets");
        for (std::size_t i = 1; i < off.size(); ++i) {
            if (off[i] < off[i - 1]) throw DataError(where + "offsets decrease");
        }
        parents = static_cast<std::size_t>(off.back());
    }
    if (parents != c.num_values()) throw DataError(where + "offsets do not match the values");
    if (!c.row_valid.empty() && c.row_valid.size() != rows) {
        throw DataError(where + "bad row_valid");
    }
    if (!c.valid.empty() && c.valid.size() != c.num_values()) throw DataError(where + "bad valid");
}

/// Schema elements for one column (pyarrow's layout), appended to `schema`.
void add_schema(const Column& c, std::vector<format::SchemaElement>& schema) {
    const int depth = c.list_depth();
    for (int level = 0; level < depth; ++level) {
        format::SchemaElement group;
        group.name = level == 0 ? c.name : "element";
        group.repetition = format::kOptional;
        group.num_children = 1;
        group.converted_type = format::kList;
        group.logical = format::kLogicalList;
        schema.push_back(group);
        format::SchemaElement repeated;
        repeated.name = "list";
        repeated.repetition = format::kRepeated;
        repeated.num_children = 1;
        schema.push_back(repeated);
    }
    format::SchemaElement leaf;
    leaf.name = depth == 0 ? c.name : "element";
    leaf.repetition = format::kOptional;
    leaf.type = physical_of(c.type);
    if (c.type == ValueType::kString) {
        leaf.converted_type = format::kUtf8;
        leaf.logical = format::kLogicalString;
    }
    schema.push_back(leaf);
}

/// Levels and PLAIN values of rows [begin, end) of a column: the inverse of record assembly.
struct PageContent {
    std::vector<std::uint32_t> rep;
    std::vector<std::uint32_t> def;
    std::string values;
    std::size_t count = 0;
};

template <class T>
void append_plain(const std::vector<T>& values,
                  std::size_t i,
                  PageContent& page,
                  std::size_t& bool_bits) {
    if constexpr (std::is_same_v<T, std::uint8_t>) {
        if (bool_bits % 8 == 0) page.values.push_back('\0');
        if (values[i] != 0) {
            page.values.back() = static_cast<char>(page.values.back() | (1 << (bool_bits % 8)));
        }
        ++bool_bits;
    } else if constexpr (std::is_same_v<T, std::string>) {
        const auto n = static_cast<std::uint32_t>(values[i].size());
        char len[4];
        std::memcpy(len, &n, 4);
        page.values.append(len, 4);
        page.values += values[i];
    } else {
        char bytes[sizeof(T)];
        std::memcpy(bytes, &values[i], sizeof(T));
        page.values.append(bytes, sizeof(T));
    }
}

template <class T>
void emit_slot(const Column& c,
               const std::vector<T>& values,
               int level,
               std::size_t slot,
               std::uint32_t rep,
               PageContent& page,
               std::size_t& bool_bits) {
    const int depth = c.list_depth();
    if (level == depth) {
        const bool present = c.valid.empty() || c.valid[slot] != 0;
        page.rep.push_back(rep);
        page.def.push_back(static_cast<std::uint32_t>(present ? 2 * depth + 1 : 2 * depth));
        if (present) append_plain(values, slot, page, bool_bits);
        return;
    }
    const auto& off = c.offsets[static_cast<std::size_t>(level)];
    const auto begin = static_cast<std::size_t>(off[slot]);
    const auto end = static_cast<std::size_t>(off[slot + 1]);
    if (begin == end) {
        page.rep.push_back(rep);
        page.def.push_back(static_cast<std::uint32_t>(2 * level + 1));
        return;
    }
    for (std::size_t child = begin; child < end; ++child) {
        emit_slot(c, values, level + 1, child,
                  child == begin ? rep : static_cast<std::uint32_t>(level + 1), page, bool_bits);
    }
}

template <class T>
PageContent page_content(const Column& c, std::size_t begin, std::size_t end) {
    PageContent page;
    std::size_t bool_bits = 0;
    const auto& values = std::get<std::vector<T>>(c.values);
    for (std::size_t row = begin; row < end; ++row) {
        if (!c.row_present(row)) {
            page.rep.push_back(0);
            page.def.push_back(0);
            continue;
        }
        emit_slot(c, values, 0, row, 0, page, bool_bits);
    }
    return page;
}

PageContent make_page(const Column& c, std::size_t begin, std::size_t end) {
    return std::visit(
        [&](const auto& v) {
            using T = typename std::decay_t<decltype(v)>::value_type;
            return page_content<T>(c, begin, end);
        },
        c.values);
}

std::string levels_block(const std::vector<std::uint32_t>& levels, int max_level) {
    const std::string rle = encoding::encode_rle_hybrid(
        levels, encoding::bit_width(static_cast<std::uint32_t>(max_level)));
    std::string out(4, '\0');
    const auto n = static_cast<std::uint32_t>(rle.size());
    std::memcpy(out.data(), &n, 4);
    return out + rle;
}

}  // namespace

std::string encode_table(const Table& table, const WriteOptions& options) {
    const auto rows = static_cast<std::size_t>(table.num_rows);
    for (const Column& c : table.columns) {
        check_column(c, rows);
    }
    const int codec = codec_of(options.compression);
    const std::size_t page_rows = std::max<std::size_t>(1, options.rows_per_page);
    const std::size_t group_rows = std::max<std::size_t>(1, options.rows_per_row_group);

    format::FileMetaData meta;
    meta.created_by = std::string("rcls version ") + kVersion;
    meta.num_rows = table.num_rows;
    format::SchemaElement root;
    root.name = "schema";
    root.num_children = static_cast<int>(table.columns.size());
    meta.schema.push_back(root);
    for (const Column& c : table.columns) {
        add_schema(c, meta.schema);
    }
    meta.key_value = table.metadata;
    if (options.arrow_schema) {
        meta.key_value.emplace_back("ARROW:schema", arrow_schema_base64(table, table.metadata));
    }

    std::string out = "PAR1";
    for (std::size_t group_start = 0; group_start < rows || (rows == 0 && group_start == 0);
         group_start += group_rows) {
        const std::size_t group_end = std::min(rows, group_start + group_rows);
        format::RowGroup group;
        group.num_rows = static_cast<std::int64_t>(group_end - group_start);
        for (const Column& c : table.columns) {
            const int depth = c.list_depth();
            format::ColumnMeta cm;
            cm.type = physical_of(c.type);
            cm.encodings = {format::kPlain, format::kRle};
            cm.path.push_back(c.name);
            for (int level = 0; level < depth; ++level) {
                cm.path.push_back("list");
                cm.path.push_back("element");
            }
            cm.codec = codec;
            cm.data_page_offset = static_cast<std::int64_t>(out.size());
            for (std::size_t page_start = group_start;
                 page_start < group_end || (page_start == group_start && group_start == group_end);
                 page_start += page_rows) {
                const std::size_t page_end = std::min(group_end, page_start + page_rows);
                const PageContent content = make_page(c, page_start, page_end);
                std::string body;
                if (depth > 0) body += levels_block(content.rep, depth);
                body += levels_block(content.def, 2 * depth + 1);
                body += content.values;
                const std::string compressed = encoding::compress(codec, body);
                format::PageHeader header;
                header.type = format::kDataPage;
                header.uncompressed_size = static_cast<std::int32_t>(body.size());
                header.compressed_size = static_cast<std::int32_t>(compressed.size());
                header.num_values = static_cast<std::int32_t>(content.def.size());
                header.encoding = format::kPlain;
                const std::string header_bytes = format::serialize_page_header(header);
                out += header_bytes;
                out += compressed;
                cm.num_values += header.num_values;
                cm.total_uncompressed_size +=
                    static_cast<std::int64_t>(header_bytes.size() + body.size());
                cm.total_compressed_size +=
                    static_cast<std::int64_t>(header_bytes.size() + compressed.size());
                if (page_end == group_end) break;
            }
            group.total_byte_size += cm.total_uncompressed_size;
            group.columns.push_back(std::move(cm));
        }
        meta.row_groups.push_back(std::move(group));
        if (group_end == rows) break;
    }
    const std::string footer = format::serialize_file_metadata(meta);
    out += footer;
    const auto footer_size = static_cast<std::uint32_t>(footer.size());
    char size_bytes[4];
    std::memcpy(size_bytes, &footer_size, 4);
    out.append(size_bytes, 4);
    out += "PAR1";
    return out;
}

void write_table(const std::filesystem::path& path,
                 const Table& table,
                 const WriteOptions& options) {
    write_file_atomic(path, encode_table(table, options));
}

}  // namespace rcls::parquet
