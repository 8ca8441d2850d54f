// SPDX-License-Identifier: MIT
#include "rcls/parquet/reader.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <optional>
#include <type_traits>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/paths.hpp"

#include "encoding.hpp"
#include "format.hpp"

namespace rcls::parquet {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kMagic = "PAR1";
constexpr int kMaxSchemaDepth = 16;

/// One leaf of the schema with what level decoding needs.
struct Leaf {
    std::string name;               ///< Output column name.
    std::vector<std::string> path;  ///< path_in_schema.
    const format::SchemaElement* element = nullptr;
    int max_def = 0;
    int max_rep = 0;
    int row_def = 0;                ///< Def level at which the top-level field is present.
    std::vector<int> repeated_def;  ///< Def level of each repeated node, outermost first.
    ValueType type = ValueType::kInt64;
    bool supported = true;
};

std::optional<ValueType> value_type_of(const format::SchemaElement& e) {
    switch (e.type.value_or(-1)) {
        case format::kBoolean:
            return ValueType::kBool;
        case format::kInt32:
            return ValueType::kInt32;
        case format::kInt64:
            return ValueType::kInt64;
        case format::kFloat:
            return ValueType::kFloat;
        case format::kDouble:
            return ValueType::kDouble;
        case format::kByteArray:
        case format::kFixedLenByteArray:
            return ValueType::kString;
        default:
            return std::nullopt;
    }
}

struct Schema {
    std::vector<Leaf> leaves;
};

void walk(const std::vector<format::SchemaElement>& elements,
          std::size_t& index,
          int depth,
          int def,
          int rep,
          std::vector<int> repeated_def,
          std::vector<std::string> path,
          int row_def,
          std::vector<Leaf>& leaves,
          const std::string& context) {
    if (index >= elements.size()) throw DataError(context + ": schema ends early");
    if (depth > kMaxSchemaDepth) throw DataError(context + ": schema nested too deeply");
    const format::SchemaElement& e = elements[index++];
    const int repetition = e.repetition.value_or(format::kRequired);
    if (repetition == format::kOptional) ++def;
    if (repetition == format::kRepeated) {
        ++def;
        ++rep;
        repeated_def.push_back(def);
    }
    path.push_back(e.name);
    if (depth == 1) row_def = def;
    if (e.num_children < 0) throw DataError(context + ": negative child count in schema");
    if (e.num_children == 0 && e.type) {
        Leaf leaf;
        leaf.path = path;
        leaf.element = &e;
        leaf.max_def = def;
        leaf.max_rep = rep;
        leaf.row_def = row_def;
        leaf.repeated_def = std::move(repeated_def);
        const auto type = value_type_of(e);
        leaf.supported = type.has_value();
        leaf.type = type.value_or(ValueType::kString);
        leaves.push_back(std::move(leaf));
        return;
    }
    if (static_cast<std::size_t>(e.num_children) > elements.size() - index) {
        throw DataError(context + ": schema element \"" + e.name + "\" claims " +
                        std::to_string(e.num_children) + " children past the end");
    }
    for (int i = 0; i < e.num_children; ++i) {
        walk(elements, index, depth + 1, def, rep, repeated_def, path, row_def, leaves, context);
    }
}

Schema build_schema(const format::FileMetaData& meta, const std::string& context) {
    if (meta.schema.empty()) throw DataError(context + ": empty schema");
    Schema schema;
    const format::SchemaElement& root = meta.schema.front();
    if (root.num_children < 0 ||
        static_cast<std::size_t>(root.num_children) > meta.schema.size() - 1) {
        throw DataError(context + ": schema root claims " + std::to_string(root.num_children) +
                        " children");
    }
    std::size_t index = 1;
    for (int i = 0; i < root.num_children; ++i) {
        walk(meta.schema, index, 1, 0, 0, {}, {}, 0, schema.leaves, context);
    }
    // Columns are named by their top-level field when it has one leaf (all LeRobot columns).
    for (std::size_t i = 0; i < schema.leaves.size(); ++i) {
        Leaf& leaf = schema.leaves[i];
        const auto same_top = [&](const Leaf& other) { return other.path[0] == leaf.path[0]; };
        const auto n = std::count_if(schema.leaves.begin(), schema.leaves.end(), same_top);
        if (n == 1) {
            leaf.name = leaf.path[0];
        } else {
            for (std::size_t k = 0; k < leaf.path.size(); ++k) {
                leaf.name += (k ? "." : "") + leaf.path[k];
            }
        }
    }
    return schema;
}

std::uint32_t read_u32le(std::string_view bytes, std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
        v |= static_cast<std::uint32_t>(
                 static_cast<std::uint8_t>(bytes[at + static_cast<std::size_t>(i)]))
             << (8 * i);
    }
    return v;
}

