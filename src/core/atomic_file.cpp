// SPDX-License-Identifier: MIT
#include "rcls/core/atomic_file.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"
#include "rcls/core/paths.hpp"

#include <sys/stat.h>

namespace rcls {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kTempMarker = ".tmp-";

void create_parent(const fs::path& path) {
    const fs::path parent = path.parent_path();
    if (parent.empty()) return;
    std::error_code error;
    fs::create_directories(parent, error);
    if (error) throw DataError(parent.string() + ": cannot create directory: " + error.message());
}

void write_all(int fd, std::string_view contents, const fs::path& path) {
    const char* data = contents.data();
    std::size_t left = contents.size();
    while (left > 0) {
        const ssize_t written = ::write(fd, data, left);
        if (written < 0) {
            if (errno == EINTR) continue;
            throw DataError(path.string() + ": write failed", errno);
        }
        data += written;
        left -= static_cast<std::size_t>(written);
    }
}

/// Creates (or truncates) `file` and writes `contents`; errors name `shown`.
void create_and_write(const fs::path& file, std::string_view contents, const fs::path& shown) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw DataError(shown.string() + ": cannot create file", errno);
    try {
        write_all(fd, contents, shown);
    } catch (...) {
        ::close(fd);
        throw;
    }
    if (::close(fd) != 0) throw DataError(shown.string() + ": write failed", errno);
}

}  // namespace

void sync_path(const fs::path& path) noexcept {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

void write_file_atomic(const fs::path& path, std::string_view contents) {
    AtomicOutput output(path);
    create_and_write(output.temp_path(), contents, path);
    output.commit();
}

void write_file(const fs::path& path, std::string_view contents) {
    create_and_write(path, contents, path);
}

std::string read_file(const fs::path& path) {
    // O_NONBLOCK: opening a named pipe that nobody writes to must not hang; the flag is cleared
    // at once, so a pipe with a writer (`--config <(cmd)`) is read to its end as usual.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        const int saved = errno;
        if (!fs::exists(path)) throw DataError(path.string() + ": file not found");
        throw DataError(path.string() + ": cannot open", saved);
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode))) {
        ::close(fd);
        require_regular_file(path);  // throws, naming what the path is instead
        throw DataError(path.string() + ": cannot read");
    }
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    // One allocation of the file's size, then reads until the end (which also serves pipes and
    // files that change size meanwhile). A pipe is read up to kMaxPipeBytes.
    constexpr std::size_t kMaxPipeBytes = std::size_t{1} << 30;
    std::string contents;
    if (S_ISREG(st.st_mode)) contents.resize(static_cast<std::size_t>(st.st_size));
    std::size_t used = 0;
    while (true) {
        if (used == contents.size()) {
            if (S_ISFIFO(st.st_mode) && used >= kMaxPipeBytes) {
                ::close(fd);
                throw DataError(path.string() + ": a pipe with more than 1 GiB; give a file");
            }
            contents.resize(std::max<std::size_t>(4096, used * 2));
        }
        const ssize_t n = ::read(fd, contents.data() + used, contents.size() - used);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int saved = errno;
            ::close(fd);
            throw DataError(path.string() + ": read failed", saved);
        }
        if (n == 0) break;
        used += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (S_ISFIFO(st.st_mode) && used == 0) {
        throw DataError(path.string() +
                        ": is a named pipe (FIFO) with nothing written to it; give a regular file");
    }
    contents.resize(used);
    return contents;
}

AtomicOutput::AtomicOutput(fs::path target, OutputKind kind)
    : target_(std::move(target)), kind_(kind) {
    create_parent(target_);
    temp_ = temporary_path(target_);
    if (kind_ == OutputKind::kDirectory) {
        std::error_code error;
        fs::create_directory(temp_, error);
        if (error) {
            throw DataError(temp_.string() + ": cannot create directory: " + error.message());
        }
    }
}

AtomicOutput::AtomicOutput(AtomicOutput&& other) noexcept
    : target_(std::move(other.target_)),
      temp_(std::move(other.temp_)),
      kind_(other.kind_),
      done_(other.done_) {
    other.done_ = true;
}

AtomicOutput::~AtomicOutput() {
    if (done_) return;
    std::error_code ignored;
    fs::remove_all(temp_, ignored);
}

void AtomicOutput::commit() {
    if (done_) return;
    if (!fs::exists(temp_)) {
        throw DataError(target_.string() + ": nothing was written (missing " + temp_.string() +
                        ")");
    }
    std::error_code error;
    fs::path old;  // a directory cannot be renamed over a non-empty one: move it aside first
    if (kind_ == OutputKind::kDirectory) {
        for (const auto& entry : fs::directory_iterator(temp_, error)) {
            sync_path(entry.path());
        }
        if (fs::exists(target_, error)) {
            old = temporary_path(target_);
            fs::rename(target_, old, error);
            if (error) {
                throw DataError(target_.string() +
                                ": cannot move the old one aside: " + error.message());
            }
        }
    }
    sync_path(temp_);
    fs::rename(temp_, target_, error);
    if (error) {
        std::error_code ignored;
        if (!old.empty()) fs::rename(old, target_, ignored);  // put the old one back
        throw DataError(target_.string() +
                        ": cannot move finished file into place: " + error.message());
    }
    done_ = true;
    if (!old.empty()) fs::remove_all(old, error);
    const fs::path parent = target_.parent_path();
    sync_path(parent.empty() ? fs::path(".") : parent);
}

fs::path temporary_path(const fs::path& target, const fs::path& directory) {
    static std::atomic<unsigned> counter{0};
    const std::string name = "." + target.stem().string() + std::string(kTempMarker) +
                             std::to_string(::getpid()) + "-" + std::to_string(counter++) +
                             target.extension().string();
    return (directory.empty() ? target.parent_path() : directory) / name;
}

bool is_temporary_name(std::string_view name) {
    return name.size() > 1 && name.front() == '.' &&
           name.find(kTempMarker) != std::string_view::npos;
}

namespace {

// A temporary file whose writer is still running must not be removed by a second rcls process.
bool writer_is_alive(std::string_view name) {
    const std::size_t at = name.rfind(kTempMarker);
    if (at == std::string_view::npos) return false;
    long pid = 0;
    for (std::size_t i = at + kTempMarker.size();
         i < name.size() && name[i] >= '0' && name[i] <= '9'; ++i) {
        pid = pid * 10 + (name[i] - '0');
    }
    if (pid <= 0) return false;
    if (pid == ::getpid()) return true;
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace

std::size_t remove_stale_temporaries(const fs::path& directory) {
    std::error_code error;
    if (!fs::is_directory(directory, error)) return 0;
    std::size_t removed = 0;
    for (const auto& entry : fs::directory_iterator(directory, error)) {
        if (!entry.is_regular_file(error) && !entry.is_directory(error)) continue;
        const std::string name = entry.path().filename().string();
        if (!is_temporary_name(name) || writer_is_alive(name)) continue;
        if (fs::remove_all(entry.path(), error) > 0) {
            ++removed;
            spdlog::debug("removed stale temporary file {}", entry.path().string());
        }
    }
    return removed;
}

}  // namespace rcls
