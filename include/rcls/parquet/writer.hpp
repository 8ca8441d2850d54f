// SPDX-License-Identifier: MIT
//
// Writes a Table as an Apache Parquet file the way pyarrow does for Hugging Face datasets:
// nullable fields, lists as the 3-level LIST layout (`optional group name (LIST) { repeated group
// list { optional <type> element; } }`), strings as BYTE_ARRAY with the STRING logical type,
// data pages v1 with RLE levels and PLAIN values, Snappy by default, and an `ARROW:schema` entry
// so Arrow-based readers get the exact Arrow types back (FixedSizeList for Column::fixed_size).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "rcls/parquet/table.hpp"

namespace rcls::parquet {

/// Page compression.
enum class Compression { kUncompressed, kSnappy, kGzip, kZstd };

/// How to write.
struct WriteOptions {
    Compression compression = Compression::kSnappy;
    std::size_t rows_per_page = 20000;         ///< pyarrow's default page row limit.
    std::size_t rows_per_row_group = 1 << 20;  ///< pyarrow's default row group size.
    bool arrow_schema = true;                  ///< Add the ARROW:schema entry.
};

/// The bytes of a Parquet file holding `table`. Table::metadata is stored as the file's
/// key-value metadata (and as the Arrow schema's metadata), followed by ARROW:schema. Throws
/// DataError if the columns are inconsistent (different row counts, values of the wrong type).
std::string encode_table(const Table& table, const WriteOptions& options = {});

/// encode_table() written to `path` atomically (temp file + rename). Throws DataError naming the
/// path on I/O failure.
void write_table(const std::filesystem::path& path,
                 const Table& table,
                 const WriteOptions& options = {});

}  // namespace rcls::parquet