/// Locates and parses the footer. `bytes` is the whole file, or its tail when `file_size` is
/// larger (then bytes.size() must cover the footer, else footer_needed reports how much).
format::FileMetaData parse_footer(std::string_view bytes,
                                  std::uint64_t file_size,
                                  const std::string& name,
                                  std::size_t* footer_needed = nullptr) {
    if (file_size < 12) {
        throw DataError(name + ": not a Parquet file (" + std::to_string(file_size) +
                        " bytes; truncated?)");
    }
    if (bytes.substr(bytes.size() - 4) != kMagic) {
        throw DataError(name +
                        ": Parquet magic bytes not found in footer (the file is truncated "
                        "or was not finished)");
    }
    const std::uint32_t footer_size = read_u32le(bytes, bytes.size() - 8);
    if (footer_size > file_size - 12) {
        throw DataError(name + ": footer size " + std::to_string(footer_size) +
                        " exceeds the file (" + std::to_string(file_size) + " bytes)");
    }
    if (footer_size + 8 > bytes.size()) {
        if (footer_needed) {
            *footer_needed = footer_size + 8;
            return {};
        }
        throw DataError(name + ": footer past the start of the data");
    }
    const std::string_view footer = bytes.substr(bytes.size() - 8 - footer_size, footer_size);
    format::FileMetaData meta = format::parse_file_metadata(footer, name);
    if (meta.num_rows < 0) throw DataError(name + ": negative row count");
    return meta;
}

FileSummary summarize(const format::FileMetaData& meta, const std::string& name) {
    const Schema schema = build_schema(meta, name);
    FileSummary summary;
    summary.num_rows = meta.num_rows;
    summary.num_row_groups = static_cast<std::int64_t>(meta.row_groups.size());
    summary.metadata = meta.key_value;
    summary.created_by = meta.created_by;
    for (const Leaf& leaf : schema.leaves) {
        summary.columns.push_back(ColumnInfo{leaf.name, leaf.type, leaf.max_rep, leaf.supported});
    }
    return summary;
}

// ---- value decoding ------------------------------------------------------------------------

