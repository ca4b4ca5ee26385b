// SafetensorsFile: a memory-mapped .safetensors file with a validated header. Tensor data is read
// in place from the map (never copied). Format: u64 little-endian header length N, N bytes of JSON
// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}, then the data.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ops/dtype.h"
#include "util/mapped_file.h"
#include "util/result.h"

namespace gemma3 {

struct TensorInfo {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const void* data = nullptr;  // into the map
  size_t n_bytes = 0;
  std::string file;            // for error messages
};

class SafetensorsFile {
 public:
  // Validates: header length within the file, JSON object, every dtype supported (BF16, F16, F32),
  // shapes non-negative, offsets in bounds, matching dtype × shape, and not overlapping.
  static Result<std::unique_ptr<SafetensorsFile>> open(const std::filesystem::path& path);

  const std::map<std::string, TensorInfo>& tensors() const { return tensors_; }

 private:
  std::unique_ptr<MappedFile> file_;
  std::map<std::string, TensorInfo> tensors_;
};

// All tensors of a checkpoint: model.safetensors, or the shards named by
// model.safetensors.index.json. Keeps every file mapped for its lifetime.
class TensorStore {
 public:
  static Result<std::unique_ptr<TensorStore>> open_dir(const std::filesystem::path& model_dir);
  const TensorInfo* find(const std::string& name) const;
  size_t size() const { return tensors_.size(); }
  // Every tensor of every shard, by name.
  const std::map<std::string, const TensorInfo*>& tensors() const { return tensors_; }

 private:
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const TensorInfo*> tensors_;
};

// Writes tensors to a .safetensors file (used by `synth`). Data is given as raw bytes.
struct TensorToWrite {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const void* data;
  size_t n_bytes;
};
Status write_safetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors);

}  // namespace gemma3
