// SPDX-License-Identifier: MIT
#include "rcls/dataset/info.hpp"

#include <algorithm>
#include <iterator>

#include <nlohmann/json.hpp>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"

namespace rcls::dataset {
namespace {

using Json = nlohmann::ordered_json;

[[noreturn]] void fail(const std::string& name, const std::string& what) {
    throw DataError(name + ": " + what);
}

/// Bounds past which info.json lies (or is corrupt): no camera records faster, no video is larger.
constexpr double kMaxFps = 10000.0;
constexpr std::int64_t kMaxImageSide = 16384;

/// The dtypes LeRobot writes (numpy's names, plus "video", "image" and "string").
bool known_dtype(const std::string& dtype) {
    static const char* const kDtypes[] = {"float32", "float64", "float16", "int64",  "int32",
                                          "int16",   "int8",    "uint8",   "uint16", "uint32",
                                          "uint64",  "bool",    "string",  "video",  "image"};
    return std::any_of(std::begin(kDtypes), std::end(kDtypes),
                       [&](const char* d) { return dtype == d; });
}

const Json& require(const Json& object,
                    const char* key,
                    const std::string& name,
                    const std::string& where = "") {
    const auto it = object.find(key);
    if (it == object.end()) {
        fail(name,
             "missing key \"" + where + key + "\"; is this a LeRobot dataset's meta/info.json?");
    }
    return *it;
}

std::int64_t require_int(const Json& object, const char* key, const std::string& name) {
    const Json& v = require(object, key, name);
    if (!v.is_number_integer()) fail(name, "\"" + std::string(key) + "\" must be an integer");
    return v.get<std::int64_t>();
}

double require_number(const Json& object, const char* key, const std::string& name) {
    const Json& v = require(object, key, name);
    if (!v.is_number()) fail(name, "\"" + std::string(key) + "\" must be a number");
    return v.get<double>();
}

std::string require_string(const Json& object, const char* key, const std::string& name) {
    const Json& v = require(object, key, name);
    if (!v.is_string()) fail(name, "\"" + std::string(key) + "\" must be a string");
    return v.get<std::string>();
}

/// Python's truth value of `object[key]` (false when absent), as LeRobot's `bool(info.get(key))`.
bool truthy(const Json& object, const char* key) {
    const auto it = object.find(key);
    if (it == object.end()) return false;
    const Json& v = *it;
    if (v.is_boolean()) return v.get<bool>();
    if (v.is_number()) return v.get<double>() != 0.0;
    if (v.is_string() || v.is_array() || v.is_object()) return !v.empty();
    return false;  // null
}

/// LeRobot's is_depth_map(feature) (lerobot/configs/video.py): the current marker
/// info["is_depth_map"], or the legacy "video.is_depth_map" in "info" or in a separate
/// "video_info" object.
bool is_depth_map(const Json& feature) {
    const auto info = feature.find("info");
    const auto video_info = feature.find("video_info");
    return (info != feature.end() && info->is_object() &&
            (truthy(*info, "is_depth_map") || truthy(*info, "video.is_depth_map"))) ||
           (video_info != feature.end() && video_info->is_object() &&
            truthy(*video_info, "video.is_depth_map"));
}

Feature parse_feature(const std::string& key, const Json& j, const std::string& name) {
    const std::string where = "features/" + key + "/";
    if (!j.is_object()) fail(name, "feature \"" + key + "\" must be an object");
    Feature f;
    f.key = key;
    const Json& dtype = require(j, "dtype", name, where);
    if (!dtype.is_string()) fail(name, where + "dtype must be a string");
    f.dtype = dtype.get<std::string>();
    const Json& shape = require(j, "shape", name, where);
    if (!shape.is_array()) fail(name, where + "shape must be a list of integers");
    for (const Json& d : shape) {
        if (!d.is_number_integer() || d.get<std::int64_t>() < 0) {
            fail(name, where + "shape must be a list of non-negative integers");
        }
        f.shape.push_back(d.get<std::int64_t>());
    }
    if (!known_dtype(f.dtype)) {
        fail(name, where + "dtype \"" + f.dtype + "\" is not a dtype LeRobot writes");
    }
    if (f.is_visual()) {
        const bool sides_ok =
            f.shape.size() == 3 && std::all_of(f.shape.begin(), f.shape.end(), [](std::int64_t d) {
                return d >= 1 && d <= kMaxImageSide;
            });
        if (!sides_ok) {
            fail(name, where + "shape " + shape.dump() + ": a camera's shape is 3 sides of 1 to " +
                           std::to_string(kMaxImageSide));
        }
    }
    if (const auto it = j.find("names"); it != j.end()) {
        f.names_json = it->dump();
        if (it->is_array()) {
            for (const Json& n : *it) {
                f.names.push_back(n.is_string() ? n.get<std::string>() : n.dump());
            }
        } else if (it->is_object()) {
            // {"motors": [...]} (older LeRobot) or {"name": index}.
            for (const auto& [k, v] : it->items()) {
                if (v.is_array()) {
                    for (const Json& n : v) {
                        f.names.push_back(n.is_string() ? n.get<std::string>() : n.dump());
                    }
                } else {
                    f.names.push_back(k);
                }
            }
        }
    }
    if (const auto it = j.find("info"); it != j.end() && it->is_object()) {
        f.info_json = it->dump();
        if (f.dtype == "video") {
            VideoInfo v;
            const Json& i = *it;
            v.height = i.value("video.height", 0);
            v.width = i.value("video.width", 0);
            v.codec = i.value("video.codec", std::string());
            v.pix_fmt = i.value("video.pix_fmt", std::string("yuv420p"));
            v.fps = i.value("video.fps", 0.0);
            v.channels = i.value("video.channels", 3);
            v.has_audio = i.value("has_audio", false);
            f.video = v;
        }
    }
    if (f.dtype == "video" && is_depth_map(j)) {
        if (!f.video) f.video = VideoInfo{};
        f.video->is_depth_map = true;
    }
    return f;
}

}  // namespace

std::int64_t Feature::size() const {
    std::int64_t n = 1;
    for (std::int64_t d : shape) {
        n *= d;
    }
    return n;
}

void Feature::image_size(int& height, int& width, int& channels) const {
    height = width = channels = 0;
    if (shape.size() != 3) return;
    const bool chw = !names.empty() && (names[0] == "channels" || names[0] == "channel");
    const auto dim = [&](std::size_t i) { return static_cast<int>(shape[i]); };
    if (chw || (names.empty() && shape[0] <= 4 && shape[2] > 4)) {
        channels = dim(0);
        height = dim(1);
        width = dim(2);
    } else {
        height = dim(0);
        width = dim(1);
        channels = dim(2);
    }
}

const Feature* DatasetInfo::feature(std::string_view key) const {
    for (const Feature& f : features) {
        if (f.key == key) return &f;
    }
    return nullptr;
}

std::vector<std::string> DatasetInfo::video_keys() const {
    std::vector<std::string> keys;
    for (const Feature& f : features) {
        if (f.dtype == "video") keys.push_back(f.key);
    }
    return keys;
}

DatasetInfo parse_info(std::string_view text, const std::string& name) {
    Json j;
    try {
        j = Json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        fail(name, std::string("invalid JSON: ") + e.what());
    }
    if (!j.is_object()) fail(name, "expected a JSON object");
    DatasetInfo info;
    info.codebase_version = require_string(j, "codebase_version", name);
    const std::string& v = info.codebase_version;
    if (v != "v2.0" && v != "v2.1" && v != "v3.0") {
        fail(name,
             "codebase_version \"" + v +
                 "\" is not supported (rcls reads v2.0, v2.1 and v3.0; convert older datasets "
                 "with LeRobot's conversion scripts)");
    }
    if (const auto it = j.find("robot_type"); it != j.end() && it->is_string()) {
        info.robot_type = it->get<std::string>();
    }
    info.total_episodes = require_int(j, "total_episodes", name);
    info.total_frames = require_int(j, "total_frames", name);
    info.total_tasks = j.contains("total_tasks") ? require_int(j, "total_tasks", name) : 0;
    if (info.total_episodes < 0 || info.total_frames < 0) fail(name, "negative totals");
    info.total_videos = j.value("total_videos", std::int64_t{0});
    info.total_chunks = j.value("total_chunks", std::int64_t{0});
    info.chunks_size = require_int(j, "chunks_size", name);
    if (info.chunks_size <= 0) fail(name, "\"chunks_size\" must be positive");
    info.fps = require_number(j, "fps", name);
    if (!(info.fps > 0.0 && info.fps <= kMaxFps)) {
        fail(name, "\"fps\" " + j["fps"].dump() + " is out of range (above 0, at most " +
                       std::to_string(static_cast<int>(kMaxFps)) + ")");
    }
    if (info.is_v3()) {
        info.data_files_size_in_mb = j.value("data_files_size_in_mb", 100.0);
        info.video_files_size_in_mb = j.value("video_files_size_in_mb", 200.0);
    }
    info.data_path = require_string(j, "data_path", name);
    const Json& video_path = require(j, "video_path", name);
    if (video_path.is_string()) {
        info.video_path = video_path.get<std::string>();
    } else if (!video_path.is_null()) {
        fail(name, "\"video_path\" must be a string or null");
    }
    const Json& features = require(j, "features", name);
    if (!features.is_object()) fail(name, "\"features\" must be an object");
    for (const auto& [key, value] : features.items()) {
        info.features.push_back(parse_feature(key, value, name));
    }
    return info;
}

DatasetInfo load_info(const std::filesystem::path& path) {
    return parse_info(read_file(path), path.string());
}

std::string dump_info(const DatasetInfo& info) {
    Json j;
    j["codebase_version"] = info.codebase_version;
    j["robot_type"] = info.robot_type;
    j["total_episodes"] = info.total_episodes;
    j["total_frames"] = info.total_frames;
    j["total_tasks"] = info.total_tasks;
    if (!info.is_v3()) {
        j["total_videos"] = info.total_videos;
        j["total_chunks"] = info.total_chunks;
    }
    j["chunks_size"] = info.chunks_size;
    if (info.is_v3()) {
        j["data_files_size_in_mb"] = info.data_files_size_in_mb;
        j["video_files_size_in_mb"] = info.video_files_size_in_mb;
    }
    // LeRobot stores fps as an int whenever it is one.
    if (info.fps == static_cast<double>(static_cast<std::int64_t>(info.fps))) {
        j["fps"] = static_cast<std::int64_t>(info.fps);
    } else {
        j["fps"] = info.fps;
    }
    j["splits"] = Json::object({{"train", "0:" + std::to_string(info.total_episodes)}});
    j["data_path"] = info.data_path;
    j["video_path"] = info.video_path ? Json(*info.video_path) : Json(nullptr);
    Json features = Json::object();
    for (const Feature& f : info.features) {
        Json fj;
        fj["dtype"] = f.dtype;
        fj["shape"] = f.shape;
        fj["names"] = Json::parse(f.names_json);
        if (!f.info_json.empty()) fj["info"] = Json::parse(f.info_json);
        features[f.key] = fj;
    }
    j["features"] = features;
    return j.dump(4) + "\n";
}

}  // namespace rcls::dataset