/// Appends `count` PLAIN-encoded values of `leaf` from `data` to `out`; returns bytes consumed.
template <class T>
std::size_t decode_plain(std::string_view data,
                         std::size_t count,
                         const Leaf& leaf,
                         std::vector<T>& out,
                         const std::string& context) {
    const int physical = *leaf.element->type;
    if constexpr (std::is_same_v<T, std::uint8_t>) {
        if (count > data.size() * 8) throw DataError(context + ": boolean values end early");
        for (std::size_t i = 0; i < count; ++i) {
            out.push_back(
                static_cast<std::uint8_t>((static_cast<std::uint8_t>(data[i / 8]) >> (i % 8)) & 1));
        }
        return (count + 7) / 8;
    } else if constexpr (std::is_same_v<T, std::string>) {
        std::size_t pos = 0;
        for (std::size_t i = 0; i < count; ++i) {
            std::size_t length = 0;
            if (physical == format::kFixedLenByteArray) {
                if (leaf.element->type_length < 0) {
                    throw DataError(context + ": negative type length");
                }
                length = static_cast<std::size_t>(leaf.element->type_length);
            } else {
                if (data.size() - pos < 4) throw DataError(context + ": string values end early");
                length = read_u32le(data, pos);
                pos += 4;
            }
            if (length > data.size() - pos) throw DataError(context + ": string values end early");
            out.emplace_back(data.substr(pos, length));
            pos += length;
        }
        return pos;
    } else {
        if (count > data.size() / sizeof(T)) {
            throw DataError(context + ": " + std::to_string(count) + " values need " +
                            std::to_string(count * sizeof(T)) + " bytes, the page has " +
                            std::to_string(data.size()));
        }
        if (count == 0) return 0;
        const std::size_t start = out.size();
        out.resize(start + count);
        std::memcpy(out.data() + start, data.data(), count * sizeof(T));
        return count * sizeof(T);
    }
}

/// Decoded levels and values of one column chunk (all pages).
template <class T>
struct ChunkData {
    std::vector<std::uint32_t> rep;
    std::vector<std::uint32_t> def;
    std::vector<T> values;  ///< Non-null values only.
};

std::string_view take(std::string_view& data, std::size_t n, const std::string& context) {
    if (n > data.size()) throw DataError(context + ": page data ends early");
    std::string_view head = data.substr(0, n);
    data.remove_prefix(n);
    return head;
}

void decode_levels(std::string_view data,
                   int max_level,
                   std::size_t count,
                   std::vector<std::uint32_t>& out,
                   const std::string& context) {
    const std::size_t before = out.size();
    encoding::decode_rle_hybrid(data, encoding::bit_width(static_cast<std::uint32_t>(max_level)),
                                count, out, context);
    for (std::size_t i = before; i < out.size(); ++i) {
        if (out[i] > static_cast<std::uint32_t>(max_level)) {
            throw DataError(context + ": level " + std::to_string(out[i]) + " above the maximum " +
                            std::to_string(max_level));
        }
    }
}

