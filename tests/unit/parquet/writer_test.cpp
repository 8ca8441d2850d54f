// SPDX-License-Identifier: MIT
// Write -> read round trips of every column type rcls writes, and malformed files.
#include "rcls/parquet/writer.hpp"

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "rcls/core/error.hpp"
#include "rcls/parquet/reader.hpp"

#include "temp_dir.hpp"

namespace rcls::parquet {
namespace {

Table sample_table() {
    Table t;
    t.num_rows = 4;
    t.columns.push_back(
        make_column<std::int64_t>("index", ValueType::kInt64, {0, 1, -5, 1LL << 40}));
    t.columns.push_back(
        make_column<std::int32_t>("small", ValueType::kInt32, {7, -7, 0, 2147483647}));
    t.columns.push_back(
        make_column<float>("next.reward", ValueType::kFloat, {0.f, 1.f, 0.5f, -2.25f}));
    t.columns.push_back(make_column<double>("x", ValueType::kDouble, {1e300, -0.0, 3.5, 1e-300}));
    t.columns.push_back(make_column<std::uint8_t>("next.done", ValueType::kBool, {0, 0, 1, 1}));
    t.columns.push_back(
        make_column<std::string>("task", ValueType::kString, {"grasp", "", "caf\xC3\xA9", "a\0b"}));
    t.columns.push_back(make_list_column<float>(
        "observation.state", ValueType::kFloat,
        {{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}, {7.f, 8.f, 9.f}, {-1.f, -2.f, -3.f}}, 3));
    t.columns.push_back(make_list_column<std::string>("tasks", ValueType::kString,
                                                      {{"a", "b"}, {}, {"c"}, {"", "d", "e"}}));
    t.columns.push_back(
        make_list_column<std::int64_t>("counts", ValueType::kInt64, {{1}, {2, 3}, {}, {4}}));
    t.metadata = {{"huggingface", "{\"info\": {}}"}};
    return t;
}

void expect_equal(const Table& a, const Table& b) {
    ASSERT_EQ(a.num_rows, b.num_rows);
    ASSERT_EQ(a.columns.size(), b.columns.size());
    for (std::size_t i = 0; i < a.columns.size(); ++i) {
        const Column& x = a.columns[i];
        const Column& y = b.columns[i];
        EXPECT_EQ(x.name, y.name);
        EXPECT_EQ(x.type, y.type) << x.name;
        EXPECT_EQ(x.offsets, y.offsets) << x.name;
        EXPECT_EQ(x.row_valid, y.row_valid) << x.name;
        EXPECT_EQ(x.valid, y.valid) << x.name;
        // Bitwise equality (covers -0.0 and NaN payloads).
        EXPECT_EQ(x.values.index(), y.values.index()) << x.name;
        std::visit(
            [&](const auto& xv) {
                using V = std::decay_t<decltype(xv)>;
                const V& yv = std::get<V>(y.values);
                ASSERT_EQ(xv.size(), yv.size()) << x.name;
                if constexpr (std::is_same_v<typename V::value_type, std::string>) {
                    EXPECT_EQ(xv, yv) << x.name;
                } else {
                    EXPECT_EQ(std::memcmp(xv.data(), yv.data(), xv.size() * sizeof(xv[0])), 0)
                        << x.name;
                }
            },
            x.values);
    }
}

TEST(ParquetWriter, RoundTripsEveryColumnTypeWithEveryCodec) {
    const Table table = sample_table();
    for (Compression c : {Compression::kUncompressed, Compression::kSnappy, Compression::kGzip,
                          Compression::kZstd}) {
        WriteOptions options;
        options.compression = c;
        const std::string bytes = encode_table(table, options);
        EXPECT_EQ(bytes.substr(0, 4), "PAR1");
        EXPECT_EQ(bytes.substr(bytes.size() - 4), "PAR1");
        const Table back = parse_table(bytes, "mem");
        expect_equal(table, back);
        ASSERT_NE(back.meta("huggingface"), nullptr);
        EXPECT_EQ(*back.meta("huggingface"), "{\"info\": {}}");
        EXPECT_NE(back.meta("ARROW:schema"), nullptr);
    }
}

TEST(ParquetWriter, RoundTripsNullsNestedListsAndManyPagesAndRowGroups) {
    Table t;
    const int rows = 1000;
    t.num_rows = rows;
    std::vector<std::vector<double>> lists;
    std::vector<std::int64_t> ints;
    for (int i = 0; i < rows; ++i) {
        lists.push_back(std::vector<double>(static_cast<std::size_t>(i % 4), i * 0.5));
        ints.push_back(i * 3);
    }
    t.columns.push_back(make_list_column<double>("lists", ValueType::kDouble, lists));
    Column nullable = make_column<std::int64_t>("nullable", ValueType::kInt64, ints);
    nullable.row_valid.assign(rows, 1);
    nullable.valid.assign(rows, 1);
    for (int i = 0; i < rows; i += 7) {
        nullable.row_valid[static_cast<std::size_t>(i)] = 0;
        nullable.valid[static_cast<std::size_t>(i)] = 0;
        nullable.as<std::int64_t>()[static_cast<std::size_t>(i)] = 0;
    }
    t.columns.push_back(nullable);
    // list<list<double>>: like LeRobot's image stats (3,1,1): [[[a]],[[b]],[[c]]] flattened.
    Column nested;
    nested.name = "nested";
    nested.type = ValueType::kDouble;
    nested.offsets = {{0}, {0}};
    std::vector<double> leaves;
    for (int i = 0; i < rows; ++i) {
        const int inner = i % 3;  // 0..2 inner lists of 2 values
        for (int k = 0; k < inner; ++k) {
            leaves.push_back(i);
            leaves.push_back(-i);
            nested.offsets[1].push_back(static_cast<std::int64_t>(leaves.size()));
        }
        nested.offsets[0].push_back(static_cast<std::int64_t>(nested.offsets[1].size() - 1));
    }
    nested.values = leaves;
    t.columns.push_back(nested);
    Column null_elements = make_list_column<float>(
        "null_elements", ValueType::kFloat, std::vector<std::vector<float>>(rows, {1.f, 2.f}));
    null_elements.valid.assign(2 * rows, 1);
    null_elements.valid[5] = 0;
    null_elements.as<float>()[5] = 0.f;
    t.columns.push_back(null_elements);

    WriteOptions options;
    options.rows_per_page = 64;
    options.rows_per_row_group = 300;
    const Table back = parse_table(encode_table(t, options), "mem");
    expect_equal(t, back);
    EXPECT_EQ(parse_summary(encode_table(t, options), "mem").num_row_groups, 4);
}

TEST(ParquetWriter, EmptyTableRoundTrips) {
    Table t;
    t.columns.push_back(make_column<std::int64_t>("a", ValueType::kInt64, {}));
    t.columns.push_back(make_list_column<float>("b", ValueType::kFloat, {}));
    const Table back = parse_table(encode_table(t), "mem");
    EXPECT_EQ(back.num_rows, 0);
    EXPECT_EQ(back.column("a").num_rows(), 0u);
    EXPECT_EQ(back.column("b").num_rows(), 0u);
}

TEST(ParquetWriter, InconsistentColumnsAreDataErrors) {
    Table t = sample_table();
    t.num_rows = 5;
    EXPECT_THROW(encode_table(t), DataError);
    Table u = sample_table();
    u.columns[0].type = ValueType::kFloat;
    EXPECT_THROW(encode_table(u), DataError);
}

TEST(ParquetWriter, WritesFilesAtomically) {
    testing::TempDir dir;
    write_table(dir / "a.parquet", sample_table());
    expect_equal(sample_table(), read_table(dir / "a.parquet"));
    const FileSummary summary = read_summary(dir / "a.parquet");
    EXPECT_EQ(summary.num_rows, 4);
    ASSERT_EQ(summary.columns.size(), 9u);
    EXPECT_EQ(summary.columns[6].name, "observation.state");
    EXPECT_EQ(summary.columns[6].list_depth, 1);
    EXPECT_EQ(summary.columns[6].type, ValueType::kFloat);
}

TEST(ParquetReader, ReadsOnlyTheRequestedColumns) {
    const std::string bytes = encode_table(sample_table());
    ReadOptions options;
    options.columns = {"tasks", "index"};
    const Table t = parse_table(bytes, "mem", options);
    ASSERT_EQ(t.columns.size(), 2u);
    EXPECT_EQ(t.columns[0].name, "index");
    EXPECT_EQ(t.column("tasks").as<std::string>(),
              (std::vector<std::string>{"a", "b", "c", "", "d", "e"}));
    options.columns = {"nope"};
    EXPECT_THROW(parse_table(bytes, "mem", options), DataError);
}

TEST(ParquetReader, EveryTruncationIsADataErrorNamingTheFile) {
    const std::string bytes = encode_table(sample_table());
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        try {
            parse_table(std::string_view(bytes).substr(0, n), "cut.parquet");
            FAIL() << "truncated to " << n << " bytes was accepted";
        } catch (const DataError& e) {
            EXPECT_EQ(std::string(e.what()).rfind("cut.parquet", 0), 0u) << e.what();
        }
    }
}

TEST(ParquetReader, TruncatedFileOnDiskNamesThePathAndTheMissingFooter) {
    testing::TempDir dir;
    const std::string bytes = encode_table(sample_table());
    testing::write_text(dir / "t.parquet", bytes.substr(0, bytes.size() / 2));
    try {
        read_table(dir / "t.parquet");
        FAIL();
    } catch (const DataError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find((dir / "t.parquet").string()), std::string::npos) << what;
        EXPECT_NE(what.find("magic"), std::string::npos) << what;
    }
    EXPECT_THROW(read_summary(dir / "t.parquet"), DataError);
    EXPECT_THROW(read_table(dir / "missing.parquet"), DataError);
}

