// SPDX-License-Identifier: MIT
//
// An in-memory column table: what the Parquet reader returns and the writer takes. A column holds
// scalars or (nested) lists of one value type. Values are flattened: `values` has one slot per
// leaf, and `offsets[k]` tells where each slot of list level k starts (Arrow's layout), e.g. a
// list<float> column of rows [1,2], [], [3] has offsets[0] = {0,2,2,3} and values {1,2,3}.
// Null rows or null elements keep a slot (value-initialized) and are marked in `row_valid` /
// `valid` (empty vectors mean "no nulls").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace rcls::parquet {

/// The value type of a column's leaves.
enum class ValueType { kBool, kInt32, kInt64, kFloat, kDouble, kString };

/// "bool", "int32", "int64", "float", "double" or "string".
const char* to_string(ValueType type);

/// The values of a column: one vector per value type (bools are stored as 0/1 bytes).
using Values = std::variant<std::vector<std::uint8_t>,
                            std::vector<std::int32_t>,
                            std::vector<std::int64_t>,
                            std::vector<float>,
                            std::vector<double>,
                            std::vector<std::string>>;

/// One column. Plain data: copyable and movable. Not thread-safe for concurrent mutation.
struct Column {
    std::string name;                    ///< Top-level field name, e.g. "observation.state".
    ValueType type = ValueType::kInt64;  ///< Leaf value type; matches `values`.
    std::vector<std::vector<std::int64_t>> offsets;  ///< One per list level; empty for scalars.
    std::vector<std::uint8_t> row_valid;             ///< Per row, 1 = present; empty: no null rows.
    std::vector<std::uint8_t> valid;  ///< Per leaf slot, 1 = present; empty: no nulls.
    Values values;                    ///< Leaf slots.
    /// Writer hint: the Arrow type is FixedSizeList of this length (how Hugging Face datasets
    /// store `Sequence(length=n)`), 0 for a variable-length list. The reader leaves it 0.
    std::int32_t fixed_size = 0;

    /// Number of list levels (0 for a scalar column).
    int list_depth() const { return static_cast<int>(offsets.size()); }
    /// Number of rows.
    std::size_t num_rows() const;
    /// Number of leaf slots.
    std::size_t num_values() const;
    /// True when row `row` is not null.
    bool row_present(std::size_t row) const { return row_valid.empty() || row_valid[row] != 0; }

    /// The leaf values as `T` (std::uint8_t for bool). Throws DataError naming the column when
    /// the column holds another type.
    template <class T>
    const std::vector<T>& as() const;
    template <class T>
    std::vector<T>& as();

    /// The leaf range [begin, end) of row `row` of a list column (all leaves of nested lists).
    std::pair<std::size_t, std::size_t> list_range(std::size_t row) const;
    /// Row `row` of a list<T> column as a span. Throws DataError on a type or depth mismatch.
    template <class T>
    std::span<const T> list(std::size_t row) const {
        const auto [begin, end] = list_range(row);
        return std::span<const T>(as<T>().data() + begin, end - begin);
    }
    /// A numeric scalar (bool, int or float) converted to double; throws DataError for strings
    /// and lists.
    double number(std::size_t row) const;
    /// An integer scalar; throws DataError for other types.
    std::int64_t integer(std::size_t row) const;
    /// The leaves of row `row` of a numeric list column (nested lists flattened) as doubles.
    std::vector<double> numbers(std::size_t row) const;

    /// Appends rows [begin, end) of `other` (same type and depth) to this column.
    void append_rows(const Column& other, std::size_t begin, std::size_t end);
};

/// A scalar column of `values`.
template <class T>
Column make_column(std::string name, ValueType type, std::vector<T> values) {
    Column column;
    column.name = std::move(name);
    column.type = type;
    column.values = std::move(values);
    return column;
}

/// A one-level list column, one list per row; `fixed_size` as in Column::fixed_size.
template <class T>
Column make_list_column(std::string name,
                        ValueType type,
                        const std::vector<std::vector<T>>& rows,
                        std::int32_t fixed_size = 0) {
    Column column;
    column.name = std::move(name);
    column.type = type;
    column.fixed_size = fixed_size;
    std::vector<std::int64_t> offsets{0};
    std::vector<T> flat;
    for (const auto& row : rows) {
        flat.insert(flat.end(), row.begin(), row.end());
        offsets.push_back(static_cast<std::int64_t>(flat.size()));
    }
    column.offsets.push_back(std::move(offsets));
    column.values = std::move(flat);
    return column;
}

/// Columns of equal row count plus the file's key-value metadata.
struct Table {
    std::vector<Column> columns;
    std::vector<std::pair<std::string, std::string>> metadata;  ///< Key-value metadata, in order.
    std::int64_t num_rows = 0;

    /// The column called `name`, or nullptr.
    const Column* find(const std::string& name) const;
    Column* find(const std::string& name);
    /// The column called `name`; throws DataError("column \"name\" missing") otherwise.
    const Column& column(const std::string& name) const;
    /// The metadata value for `key`, or nullptr.
    const std::string* meta(const std::string& key) const;
    /// Rows [begin, end) of every column, same metadata.
    Table slice(std::size_t begin, std::size_t end) const;
};

}  // namespace rcls::parquet