template <class T>
void decode_values(std::string_view data,
                   int encoding_id,
                   std::size_t count,
                   const Leaf& leaf,
                   const std::vector<T>* dictionary,
                   std::vector<T>& out,
                   const std::string& context) {
    switch (encoding_id) {
        case format::kPlain:
            decode_plain(data, count, leaf, out, context);
            return;
        case format::kPlainDictionary:
        case format::kRleDictionary: {
            if (dictionary == nullptr) throw DataError(context + ": dictionary page missing");
            if (count == 0) return;
            if (data.empty()) throw DataError(context + ": dictionary indices missing");
            const int width = static_cast<std::uint8_t>(data[0]);
            std::vector<std::uint32_t> indices;
            encoding::decode_rle_hybrid(data.substr(1), width, count, indices, context);
            out.reserve(out.size() + count);
            for (std::uint32_t index : indices) {
                if (index >= dictionary->size()) {
                    throw DataError(context + ": dictionary index " + std::to_string(index) +
                                    " past the dictionary (" + std::to_string(dictionary->size()) +
                                    " entries)");
                }
                out.push_back((*dictionary)[index]);
            }
            return;
        }
        case format::kDeltaBinaryPacked:
            if constexpr (std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t>) {
                std::vector<std::int64_t> ints;
                encoding::decode_delta_binary_packed(data, count, ints, context);
                for (std::int64_t v : ints) {
                    out.push_back(static_cast<T>(v));
                }
                return;
            }
            break;
        case format::kDeltaLengthByteArray:
        case format::kDeltaByteArray:
            if constexpr (std::is_same_v<T, std::string>) {
                std::vector<std::int64_t> prefixes;
                std::size_t pos = 0;
                if (encoding_id == format::kDeltaByteArray) {
                    pos = encoding::decode_delta_binary_packed(data, count, prefixes, context);
                }
                std::vector<std::int64_t> lengths;
                pos +=
                    encoding::decode_delta_binary_packed(data.substr(pos), count, lengths, context);
                const std::size_t first = out.size();
                for (std::size_t i = 0; i < count; ++i) {
                    if (lengths[i] < 0 ||
                        static_cast<std::uint64_t>(lengths[i]) > data.size() - pos) {
                        throw DataError(context + ": string values end early");
                    }
                    std::string value;
                    if (!prefixes.empty()) {
                        static const std::string kNone;
                        const std::string& previous = i == 0 ? kNone : out[first + i - 1];
                        if (prefixes[i] < 0 ||
                            static_cast<std::size_t>(prefixes[i]) > previous.size()) {
                            throw DataError(context + ": bad DELTA_BYTE_ARRAY prefix length");
                        }
                        value = previous.substr(0, static_cast<std::size_t>(prefixes[i]));
                    }
                    value.append(data.substr(pos, static_cast<std::size_t>(lengths[i])));
                    pos += static_cast<std::size_t>(lengths[i]);
                    out.push_back(std::move(value));
                }
                return;
            }
            break;
        case format::kRle:
            if constexpr (std::is_same_v<T, std::uint8_t>) {
                // Booleans in v2 pages: 4-byte length, then width-1 RLE/bit-packed runs.
                if (data.size() < 4) throw DataError(context + ": boolean RLE data ends early");
                const std::uint32_t length = read_u32le(data, 0);
                if (length > data.size() - 4) {
                    throw DataError(context + ": boolean RLE data ends early");
                }
                std::vector<std::uint32_t> bits;
                encoding::decode_rle_hybrid(data.substr(4, length), 1, count, bits, context);
                for (std::uint32_t b : bits) {
                    out.push_back(static_cast<std::uint8_t>(b));
                }
                return;
            }
            break;
        default:
            break;
    }
    throw DataError(context + ": unsupported encoding " + std::to_string(encoding_id) +
                    " for this column type (rcls reads PLAIN, dictionary, RLE booleans and the "
                    "DELTA encodings)");
}

