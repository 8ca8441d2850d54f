// SPDX-License-Identifier: MIT
//
// The safetensors reader and writer, against bytes written out by hand from the format's
// specification (huggingface/safetensors README and tensor.rs).
#include "rcls/safetensors/safetensors.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "rcls/core/error.hpp"

#include "temp_dir.hpp"

namespace rcls::safetensors {
namespace {

std::string le64(std::uint64_t v) {
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i)
        out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    return out;
}

/// A file from a header text and a data block, with the length prefix written by hand.
std::string make_file(const std::string& header, const std::string& data) {
    return le64(header.size()) + header + data;
}

std::string message_of(const std::string& bytes) {
    try {
        (void)File::parse(bytes, "x.safetensors");
    } catch (const ModelError& e) {
        return e.what();
    }
    return "";
}

TEST(SafetensorsFile, ParsesTheReferenceDocExample) {
    // From the reference implementation's documentation: an I32 [2, 2] tensor of zeros.
    const std::string header = R"({"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}})";
    const File file = File::parse(make_file(header, std::string(16, '\0')), "doc");
    ASSERT_EQ(file.names(), std::vector<std::string>{"test"});
    const TensorInfo& info = file.info("test");
    EXPECT_EQ(info.dtype, Dtype::kI32);
    EXPECT_EQ(info.shape, (std::vector<std::int64_t>{2, 2}));
    EXPECT_EQ(file.to_int64("test"), (std::vector<std::int64_t>{0, 0, 0, 0}));
    EXPECT_TRUE(file.metadata().empty());
}

TEST(SafetensorsWriter, WritesTheReferenceLayout) {
    Writer writer;
    const std::vector<float> b = {1.0f, 2.0f};
    const std::vector<std::int64_t> a = {7};
    writer.add_f32("b", {2}, b);
    writer.add_i64("a", {1}, a);
    writer.set_metadata("format", "pt");
    // I64 sorts before F32 (descending dtype), so "a" comes first although added second.
    std::string header =
        R"({"__metadata__":{"format":"pt"},"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},)"
        R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})";
    header.resize((header.size() + 7) / 8 * 8, ' ');
    std::string data = le64(7);
    data += std::string("\x00\x00\x80\x3f", 4);  // 1.0f
    data += std::string("\x00\x00\x00\x40", 4);  // 2.0f
    EXPECT_EQ(writer.serialize(), make_file(header, data));
}

TEST(SafetensorsWriter, SortsSameDtypeByName) {
    Writer writer;
    const float one = 1.0f;
    writer.add_f32("z", {}, {&one, 1});
    writer.add_f32("encoders.x", {}, {&one, 1});
    writer.add_f32("encoder.y", {}, {&one, 1});
    const File file = File::parse(writer.serialize(), "w");
    EXPECT_EQ(file.names(), (std::vector<std::string>{"encoder.y", "encoders.x", "z"}));
}

TEST(SafetensorsWriter, RoundTripsEveryDtype) {
    Writer writer;
    const Dtype all[] = {Dtype::kBool,   Dtype::kF4,         Dtype::kF6E2M3,     Dtype::kF6E3M2,
                         Dtype::kU8,     Dtype::kI8,         Dtype::kF8E5M2,     Dtype::kF8E4M3,
                         Dtype::kF8E8M0, Dtype::kF8E4M3Fnuz, Dtype::kF8E5M2Fnuz, Dtype::kI16,
                         Dtype::kU16,    Dtype::kF16,        Dtype::kBF16,       Dtype::kI32,
                         Dtype::kU32,    Dtype::kF32,        Dtype::kC64,        Dtype::kF64,
                         Dtype::kI64,    Dtype::kU64};
    for (const Dtype dtype : all) {
        const std::size_t bytes = 8 * bit_size(dtype) / 8;  // 8 elements: whole bytes for F4 and F6
        std::string data(bytes, '\0');
        for (std::size_t i = 0; i < bytes; ++i)
            data[i] = static_cast<char>(i * 7 + 1);
        writer.add(std::string(to_string(dtype)), dtype, {2, 4}, data);
    }
    const File file = File::parse(writer.serialize(), "all");
    ASSERT_EQ(file.names().size(), std::size(all));
    for (const Dtype dtype : all) {
        const std::string name(to_string(dtype));
        EXPECT_EQ(parse_dtype(name), dtype);
        EXPECT_EQ(file.info(name).dtype, dtype);
        const auto bytes = file.bytes(name);
        ASSERT_EQ(bytes.size(), 8 * bit_size(dtype) / 8) << name;
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            EXPECT_EQ(static_cast<unsigned char>(bytes[i]), static_cast<unsigned char>(i * 7 + 1));
        }
    }
}

