// SPDX-License-Identifier: MIT
//
// Working files that hold more data than a run keeps in memory (rcls train's frames and feature
// pool on a large dataset): written and read back at byte offsets with pwrite/pread. No mapping:
// the pages of a mapped file that a process touches count in its resident set, while pread copies
// into the caller's buffer and leaves the file in the page cache, which the kernel reclaims. These
// are scratch files, not outputs, so they bypass core/atomic_file: a ScratchDir removes them when
// the run ends, fails or is interrupted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace rcls {

/// A folder of working files, removed with its contents when this object goes (the run's end, an
/// exception, Ctrl-C's InterruptedError). A folder of that name left by a killed run is removed
/// first. When the constructor had to create the parent folder and it is empty at the end, the
/// parent goes too. Movable neither way; one owner.
class ScratchDir {
public:
    /// Creates `path` (and missing parents). Throws DataError naming it when it cannot.
    explicit ScratchDir(std::filesystem::path path);
    ~ScratchDir();
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    std::filesystem::path created_parent_;  ///< Non-empty: the parent this object created.
};

/// A file read and written at byte offsets (pread/pwrite). Reads and writes of disjoint ranges
/// may come from several threads at once. Errors throw DataError naming the file.
class ScratchFile {
public:
    enum class Mode {
        kCreate,  ///< Create (or truncate) for reading and writing.
        kRead,    ///< An existing file, read only.
    };
    ScratchFile(std::filesystem::path path, Mode mode);
    ~ScratchFile();
    ScratchFile(const ScratchFile&) = delete;
    ScratchFile& operator=(const ScratchFile&) = delete;

    /// Writes `bytes` bytes at `offset` (the file grows as needed).
    void write_at(std::uint64_t offset, const void* data, std::size_t bytes);
    /// Reads exactly `bytes` bytes at `offset`; a short file is an error.
    void read_at(std::uint64_t offset, void* data, std::size_t bytes) const;
    /// The file's size in bytes.
    std::uint64_t size() const;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    int fd_ = -1;
};

}  // namespace rcls