template <class T>
ChunkData<T> read_chunk(std::string_view file,
                        std::size_t data_end,
                        const format::ColumnMeta& cm,
                        const Leaf& leaf,
                        const std::string& context) {
    std::int64_t start = cm.data_page_offset;
    if (cm.dictionary_page_offset && *cm.dictionary_page_offset > 0 &&
        *cm.dictionary_page_offset < start) {
        start = *cm.dictionary_page_offset;
    }
    if (start < 4 || static_cast<std::uint64_t>(start) >= data_end) {
        throw DataError(context + ": column data offset " + std::to_string(start) +
                        " outside the file");
    }
    if (cm.num_values < 0 || cm.num_values > encoding::kMaxChunkValues) {
        throw DataError(context + ": absurd value count " + std::to_string(cm.num_values));
    }
    std::string_view rest =
        file.substr(static_cast<std::size_t>(start), data_end - static_cast<std::size_t>(start));
    ChunkData<T> chunk;
    std::optional<std::vector<T>> dictionary;
    std::int64_t seen = 0;
    while (seen < cm.num_values) {
        if (rest.empty()) {
            throw DataError(context + ": column data ends after " + std::to_string(seen) + " of " +
                            std::to_string(cm.num_values) + " values");
        }
        std::size_t header_size = 0;
        const format::PageHeader page = format::parse_page_header(rest, context, header_size);
        rest.remove_prefix(header_size);
        if (page.compressed_size < 0 || page.uncompressed_size < 0) {
            throw DataError(context + ": negative page size");
        }
        std::string_view body = take(rest, static_cast<std::size_t>(page.compressed_size), context);
        if (page.num_values < 0 || page.num_values > encoding::kMaxPageValues) {
            throw DataError(context + ": page claims " + std::to_string(page.num_values) +
                            " values");
        }
        const auto n = static_cast<std::size_t>(page.num_values);
        if (page.type == format::kDictionaryPage) {
            const std::string plain =
                encoding::decompress(cm.codec, body, page.uncompressed_size, context);
            dictionary.emplace();
            decode_plain(plain, n, leaf, *dictionary, context);
            continue;
        }
        if (page.type != format::kDataPage && page.type != format::kDataPageV2) continue;
        std::string_view values_data;
        std::string buffer;
        const std::size_t level_start = chunk.def.size();
        if (page.type == format::kDataPage) {
            buffer = encoding::decompress(cm.codec, body, page.uncompressed_size, context);
            std::string_view data = buffer;
            for (int pass = 0; pass < 2; ++pass) {
                const int max_level = pass == 0 ? leaf.max_rep : leaf.max_def;
                if (max_level == 0) continue;
                const int level_encoding = pass == 0 ? page.rep_encoding : page.def_encoding;
                if (level_encoding != format::kRle) {
                    throw DataError(context + ": unsupported level encoding " +
                                    std::to_string(level_encoding));
                }
                if (data.size() < 4) throw DataError(context + ": page data ends early");
                const std::uint32_t length = read_u32le(data, 0);
                data.remove_prefix(4);
                decode_levels(take(data, length, context), max_level, n,
                              pass == 0 ? chunk.rep : chunk.def, context);
            }
            values_data = data;
        } else {
            if (page.rep_levels_size < 0 || page.def_levels_size < 0) {
                throw DataError(context + ": negative level size");
            }
            std::string_view data = body;
            const std::string_view rep_data =
                take(data, static_cast<std::size_t>(page.rep_levels_size), context);
            const std::string_view def_data =
                take(data, static_cast<std::size_t>(page.def_levels_size), context);
            if (leaf.max_rep > 0) decode_levels(rep_data, leaf.max_rep, n, chunk.rep, context);
            if (leaf.max_def > 0) decode_levels(def_data, leaf.max_def, n, chunk.def, context);
            const std::int64_t values_size = static_cast<std::int64_t>(page.uncompressed_size) -
                                             page.rep_levels_size - page.def_levels_size;
            if (page.is_compressed && cm.codec != format::kUncompressed) {
                buffer = encoding::decompress(cm.codec, data, values_size, context);
                values_data = buffer;
            } else {
                values_data = data;
            }
        }
        if (leaf.max_rep == 0) chunk.rep.resize(chunk.rep.size() + n, 0);
        std::size_t present = n;
        if (leaf.max_def == 0) {
            chunk.def.resize(chunk.def.size() + n, 0);
        } else {
            present = static_cast<std::size_t>(
                std::count(chunk.def.begin() + static_cast<std::ptrdiff_t>(level_start),
                           chunk.def.end(), static_cast<std::uint32_t>(leaf.max_def)));
        }
        decode_values<T>(values_data, page.encoding, present, leaf,
                         dictionary ? &*dictionary : nullptr, chunk.values, context);
        seen += page.num_values;
    }
    if (seen != cm.num_values) throw DataError(context + ": more values than the metadata says");
    return chunk;
}

