// SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <string>

namespace rcls::testing {

/// A fresh directory under $TMPDIR, removed with everything in it when the object dies.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

/// Writes `contents` to `path` (creating parent folders), for fixtures.
void write_text(const std::filesystem::path& path, const std::string& contents);

/// The folder of real LeRobot recordings ($RCLS_REALDATA, else ../shared/realdata beside the
/// source tree); empty when it is not on this machine. Tests using it skip then
/// (RCLS_PREREQUISITE_MISSING, prerequisite.hpp).
std::filesystem::path realdata_dir();

/// The source tree's root (for configs/ and tests/data/).
std::filesystem::path source_dir();

}  // namespace rcls::testing
