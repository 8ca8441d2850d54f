// SPDX-License-Identifier: MIT
//
// The parts of parquet.thrift (apache/parquet-format) that rcls reads and writes: FileMetaData,
// SchemaElement, RowGroup, ColumnChunk/ColumnMetaData, KeyValue and the page headers. Field ids
// are those of parquet.thrift; unknown fields are skipped on read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rcls::parquet::format {

/// parquet.thrift `Type`.
enum PhysicalType : int {
    kBoolean = 0,
    kInt32 = 1,
    kInt64 = 2,
    kInt96 = 3,
    kFloat = 4,
    kDouble = 5,
    kByteArray = 6,
    kFixedLenByteArray = 7,
};

/// parquet.thrift `FieldRepetitionType`.
enum Repetition : int { kRequired = 0, kOptional = 1, kRepeated = 2 };

/// parquet.thrift `Encoding`.
enum Encoding : int {
    kPlain = 0,
    kPlainDictionary = 2,
    kRle = 3,
    kBitPacked = 4,
    kDeltaBinaryPacked = 5,
    kDeltaLengthByteArray = 6,
    kDeltaByteArray = 7,
    kRleDictionary = 8,
};

/// parquet.thrift `CompressionCodec`.
enum Codec : int { kUncompressed = 0, kSnappy = 1, kGzip = 2, kZstd = 6 };

/// parquet.thrift `PageType`.
enum PageType : int { kDataPage = 0, kIndexPage = 1, kDictionaryPage = 2, kDataPageV2 = 3 };

/// parquet.thrift `ConvertedType` values rcls uses.
enum ConvertedType : int { kUtf8 = 0, kList = 3 };

/// Which LogicalType union member a schema element carries (field id in the union), 0 for none.
enum LogicalKind : int {
    kNoLogical = 0,
    kLogicalString = 1,
    kLogicalList = 3,
    kLogicalInteger = 10
};

struct SchemaElement {
    std::optional<int> type;  ///< PhysicalType; absent for groups.
    int type_length = 0;
    std::optional<int> repetition;  ///< Repetition; absent for the root.
    std::string name;
    int num_children = 0;
    std::optional<int> converted_type;
    int logical = kNoLogical;  ///< LogicalKind.
    int int_bit_width = 0;     ///< For kLogicalInteger.
    bool int_signed = true;
};

struct ColumnMeta {
    int type = kInt32;
    std::vector<int> encodings;
    std::vector<std::string> path;
    int codec = kUncompressed;
    std::int64_t num_values = 0;
    std::int64_t total_uncompressed_size = 0;
    std::int64_t total_compressed_size = 0;
    std::int64_t data_page_offset = 0;
    std::optional<std::int64_t> dictionary_page_offset;
};

struct RowGroup {
    std::vector<ColumnMeta> columns;
    std::int64_t total_byte_size = 0;
    std::int64_t num_rows = 0;
};

struct FileMetaData {
    int version = 1;
    std::vector<SchemaElement> schema;
    std::int64_t num_rows = 0;
    std::vector<RowGroup> row_groups;
    std::vector<std::pair<std::string, std::string>> key_value;
    std::string created_by;
};

struct PageHeader {
    int type = kDataPage;
    std::int32_t uncompressed_size = 0;
    std::int32_t compressed_size = 0;
    std::int32_t num_values = 0;  ///< Data pages (v1, v2) and dictionary pages.
    int encoding = kPlain;
    int def_encoding = kRle;           ///< v1 only.
    int rep_encoding = kRle;           ///< v1 only.
    std::int32_t num_nulls = 0;        ///< v2 only.
    std::int32_t num_rows = 0;         ///< v2 only.
    std::int32_t def_levels_size = 0;  ///< v2 only.
    std::int32_t rep_levels_size = 0;  ///< v2 only.
    bool is_compressed = true;         ///< v2 only.
};

/// Parses a serialized FileMetaData. Throws DataError("<context>: corrupt metadata: ...").
FileMetaData parse_file_metadata(std::string_view bytes, const std::string& context);
/// Serializes `meta` (compact protocol).
std::string serialize_file_metadata(const FileMetaData& meta);

/// Parses a page header at the start of `bytes`; sets `header_size` to its length.
PageHeader parse_page_header(std::string_view bytes,
                             const std::string& context,
                             std::size_t& header_size);
/// Serializes a data page v1 or dictionary page header.
std::string serialize_page_header(const PageHeader& header);

}  // namespace rcls::parquet::format
