// SPDX-License-Identifier: MIT
//
// Parquet's value and level encodings and page compression, shared by the reader and the writer.
// RLE/bit-packed hybrid (parquet-format Encodings.md): a run header varint h; h & 1 = 1 means
// (h >> 1) groups of 8 bit-packed values (LSB first), otherwise a run of (h >> 1) copies of one
// value stored in ceil(bit_width / 8) little-endian bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rcls::parquet::encoding {

/// The largest decompressed page rcls accepts (1 GiB); bigger claims are corrupt input.
constexpr std::int64_t kMaxPageBytes = std::int64_t{1} << 30;
/// The most level entries one page may hold; more is corrupt input.
constexpr std::int64_t kMaxPageValues = std::int64_t{1} << 24;
/// The most level entries one column chunk may hold (bounds the memory a corrupt file can claim).
constexpr std::int64_t kMaxChunkValues = std::int64_t{1} << 28;

/// Number of bits needed for values 0..max_value.
int bit_width(std::uint32_t max_value);

/// Appends `count` values decoded from RLE/bit-packed hybrid `data` to `out`. Throws DataError
/// ("<context>: ...") if `data` ends early or `bit_width` is over 32.
void decode_rle_hybrid(std::string_view data,
                       int bit_width,
                       std::size_t count,
                       std::vector<std::uint32_t>& out,
                       const std::string& context);

/// Decodes `count` DELTA_BINARY_PACKED integers from the start of `data` into `out`; returns the
/// bytes consumed (the encoding carries no length). Arithmetic wraps like the writer's (64-bit).
/// Throws DataError("<context>: ...") on malformed input or a count other than `count`.
std::size_t decode_delta_binary_packed(std::string_view data,
                                       std::size_t count,
                                       std::vector<std::int64_t>& out,
                                       const std::string& context);

/// Encodes `values` (each < 2^bit_width) as RLE/bit-packed hybrid runs.
std::string encode_rle_hybrid(const std::vector<std::uint32_t>& values, int bit_width);

/// Decompresses `data` with parquet codec `codec` into exactly `uncompressed_size` bytes.
/// Throws DataError("<context>: ...") for unknown codecs, corrupt data or a size mismatch.
std::string decompress(int codec,
                       std::string_view data,
                       std::int64_t uncompressed_size,
                       const std::string& context);

/// Compresses `data` with parquet codec `codec` (UNCOMPRESSED, SNAPPY, GZIP or ZSTD).
std::string compress(int codec, std::string_view data);

}  // namespace rcls::parquet::encoding
