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

StagedFiles::StagedFiles(Options options) : options_(std::move(options)) {}

StagedFiles::StagedFiles(StagedFiles&& other) noexcept
    : options_(std::move(other.options_)),
      entries_(std::move(other.entries_)),
      committed_(other.committed_),
      journal_written_(other.journal_written_) {
    other.entries_.clear();
    other.committed_ = 0;
}

StagedFiles::~StagedFiles() {
    if (journal_written_) return;
    for (std::size_t i = committed_; i < entries_.size(); ++i) {
        std::error_code ignored;
        fs::remove_all(entries_[i].temp, ignored);
    }
}

void StagedFiles::step(std::string_view what) const {
    if (options_.on_step) options_.on_step(what);
}

fs::path StagedFiles::add_produced(const fs::path& target) {
    std::error_code error;
    if (!options_.staging_dir.empty()) {
        fs::create_directories(options_.staging_dir, error);
        if (error) {
            throw DataError(options_.staging_dir.string() +
                            ": cannot create folder: " + error.message());
        }
    }
    create_parent(target);
    step("create");
    entries_.push_back({target, temporary_path(target, options_.staging_dir)});
    return entries_.back().temp;
}

void StagedFiles::add(const fs::path& target, std::string_view contents) {
    constexpr std::size_t kBlock = 64 * 1024;
    const fs::path temp = add_produced(target);
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw DataError(target.string() + ": cannot create " + temp.string(), errno);
    std::size_t done = 0;
    while (done < contents.size()) {
        step("write");
        const std::size_t n = std::min(kBlock, contents.size() - done);
        const ssize_t written = ::write(fd, contents.data() + done, n);
        if (written < 0) {
            if (errno == EINTR) continue;
            const int saved = errno;
            ::close(fd);
            throw DataError(target.string() + ": write failed", saved);
        }
        done += static_cast<std::size_t>(written);
    }
    if (::close(fd) != 0) throw DataError(target.string() + ": write failed", errno);
}

std::vector<fs::path> StagedFiles::targets() const {
    std::vector<fs::path> out;
    for (const Entry& e : entries_)
        out.push_back(e.target);
    return out;
}

namespace {

/// Renames `temp` over `target` (creating its folder); fsyncs the folder when durable.
void rename_into_place(const fs::path& temp, const fs::path& target, bool durable) {
    create_parent(target);
    std::error_code error;
    fs::rename(temp, target, error);
    if (error) {
        throw DataError(target.string() +
                        ": cannot move the finished file into place: " + error.message());
    }
    if (durable) {
        const fs::path parent = target.parent_path();
        sync_path(parent.empty() ? fs::path(".") : parent);
    }
}

}  // namespace

bool StagedFiles::finish_journal(const fs::path& journal, bool durable) {
    std::error_code error;
    if (!fs::exists(journal, error)) return false;
    const std::string text = read_file(journal);
    const fs::path base = journal.parent_path();
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t end = text.find('\n', at);
        const std::size_t tab = text.find('\t', at);
        if (end == std::string::npos || tab == std::string::npos || tab > end) {
            throw DataError(journal.string() +
                            ": corrupt commit journal (delete it to keep the "
                            "old files)");
        }
        const fs::path temp = base / text.substr(at, tab - at);
        const fs::path target = base / text.substr(tab + 1, end - tab - 1);
        if (fs::exists(temp, error)) rename_into_place(temp, target, durable);
        at = end + 1;
    }
    fs::remove(journal, error);
    if (error) throw DataError(journal.string() + ": cannot remove: " + error.message());
    if (durable) sync_path(base);
    return true;
}

void StagedFiles::commit() {
    for (std::size_t i = committed_; i < entries_.size(); ++i) {
        std::error_code error;
        if (!fs::exists(entries_[i].temp, error)) {
            throw DataError(entries_[i].target.string() + ": nothing was written (missing " +
                            entries_[i].temp.string() + ")");
        }
        step("fsync");
        if (options_.durable) sync_path(entries_[i].temp);
    }
    const fs::path& journal = options_.journal;
    if (!journal.empty()) {
        std::string text;
        const fs::path base = fs::absolute(journal.parent_path()).lexically_normal();
        const auto relative = [&](const fs::path& p) {
            return fs::absolute(p).lexically_normal().lexically_relative(base).string();
        };
        for (std::size_t i = committed_; i < entries_.size(); ++i) {
            text += relative(entries_[i].temp) + "\t" + relative(entries_[i].target) + "\n";
        }
        step("journal");
        const fs::path temp = temporary_path(journal);
        create_parent(journal);
        create_and_write(temp, text, journal);
        if (options_.durable) sync_path(temp);
        step("rename");
        rename_into_place(temp, journal, options_.durable);  // the commit point
        journal_written_ = true;
    }
    for (; committed_ < entries_.size(); ++committed_) {
        step("rename");
        rename_into_place(entries_[committed_].temp, entries_[committed_].target, options_.durable);
    }
    if (!journal.empty()) {
        step("remove");
        std::error_code error;
        fs::remove(journal, error);
        if (options_.durable) sync_path(journal.parent_path());
    }
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
