// SPDX-License-Identifier: MIT
//
// Reads Apache Parquet files into a Table: PLAIN and dictionary encodings (PLAIN_DICTIONARY,
// RLE_DICTIONARY), RLE/bit-packed levels, data pages v1 and v2, UNCOMPRESSED/SNAPPY/GZIP/ZSTD,
// physical types BOOLEAN, INT32, INT64, FLOAT, DOUBLE, BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY, and
// nested lists (the 3-level LIST layout pyarrow writes, and legacy 2-level repeated fields).
// Every malformed input is a DataError naming the file (and column and row group), never a crash:
// sizes, offsets, counts and nesting are checked before anything is allocated.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rcls/parquet/table.hpp"

namespace rcls::parquet {

/// What to read.
struct ReadOptions {
    /// Top-level column names to decode; empty: all. A name not in the file is a DataError.
    std::vector<std::string> columns;
};

/// One column of a file's schema.
struct ColumnInfo {
    std::string name;  ///< As in Column::name.
    ValueType type = ValueType::kInt64;
    int list_depth = 0;     ///< Number of list levels.
    bool supported = true;  ///< False for physical types rcls does not decode (INT96).
};

/// A file's footer: schema, row count and key-value metadata, without decoding any page.
struct FileSummary {
    std::int64_t num_rows = 0;
    std::int64_t num_row_groups = 0;
    std::vector<ColumnInfo> columns;
    std::vector<std::pair<std::string, std::string>> metadata;
    std::string created_by;
};

/// Reads the whole file at `path`. Throws DataError("<path>: ...") when it is missing, truncated
/// or corrupt, or uses something unsupported. Not thread-safe per call; calls may run in parallel.
Table read_table(const std::filesystem::path& path, const ReadOptions& options = {});

/// Parses a file held in memory; `name` is used in error messages.
Table parse_table(std::string_view bytes, const std::string& name, const ReadOptions& options = {});

/// Reads only the footer of the file at `path` (the last bytes), e.g. to count rows.
FileSummary read_summary(const std::filesystem::path& path);

/// Parses the footer of a file held in memory.
FileSummary parse_summary(std::string_view bytes, const std::string& name);

}  // namespace rcls::parquet
