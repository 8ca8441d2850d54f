// SPDX-License-Identifier: MIT
//
// The `ARROW:schema` key-value entry pyarrow (and so Hugging Face datasets) writes into Parquet
// footers: base64 of an Arrow IPC message (continuation marker 0xFFFFFFFF, int32 length, then a
// flatbuffer `Message` whose header is a `Schema`, from arrow/format/Schema.fbs and Message.fbs).
// Readers use it to restore Arrow types the Parquet schema cannot express, e.g. FixedSizeList,
// which is how `datasets` stores LeRobot's `Sequence(length=n)` vectors. Only the types rcls
// writes are encoded: Bool, Int(32/64), FloatingPoint(single/double), Utf8, List, FixedSizeList.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "rcls/parquet/table.hpp"

namespace rcls::parquet {

/// The ARROW:schema value for `table`'s columns with `metadata` as the schema's custom metadata.
std::string arrow_schema_base64(const Table& table,
                                const std::vector<std::pair<std::string, std::string>>& metadata);

}  // namespace rcls::parquet
