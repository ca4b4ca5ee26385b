// GgufFile: a memory-mapped GGUF file (the format llama.cpp writes) with everything validated at
// open, so later code never reads out of bounds. Layout (little-endian, version 2 or 3):
//   "GGUF" u32 version, u64 n_tensors, u64 n_kv
//   n_kv × { string key, u32 value type, value }       string = u64 length + bytes (no NUL)
//                                                      array  = u32 element type, u64 count, elements
//   n_tensors × { string name, u32 n_dims, u64 ne[n_dims], u32 ggml type, u64 offset }
//   padding to `general.alignment` (default 32), then the data section; each tensor's offset is
//   relative to its start and a multiple of the alignment.
// ne[0] is the row length (the fastest-varying dimension): a (rows, cols) matrix has ne = {cols, rows}.
// Tensor data is read in place from the map (never copied).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/safetensors.h"  // TensorInfo
#include "util/mapped_file.h"
#include "util/result.h"

namespace gemma3 {

// GGUF metadata value types (gguf_type in ggml/include/gguf.h).
enum class GgufType : uint32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5, kFloat32 = 6, kBool = 7,
  kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11, kFloat64 = 12,
};
const char* gguf_type_name(GgufType type);

// GGML tensor type ids that we read (ggml_type); every other id is rejected at open.
constexpr uint32_t kGgmlF32 = 0, kGgmlF16 = 1, kGgmlQ4_0 = 2, kGgmlQ4_1 = 3, kGgmlQ5_0 = 6, kGgmlQ5_1 = 7,
                   kGgmlQ8_0 = 8, kGgmlQ2_K = 10, kGgmlQ3_K = 11, kGgmlQ4_K = 12, kGgmlQ5_K = 13, kGgmlQ6_K = 14,
                   kGgmlBF16 = 30;
// The GGML type id of each weight format (all of them have one), and back (nullopt for the ids
// above that we do not read).
uint32_t ggml_type_of(DType dtype);
std::optional<DType> dtype_of_ggml(uint32_t ggml_type);

// One metadata value. Scalars are widened (integers to int64/uint64, floats to double); arrays keep
// a pointer to their elements in the map (strings as views into it).
struct GgufValue {
  GgufType type = GgufType::kUint8;
  // Scalars: exactly one of these is meaningful, by `type`.
  uint64_t u = 0;   // unsigned integers and bool
  int64_t i = 0;    // signed integers
  double f = 0;     // floats
  std::string_view str;
  // Arrays:
  GgufType elem_type = GgufType::kUint8;
  uint64_t count = 0;
  const uint8_t* elems = nullptr;          // numeric elements (little-endian, packed)
  std::vector<std::string_view> strings;   // string elements
};

class GgufFile {
 public:
  // Validates the header, every key (unique, known value type, strings and arrays within the file),
  // every tensor (unique name, 1-4 dims, supported type, rows a whole number of blocks, offset
  // aligned, data within the file, no two tensors overlapping).
  static Result<std::unique_ptr<GgufFile>> open(const std::filesystem::path& path);

  uint32_t version() const { return version_; }
  size_t alignment() const { return alignment_; }
  const std::string& path_string() const { return path_; }

  const GgufValue* find(std::string_view key) const;
  // Typed lookups; errors name the file and key. `get_*` require the key, `optional_*` allow absence
  // (but not a wrong type).
  Result<uint64_t> get_uint(std::string_view key) const;         // any non-negative integer type
  Result<std::optional<uint64_t>> optional_uint(std::string_view key) const;
  Result<std::optional<double>> optional_float(std::string_view key) const;  // float32/float64
  Result<std::optional<bool>> optional_bool(std::string_view key) const;
  Result<std::optional<std::string_view>> optional_string(std::string_view key) const;
  Result<std::vector<std::string_view>> get_string_array(std::string_view key) const;
  Result<std::vector<float>> get_float_array(std::string_view key) const;   // float32 elements
  Result<std::vector<int32_t>> get_int_array(std::string_view key) const;   // int32/uint32 elements
  // An error "FILE: key 'KEY' WHAT" for callers that check values themselves.
  Error key_error(std::string_view key, const std::string& what) const;

  // Tensors by name. TensorInfo::shape is in row-major order (ne reversed: {rows, cols} for a
  // matrix), TensorInfo::file is this file's path.
  const std::map<std::string, TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(const std::string& name) const;
  // The GGML type id a tensor was stored with.
  uint32_t ggml_type(const std::string& name) const;

 private:
  GgufFile() = default;
  friend class GgufParser;

  std::unique_ptr<MappedFile> file_;
  std::string path_;
  uint32_t version_ = 0;
  size_t alignment_ = 32;
  std::map<std::string, GgufValue, std::less<>> kv_;
  std::map<std::string, TensorInfo> tensors_;
  std::map<std::string, uint32_t> ggml_types_;
};

}  // namespace gemma3
