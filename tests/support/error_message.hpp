// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <utility>

namespace rcls::testing {

/// The message of the exception of type E that `f` throws, or "" when it throws none (another
/// exception type propagates and fails the test).
template <class E, class F>
std::string error_message(F&& f) {
    try {
        std::forward<F>(f)();
    } catch (const E& e) {
        return e.what();
    }
    return "";
}

}  // namespace rcls::testing
