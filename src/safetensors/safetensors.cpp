// SPDX-License-Identifier: MIT
#include "rcls/safetensors/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

#include "rcls/core/atomic_file.hpp"
#include "rcls/core/error.hpp"

namespace rcls::safetensors {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; big-endian hosts need byte swapping");

namespace {

using Json = nlohmann::ordered_json;

constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;  // the reference reader's limit

struct DtypeName {
    Dtype dtype;
    std::string_view name;
    std::size_t bits;
};

constexpr DtypeName kDtypes[] = {
    {Dtype::kBool, "BOOL", 8},
    {Dtype::kF4, "F4", 4},
    {Dtype::kF6E2M3, "F6_E2M3", 6},
    {Dtype::kF6E3M2, "F6_E3M2", 6},
    {Dtype::kU8, "U8", 8},
    {Dtype::kI8, "I8", 8},
    {Dtype::kF8E5M2, "F8_E5M2", 8},
    {Dtype::kF8E4M3, "F8_E4M3", 8},
    {Dtype::kF8E8M0, "F8_E8M0", 8},
    {Dtype::kF8E4M3Fnuz, "F8_E4M3FNUZ", 8},
    {Dtype::kF8E5M2Fnuz, "F8_E5M2FNUZ", 8},
    {Dtype::kI16, "I16", 16},
    {Dtype::kU16, "U16", 16},
    {Dtype::kF16, "F16", 16},
    {Dtype::kBF16, "BF16", 16},
    {Dtype::kI32, "I32", 32},
    {Dtype::kU32, "U32", 32},
    {Dtype::kF32, "F32", 32},
    {Dtype::kC64, "C64", 64},
    {Dtype::kF64, "F64", 64},
    {Dtype::kI64, "I64", 64},
    {Dtype::kU64, "U64", 64},
};

const DtypeName& entry_of(Dtype dtype) {
    for (const DtypeName& entry : kDtypes) {
        if (entry.dtype == dtype) return entry;
    }
    throw std::logic_error("safetensors: unknown dtype enumerator");
}

[[noreturn]] void fail(const std::string& source, const std::string& message) {
    throw ModelError(source + ": " + message);
}

[[noreturn]] void fail_tensor(const std::string& source,
                              std::string_view name,
                              const std::string& message) {
    throw ModelError(source + ": tensor \"" + std::string(name) + "\": " + message);
}

/// numel × bits / 8, or nullopt on overflow or a partial byte.
std::optional<std::uint64_t> byte_size(std::span<const std::int64_t> shape, std::size_t bits) {
    std::uint64_t count = 1;
    for (const std::int64_t dim : shape) {
        if (dim < 0) return std::nullopt;
        const auto d = static_cast<std::uint64_t>(dim);
        if (d != 0 && count > std::numeric_limits<std::uint64_t>::max() / d) return std::nullopt;
        count *= d;
    }
    if (count > std::numeric_limits<std::uint64_t>::max() / bits) return std::nullopt;
    const std::uint64_t total_bits = count * bits;
    if (total_bits % 8 != 0) return std::nullopt;
    return total_bits / 8;
}

float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t exponent = (h >> 10) & 0x1fu;
    std::uint32_t mantissa = h & 0x3ffu;
    std::uint32_t bits = 0;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else {  // subnormal: normalise
            int e = -1;
            do {
                ++e;
                mantissa <<= 1;
            } while ((mantissa & 0x400u) == 0);
            bits =
                sign | static_cast<std::uint32_t>(127 - 15 - e) << 23 | (mantissa & 0x3ffu) << 13;
        }
    } else if (exponent == 0x1f) {
        bits = sign | 0x7f800000u | mantissa << 13;
    } else {
        bits = sign | (exponent + 127 - 15) << 23 | mantissa << 13;
    }
    return std::bit_cast<float>(bits);
}

template <class T>
T load_le(const std::byte* p) {
    T value;
    std::memcpy(&value, p, sizeof(T));
    return value;
}

std::string read_whole_file(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) fail(path.string(), "file not found");
    if (std::filesystem::is_directory(path, ec)) fail(path.string(), "is a directory, not a file");
    try {
        return read_file(path);
    } catch (const DataError& e) {
        throw ModelError(e.what());
    }
}

