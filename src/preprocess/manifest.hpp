// SPDX-License-Identifier: MIT
//
// The record of finished outputs in a preprocess output folder (private to the preprocess module).
// Loaded once, updated after every finished output and saved atomically each time, so that it
// always lists exactly the outputs that were complete when it was written.
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace rcls::preprocess {

/// Size and modification time of an input: how a rerun notices that the input changed.
struct Fingerprint {
    std::uintmax_t bytes = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const Fingerprint&) const = default;
};

/// The fingerprint of a file, or of a folder of frames (total bytes, latest modification time).
Fingerprint fingerprint_of(const std::filesystem::path& path);

/// Thread-safe.
class Manifest {
public:
    /// Reads `path`; a missing file gives an empty manifest, an unreadable one a warning and an
    /// empty manifest (its outputs then count as not made by rcls).
    explicit Manifest(std::filesystem::path path);

    /// The entry recorded for output `name`, if any.
    std::optional<nlohmann::json> find(const std::string& name) const;

    /// Records `entry` for output `name` and saves the manifest atomically.
    void record(const std::string& name, nlohmann::json entry);

    /// Removes the entry for `name` (before its outputs are replaced) and saves.
    void forget(const std::string& name);

    const std::filesystem::path& path() const { return path_; }

private:
    void save_locked() const;

    std::filesystem::path path_;
    mutable std::mutex mutex_;
    nlohmann::json document_;
};

}  // namespace rcls::preprocess