TEST(ParquetReader, CorruptedBytesNeverCrash) {
    // Flip random bytes of a valid file: each result is either a table or a DataError.
    const std::string good = encode_table(sample_table(), WriteOptions{Compression::kUncompressed});
    std::mt19937 rng(1234);
    int errors = 0;
    for (int trial = 0; trial < 3000; ++trial) {
        std::string bad = good;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; ++f) {
            bad[rng() % bad.size()] = static_cast<char>(rng() & 0xFF);
        }
        try {
            parse_table(bad, "fuzz.parquet");
        } catch (const DataError&) {
            ++errors;
        }
    }
    EXPECT_GT(errors, 100);
}

TEST(ParquetReader, BadMagicAndAbsurdFooterSizesAreDataErrors) {
    std::string bytes = encode_table(sample_table());
    std::string wrong_start = bytes;
    wrong_start[0] = 'X';
    EXPECT_THROW(parse_table(wrong_start, "m"), DataError);
    std::string huge_footer = bytes;
    const std::uint32_t size = 0x7FFFFFF0;
    std::memcpy(huge_footer.data() + huge_footer.size() - 8, &size, 4);
    EXPECT_THROW(parse_table(huge_footer, "m"), DataError);
    EXPECT_THROW(parse_table("PAR1PAR1", "m"), DataError);
    EXPECT_THROW(parse_table("", "m"), DataError);
}

}  // namespace
}  // namespace rcls::parquet