std::uint64_t read_offset(const Json& value,
                          const std::string& source,
                          std::string_view name,
                          const char* what) {
    if (!value.is_number_unsigned() &&
        !(value.is_number_integer() && value.get<std::int64_t>() >= 0)) {
        fail_tensor(source, name, std::string(what) + " must be non-negative integers");
    }
    return value.get<std::uint64_t>();
}

}  // namespace

std::string_view to_string(Dtype dtype) {
    return entry_of(dtype).name;
}

std::optional<Dtype> parse_dtype(std::string_view name) {
    for (const DtypeName& entry : kDtypes) {
        if (entry.name == name) return entry.dtype;
    }
    return std::nullopt;
}

std::size_t bit_size(Dtype dtype) {
    return entry_of(dtype).bits;
}

std::string shape_string(std::span<const std::int64_t> shape) {
    std::string out = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i > 0) out += ", ";
        out += std::to_string(shape[i]);
    }
    return out + "]";
}

std::int64_t TensorInfo::numel() const {
    std::int64_t n = 1;
    for (const std::int64_t dim : shape) {
        n *= dim;
    }
    return n;
}

// ---- File ---------------------------------------------------------------------------------------

File File::load(const std::filesystem::path& path) {
    return parse(read_whole_file(path), path.string());
}

File File::parse(std::string bytes, std::string source) {
    File file;
    file.source_ = std::move(source);
    const std::string& src = file.source_;
    if (bytes.size() < 8) {
        fail(src,
             "only " + std::to_string(bytes.size()) + " bytes: too short to be a safetensors file");
    }
    const auto header_size =
        load_le<std::uint64_t>(reinterpret_cast<const std::byte*>(bytes.data()));
    if (header_size > kMaxHeaderBytes) {
        fail(src, "header length " + std::to_string(header_size) +
                      " exceeds 100 MB: not a safetensors file, or corrupt");
    }
    if (8 + header_size > bytes.size()) {
        fail(src, "header length " + std::to_string(header_size) + " runs past the end of the " +
                      std::to_string(bytes.size()) +
                      "-byte file: truncated or not a safetensors file");
    }
    const std::string_view header_text(bytes.data() + 8, header_size);
    Json header;
    try {
        header = Json::parse(header_text);
    } catch (const nlohmann::json::exception& e) {
        fail(src,
             std::string("invalid header JSON (not a safetensors file, or corrupt): ") + e.what());
    }
    if (!header.is_object()) fail(src, "header is not a JSON object: not a safetensors file");

    std::vector<std::pair<std::string, TensorInfo>> entries;
    for (const auto& [name, value] : header.items()) {
        if (name == "__metadata__") {
            if (!value.is_object()) fail(src, "\"__metadata__\" is not an object of strings");
            for (const auto& [key, text] : value.items()) {
                if (!text.is_string()) {
                    fail(src, "\"__metadata__\" entry \"" + key + "\" is not a string");
                }
                file.metadata_[key] = text.get<std::string>();
            }
            continue;
        }
        if (!value.is_object()) fail_tensor(src, name, "header entry is not an object");
        TensorInfo info;
        const auto dtype = value.find("dtype");
        if (dtype == value.end() || !dtype->is_string()) {
            fail_tensor(src, name, "missing \"dtype\"");
        }
        const std::optional<Dtype> parsed = parse_dtype(dtype->get<std::string>());
        if (!parsed) fail_tensor(src, name, "unknown dtype \"" + dtype->get<std::string>() + "\"");
        info.dtype = *parsed;
        const auto shape = value.find("shape");
        if (shape == value.end() || !shape->is_array()) fail_tensor(src, name, "missing \"shape\"");
        for (const Json& dim : *shape) {
            const std::uint64_t d = read_offset(dim, src, name, "shape entries");
            if (d > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                fail_tensor(src, name, "shape entry is too large");
            }
            info.shape.push_back(static_cast<std::int64_t>(d));
        }
        const auto offsets = value.find("data_offsets");
        if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2) {
            fail_tensor(src, name, "\"data_offsets\" must be [begin, end]");
        }
        info.begin = read_offset((*offsets)[0], src, name, "data_offsets");
        info.end = read_offset((*offsets)[1], src, name, "data_offsets");
        entries.emplace_back(name, std::move(info));
    }

    std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
        return std::pair(a.second.begin, a.second.end) < std::pair(b.second.begin, b.second.end);
    });
    std::uint64_t expected_begin = 0;
    for (const auto& [name, info] : entries) {
        if (info.begin != expected_begin || info.end < info.begin) {
            fail_tensor(src, name,
                        "data_offsets [" + std::to_string(info.begin) + ", " +
                            std::to_string(info.end) + "] do not continue at byte " +
                            std::to_string(expected_begin) + " (overlapping or gapped tensors)");
        }
        const std::optional<std::uint64_t> size = byte_size(info.shape, bit_size(info.dtype));
        if (!size) {
            fail_tensor(src, name,
                        "shape " + shape_string(info.shape) + " of " +
                            std::string(to_string(info.dtype)) +
                            " does not give a whole number of bytes");
        }
        if (info.end - info.begin != *size) {
            fail_tensor(src, name,
                        "data_offsets [" + std::to_string(info.begin) + ", " +
                            std::to_string(info.end) + "] hold " +
                            std::to_string(info.end - info.begin) + " bytes but " +
                            std::string(to_string(info.dtype)) + " " + shape_string(info.shape) +
                            " needs " + std::to_string(*size));
        }
        expected_begin = info.end;
    }
    const std::uint64_t data_size = bytes.size() - 8 - header_size;
    if (expected_begin != data_size) {
        fail(src, "the tensors cover " + std::to_string(expected_begin) +
                      " bytes but the data block has " + std::to_string(data_size) +
                      (expected_begin > data_size ? " (truncated file)" : " (trailing bytes)"));
    }

    file.data_start_ = 8 + header_size;
    file.buffer_ = std::move(bytes);
    for (auto& [name, info] : entries) {
        file.names_.push_back(name);
        file.tensors_.emplace(name, std::move(info));
    }
    return file;
}

