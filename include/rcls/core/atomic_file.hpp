// SPDX-License-Identifier: MIT
//
// Crash-safe file output. Every file rcls writes appears under its final name only once it is
// complete: the bytes go to a hidden temporary file in the same directory, which is flushed to
// disk and then renamed over the target. A kill at any moment leaves either the old file or the
// new one, never a torn one; at worst a stale ".<name>.tmp-*" file, which readers ignore and
// remove_stale_temporaries() deletes.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace rcls {

/// Writes `contents` to `path` atomically (temp file, fsync, rename, fsync of the directory).
/// Creates missing parent directories. Throws DataError naming the path on failure.
void write_file_atomic(const std::filesystem::path& path, std::string_view contents);

/// Writes `contents` to `path` directly: no temporary file, no fsync. For files inside a
/// directory staged by an AtomicOutput, whose commit() syncs and renames the whole directory.
/// Throws DataError naming the path on failure.
void write_file(const std::filesystem::path& path, std::string_view contents);

/// Reads a whole file. Throws DataError naming the path when it is missing or unreadable.
std::string read_file(const std::filesystem::path& path);

/// What an AtomicOutput stages: a file, or a directory the caller fills (e.g. PNG frames).
enum class OutputKind { kFile, kDirectory };

/// A file produced by some other writer (e.g. a video muxer that opens paths itself), or a
/// directory of files, that becomes visible at target() only on commit(). Until then it lives at
/// temp_path(), which keeps the target's extension so that format guessing by extension still
/// works (a directory is created there at once). commit() replaces an existing target, file or
/// directory. The destructor removes an uncommitted temporary file or directory. Not thread-safe;
/// movable, not copyable.
class AtomicOutput {
public:
    /// Creates the parent directory of `target` if needed (and the temporary directory for
    /// OutputKind::kDirectory); throws DataError if it cannot.
    explicit AtomicOutput(std::filesystem::path target, OutputKind kind = OutputKind::kFile);
    ~AtomicOutput();
    AtomicOutput(AtomicOutput&& other) noexcept;
    AtomicOutput& operator=(AtomicOutput&&) = delete;
    AtomicOutput(const AtomicOutput&) = delete;
    AtomicOutput& operator=(const AtomicOutput&) = delete;

    const std::filesystem::path& target() const { return target_; }
    const std::filesystem::path& temp_path() const { return temp_; }

    /// fsyncs the temporary file (or the directory's files), renames it to target() and fsyncs
    /// the parent directory; an existing target directory is moved aside first and deleted after.
    /// Throws DataError if the temporary file is missing or a rename fails.
    void commit();

private:
    std::filesystem::path target_;
    std::filesystem::path temp_;
    OutputKind kind_ = OutputKind::kFile;
    bool done_ = false;
};

/// A fresh temporary name for a file that will become `target`: ".<stem>.tmp-<pid>-<n><ext>" in
/// `directory` (default: beside the target), unique within the process. Creates nothing.
std::filesystem::path temporary_path(const std::filesystem::path& target,
                                     const std::filesystem::path& directory = {});

/// True for names of rcls temporary files and directories (".<name>.tmp-<pid>-<n><ext>").
bool is_temporary_name(std::string_view file_name);

/// Deletes rcls temporary files and directories directly inside `directory` left behind by
/// killed processes. Returns how many were removed. Missing directories are fine (0).
std::size_t remove_stale_temporaries(const std::filesystem::path& directory);

/// fsyncs a file or directory by path; errors are ignored (best effort, e.g. on tmpfs).
void sync_path(const std::filesystem::path& path) noexcept;

}  // namespace rcls
