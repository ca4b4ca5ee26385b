// GgufWriter: serialises a GGUF file (version 3) — the format GgufFile (gguf_file.h) reads and
// llama.cpp writes. Metadata is collected in order, then write() lays out the header, the tensor
// infos, the padding to the alignment and each tensor's data, streaming the data from a callback
// so a multi-GB model never has to be held in memory at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "model/gguf_file.h"
#include "util/result.h"

namespace gemma3 {

class GgufWriter {
 public:
  void add_string(std::string_view key, std::string_view value);
  void add_uint32(std::string_view key, uint32_t value);
  void add_float32(std::string_view key, float value);
  void add_bool(std::string_view key, bool value);
  void add_string_array(std::string_view key, const std::vector<std::string>& values);
  void add_float32_array(std::string_view key, const std::vector<float>& values);
  void add_int32_array(std::string_view key, const std::vector<int32_t>& values);
  void add_bool_array(std::string_view key, const std::vector<bool>& values);

  // A tensor: its GGML shape (ne[0] = row length first), GGML type id and byte size. `fill`
  // writes exactly n_bytes into the buffer it is given when write() reaches the tensor.
  using Fill = std::function<Status(uint8_t* out)>;
  void add_tensor(std::string name, std::vector<uint64_t> ne, uint32_t ggml_type, size_t n_bytes, Fill fill);

  // Writes the file (general.alignment must have been added by the caller when it is not 32).
  Status write(const std::filesystem::path& path, size_t alignment = 32) const;

 private:
  struct Tensor {
    std::string name;
    std::vector<uint64_t> ne;
    uint32_t ggml_type;
    size_t n_bytes;
    Fill fill;
  };
  void begin_kv(std::string_view key, GgufType type);
  void begin_array(std::string_view key, GgufType elem_type, uint64_t count);
  void put_string(std::string_view s);
  template <class T>
  void put(T value);

  std::string kv_;  // the serialised key-value pairs, in order
  uint64_t n_kv_ = 0;
  std::vector<Tensor> tensors_;
};

}  // namespace gemma3
