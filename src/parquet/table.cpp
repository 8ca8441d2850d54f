// SPDX-License-Identifier: MIT
#include "rcls/parquet/table.hpp"

#include <type_traits>

#include "rcls/core/error.hpp"

namespace rcls::parquet {

const char* to_string(ValueType type) {
    switch (type) {
        case ValueType::kBool:
            return "bool";
        case ValueType::kInt32:
            return "int32";
        case ValueType::kInt64:
            return "int64";
        case ValueType::kFloat:
            return "float";
        case ValueType::kDouble:
            return "double";
        case ValueType::kString:
            return "string";
    }
    return "?";
}

std::size_t Column::num_values() const {
    return std::visit([](const auto& v) { return v.size(); }, values);
}

std::size_t Column::num_rows() const {
    if (offsets.empty()) return num_values();
    return offsets.front().empty() ? 0 : offsets.front().size() - 1;
}

template <class T>
const std::vector<T>& Column::as() const {
    if (const auto* v = std::get_if<std::vector<T>>(&values)) return *v;
    throw DataError("column \"" + name + "\": holds " + to_string(type) + " values, not the type " +
                    "the reader asked for");
}

template <class T>
std::vector<T>& Column::as() {
    if (auto* v = std::get_if<std::vector<T>>(&values)) return *v;
    throw DataError("column \"" + name + "\": holds " + to_string(type) + " values, not the type " +
                    "the reader asked for");
}

template const std::vector<std::uint8_t>& Column::as() const;
template const std::vector<std::int32_t>& Column::as() const;
template const std::vector<std::int64_t>& Column::as() const;
template const std::vector<float>& Column::as() const;
template const std::vector<double>& Column::as() const;
template const std::vector<std::string>& Column::as() const;
template std::vector<std::uint8_t>& Column::as();
template std::vector<std::int32_t>& Column::as();
template std::vector<std::int64_t>& Column::as();
template std::vector<float>& Column::as();
template std::vector<double>& Column::as();
template std::vector<std::string>& Column::as();

std::pair<std::size_t, std::size_t> Column::list_range(std::size_t row) const {
    if (offsets.empty()) {
        throw DataError("column \"" + name + "\": expected lists, found scalars");
    }
    const auto& o = offsets.front();
    if (row + 1 >= o.size()) {
        throw DataError("column \"" + name + "\": row " + std::to_string(row) + " out of range");
    }
    auto begin = static_cast<std::size_t>(o[row]);
    auto end = static_cast<std::size_t>(o[row + 1]);
    // Nested lists: follow each level down to the leaves the row spans.
    for (std::size_t k = 1; k < offsets.size(); ++k) {
        begin = static_cast<std::size_t>(offsets[k][begin]);
        end = static_cast<std::size_t>(offsets[k][end]);
    }
    return {begin, end};
}

namespace {

double value_as_double(const Values& values, std::size_t i, const std::string& name) {
    return std::visit(
        [&](const auto& v) -> double {
            using T = typename std::decay_t<decltype(v)>::value_type;
            if constexpr (std::is_same_v<T, std::string>) {
                throw DataError("column \"" + name + "\": holds strings, expected numbers");
            } else {
                return static_cast<double>(v[i]);
            }
        },
        values);
}

}  // namespace

double Column::number(std::size_t row) const {
    if (!offsets.empty()) throw DataError("column \"" + name + "\": expected scalars, found lists");
    if (row >= num_values()) {
        throw DataError("column \"" + name + "\": row " + std::to_string(row) + " out of range");
    }
    return value_as_double(values, row, name);
}

std::int64_t Column::integer(std::size_t row) const {
    if (!offsets.empty()) throw DataError("column \"" + name + "\": expected scalars, found lists");
    if (row >= num_values()) {
        throw DataError("column \"" + name + "\": row " + std::to_string(row) + " out of range");
    }
    if (const auto* v = std::get_if<std::vector<std::int64_t>>(&values)) return (*v)[row];
    if (const auto* v = std::get_if<std::vector<std::int32_t>>(&values)) return (*v)[row];
    throw DataError("column \"" + name + "\": holds " + to_string(type) + ", expected integers");
}

std::vector<double> Column::numbers(std::size_t row) const {
    const auto [begin, end] = list_range(row);
    std::vector<double> out;
    out.reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i) {
        out.push_back(value_as_double(values, i, name));
    }
    return out;
}

