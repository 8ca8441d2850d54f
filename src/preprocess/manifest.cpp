// SPDX-License-Identifier: MIT
#include "manifest.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"
#include "rcls/core/json_struct.hpp"
#include "rcls/core/version.hpp"

#include <sys/stat.h>

namespace rcls::preprocess {
namespace fs = std::filesystem;

namespace {

/// Modification time in nanoseconds since the Unix epoch (0 when it cannot be read).
std::int64_t mtime_ns(const fs::path& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return 0;
    return static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
}

}  // namespace

Fingerprint fingerprint_of(const fs::path& path) {
    Fingerprint fingerprint;
    std::error_code error;
    if (fs::is_directory(path, error)) {
        for (const auto& entry : fs::directory_iterator(path, error)) {
            if (!entry.is_regular_file(error)) continue;
            fingerprint.bytes += entry.file_size(error);
            fingerprint.mtime_ns = std::max(fingerprint.mtime_ns, mtime_ns(entry.path()));
        }
        return fingerprint;
    }
    fingerprint.bytes = fs::file_size(path, error);
    fingerprint.mtime_ns = mtime_ns(path);
    return fingerprint;
}

Manifest::Manifest(fs::path path) : path_(std::move(path)) {
    document_ = {{"tool", "rcls preprocess"}, {"outputs", nlohmann::json::object()}};
    std::error_code error;
    if (!fs::exists(path_, error)) return;
    // An unreadable manifest only costs a redo: it is a DataError turned into a warning here.
    namespace js = json_struct;
    try {
        const js::Json loaded = js::parse_file(path_, js::ErrorKind::kData, "manifest");
        js::Reader reader(
            loaded, js::Context(path_.string(), "", js::ErrorKind::kData, js::Mode::kLenient));
        Dict<js::Json> outputs;
        reader.required("outputs", outputs);
        document_ = nlohmann::json(loaded);
    } catch (const Error& e) {
        spdlog::warn("ignoring an unreadable manifest ({}); outputs it listed count as unknown",
                     e.what());
    }
}

std::optional<nlohmann::json> Manifest::find(const std::string& name) const {
    std::lock_guard lock(mutex_);
    const nlohmann::json& outputs = document_["outputs"];
    const auto it = outputs.find(name);
    if (it == outputs.end()) return std::nullopt;
    return *it;
}

void Manifest::record(const std::string& name, nlohmann::json entry) {
    std::lock_guard lock(mutex_);
    document_["outputs"][name] = std::move(entry);
    save_locked();
}

void Manifest::forget(const std::string& name) {
    std::lock_guard lock(mutex_);
    if (document_["outputs"].erase(name) > 0) save_locked();
}

void Manifest::save_locked() const {
    nlohmann::json document = document_;
    document["rcls_version"] = kVersion;
    write_file_atomic(path_, document.dump(2) + "\n");
}

}  // namespace rcls::preprocess
