// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rcls {

/// A JSON object with its key order kept (camera order is model input order, so it matters).
template <class T>
using Dict = std::vector<std::pair<std::string, T>>;

/// The value stored under `key`, or nullptr.
template <class T>
const T* dict_find(const Dict<T>& dict, std::string_view key) {
    for (const auto& [name, value] : dict) {
        if (name == key) return &value;
    }
    return nullptr;
}

}  // namespace rcls
