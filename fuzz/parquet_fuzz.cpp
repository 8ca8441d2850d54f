// SPDX-License-Identifier: MIT
//
// libFuzzer target for the Parquet footer, page and level decoders: any input must give a table
// or a DataError, never a crash, a sanitizer report or an unbounded allocation.
//   scripts/fuzz_parquet.sh [seconds]   (builds build-fuzz/ with clang, runs from a seeded corpus)
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
