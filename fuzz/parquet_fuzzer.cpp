// SPDX-License-Identifier: MIT
//
// libFuzzer target for the Parquet footer, page and level decoders: any input must give a table
// or a DataError, never a crash, a sanitizer report or an unbounded allocation.
//   cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DRCLS_BUILD_FUZZERS=ON \
//         -DRCLS_BUILD_TESTS=OFF -DRCLS_BUILD_BENCH=OFF && cmake --build build-fuzz -t
//         parquet_fuzzer
//   build-fuzz/fuzz/parquet_fuzzer -max_total_time=60 -rss_limit_mb=4096 tests/data/parquet
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rcls/core/error.hpp"
#include "rcls/parquet/reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    try {
        rcls::parquet::parse_table(bytes, "fuzz");
    } catch (const rcls::DataError&) {
    }
    try {
        rcls::parquet::parse_summary(bytes, "fuzz");
    } catch (const rcls::DataError&) {
    }
    return 0;
}