/// Rebuilds rows from repetition/definition levels (Dremel record assembly) into `column`.
template <class T>
void assemble(const ChunkData<T>& chunk,
              const Leaf& leaf,
              Column& column,
              const std::string& context) {
    const int depth = leaf.max_rep;
    auto& values = std::get<std::vector<T>>(column.values);
    std::vector<std::size_t> size(static_cast<std::size_t>(depth) + 1, 0);
    // Continue the offsets of earlier row groups.
    for (int k = 1; k <= depth; ++k) {
        auto& off = column.offsets[static_cast<std::size_t>(k - 1)];
        if (!off.empty()) {
            size[static_cast<std::size_t>(k)] = static_cast<std::size_t>(off.back());
            off.pop_back();
        }
    }
    size[0] = column.row_valid.size();
    std::size_t next_value = 0;
    for (std::size_t i = 0; i < chunk.def.size(); ++i) {
        const int r = static_cast<int>(chunk.rep[i]);
        const int d = static_cast<int>(chunk.def[i]);
        if (r == 0) {
            column.row_valid.push_back(d >= leaf.row_def ? 1 : 0);
            ++size[0];
        } else {
            if (i == 0 && size[0] == 0) throw DataError(context + ": first value continues a row");
            if (d < leaf.repeated_def[static_cast<std::size_t>(r - 1)]) {
                throw DataError(context + ": repetition and definition levels disagree");
            }
            ++size[static_cast<std::size_t>(r)];
        }
        int level = r;
        bool reached_leaf = level == depth;
        while (level < depth) {
            auto& off = column.offsets[static_cast<std::size_t>(level)];
            off.push_back(static_cast<std::int64_t>(size[static_cast<std::size_t>(level + 1)]));
            if (d < leaf.repeated_def[static_cast<std::size_t>(level)]) break;  // empty or null
            ++level;
            ++size[static_cast<std::size_t>(level)];
            reached_leaf = level == depth;
        }
        if (!reached_leaf) continue;
        if (d == leaf.max_def) {
            if (next_value >= chunk.values.size()) throw DataError(context + ": values end early");
            values.push_back(chunk.values[next_value++]);
            column.valid.push_back(1);
        } else {
            values.push_back(T{});
            column.valid.push_back(0);
        }
    }
    for (int k = 1; k <= depth; ++k) {
        column.offsets[static_cast<std::size_t>(k - 1)].push_back(
            static_cast<std::int64_t>(size[static_cast<std::size_t>(k)]));
    }
    if (next_value != chunk.values.size()) throw DataError(context + ": more values than levels");
}

template <class T>
void read_leaf(std::string_view file,
               std::size_t data_end,
               const format::FileMetaData& meta,
               std::size_t leaf_index,
               const Leaf& leaf,
               Column& column,
               const std::string& name) {
    column.values = std::vector<T>();
    column.offsets.assign(static_cast<std::size_t>(leaf.max_rep), {});
    for (std::size_t g = 0; g < meta.row_groups.size(); ++g) {
        const std::string context =
            name + ": column \"" + leaf.name + "\", row group " + std::to_string(g);
        const format::RowGroup& group = meta.row_groups[g];
        if (group.columns.size() <= leaf_index) {
            throw DataError(context + ": row group lacks this column");
        }
        const format::ColumnMeta& cm = group.columns[leaf_index];
        if (cm.type != *leaf.element->type) {
            throw DataError(context + ": physical type " + std::to_string(cm.type) +
                            " differs from the schema's " + std::to_string(*leaf.element->type));
        }
        const std::size_t rows_before = column.row_valid.size();
        assemble(read_chunk<T>(file, data_end, cm, leaf, context), leaf, column, context);
        if (static_cast<std::int64_t>(column.row_valid.size() - rows_before) != group.num_rows) {
            throw DataError(context + ": " + std::to_string(column.row_valid.size() - rows_before) +
                            " rows, the row group says " + std::to_string(group.num_rows));
        }
    }
    if (std::all_of(column.row_valid.begin(), column.row_valid.end(), [](auto v) { return v; })) {
        column.row_valid.clear();
    }
    if (std::all_of(column.valid.begin(), column.valid.end(), [](auto v) { return v; })) {
        column.valid.clear();
    }
}

}  // namespace

