// SPDX-License-Identifier: MIT
//
// A Parquet table as JSON rows ({"column": value, ...}; lists as arrays, nulls as null, int64 as
// numbers, float32 widened exactly to double), for comparing rcls with other implementations.
#pragma once

#include <type_traits>

#include <nlohmann/json.hpp>

#include "rcls/parquet/table.hpp"

namespace rcls::testing {

inline nlohmann::json parquet_leaf_json(const parquet::Column& c, std::size_t i) {
    if (!c.valid.empty() && c.valid[i] == 0) return nullptr;
    return std::visit(
        [&](const auto& v) -> nlohmann::json {
            using T = typename std::decay_t<decltype(v)>::value_type;
            if constexpr (std::is_same_v<T, std::uint8_t>) {
                return v[i] != 0;
            } else if constexpr (std::is_same_v<T, float>) {
                return static_cast<double>(v[i]);
            } else {
                return v[i];
            }
        },
        c.values);
}

inline nlohmann::json parquet_slot_json(const parquet::Column& c, int level, std::size_t i) {
    if (level == c.list_depth()) return parquet_leaf_json(c, i);
    nlohmann::json out = nlohmann::json::array();
    const auto& off = c.offsets[static_cast<std::size_t>(level)];
    for (auto k = off[i]; k < off[i + 1]; ++k) {
        out.push_back(parquet_slot_json(c, level + 1, static_cast<std::size_t>(k)));
    }
    return out;
}

/// Every row of `table` as a JSON object.
inline nlohmann::json parquet_rows_json(const parquet::Table& table) {
    nlohmann::json rows = nlohmann::json::array();
    for (std::int64_t r = 0; r < table.num_rows; ++r) {
        nlohmann::json row = nlohmann::json::object();
        const auto i = static_cast<std::size_t>(r);
        for (const parquet::Column& c : table.columns) {
            row[c.name] = c.row_present(i) ? parquet_slot_json(c, 0, i) : nlohmann::json(nullptr);
        }
        rows.push_back(row);
    }
    return rows;
}

}  // namespace rcls::testing
