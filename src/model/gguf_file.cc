#include "model/gguf_file.h"

#include <algorithm>
#include <cstring>

namespace gemma3 {

const char* gguf_type_name(GgufType type) {
  switch (type) {
    case GgufType::kUint8: return "uint8";
    case GgufType::kInt8: return "int8";
    case GgufType::kUint16: return "uint16";
    case GgufType::kInt16: return "int16";
    case GgufType::kUint32: return "uint32";
    case GgufType::kInt32: return "int32";
    case GgufType::kFloat32: return "float32";
    case GgufType::kBool: return "bool";
    case GgufType::kString: return "string";
    case GgufType::kArray: return "array";
    case GgufType::kUint64: return "uint64";
    case GgufType::kInt64: return "int64";
    case GgufType::kFloat64: return "float64";
  }
  return "unknown";
}

namespace {

// Bytes of one element of a fixed-size type; 0 for string and array.
size_t scalar_size(GgufType t) {
  switch (t) {
    case GgufType::kUint8: case GgufType::kInt8: case GgufType::kBool: return 1;
    case GgufType::kUint16: case GgufType::kInt16: return 2;
    case GgufType::kUint32: case GgufType::kInt32: case GgufType::kFloat32: return 4;
    case GgufType::kUint64: case GgufType::kInt64: case GgufType::kFloat64: return 8;
    default: return 0;
  }
}

bool valid_type(uint32_t t) { return t <= static_cast<uint32_t>(GgufType::kFloat64); }

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Widens a fixed-size scalar at p into `v` (type already set).
void read_scalar(const uint8_t* p, GgufValue& v) {
  switch (v.type) {
    case GgufType::kUint8: v.u = load<uint8_t>(p); break;
    case GgufType::kInt8: v.i = load<int8_t>(p); break;
    case GgufType::kUint16: v.u = load<uint16_t>(p); break;
    case GgufType::kInt16: v.i = load<int16_t>(p); break;
    case GgufType::kUint32: v.u = load<uint32_t>(p); break;
    case GgufType::kInt32: v.i = load<int32_t>(p); break;
    case GgufType::kFloat32: v.f = load<float>(p); break;
    case GgufType::kBool: v.u = load<uint8_t>(p); break;
    case GgufType::kUint64: v.u = load<uint64_t>(p); break;
    case GgufType::kInt64: v.i = load<int64_t>(p); break;
    case GgufType::kFloat64: v.f = load<double>(p); break;
    default: break;
  }
}

}  // namespace

uint32_t ggml_type_of(DType dtype) {
  switch (dtype) {
    case DType::kF32: return kGgmlF32;
    case DType::kF16: return kGgmlF16;
    case DType::kBF16: return kGgmlBF16;
    case DType::kQ8_0: return kGgmlQ8_0;
    case DType::kQ4_0: return kGgmlQ4_0;
    case DType::kQ4_1: return kGgmlQ4_1;
    case DType::kQ5_0: return kGgmlQ5_0;
    case DType::kQ5_1: return kGgmlQ5_1;
    case DType::kQ2_K: return kGgmlQ2_K;
    case DType::kQ3_K: return kGgmlQ3_K;
    case DType::kQ4_K: return kGgmlQ4_K;
    case DType::kQ5_K: return kGgmlQ5_K;
    case DType::kQ6_K: return kGgmlQ6_K;
  }
  return kGgmlF32;
}

std::optional<DType> dtype_of_ggml(uint32_t t) {
  switch (t) {
    case kGgmlF32: return DType::kF32;
    case kGgmlF16: return DType::kF16;
    case kGgmlBF16: return DType::kBF16;
    case kGgmlQ8_0: return DType::kQ8_0;
    case kGgmlQ4_0: return DType::kQ4_0;
    case kGgmlQ4_1: return DType::kQ4_1;
    case kGgmlQ5_0: return DType::kQ5_0;
    case kGgmlQ5_1: return DType::kQ5_1;
    case kGgmlQ2_K: return DType::kQ2_K;
    case kGgmlQ3_K: return DType::kQ3_K;
    case kGgmlQ4_K: return DType::kQ4_K;
    case kGgmlQ5_K: return DType::kQ5_K;
    case kGgmlQ6_K: return DType::kQ6_K;
    default: return std::nullopt;
  }
}

namespace {

// Names of some GGML types we do not read, so the error says what the file holds.
std::string ggml_type_label(uint32_t t) {
  static const char* names[] = {"F32", "F16", "Q4_0", "Q4_1", "Q4_2", "Q4_3", "Q5_0", "Q5_1", "Q8_0", "Q8_1",
                                "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS",
                                "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64",
                                "IQ1_M", "BF16"};
  std::string s = "type " + std::to_string(t);
  if (t < sizeof(names) / sizeof(names[0])) s += " (" + std::string(names[t]) + ")";
  return s;
}

}  // namespace

// Reads the file front to back with a bounds-checked cursor; every error names the file and the
// key or tensor being read.
class GgufParser {
 public:
  GgufParser(GgufFile& out) : g_(out), p_(out.file_->data()), end_(p_ + out.file_->size()) {}