void Column::append_rows(const Column& other, std::size_t begin, std::size_t end) {
    if (other.type != type || other.offsets.size() != offsets.size() ||
        other.values.index() != values.index()) {
        throw DataError("column \"" + name + "\": cannot append rows of a different type");
    }
    const std::size_t rows_before = num_rows();
    // Leaf range of the appended rows, level by level.
    std::size_t lo = begin;
    std::size_t hi = end;
    for (std::size_t k = 0; k < offsets.size(); ++k) {
        auto& mine = offsets[k];
        const auto& theirs = other.offsets[k];
        if (mine.empty()) mine.push_back(0);
        const std::int64_t shift = mine.back() - theirs[lo];
        for (std::size_t i = lo + 1; i <= hi; ++i) {
            mine.push_back(theirs[i] + shift);
        }
        lo = static_cast<std::size_t>(theirs[lo]);
        hi = static_cast<std::size_t>(theirs[hi]);
    }
    const std::size_t values_before = num_values();
    std::visit(
        [&](auto& mine) {
            using V = std::decay_t<decltype(mine)>;
            const V& theirs = std::get<V>(other.values);
            mine.insert(mine.end(), theirs.begin() + static_cast<std::ptrdiff_t>(lo),
                        theirs.begin() + static_cast<std::ptrdiff_t>(hi));
        },
        values);
    if (!other.row_valid.empty() || !row_valid.empty()) {
        row_valid.resize(rows_before, 1);
        for (std::size_t r = begin; r < end; ++r) {
            row_valid.push_back(other.row_present(r) ? 1 : 0);
        }
    }
    if (!other.valid.empty() || !valid.empty()) {
        valid.resize(values_before, 1);
        for (std::size_t i = lo; i < hi; ++i) {
            valid.push_back(other.valid.empty() ? 1 : other.valid[i]);
        }
    }
}

const Column* Table::find(const std::string& name) const {
    for (const Column& c : columns) {
        if (c.name == name) return &c;
    }
    return nullptr;
}

Column* Table::find(const std::string& name) {
    for (Column& c : columns) {
        if (c.name == name) return &c;
    }
    return nullptr;
}

const Column& Table::column(const std::string& name) const {
    if (const Column* c = find(name)) return *c;
    throw DataError("column \"" + name + "\" missing");
}

const std::string* Table::meta(const std::string& key) const {
    for (const auto& [k, v] : metadata) {
        if (k == key) return &v;
    }
    return nullptr;
}

Table Table::slice(std::size_t begin, std::size_t end) const {
    if (begin > end || end > static_cast<std::size_t>(num_rows)) {
        throw std::out_of_range("parquet table slice [" + std::to_string(begin) + ", " +
                                std::to_string(end) + ") of " + std::to_string(num_rows) + " rows");
    }
    Table out;
    out.metadata = metadata;
    out.num_rows = static_cast<std::int64_t>(end - begin);
    for (const Column& c : columns) {
        Column piece;
        piece.name = c.name;
        piece.type = c.type;
        piece.fixed_size = c.fixed_size;
        piece.offsets.resize(c.offsets.size());
        piece.values = std::visit(
            [](const auto& v) -> Values { return std::decay_t<decltype(v)>{}; }, c.values);
        piece.append_rows(c, begin, end);
        out.columns.push_back(std::move(piece));
    }
    return out;
}

}  // namespace rcls::parquet