bool File::contains(std::string_view name) const {
    return tensors_.find(name) != tensors_.end();
}

const TensorInfo& File::info(std::string_view name) const {
    const auto it = tensors_.find(name);
    if (it == tensors_.end()) fail_tensor(source_, name, "missing from the file");
    return it->second;
}

std::span<const std::byte> File::bytes(std::string_view name) const {
    const TensorInfo& entry = info(name);
    const auto* base = reinterpret_cast<const std::byte*>(buffer_.data()) + data_start_;
    return {base + entry.begin, static_cast<std::size_t>(entry.end - entry.begin)};
}

std::vector<float> File::to_float32(std::string_view name) const {
    const TensorInfo& entry = info(name);
    const std::span<const std::byte> data = bytes(name);
    const auto n = static_cast<std::size_t>(entry.numel());
    std::vector<float> out(n);
    switch (entry.dtype) {
        case Dtype::kF32:
            std::memcpy(out.data(), data.data(), n * 4);
            break;
        case Dtype::kF64:
            for (std::size_t i = 0; i < n; ++i) {
                out[i] = static_cast<float>(load_le<double>(&data[i * 8]));
            }
            break;
        case Dtype::kF16:
            for (std::size_t i = 0; i < n; ++i) {
                out[i] = half_to_float(load_le<std::uint16_t>(&data[i * 2]));
            }
            break;
        case Dtype::kBF16:
            for (std::size_t i = 0; i < n; ++i) {
                out[i] = std::bit_cast<float>(
                    static_cast<std::uint32_t>(load_le<std::uint16_t>(&data[i * 2])) << 16);
            }
            break;
        default:
            fail_tensor(source_, name,
                        "expected a floating-point tensor (F16, BF16, F32, F64), got " +
                            std::string(to_string(entry.dtype)));
    }
    return out;
}

