// SPDX-License-Identifier: MIT
#include "temp_dir.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <unistd.h>

namespace rcls::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
    std::string pattern = (fs::temp_directory_path() / "rcls-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
}

void write_text(const fs::path& path, const std::string& contents) {
    if (path.has_parent_path()) fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out << contents;
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

fs::path source_dir() {
    return RCLS_SOURCE_DIR;
}

fs::path realdata_dir() {
    if (const char* env = std::getenv("RCLS_REALDATA"); env != nullptr && *env != '\0') {
        return fs::is_directory(env) ? fs::path(env) : fs::path();
    }
    const fs::path beside = source_dir().parent_path() / "shared" / "realdata";
    std::error_code error;
    return fs::is_directory(beside, error) ? beside : fs::path();
}

}  // namespace rcls::testing
