#include "model/gguf_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace gemma3 {

namespace {

// Appends the bytes of a number: GGUF is little-endian, as is every x86-64.
template <class T>
void append_le(std::string& out, T value) {
  static_assert(std::is_trivially_copyable_v<T>);
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

}  // namespace

template <class T>
void GgufWriter::put(T value) {
  append_le(kv_, value);
}

void GgufWriter::put_string(std::string_view s) {
  put<uint64_t>(s.size());
  kv_.append(s);
}

void GgufWriter::begin_kv(std::string_view key, GgufType type) {
  put_string(key);
  put<uint32_t>(static_cast<uint32_t>(type));
  ++n_kv_;
}

void GgufWriter::begin_array(std::string_view key, GgufType elem_type, uint64_t count) {
  begin_kv(key, GgufType::kArray);
  put<uint32_t>(static_cast<uint32_t>(elem_type));
  put<uint64_t>(count);
}

void GgufWriter::add_string(std::string_view key, std::string_view value) {
  begin_kv(key, GgufType::kString);
  put_string(value);
}
void GgufWriter::add_uint32(std::string_view key, uint32_t value) {
  begin_kv(key, GgufType::kUint32);
  put(value);
}
void GgufWriter::add_float32(std::string_view key, float value) {
  begin_kv(key, GgufType::kFloat32);
  put(value);
}
void GgufWriter::add_bool(std::string_view key, bool value) {
  begin_kv(key, GgufType::kBool);
  put<uint8_t>(value ? 1 : 0);
}
void GgufWriter::add_string_array(std::string_view key, const std::vector<std::string>& values) {
  begin_array(key, GgufType::kString, values.size());
  for (const std::string& v : values) put_string(v);
}
void GgufWriter::add_float32_array(std::string_view key, const std::vector<float>& values) {
  begin_array(key, GgufType::kFloat32, values.size());
  for (float v : values) put(v);
}
void GgufWriter::add_int32_array(std::string_view key, const std::vector<int32_t>& values) {
  begin_array(key, GgufType::kInt32, values.size());
  for (int32_t v : values) put(v);
}
void GgufWriter::add_bool_array(std::string_view key, const std::vector<bool>& values) {
  begin_array(key, GgufType::kBool, values.size());
  for (bool v : values) put<uint8_t>(v ? 1 : 0);
}

void GgufWriter::add_tensor(std::string name, std::vector<uint64_t> ne, uint32_t ggml_type, size_t n_bytes, Fill fill) {
  tensors_.push_back(Tensor{std::move(name), std::move(ne), ggml_type, n_bytes, std::move(fill)});
}

namespace {

size_t round_up(size_t n, size_t alignment) { return (n + alignment - 1) / alignment * alignment; }

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

Status GgufWriter::write(const std::filesystem::path& path, size_t alignment) const {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) return make_error("GGUF alignment must be a power of two");
  // Header: magic, version, counts, the key-value pairs, then the tensor infos.
  std::string head = "GGUF";
  append_le(head, uint32_t{3});
  append_le(head, static_cast<uint64_t>(tensors_.size()));
  append_le(head, n_kv_);
  head += kv_;
  uint64_t offset = 0;
  for (const Tensor& t : tensors_) {
    append_le(head, static_cast<uint64_t>(t.name.size()));
    head += t.name;
    append_le(head, static_cast<uint32_t>(t.ne.size()));
    for (uint64_t n : t.ne) append_le(head, n);
    append_le(head, t.ggml_type);
    append_le(head, offset);
    offset += round_up(t.n_bytes, alignment);
  }
  head.resize(round_up(head.size(), alignment), '\0');

  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "wb"));
  if (!f) return make_error(path.string() + ": cannot create: " + std::strerror(errno));
  auto write_bytes = [&](const void* p, size_t n) -> Status {
    if (n != 0 && std::fwrite(p, 1, n, f.get()) != n) return make_error(path.string() + ": write failed: " + std::strerror(errno));
    return ok_status();
  };
  G3_TRY(write_bytes(head.data(), head.size()));
  std::vector<uint8_t> buffer;
  for (const Tensor& t : tensors_) {
    buffer.assign(round_up(t.n_bytes, alignment), 0);  // the padding after the data stays zero
    G3_TRY(t.fill(buffer.data()));
    G3_TRY(write_bytes(buffer.data(), buffer.size()));
  }
  if (std::fflush(f.get()) != 0) return make_error(path.string() + ": write failed: " + std::strerror(errno));
  return ok_status();
}

}  // namespace gemma3
