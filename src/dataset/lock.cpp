// SPDX-License-Identifier: MIT
#include "rcls/dataset/lock.hpp"

#include <cerrno>
#include <fcntl.h>
#include <string>
#include <unistd.h>
#include <utility>

#include "rcls/core/error.hpp"

#include <sys/file.h>

namespace rcls::dataset {

DatasetLock DatasetLock::wait(const std::filesystem::path& root, std::string_view purpose) {
    return take(root, purpose, true);
}

DatasetLock DatasetLock::acquire(const std::filesystem::path& root, std::string_view purpose) {
    return take(root, purpose, false);
}

DatasetLock DatasetLock::take(const std::filesystem::path& root,
                              std::string_view purpose,
                              bool wait) {
    const std::filesystem::path path = root / kLockFileName;
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw DataError(path.string() + ": cannot create the dataset's lock file", errno);
    int rc = 0;
    do {
        rc = ::flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        const int saved = errno;
        std::string holder(128, '\0');
        const ssize_t n = ::pread(fd, holder.data(), holder.size(), 0);
        holder.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
        while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) {
            holder.pop_back();
        }
        ::close(fd);
        if (saved != EWOULDBLOCK) throw DataError(path.string() + ": cannot lock", saved);
        throw DataError(root.string() + ": the dataset is being written by another writer (" +
                        (holder.empty() ? std::string("pid unknown") : holder) +
                        "); wait for it to finish or stop it");
    }
    const std::string text =
        "pid " + std::to_string(::getpid()) + ", " + std::string(purpose) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, text.data(), text.size(), 0) < 0) {
        const int saved = errno;
        ::close(fd);
        throw DataError(path.string() + ": cannot write the dataset's lock file", saved);
    }
    return DatasetLock(fd);
}

DatasetLock::~DatasetLock() {
    if (fd_ >= 0) ::close(fd_);  // closing drops the flock
}

DatasetLock::DatasetLock(DatasetLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

DatasetLock& DatasetLock::operator=(DatasetLock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

}  // namespace rcls::dataset
