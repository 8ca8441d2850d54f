// SPDX-License-Identifier: MIT
#include "encoding.hpp"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include "rcls/core/error.hpp"

#include "format.hpp"

namespace rcls::parquet::encoding {

int bit_width(std::uint32_t max_value) {
    int width = 0;
    while (max_value != 0) {
        ++width;
        max_value >>= 1;
    }
    return width;
}

void decode_rle_hybrid(std::string_view data,
                       int bit_width,
                       std::size_t count,
                       std::vector<std::uint32_t>& out,
                       const std::string& context) {
    if (bit_width < 0 || bit_width > 32) {
        throw DataError(context + ": bit width " + std::to_string(bit_width) + " out of range");
    }
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(data.data());
    const std::size_t size = data.size();
    std::size_t pos = 0;
    const std::size_t target = out.size() + count;
    const std::size_t value_bytes = static_cast<std::size_t>((bit_width + 7) / 8);
    while (out.size() < target) {
        std::uint64_t header = 0;
        for (int shift = 0;; shift += 7) {
            if (pos >= size || shift > 35) {
                throw DataError(context + ": level or index data ends early");
            }
            const std::uint8_t b = bytes[pos++];
            header |= static_cast<std::uint64_t>(b & 0x7F) << shift;
            if ((b & 0x80) == 0) break;
        }
        const std::uint64_t run = header >> 1;
        if ((header & 1) != 0) {
            const std::uint64_t values = run * 8;
            const std::uint64_t needed = run * static_cast<std::uint64_t>(bit_width);
            if (needed > size - pos) {
                // Writers may end a page with a short bit-packed run; decode what is there.
                if (bit_width == 0) throw DataError(context + ": level or index data ends early");
            }
            const std::size_t take =
                static_cast<std::size_t>(std::min<std::uint64_t>(values, target - out.size()));
            std::uint64_t bit = 0;
            const std::uint32_t mask =
                bit_width == 32 ? 0xFFFFFFFFu : ((std::uint32_t{1} << bit_width) - 1);
            for (std::size_t i = 0; i < take; ++i) {
                std::uint64_t value = 0;
                int got = 0;
                while (got < bit_width) {
                    const std::size_t byte_index = pos + static_cast<std::size_t>(bit >> 3);
                    if (byte_index >= size) {
                        throw DataError(context + ": level or index data ends early");
                    }
                    const int offset = static_cast<int>(bit & 7);
                    const int chunk = std::min(8 - offset, bit_width - got);
                    value |= static_cast<std::uint64_t>((bytes[byte_index] >> offset) &
                                                        ((1u << chunk) - 1))
                             << got;
                    got += chunk;
                    bit += static_cast<std::uint64_t>(chunk);
                }
                out.push_back(static_cast<std::uint32_t>(value) & mask);
            }
            pos += static_cast<std::size_t>(std::min<std::uint64_t>(needed, size - pos));
        } else {
            if (value_bytes > size - pos)
                throw DataError(context + ": level or index data ends early");
            std::uint32_t value = 0;
            for (std::size_t i = 0; i < value_bytes; ++i) {
                value |= static_cast<std::uint32_t>(bytes[pos + i]) << (8 * i);
            }
            pos += value_bytes;
            if (run == 0) throw DataError(context + ": empty RLE run");
            const std::size_t take =
                static_cast<std::size_t>(std::min<std::uint64_t>(run, target - out.size()));
            out.insert(out.end(), take, value);
        }
    }
}

namespace {

std::uint64_t get_varint(std::string_view data, std::size_t& pos, const std::string& context) {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= data.size()) throw DataError(context + ": delta-encoded data ends early");
        const auto b = static_cast<std::uint8_t>(data[pos++]);
        value |= static_cast<std::uint64_t>(b & 0x7F) << shift;
        if ((b & 0x80) == 0) return value;
    }
    throw DataError(context + ": varint longer than 10 bytes");
}

std::int64_t get_zigzag(std::string_view data, std::size_t& pos, const std::string& context) {
    const std::uint64_t u = get_varint(data, pos, context);
    return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

}  // namespace

std::size_t decode_delta_binary_packed(std::string_view data,
                                       std::size_t count,
                                       std::vector<std::int64_t>& out,
                                       const std::string& context) {
    std::size_t pos = 0;
    const std::uint64_t block_size = get_varint(data, pos, context);
    const std::uint64_t miniblocks = get_varint(data, pos, context);
    const std::uint64_t total = get_varint(data, pos, context);
    auto last = static_cast<std::uint64_t>(get_zigzag(data, pos, context));
    if (block_size == 0 || block_size % 128 != 0 || block_size > (1u << 20) || miniblocks == 0 ||
        block_size % miniblocks != 0 || (block_size / miniblocks) % 32 != 0) {
        throw DataError(context + ": bad DELTA_BINARY_PACKED header");
    }
    if (total != count) {
        throw DataError(context + ": DELTA_BINARY_PACKED holds " + std::to_string(total) +
                        " values, expected " + std::to_string(count));
    }
    if (count == 0) return pos;
    out.push_back(static_cast<std::int64_t>(last));
    std::size_t left = count - 1;
    const std::uint64_t per_mini = block_size / miniblocks;
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(data.data());
    while (left > 0) {
        const auto min_delta = static_cast<std::uint64_t>(get_zigzag(data, pos, context));
        if (miniblocks > data.size() - pos)
            throw DataError(context + ": delta-encoded data ends early");
        const std::size_t widths_at = pos;
        pos += static_cast<std::size_t>(miniblocks);
        for (std::uint64_t m = 0; m < miniblocks && left > 0; ++m) {
            const int width = bytes[widths_at + m];
            if (width > 64) throw DataError(context + ": delta bit width over 64");
            const std::size_t mini_bytes = static_cast<std::size_t>(per_mini) * width / 8;
            if (mini_bytes > data.size() - pos) {
                throw DataError(context + ": delta-encoded data ends early");
            }
            const std::size_t take =
                std::min<std::size_t>(left, static_cast<std::size_t>(per_mini));
            for (std::size_t i = 0; i < take; ++i) {
                std::uint64_t delta = 0;
                const std::size_t bit = i * static_cast<std::size_t>(width);
                for (int b = 0; b < width; ++b) {
                    const std::size_t at = bit + static_cast<std::size_t>(b);
                    delta |= static_cast<std::uint64_t>((bytes[pos + at / 8] >> (at % 8)) & 1) << b;
                }
                last += min_delta + delta;
                out.push_back(static_cast<std::int64_t>(last));
            }
            left -= take;
            pos += mini_bytes;
        }
    }
    return pos;
}

