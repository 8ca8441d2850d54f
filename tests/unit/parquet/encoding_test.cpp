// SPDX-License-Identifier: MIT
// Byte strings are the examples of parquet-format's Encodings.md, worked out by hand.
#include "encoding.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "rcls/core/error.hpp"

#include "format.hpp"

namespace rcls::parquet::encoding {
namespace {

TEST(RleHybrid, DecodesTheSpecBitPackedExample) {
    // Encodings.md: 0..7 bit-packed with width 3 is 10001000 11000110 11111010.
    const std::string data{'\x03', '\x88', '\xC6', '\xFA'};
    std::vector<std::uint32_t> out;
    decode_rle_hybrid(data, 3, 8, out, "test");
    EXPECT_EQ(out, (std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(RleHybrid, DecodesRleRunsAndStopsAtTheCount) {
    // run of 5 ones (header 5 << 1 = 0x0A), run of 3 twos (0x06); ask for 6 values.
    const std::string data{'\x0A', '\x01', '\x06', '\x02'};
    std::vector<std::uint32_t> out;
    decode_rle_hybrid(data, 2, 6, out, "test");
    EXPECT_EQ(out, (std::vector<std::uint32_t>{1, 1, 1, 1, 1, 2}));
}

TEST(RleHybrid, EncodesRunsTheDecoderReads) {
    const std::vector<std::uint32_t> values{3, 3, 3, 0, 1, 1};
    const std::string data = encode_rle_hybrid(values, 2);
    EXPECT_EQ(data, (std::string{'\x06', '\x03', '\x02', '\x00', '\x04', '\x01'}));
    std::vector<std::uint32_t> out;
    decode_rle_hybrid(data, 2, values.size(), out, "test");
    EXPECT_EQ(out, values);
}

TEST(RleHybrid, ShortDataIsADataError) {
    std::vector<std::uint32_t> out;
    EXPECT_THROW(decode_rle_hybrid(std::string{'\x0A'}, 8, 5, out, "x"), DataError);
    EXPECT_THROW(decode_rle_hybrid(std::string{'\x03', '\x88'}, 3, 8, out, "x"), DataError);
    EXPECT_THROW(decode_rle_hybrid(std::string{}, 1, 1, out, "x"), DataError);
    EXPECT_THROW(decode_rle_hybrid(std::string{'\x02', '\x00'}, 40, 1, out, "x"), DataError);
}

TEST(BitWidth, CountsBitsOfTheMaximum) {
    EXPECT_EQ(bit_width(0), 0);
    EXPECT_EQ(bit_width(1), 1);
    EXPECT_EQ(bit_width(3), 2);
    EXPECT_EQ(bit_width(4), 3);
}

TEST(Compression, EveryCodecRoundTrips) {
    std::string text;
    for (int i = 0; i < 5000; ++i)
        text += std::to_string(i % 97) + ",";
    for (int codec : {format::kUncompressed, format::kSnappy, format::kGzip, format::kZstd}) {
        const std::string packed = compress(codec, text);
        EXPECT_EQ(decompress(codec, packed, static_cast<std::int64_t>(text.size()), "t"), text)
            << "codec " << codec;
        if (codec != format::kUncompressed) {
            EXPECT_LT(packed.size(), text.size());
        }
    }
}

TEST(Compression, CorruptOrMislabelledDataIsADataError) {
    const std::string packed = compress(format::kSnappy, std::string(1000, 'a'));
    EXPECT_THROW(decompress(format::kSnappy, packed, 999, "t"), DataError);
    EXPECT_THROW(decompress(format::kZstd, packed, 1000, "t"), DataError);
    EXPECT_THROW(decompress(format::kGzip, packed, 1000, "t"), DataError);
    EXPECT_THROW(decompress(format::kSnappy, packed, kMaxPageBytes + 1, "t"), DataError);
    EXPECT_THROW(decompress(4 /* LZO */, packed, 1000, "t"), DataError);
}

}  // namespace
}  // namespace rcls::parquet::encoding
