// SPDX-License-Identifier: MIT
//
// Tests that need something not every machine has (../shared/realdata, ffmpeg, python3-torch)
// skip without it, with the reason. In CI (CI=true in the environment), where everything is
// installed and ../shared is present, a missing prerequisite is a failure instead, so that a
// broken set-up can't pass silently. Such tests carry the ctest label `realdata` or `reference`
// (tests/CMakeLists.txt, rcls_label_tests).
//
//     if (root.empty() || !fs::exists(root)) RCLS_PREREQUISITE_MISSING() << "realdata not here";
#pragma once

#include <cstdlib>
#include <string_view>

#include <gtest/gtest.h>

namespace rcls::testing {

/// True when the environment says CI=true (or 1, yes): GitHub Actions, GitLab CI and most others
/// set it.
inline bool in_ci() {
    const char* value = std::getenv("CI");
    if (value == nullptr) return false;
    const std::string_view text(value);
    return text == "true" || text == "TRUE" || text == "True" || text == "1" || text == "yes";
}

inline ::testing::TestPartResult::Type missing_prerequisite_result() {
    return in_ci() ? ::testing::TestPartResult::kFatalFailure : ::testing::TestPartResult::kSkip;
}

inline const char* missing_prerequisite_note() {
    return in_ci() ? "CI=true: a missing prerequisite fails here instead of skipping the test" : "";
}

}  // namespace rcls::testing

/// Like GTEST_SKIP() (returns from the test; stream the reason into it), but a fatal failure when
/// CI=true.
#define RCLS_PREREQUISITE_MISSING()                                                \
    return ::testing::internal::AssertHelper(                                      \
               ::rcls::testing::missing_prerequisite_result(), __FILE__, __LINE__, \
               ::rcls::testing::missing_prerequisite_note()) = ::testing::Message()
