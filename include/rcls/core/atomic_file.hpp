// SPDX-License-Identifier: MIT
//
// Crash-safe file output. Every file rcls writes appears under its final name only once it is
// complete: the bytes go to a hidden temporary file in the same directory, which is flushed to
// disk and then renamed over the target. A kill at any moment leaves either the old file or the
// new one, never a torn one; at worst a stale ".<name>.tmp-*" file, which readers ignore and
// remove_stale_temporaries() deletes.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

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

/// Several files replaced in a fixed order, the last one being the commit point (e.g. a dataset's
/// data, videos, metadata and finally meta/info.json). Each file is first staged: written (or
/// produced by another writer) under a temporary name in the staging folder, outside the folders
/// readers look at. commit() then fsyncs every staged file and renames them into place in the
/// order they were added, fsyncing each target folder, so a kill at any moment leaves every
/// target either old or new, and only the files before the kill's point renamed. Targets must be
/// on the staging folder's file system. The destructor deletes staged files not yet renamed
/// (unless a journal was written: they are then the journal's to complete). Not
/// thread-safe; movable, not copyable.
///
/// With Options::journal, the set commits as one: commit() first writes the journal (the pairs of
/// staged and target names) atomically, the commit point, then renames, then deletes the
/// journal. A kill before the journal leaves every target old; a kill after it leaves a journal
/// that finish_journal() completes, so every target becomes new.
class StagedFiles {
public:
    struct Options {
        /// Where staged files live (created when needed); empty: beside each target.
        std::filesystem::path staging_dir;
        /// fsync files and folders (survives power loss); without it, renames are still atomic,
        /// which is all a killed process needs.
        bool durable = true;
        /// Called before every file operation with a short label ("create", "write" per 64 KiB
        /// block, "fsync", "rename"), for tracing and fault injection.
        std::function<void(std::string_view step)> on_step;
        /// When set, the commit point of the whole set (see above); it names files relative to
        /// its own folder, which must be on the targets' file system.
        std::filesystem::path journal;
    };

    /// Completes the commit `journal` recorded: renames every staged file still there over its
    /// target, in order, then deletes the journal. Returns false when there is no journal.
    /// Throws DataError naming the journal when it is unreadable or a rename fails.
    static bool finish_journal(const std::filesystem::path& journal, bool durable = true);

    explicit StagedFiles(Options options);
    ~StagedFiles();
    StagedFiles(StagedFiles&&) noexcept;
    StagedFiles& operator=(StagedFiles&&) = delete;
    StagedFiles(const StagedFiles&) = delete;
    StagedFiles& operator=(const StagedFiles&) = delete;

    /// Stages `contents` for `target` (written now, in blocks). Throws DataError naming the target.
    void add(const std::filesystem::path& target, std::string_view contents);
    /// Stages a file another writer produces (e.g. a video muxer): returns the temporary path it
    /// must write before commit(); it keeps the target's extension.
    std::filesystem::path add_produced(const std::filesystem::path& target);

    /// The targets in commit order.
    std::vector<std::filesystem::path> targets() const;

    /// fsyncs the staged files, then renames each over its target in order (creating its folder).
    /// Throws DataError naming the target when a staged file is missing or a rename fails; the
    /// targets renamed before stay replaced.
    void commit();

private:
    struct Entry {
        std::filesystem::path target;
        std::filesystem::path temp;
    };
    void step(std::string_view what) const;

    Options options_;
    std::vector<Entry> entries_;
    std::size_t committed_ = 0;
    bool journal_written_ = false;  ///< Past the commit point: staged files belong to the journal.
};

/// fsyncs a file or directory by path; errors are ignored (best effort, e.g. on tmpfs).
void sync_path(const std::filesystem::path& path) noexcept;

}  // namespace rcls
