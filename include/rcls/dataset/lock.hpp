// SPDX-License-Identifier: MIT
//
// The advisory lock of a dataset being written. A DatasetWriter (and the label rewrite) holds
// flock(LOCK_EX) on <root>/.rcls-lock for its whole life, with its pid written in the file; a
// second writer, in this process or another, then fails at once naming the holder instead of
// deleting the first one's staging files. The kernel drops the lock when its holder exits, even
// by SIGKILL, so a killed writer never leaves a dataset locked (the empty file stays, ignored).
#pragma once

#include <filesystem>
#include <string_view>

namespace rcls::dataset {

/// The lock file's name inside a dataset's root.
inline constexpr const char* kLockFileName = ".rcls-lock";

class DatasetLock {
public:
    /// Takes the lock of the dataset at `root` (a folder that must exist) for `purpose` (shown to
    /// the next one, e.g. "writing"). Throws DataError naming the root and the holder's pid when
    /// it is held, or when the lock file cannot be created.
    static DatasetLock acquire(const std::filesystem::path& root, std::string_view purpose);

    /// Takes the lock like acquire(), waiting while another process holds it.
    static DatasetLock wait(const std::filesystem::path& root, std::string_view purpose);

    DatasetLock() = default;
    ~DatasetLock();
    DatasetLock(DatasetLock&& other) noexcept;
    DatasetLock& operator=(DatasetLock&& other) noexcept;
    DatasetLock(const DatasetLock&) = delete;
    DatasetLock& operator=(const DatasetLock&) = delete;

    bool held() const { return fd_ >= 0; }

private:
    static DatasetLock take(const std::filesystem::path& root, std::string_view purpose, bool wait);
    explicit DatasetLock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

}  // namespace rcls::dataset