namespace {

void put_varint(std::string& out, std::uint64_t value) {
    while (value >= 0x80) {
        out.push_back(static_cast<char>((value & 0x7F) | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<char>(value));
}

}  // namespace

std::string encode_rle_hybrid(const std::vector<std::uint32_t>& values, int bit_width) {
    // RLE runs only: compact for levels and small dictionaries, and valid for every reader.
    std::string out;
    const std::size_t value_bytes = static_cast<std::size_t>((bit_width + 7) / 8);
    std::size_t i = 0;
    while (i < values.size()) {
        std::size_t j = i + 1;
        while (j < values.size() && values[j] == values[i])
            ++j;
        put_varint(out, static_cast<std::uint64_t>(j - i) << 1);
        for (std::size_t b = 0; b < value_bytes; ++b) {
            out.push_back(static_cast<char>((values[i] >> (8 * b)) & 0xFF));
        }
        i = j;
    }
    return out;
}

std::string decompress(int codec,
                       std::string_view data,
                       std::int64_t uncompressed_size,
                       const std::string& context) {
    if (uncompressed_size < 0 || uncompressed_size > kMaxPageBytes) {
        throw DataError(context + ": page claims " + std::to_string(uncompressed_size) +
                        " bytes uncompressed");
    }
    const auto expected = static_cast<std::size_t>(uncompressed_size);
    std::string out;
    switch (codec) {
        case format::kUncompressed:
            if (data.size() != expected) {
                throw DataError(context + ": page size " + std::to_string(data.size()) +
                                " differs from its header (" + std::to_string(expected) + ")");
            }
            return std::string(data);
        case format::kSnappy: {
            std::size_t length = 0;
            if (!snappy::GetUncompressedLength(data.data(), data.size(), &length) ||
                length != expected) {
                throw DataError(context + ": corrupt Snappy page");
            }
            out.resize(expected);
            if (!snappy::RawUncompress(data.data(), data.size(), out.data())) {
                throw DataError(context + ": corrupt Snappy page");
            }
            return out;
        }
        case format::kZstd: {
            out.resize(expected);
            const std::size_t got = ZSTD_decompress(out.data(), expected, data.data(), data.size());
            if (ZSTD_isError(got) != 0 || got != expected) {
                throw DataError(context + ": corrupt ZSTD page");
            }
            return out;
        }
        case format::kGzip: {
            out.resize(expected);
            z_stream stream{};
            if (inflateInit2(&stream, 15 + 32) != Z_OK) throw DataError(context + ": zlib failed");
            stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
            stream.avail_in = static_cast<uInt>(data.size());
            stream.next_out = reinterpret_cast<Bytef*>(out.data());
            stream.avail_out = static_cast<uInt>(expected);
            const int status = inflate(&stream, Z_FINISH);
            const std::size_t got = expected - stream.avail_out;
            inflateEnd(&stream);
            if (status != Z_STREAM_END || got != expected) {
                throw DataError(context + ": corrupt GZIP page");
            }
            return out;
        }
        default:
            throw DataError(context + ": unsupported compression codec " + std::to_string(codec) +
                            " (rcls reads UNCOMPRESSED, SNAPPY, GZIP and ZSTD)");
    }
}

std::string compress(int codec, std::string_view data) {
    std::string out;
    switch (codec) {
        case format::kUncompressed:
            return std::string(data);
        case format::kSnappy:
            snappy::Compress(data.data(), data.size(), &out);
            return out;
        case format::kZstd: {
            out.resize(ZSTD_compressBound(data.size()));
            const std::size_t n =
                ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
            if (ZSTD_isError(n) != 0) throw DataError("zstd compression failed");
            out.resize(n);
            return out;
        }
        case format::kGzip: {
            z_stream stream{};
            if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                             Z_DEFAULT_STRATEGY) != Z_OK) {
                throw DataError("gzip compression failed");
            }
            out.resize(deflateBound(&stream, static_cast<uLong>(data.size())));
            stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
            stream.avail_in = static_cast<uInt>(data.size());
            stream.next_out = reinterpret_cast<Bytef*>(out.data());
            stream.avail_out = static_cast<uInt>(out.size());
            const int status = deflate(&stream, Z_FINISH);
            out.resize(out.size() - stream.avail_out);
            deflateEnd(&stream);
            if (status != Z_STREAM_END) throw DataError("gzip compression failed");
            return out;
        }
        default:
            throw DataError("unsupported compression codec " + std::to_string(codec));
    }
}

}  // namespace rcls::parquet::encoding