TEST(SafetensorsFile, ConvertsHalfAndBfloatToFloat) {
    // IEEE 754 half: 0x3C00 = 1, 0xC000 = -2, 0x7BFF = 65504, 0x0001 = 2^-24 (smallest subnormal),
    // 0x7C00 = +inf. bfloat16: 0x3F80 = 1, 0x4049 = 3.140625, 0xC2F7 = -123.5.
    const std::uint16_t half[] = {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00};
    const std::uint16_t bf[] = {0x3F80, 0x4049, 0xC2F7};
    Writer writer;
    writer.add("h", Dtype::kF16, {5}, {reinterpret_cast<const char*>(half), sizeof half});
    writer.add("b", Dtype::kBF16, {3}, {reinterpret_cast<const char*>(bf), sizeof bf});
    const File file = File::parse(writer.serialize(), "conv");
    const std::vector<float> h = file.to_float32("h");
    EXPECT_EQ(h[0], 1.0f);
    EXPECT_EQ(h[1], -2.0f);
    EXPECT_EQ(h[2], 65504.0f);
    EXPECT_EQ(h[3], 5.9604644775390625e-08f);
    EXPECT_TRUE(std::isinf(h[4]));
    EXPECT_EQ(file.to_float32("b"), (std::vector<float>{1.0f, 3.140625f, -123.5f}));
}

TEST(SafetensorsFile, SavesAndLoadsThroughDisk) {
    testing::TempDir dir;
    Writer writer;
    const std::vector<float> values = {0.5f, -1.5f, 3.0f};
    writer.add_f32("w", {3, 1, 1}, values);
    writer.set_metadata("encoders.cam.0.w", "w");
    writer.save(dir / "m.safetensors");
    const File file = File::load(dir / "m.safetensors");
    EXPECT_EQ(file.to_float32("w"), values);
    EXPECT_EQ(file.info("w").shape, (std::vector<std::int64_t>{3, 1, 1}));
    EXPECT_EQ(file.metadata().at("encoders.cam.0.w"), "w");
}

TEST(SafetensorsFile, CorruptFilesNameTheFileAndTensor) {
    const std::string good_header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    const std::string data(8, '\0');
    EXPECT_NE(message_of(make_file(good_header, data.substr(0, 7))).find("truncated"),
              std::string::npos);
    EXPECT_NE(message_of(make_file(good_header, data + "x")).find("trailing"), std::string::npos);
    EXPECT_NE(message_of("abc").find("too short"), std::string::npos);
    EXPECT_NE(message_of(le64(1ull << 40) + "{}").find("exceeds"), std::string::npos);
    EXPECT_NE(message_of(le64(100) + "{}").find("runs past the end"), std::string::npos);
    EXPECT_NE(message_of(make_file("not json", "")).find("invalid header JSON"), std::string::npos);
    EXPECT_NE(message_of(make_file("[1,2]", "")).find("not a JSON object"), std::string::npos);

    const std::string wrong_size = R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})";
    std::string m = message_of(make_file(wrong_size, data));
    EXPECT_NE(m.find("x.safetensors: tensor \"a\""), std::string::npos) << m;
    EXPECT_NE(m.find("needs 12"), std::string::npos) << m;

    const std::string gap = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
    m = message_of(make_file(gap, data));
    EXPECT_NE(m.find("tensor \"a\""), std::string::npos) << m;

    const std::string dtype = R"({"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}})";
    EXPECT_NE(message_of(make_file(dtype, data)).find("unknown dtype \"F33\""), std::string::npos);

    const std::string negative = R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})";
    EXPECT_NE(message_of(make_file(negative, data)).find("tensor \"a\""), std::string::npos);

    const std::string meta =
        R"({"__metadata__":{"k":1},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    EXPECT_NE(message_of(make_file(meta, data)).find("\"k\""), std::string::npos);
}

TEST(SafetensorsFile, MissingFileAndMissingTensorAreModelErrors) {
    EXPECT_THROW((void)File::load("/nonexistent/model.safetensors"), ModelError);
    Writer writer;
    const float one = 1.0f;
    writer.add_f32("a", {1}, {&one, 1});
    const File file = File::parse(writer.serialize(), "f");
    try {
        (void)file.info("b");
        FAIL() << "no exception";
    } catch (const ModelError& e) {
        EXPECT_STREQ(e.what(), "f: tensor \"b\": missing from the file");
    }
    EXPECT_THROW((void)file.to_int64("a"), ModelError);
}

TEST(SafetensorsFile, DamagedBytesNeverCrash) {
    Writer writer;
    std::vector<float> values(64);
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = static_cast<float>(i);
    writer.add_f32("encoder.weight", {8, 8}, values);
    writer.add_f32("head.bias", {8}, std::span<const float>(values).first(8));
    writer.set_metadata("alias", "encoder.weight");
    const std::string good = writer.serialize();
    std::mt19937 rng(1234);
    int rejected = 0;
    for (int round = 0; round < 2000; ++round) {
        std::string bytes = good;
        if (round % 2 == 0) {
            bytes.resize(rng() % bytes.size());
        } else {
            for (int flips = 0; flips < 3; ++flips) {
                bytes[rng() % bytes.size()] = static_cast<char>(rng() & 0xff);
            }
        }
        try {
            const File file = File::parse(bytes, "fuzz");
            for (const std::string& name : file.names())
                (void)file.bytes(name);
        } catch (const ModelError&) {
            ++rejected;
        }
    }
    EXPECT_GT(rejected, 1000);  // every truncation is rejected; most flips too
}

}  // namespace
}  // namespace rcls::safetensors