std::vector<std::int64_t> File::to_int64(std::string_view name) const {
    const TensorInfo& entry = info(name);
    const std::span<const std::byte> data = bytes(name);
    const auto n = static_cast<std::size_t>(entry.numel());
    std::vector<std::int64_t> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        switch (entry.dtype) {
            case Dtype::kI64:
                out[i] = load_le<std::int64_t>(&data[i * 8]);
                break;
            case Dtype::kI32:
                out[i] = load_le<std::int32_t>(&data[i * 4]);
                break;
            case Dtype::kI16:
                out[i] = load_le<std::int16_t>(&data[i * 2]);
                break;
            case Dtype::kI8:
                out[i] = load_le<std::int8_t>(&data[i]);
                break;
            case Dtype::kU32:
                out[i] = load_le<std::uint32_t>(&data[i * 4]);
                break;
            case Dtype::kU16:
                out[i] = load_le<std::uint16_t>(&data[i * 2]);
                break;
            case Dtype::kU8:
            case Dtype::kBool:
                out[i] = load_le<std::uint8_t>(&data[i]);
                break;
            default:
                fail_tensor(
                    source_, name,
                    "expected an integer tensor, got " + std::string(to_string(entry.dtype)));
        }
    }
    return out;
}

// ---- Writer -------------------------------------------------------------------------------------

void Writer::add(std::string name,
                 Dtype dtype,
                 std::vector<std::int64_t> shape,
                 std::string_view bytes) {
    if (name == "__metadata__") throw std::invalid_argument("safetensors: reserved tensor name");
    for (const Entry& entry : tensors_) {
        if (entry.name == name) {
            throw std::invalid_argument("safetensors: duplicate tensor " + name);
        }
    }
    const std::optional<std::uint64_t> size = byte_size(shape, bit_size(dtype));
    if (!size || *size != bytes.size()) {
        throw std::invalid_argument("safetensors: tensor " + name + " has " +
                                    std::to_string(bytes.size()) + " bytes for shape " +
                                    shape_string(shape));
    }
    tensors_.push_back({std::move(name), dtype, std::move(shape), std::string(bytes)});
}

void Writer::add_f32(std::string name,
                     std::vector<std::int64_t> shape,
                     std::span<const float> values) {
    add(std::move(name), Dtype::kF32, std::move(shape),
        {reinterpret_cast<const char*>(values.data()), values.size_bytes()});
}

void Writer::add_i64(std::string name,
                     std::vector<std::int64_t> shape,
                     std::span<const std::int64_t> values) {
    add(std::move(name), Dtype::kI64, std::move(shape),
        {reinterpret_cast<const char*>(values.data()), values.size_bytes()});
}

void Writer::set_metadata(std::string key, std::string value) {
    metadata_[std::move(key)] = std::move(value);
}

std::string Writer::serialize() const {
    std::vector<const Entry*> order;
    order.reserve(tensors_.size());
    for (const Entry& entry : tensors_) {
        order.push_back(&entry);
    }
    // The reference writer: descending dtype, then ascending name.
    std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
        if (a->dtype != b->dtype) return a->dtype > b->dtype;
        return a->name < b->name;
    });

    Json header = Json::object();
    if (!metadata_.empty()) {
        Json meta = Json::object();
        for (const auto& [key, value] : metadata_) {
            meta[key] = value;
        }
        header["__metadata__"] = std::move(meta);
    }
    std::uint64_t offset = 0;
    for (const Entry* entry : order) {
        Json info = Json::object();
        info["dtype"] = std::string(to_string(entry->dtype));
        info["shape"] = entry->shape;
        info["data_offsets"] = Json::array({offset, offset + entry->bytes.size()});
        offset += entry->bytes.size();
        header[entry->name] = std::move(info);
    }
    std::string header_text = header.dump();
    header_text.resize((header_text.size() + 7) / 8 * 8, ' ');

    std::string out;
    out.reserve(8 + header_text.size() + offset);
    const std::uint64_t n = header_text.size();
    out.append(reinterpret_cast<const char*>(&n), 8);
    out += header_text;
    for (const Entry* entry : order) {
        out += entry->bytes;
    }
    return out;
}

void Writer::save(const std::filesystem::path& path) const {
    write_file_atomic(path, serialize());
}

}  // namespace rcls::safetensors