  Status parse();

 private:
  Error fail(const std::string& what) const {
    return make_error(g_.path_ + ": " + what + " (at byte " + std::to_string(pos()) + " of " +
                      std::to_string(g_.file_->size()) + ")");
  }
  size_t pos() const { return static_cast<size_t>(p_ - g_.file_->data()); }
  size_t left() const { return static_cast<size_t>(end_ - p_); }
  template <typename T>
  Status read(T* out, const std::string& what) {
    if (left() < sizeof(T)) return fail("file ends inside " + what + " (truncated?)");
    *out = load<T>(p_);
    p_ += sizeof(T);
    return ok_status();
  }
  Status read_string(std::string_view* out, const std::string& what) {
    uint64_t n = 0;
    G3_TRY(read(&n, "the length of " + what));
    if (n > left()) return fail(what + " has length " + std::to_string(n) + ", past the end of the file (truncated?)");
    *out = std::string_view(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return ok_status();
  }
  Status read_value(GgufType type, GgufValue& v, const std::string& what);
  Status read_tensor_infos(uint64_t n_tensors);

  GgufFile& g_;
  const uint8_t* p_;
  const uint8_t* end_;
  struct PendingTensor {
    std::string name;
    std::vector<int64_t> ne;
    uint32_t type;
    uint64_t offset;
    size_t n_bytes;
  };
  std::vector<PendingTensor> pending_;
};

Status GgufParser::read_value(GgufType type, GgufValue& v, const std::string& what) {
  v.type = type;
  if (type == GgufType::kString) return read_string(&v.str, what);
  if (type != GgufType::kArray) {
    const size_t n = scalar_size(type);
    if (left() < n) return fail("file ends inside " + what + " (truncated?)");
    read_scalar(p_, v);
    p_ += n;
    return ok_status();
  }
  uint32_t elem = 0;
  G3_TRY(read(&elem, "the element type of " + what));
  if (!valid_type(elem)) return fail(what + ": unknown array element type " + std::to_string(elem));
  v.elem_type = static_cast<GgufType>(elem);
  if (v.elem_type == GgufType::kArray) return fail(what + ": arrays of arrays are not supported");
  G3_TRY(read(&v.count, "the length of " + what));
  if (v.elem_type == GgufType::kString) {
    // Each string takes at least its 8-byte length: a count beyond that cannot be real.
    if (v.count > left() / 8) return fail(what + " claims " + std::to_string(v.count) + " strings, more than the file holds (truncated?)");
    v.strings.resize(v.count);
    for (uint64_t k = 0; k < v.count; ++k) G3_TRY(read_string(&v.strings[k], what + "[" + std::to_string(k) + "]"));
    return ok_status();
  }
  const size_t n = scalar_size(v.elem_type);
  if (v.count > left() / n) return fail(what + " claims " + std::to_string(v.count) + " elements, more than the file holds (truncated?)");
  v.elems = p_;
  p_ += v.count * n;
  return ok_status();
}

Status GgufParser::read_tensor_infos(uint64_t n_tensors) {
  for (uint64_t t = 0; t < n_tensors; ++t) {
    const std::string what = "tensor info " + std::to_string(t);
    std::string_view name;
    G3_TRY(read_string(&name, "the name of " + what));
    const std::string label = "tensor '" + std::string(name) + "'";
    if (g_.ggml_types_.count(std::string(name))) return fail(label + " appears twice");
    uint32_t n_dims = 0;
    G3_TRY(read(&n_dims, "the dimension count of " + label));
    if (n_dims < 1 || n_dims > 4) return fail(label + " has " + std::to_string(n_dims) + " dimensions (expected 1 to 4)");
    PendingTensor pt;
    pt.name = std::string(name);
    uint64_t elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t ne = 0;
      G3_TRY(read(&ne, "the shape of " + label));
      if (ne == 0 || ne > (uint64_t{1} << 40) || elements > (uint64_t{1} << 48) / ne)
        return fail(label + " has an invalid dimension ne[" + std::to_string(d) + "] = " + std::to_string(ne));
      elements *= ne;
      pt.ne.push_back(static_cast<int64_t>(ne));
    }
    G3_TRY(read(&pt.type, "the type of " + label));
    G3_TRY(read(&pt.offset, "the offset of " + label));
    auto dtype = dtype_of_ggml(pt.type);
    if (!dtype)
      return fail(label + " has GGML " + ggml_type_label(pt.type) +
                  ", which is not supported (supported: F32, F16, BF16, Q8_0, Q4_0)");
    const size_t block = dtype_block_elems(*dtype);
    if (static_cast<uint64_t>(pt.ne[0]) % block != 0)
      return fail(label + " is " + dtype_name(*dtype) + " but its row length ne[0] = " + std::to_string(pt.ne[0]) +
                  " is not a multiple of the block size " + std::to_string(block));
    pt.n_bytes = dtype_row_bytes(*dtype, static_cast<size_t>(pt.ne[0])) * static_cast<size_t>(elements / pt.ne[0]);
    g_.ggml_types_[pt.name] = pt.type;
    pending_.push_back(std::move(pt));
  }
  return ok_status();
}

Status GgufParser::parse() {
  if (left() < 4 || std::memcmp(p_, "GGUF", 4) != 0) return fail("not a GGUF file (the first 4 bytes are not \"GGUF\")");
  p_ += 4;
  G3_TRY(read(&g_.version_, "the version"));
  if (g_.version_ == 1) return fail("GGUF version 1 is not supported (re-convert with a current llama.cpp)");
  if (g_.version_ != 2 && g_.version_ != 3) {
    if ((g_.version_ & 0xFFFF) == 0) return fail("big-endian GGUF files are not supported");
    return fail("unsupported GGUF version " + std::to_string(g_.version_) + " (expected 2 or 3)");
  }
  uint64_t n_tensors = 0, n_kv = 0;
  G3_TRY(read(&n_tensors, "the tensor count"));
  G3_TRY(read(&n_kv, "the metadata count"));
  // Each key needs at least 12 bytes and each tensor info at least 28: reject absurd counts early.
  if (n_kv > left() / 12) return fail("the header claims " + std::to_string(n_kv) + " metadata keys, more than the file can hold");
  if (n_tensors > left() / 28) return fail("the header claims " + std::to_string(n_tensors) + " tensors, more than the file can hold");

  for (uint64_t k = 0; k < n_kv; ++k) {
    std::string_view key;
    G3_TRY(read_string(&key, "metadata key " + std::to_string(k)));
    const std::string label = "metadata key '" + std::string(key) + "'";
    if (key.empty()) return fail("metadata key " + std::to_string(k) + " is empty");
    if (g_.kv_.count(key)) return fail(label + " appears twice");
    uint32_t type = 0;
    G3_TRY(read(&type, "the value type of " + label));
    if (!valid_type(type)) return fail(label + " has unknown value type " + std::to_string(type));
    GgufValue v;
    G3_TRY(read_value(static_cast<GgufType>(type), v, "the value of " + label));
    g_.kv_.emplace(std::string(key), std::move(v));
  }

  if (const GgufValue* a = g_.find("general.alignment")) {
    if (a->type != GgufType::kUint32) return fail("metadata key 'general.alignment' must be uint32, got " + std::string(gguf_type_name(a->type)));
    if (a->u == 0 || (a->u & (a->u - 1)) != 0) return fail("general.alignment " + std::to_string(a->u) + " is not a power of two");
    g_.alignment_ = static_cast<size_t>(a->u);
  }

  G3_TRY(read_tensor_infos(n_tensors));

  // The data section starts at the next multiple of the alignment.
  const size_t header_end = pos();
  const size_t data_start = (header_end + g_.alignment_ - 1) / g_.alignment_ * g_.alignment_;
  const size_t file_size = g_.file_->size();
  if (n_tensors > 0 && data_start > file_size) return fail("the file ends before its data section (truncated?)");

  std::sort(pending_.begin(), pending_.end(), [](const PendingTensor& a, const PendingTensor& b) { return a.offset < b.offset; });
  uint64_t prev_end = 0;
  std::string prev_name;
  for (PendingTensor& pt : pending_) {
    const std::string label = "tensor '" + pt.name + "'";
    if (pt.offset % g_.alignment_ != 0)
      return make_error(g_.path_ + ": " + label + " has offset " + std::to_string(pt.offset) +
                        ", not a multiple of the alignment " + std::to_string(g_.alignment_));
    const size_t avail = file_size - data_start;
    if (pt.offset > avail || pt.n_bytes > avail - pt.offset)
      return make_error(g_.path_ + ": " + label + " (" + std::to_string(pt.n_bytes) + " bytes at data offset " +
                        std::to_string(pt.offset) + ") extends past the end of the file (truncated?)");
    if (pt.offset < prev_end)
      return make_error(g_.path_ + ": " + label + " overlaps tensor '" + prev_name + "'");
    prev_end = pt.offset + pt.n_bytes;
    prev_name = pt.name;

    TensorInfo info;
    info.name = pt.name;
    info.dtype = *dtype_of_ggml(pt.type);
    info.shape.assign(pt.ne.rbegin(), pt.ne.rend());
    info.data = g_.file_->data() + data_start + pt.offset;
    info.n_bytes = pt.n_bytes;
    info.file = g_.path_;
    g_.tensors_.emplace(pt.name, std::move(info));
  }
  return ok_status();
}

Result<std::unique_ptr<GgufFile>> GgufFile::open(const std::filesystem::path& path) {
  auto map = MappedFile::open(path);
  if (!map) return std::move(map).take_error();
  std::unique_ptr<GgufFile> g(new GgufFile());
  g->file_ = std::move(map).value();
  g->path_ = path.string();
  GgufParser parser(*g);
  G3_TRY(parser.parse());
  return g;
}

const GgufValue* GgufFile::find(std::string_view key) const {
  auto it = kv_.find(key);
  return it == kv_.end() ? nullptr : &it->second;
}

const TensorInfo* GgufFile::find_tensor(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

uint32_t GgufFile::ggml_type(const std::string& name) const {
  auto it = ggml_types_.find(name);
  return it == ggml_types_.end() ? UINT32_MAX : it->second;
}

Error GgufFile::key_error(std::string_view key, const std::string& what) const {
  return make_error(path_ + ": metadata key '" + std::string(key) + "' " + what);
}

Result<std::optional<uint64_t>> GgufFile::optional_uint(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::optional<uint64_t>();
  switch (v->type) {
    case GgufType::kUint8: case GgufType::kUint16: case GgufType::kUint32: case GgufType::kUint64:
      return std::optional<uint64_t>(v->u);
    case GgufType::kInt8: case GgufType::kInt16: case GgufType::kInt32: case GgufType::kInt64:
      if (v->i < 0) return key_error(key, "must not be negative, got " + std::to_string(v->i));
      return std::optional<uint64_t>(static_cast<uint64_t>(v->i));
    default:
      return key_error(key, "must be an integer, got " + std::string(gguf_type_name(v->type)));
  }
}

Result<uint64_t> GgufFile::get_uint(std::string_view key) const {
  auto v = optional_uint(key);
  if (!v) return std::move(v).take_error();
  if (!*v) return make_error(path_ + ": missing metadata key '" + std::string(key) + "'");
  return **v;
}

Result<std::optional<double>> GgufFile::optional_float(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::optional<double>();
  if (v->type != GgufType::kFloat32 && v->type != GgufType::kFloat64)
    return key_error(key, "must be a float, got " + std::string(gguf_type_name(v->type)));
  return std::optional<double>(v->f);
}

Result<std::optional<bool>> GgufFile::optional_bool(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::optional<bool>();
  if (v->type != GgufType::kBool) return key_error(key, "must be a bool, got " + std::string(gguf_type_name(v->type)));
  return std::optional<bool>(v->u != 0);
}

Result<std::optional<std::string_view>> GgufFile::optional_string(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::optional<std::string_view>();
  if (v->type != GgufType::kString) return key_error(key, "must be a string, got " + std::string(gguf_type_name(v->type)));
  return std::optional<std::string_view>(v->str);
}

Result<std::vector<std::string_view>> GgufFile::get_string_array(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return make_error(path_ + ": missing metadata key '" + std::string(key) + "'");
  if (v->type != GgufType::kArray || v->elem_type != GgufType::kString)
    return key_error(key, "must be an array of strings");
  return v->strings;
}

Result<std::vector<float>> GgufFile::get_float_array(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return make_error(path_ + ": missing metadata key '" + std::string(key) + "'");
  if (v->type != GgufType::kArray || v->elem_type != GgufType::kFloat32)
    return key_error(key, "must be an array of float32");
  std::vector<float> out(v->count);
  if (v->count) std::memcpy(out.data(), v->elems, v->count * sizeof(float));
  return out;
}

Result<std::vector<int32_t>> GgufFile::get_int_array(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return make_error(path_ + ": missing metadata key '" + std::string(key) + "'");
  if (v->type != GgufType::kArray || (v->elem_type != GgufType::kInt32 && v->elem_type != GgufType::kUint32))
    return key_error(key, "must be an array of int32");
  std::vector<int32_t> out(v->count);
  for (uint64_t k = 0; k < v->count; ++k) {
    const uint32_t raw = load<uint32_t>(v->elems + 4 * k);
    if (v->elem_type == GgufType::kUint32 && raw > INT32_MAX)
      return key_error(key, "element " + std::to_string(k) + " is out of range");
    out[k] = static_cast<int32_t>(raw);
  }
  return out;
}

}  // namespace gemma3
