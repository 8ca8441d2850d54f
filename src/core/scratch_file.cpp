// SPDX-License-Identifier: MIT
#include "rcls/core/scratch_file.hpp"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include "rcls/core/error.hpp"

#include <sys/stat.h>

namespace rcls {
namespace fs = std::filesystem;

ScratchDir::ScratchDir(fs::path path) : path_(std::move(path)) {
    std::error_code ec;
    const fs::path parent = path_.parent_path();
    if (!parent.empty() && !fs::exists(parent, ec)) created_parent_ = parent;
    fs::remove_all(path_, ec);  // left by a killed run
    ec.clear();
    fs::create_directories(path_, ec);
    if (ec) {
        throw DataError(path_.string() + ": cannot create the scratch folder: " + ec.message());
    }
}

ScratchDir::~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
    if (!created_parent_.empty() && fs::is_empty(created_parent_, ec)) {
        fs::remove(created_parent_, ec);
    }
}

ScratchFile::ScratchFile(fs::path path, Mode mode) : path_(std::move(path)) {
    const int flags =
        mode == Mode::kCreate ? O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC : O_RDONLY | O_CLOEXEC;
    fd_ = ::open(path_.c_str(), flags, 0600);
    if (fd_ < 0) throw DataError(path_.string() + ": cannot open the scratch file", errno);
}

ScratchFile::~ScratchFile() {
    if (fd_ >= 0) ::close(fd_);
}

void ScratchFile::write_at(std::uint64_t offset, const void* data, std::size_t bytes) {
    const auto* p = static_cast<const char*>(data);
    while (bytes > 0) {
        const ssize_t n = ::pwrite(fd_, p, bytes, static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            throw DataError(path_.string() +
                                ": cannot write the scratch file (free disk space "
                                "there or raise --memory_budget_mb)",
                            errno);
        }
        p += n;
        offset += static_cast<std::uint64_t>(n);
        bytes -= static_cast<std::size_t>(n);
    }
}

void ScratchFile::read_at(std::uint64_t offset, void* data, std::size_t bytes) const {
    auto* p = static_cast<char*>(data);
    while (bytes > 0) {
        const ssize_t n = ::pread(fd_, p, bytes, static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            throw DataError(path_.string() + ": cannot read the scratch file", errno);
        }
        if (n == 0) {
            throw DataError(path_.string() + ": the scratch file ends at byte " +
                            std::to_string(offset) + ", before the " + std::to_string(bytes) +
                            " bytes asked for (was it changed while rcls ran?)");
        }
        p += n;
        offset += static_cast<std::uint64_t>(n);
        bytes -= static_cast<std::size_t>(n);
    }
}

std::uint64_t ScratchFile::size() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) throw DataError(path_.string() + ": cannot stat", errno);
    return static_cast<std::uint64_t>(st.st_size);
}

}  // namespace rcls