Table parse_table(std::string_view bytes, const std::string& name, const ReadOptions& options) {
    if (bytes.size() >= 4 && bytes.substr(0, 4) != kMagic) {
        throw DataError(name + ": not a Parquet file (no PAR1 magic at the start)");
    }
    const format::FileMetaData meta = parse_footer(bytes, bytes.size(), name);
    const Schema schema = build_schema(meta, name);
    const std::size_t footer_size = read_u32le(bytes, bytes.size() - 8);
    const std::size_t data_end = bytes.size() - 8 - footer_size;
    std::int64_t total_rows = 0;
    for (const format::RowGroup& g : meta.row_groups) {
        if (g.num_rows < 0) throw DataError(name + ": negative row count in a row group");
        total_rows += g.num_rows;
        if (total_rows > (std::int64_t{1} << 40)) throw DataError(name + ": absurd row count");
    }
    if (total_rows != meta.num_rows) {
        throw DataError(name + ": row groups hold " + std::to_string(total_rows) +
                        " rows, the footer says " + std::to_string(meta.num_rows));
    }
    for (const std::string& wanted : options.columns) {
        const bool found = std::any_of(schema.leaves.begin(), schema.leaves.end(),
                                       [&](const Leaf& l) { return l.name == wanted; });
        if (!found) throw DataError(name + ": column \"" + wanted + "\" missing");
    }
    Table table;
    table.metadata = meta.key_value;
    table.num_rows = meta.num_rows;
    for (std::size_t i = 0; i < schema.leaves.size(); ++i) {
        const Leaf& leaf = schema.leaves[i];
        if (!options.columns.empty() && std::find(options.columns.begin(), options.columns.end(),
                                                  leaf.name) == options.columns.end()) {
            continue;
        }
        if (!leaf.supported) {
            throw DataError(name + ": column \"" + leaf.name + "\": unsupported physical type " +
                            std::to_string(leaf.element->type.value_or(-1)));
        }
        Column column;
        column.name = leaf.name;
        column.type = leaf.type;
        switch (leaf.type) {
            case ValueType::kBool:
                read_leaf<std::uint8_t>(bytes, data_end, meta, i, leaf, column, name);
                break;
            case ValueType::kInt32:
                read_leaf<std::int32_t>(bytes, data_end, meta, i, leaf, column, name);
                break;
            case ValueType::kInt64:
                read_leaf<std::int64_t>(bytes, data_end, meta, i, leaf, column, name);
                break;
            case ValueType::kFloat:
                read_leaf<float>(bytes, data_end, meta, i, leaf, column, name);
                break;
            case ValueType::kDouble:
                read_leaf<double>(bytes, data_end, meta, i, leaf, column, name);
                break;
            case ValueType::kString:
                read_leaf<std::string>(bytes, data_end, meta, i, leaf, column, name);
                break;
        }
        table.columns.push_back(std::move(column));
    }
    return table;
}

Table read_table(const fs::path& path, const ReadOptions& options) {
    const std::string bytes = read_file(path);
    return parse_table(bytes, path.string(), options);
}

FileSummary parse_summary(std::string_view bytes, const std::string& name) {
    return summarize(parse_footer(bytes, bytes.size(), name), name);
}

FileSummary read_summary(const fs::path& path) {
    require_regular_file(path, "Parquet file");  // an ifstream would block on a FIFO
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) {
        if (!fs::exists(path)) throw DataError(path.string() + ": file not found");
        throw DataError(path.string() + ": cannot open");
    }
    const auto file_size = static_cast<std::uint64_t>(in.tellg());
    std::size_t tail = static_cast<std::size_t>(std::min<std::uint64_t>(file_size, 64 * 1024));
    for (int attempt = 0; attempt < 2; ++attempt) {
        std::string bytes(tail, '\0');
        in.seekg(static_cast<std::streamoff>(file_size - tail));
        in.read(bytes.data(), static_cast<std::streamsize>(tail));
        if (!in) throw DataError(path.string() + ": read failed");
        std::size_t needed = 0;
        const format::FileMetaData meta = parse_footer(bytes, file_size, path.string(), &needed);
        if (needed == 0) return summarize(meta, path.string());
        tail = needed;
    }
    throw DataError(path.string() + ": cannot read the footer");
}

}  // namespace rcls::parquet
