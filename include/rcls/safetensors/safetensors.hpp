// SPDX-License-Identifier: MIT
//
// The safetensors file format (huggingface/safetensors), read and written without torch:
//
//     u64 little-endian N | N bytes of JSON header, padded with spaces to a multiple of 8 | data
//
// The header maps each tensor name to {"dtype": "F32", "shape": [..], "data_offsets": [begin,
// end]} (offsets into the data block) and may hold "__metadata__", a string-to-string map. The
// tensors tile the data block exactly, in offset order. The writer orders tensors as the
// reference implementation does (by descending dtype, then by name), so files written here are
// byte-for-byte what `safetensors.torch.save_file` writes for the same tensors (the reference
// writes "__metadata__" entries in hash order; they are sorted by key here).
//
// Every check the reference reader makes is made here too; a file that fails one is a ModelError
// naming the file (and the tensor, when one is at fault), never a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rcls::safetensors {

/// Element types, in the reference implementation's order (which the writer sorts by).
enum class Dtype {
    kBool,
    kF4,
    kF6E2M3,
    kF6E3M2,
    kU8,
    kI8,
    kF8E5M2,
    kF8E4M3,
    kF8E8M0,
    kF8E4M3Fnuz,
    kF8E5M2Fnuz,
    kI16,
    kU16,
    kF16,
    kBF16,
    kI32,
    kU32,
    kF32,
    kC64,
    kF64,
    kI64,
    kU64,
};

/// The header name of a dtype: "F32", "BF16", "F8_E4M3", "BOOL" ...
std::string_view to_string(Dtype dtype);

/// The dtype a header name stands for, or nullopt for an unknown name.
std::optional<Dtype> parse_dtype(std::string_view name);

/// Bits per element (4 for F4, 6 for the F6 types, 8 for BOOL).
std::size_t bit_size(Dtype dtype);

/// "[512, 4, 4, 8]": a shape for messages.
std::string shape_string(std::span<const std::int64_t> shape);

/// Where one tensor lives in a file.
struct TensorInfo {
    Dtype dtype = Dtype::kF32;
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0;  ///< Byte offset in the data block.
    std::uint64_t end = 0;    ///< One past the last byte.

    /// Number of elements (1 for a scalar of shape []).
    std::int64_t numel() const;
};

/// A whole safetensors file, parsed and validated, held in memory. Immutable and cheap to query;
/// thread-safe for concurrent readers.
class File {
public:
    /// Reads and validates `path`. Throws ModelError naming the file when it is missing,
    /// unreadable, truncated or inconsistent.
    static File load(const std::filesystem::path& path);

    /// Validates the bytes of a file; `source` names it in messages.
    static File parse(std::string bytes, std::string source);

    /// Tensor names in data-offset order.
    const std::vector<std::string>& names() const { return names_; }

    /// True when the file holds a tensor called `name`.
    bool contains(std::string_view name) const;

    /// The entry of `name`; throws ModelError naming the file and tensor when it is absent.
    const TensorInfo& info(std::string_view name) const;

    /// The raw little-endian bytes of `name`.
    std::span<const std::byte> bytes(std::string_view name) const;

    /// The values of a floating-point tensor (F16, BF16, F32 or F64) as float32. Throws
    /// ModelError for other dtypes.
    std::vector<float> to_float32(std::string_view name) const;

    /// The values of an integer tensor (I8 to I64, U8 to U32, BOOL) as int64. Throws ModelError
    /// for other dtypes.
    std::vector<std::int64_t> to_int64(std::string_view name) const;

    /// The "__metadata__" entries (empty when there are none).
    const std::map<std::string, std::string>& metadata() const { return metadata_; }

    /// The file name used in messages.
    const std::string& source() const { return source_; }

private:
    File() = default;

    std::string source_;
    std::string buffer_;
    std::size_t data_start_ = 0;
    std::vector<std::string> names_;
    std::map<std::string, TensorInfo, std::less<>> tensors_;
    std::map<std::string, std::string> metadata_;
};

/// Collects tensors and metadata and writes them as one safetensors file. Not thread-safe.
class Writer {
public:
    /// Adds a tensor; `bytes` must hold exactly numel × bit_size / 8 bytes (little-endian).
    /// Throws std::invalid_argument on a size mismatch or a repeated name (a programming error).
    void add(std::string name,
             Dtype dtype,
             std::vector<std::int64_t> shape,
             std::string_view bytes);

    /// Adds float32 values.
    void add_f32(std::string name, std::vector<std::int64_t> shape, std::span<const float> values);

    /// Adds int64 values.
    void add_i64(std::string name,
                 std::vector<std::int64_t> shape,
                 std::span<const std::int64_t> values);

    /// Sets one "__metadata__" entry.
    void set_metadata(std::string key, std::string value);

    /// The whole file.
    std::string serialize() const;

    /// Writes the file atomically (temp file + rename); throws DataError on I/O failure.
    void save(const std::filesystem::path& path) const;

    /// Number of tensors added so far.
    std::size_t size() const { return tensors_.size(); }

private:
    struct Entry {
        std::string name;
        Dtype dtype;
        std::vector<std::int64_t> shape;
        std::string bytes;
    };
    std::vector<Entry> tensors_;
    std::map<std::string, std::string> metadata_;
};

}  // namespace rcls::safetensors
