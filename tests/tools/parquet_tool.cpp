// SPDX-License-Identifier: MIT
//
// Helper for scripts/crosscheck_parquet.sh (not a ctest): writes sample files with rcls's writer
// and dumps any Parquet file read by rcls's reader as JSON rows, so that an independent
// implementation (arrow-rs via parquet-wasm, hyparquet) can be compared with rcls both ways.
//   parquet_tool samples DIR   writes DIR/rcls_<codec>.parquet and DIR/expected.json
//   parquet_tool dump FILE     prints FILE's rows as a JSON array of objects
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rcls/core/error.hpp"
#include "rcls/parquet/reader.hpp"
#include "rcls/parquet/writer.hpp"

#include "parquet_json.hpp"

namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using namespace rcls::parquet;

Table sample_table() {
    Table t;
    const int rows = 50;
    t.num_rows = rows;
    std::vector<std::int64_t> index;
    std::vector<std::int32_t> small;
    std::vector<float> reward;
    std::vector<double> x;
    std::vector<std::uint8_t> done;
    std::vector<std::string> task;
    std::vector<std::vector<float>> state;
    std::vector<std::vector<std::string>> tasks;
    std::vector<std::vector<std::int64_t>> counts;
    for (int i = 0; i < rows; ++i) {
        index.push_back(std::int64_t{i} * 1000003 - 7);
        small.push_back(-i * 17);
        reward.push_back(i % 3 == 0 ? 1.0f : 0.25f * static_cast<float>(i));
        x.push_back(1.0 / (i + 1));
        done.push_back(i % 5 == 4 ? 1 : 0);
        task.push_back(i % 2 ? "Reach and grasp the cube" : "caf\xC3\xA9 \xE2\x9C\x93");
        state.push_back({static_cast<float>(i), -0.5f * static_cast<float>(i), 3.25f, 1e-3f, 100.f,
                         static_cast<float>(i % 7)});
        tasks.push_back(
            std::vector<std::string>(static_cast<std::size_t>(i % 3), "t" + std::to_string(i)));
        counts.push_back(std::vector<std::int64_t>(static_cast<std::size_t>(i % 4), i));
    }
    t.columns.push_back(make_column("index", ValueType::kInt64, index));
    t.columns.push_back(make_column("small", ValueType::kInt32, small));
    t.columns.push_back(make_column("next.reward", ValueType::kFloat, reward));
    t.columns.push_back(make_column("x", ValueType::kDouble, x));
    t.columns.push_back(make_column("next.done", ValueType::kBool, done));
    Column nullable_task = make_column("task", ValueType::kString, task);
    nullable_task.row_valid.assign(rows, 1);
    nullable_task.valid.assign(rows, 1);
    nullable_task.row_valid[3] = nullable_task.valid[3] = 0;
    nullable_task.as<std::string>()[3].clear();
    t.columns.push_back(nullable_task);
    t.columns.push_back(make_list_column("observation.state", ValueType::kFloat, state, 6));
    t.columns.push_back(make_list_column("tasks", ValueType::kString, tasks));
    t.columns.push_back(make_list_column("counts", ValueType::kInt64, counts));
    t.metadata = {{"huggingface", R"({"info": {"features": {}}})"}};
    return t;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::vector<std::string> args(argv + 1, argv + argc);
        if (args.size() == 2 && args[0] == "samples") {
            const fs::path dir = args[1];
            fs::create_directories(dir);
            const Table table = sample_table();
            const std::pair<const char*, Compression> codecs[] = {
                {"snappy", Compression::kSnappy},
                {"zstd", Compression::kZstd},
                {"gzip", Compression::kGzip},
                {"none", Compression::kUncompressed}};
            for (const auto& [name, codec] : codecs) {
                WriteOptions options;
                options.compression = codec;
                options.rows_per_page = 16;
                write_table(dir / (std::string("rcls_") + name + ".parquet"), table, options);
            }
            std::ofstream(dir / "expected.json")
                << rcls::testing::parquet_rows_json(table).dump(1) << "\n";
            return 0;
        }
        if (args.size() == 2 && args[0] == "dump") {
            std::cout << rcls::testing::parquet_rows_json(read_table(args[1])).dump() << "\n";
            return 0;
        }
        std::fprintf(stderr, "usage: parquet_tool samples DIR | dump FILE\n");
        return 2;
    } catch (const rcls::Error& e) {
        std::fprintf(stderr, "parquet_tool: error: %s\n", e.what());
        return static_cast<int>(e.code());
    }
}
