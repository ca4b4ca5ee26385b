#include "model/safetensors.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

namespace gemma3 {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // the format's own limit (100 MB)

Result<DType> parse_dtype(const std::string& name, const std::string& where) {
  if (name == "BF16") return DType::kBF16;
  if (name == "F16") return DType::kF16;
  if (name == "F32") return DType::kF32;
  return make_error(where + ": unsupported dtype '" + name + "' (supported: BF16, F16, F32)");
}

const char* safetensors_dtype_name(DType d) {
  switch (d) {
    case DType::kBF16: return "BF16";
    case DType::kF16: return "F16";
    case DType::kF32: return "F32";
    default:  // GGML block types have no safetensors dtype (they come from GGUF files)
      break;
  }
  return "?";
}

}  // namespace

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::open(const fs::path& path) {
  auto mapped = MappedFile::open(path);
  if (!mapped) return make_error(mapped.error());
  const std::string file = path.string();
  const uint8_t* bytes = (*mapped)->data();
  const size_t size = (*mapped)->size();
  if (size < 8) return make_error(file + ": truncated: " + std::to_string(size) + " bytes, no safetensors header");
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes, 8);  // little-endian on x86-64
  if (header_len > kMaxHeaderBytes || header_len > size - 8)
    return make_error(file + ": bad header length " + std::to_string(header_len) + " for a file of " +
                      std::to_string(size) + " bytes");
  std::string_view header(reinterpret_cast<const char*>(bytes + 8), header_len);
  json root = json::parse(header, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) return make_error(file + ": header is not a JSON object");

  auto result = std::unique_ptr<SafetensorsFile>(new SafetensorsFile());
  const uint8_t* data_start = bytes + 8 + header_len;
  const uint64_t data_size = size - 8 - header_len;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (auto& [name, entry] : root.items()) {
    if (name == "__metadata__") continue;
    const std::string where = file + ": tensor '" + name + "'";
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") || !entry.contains("data_offsets"))
      return make_error(where + ": needs dtype, shape and data_offsets");
    if (!entry["dtype"].is_string()) return make_error(where + ": dtype must be a string");
    auto dtype = parse_dtype(entry["dtype"].get<std::string>(), where);
    if (!dtype) return make_error(dtype.error());
    TensorInfo info;
    info.name = name;
    info.dtype = *dtype;
    info.file = file;
    uint64_t n_elements = 1;
    if (!entry["shape"].is_array()) return make_error(where + ": shape must be an array");
    for (const auto& d : entry["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) return make_error(where + ": shape must hold non-negative integers");
      info.shape.push_back(d.get<int64_t>());
      if (info.shape.back() != 0 && n_elements > (uint64_t{1} << 50) / static_cast<uint64_t>(info.shape.back()))
        return make_error(where + ": shape is too large");
      n_elements *= static_cast<uint64_t>(info.shape.back());
    }
    const json& offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned())
      return make_error(where + ": data_offsets must be [begin, end]");
    uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    if (begin > end || end > data_size)
      return make_error(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                        "] out of bounds (data section is " + std::to_string(data_size) + " bytes; truncated file?)");
    uint64_t expected = n_elements * dtype_size(info.dtype);
    if (end - begin != expected)
      return make_error(where + ": data_offsets span " + std::to_string(end - begin) + " bytes but " +
                        safetensors_dtype_name(info.dtype) + " shape needs " + std::to_string(expected));
    info.data = data_start + begin;
    info.n_bytes = end - begin;
    if (info.n_bytes > 0) ranges.emplace_back(begin, end);
    result->tensors_.emplace(name, std::move(info));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second)
      return make_error(file + ": tensors overlap at data offset " + std::to_string(ranges[i].first));
  }
  result->file_ = std::move(mapped).value();
  return result;
}

Result<std::unique_ptr<TensorStore>> TensorStore::open_dir(const fs::path& model_dir) {
  auto store = std::unique_ptr<TensorStore>(new TensorStore());
  std::error_code ec;
  std::vector<fs::path> shard_paths;
  fs::path single = model_dir / "model.safetensors";
  fs::path index = model_dir / "model.safetensors.index.json";
  if (fs::exists(single, ec)) {
    shard_paths.push_back(single);
  } else if (fs::exists(index, ec)) {
    std::ifstream in(index);
    json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
      return make_error(index.string() + ": expected a JSON object with a 'weight_map' object");
    std::vector<std::string> names;
    for (auto& [tensor, shard] : j["weight_map"].items()) {
      if (!shard.is_string()) return make_error(index.string() + ": weight_map['" + tensor + "'] must be a file name");
      std::string s = shard.get<std::string>();
      if (s.find('/') != std::string::npos) return make_error(index.string() + ": shard name '" + s + "' must be a plain file name");
      if (std::find(names.begin(), names.end(), s) == names.end()) names.push_back(s);
    }
    for (const auto& n : names) shard_paths.push_back(model_dir / n);
  } else {
    return make_error(model_dir.string() + ": no model.safetensors or model.safetensors.index.json");
  }
  for (const auto& p : shard_paths) {
    auto f = SafetensorsFile::open(p);
    if (!f) return make_error(f.error());
    store->files_.push_back(std::move(f).value());
    for (const auto& [name, info] : store->files_.back()->tensors()) {
      if (!store->tensors_.emplace(name, &info).second)
        return make_error(p.string() + ": tensor '" + name + "' appears in more than one shard");
    }
  }
  return store;
}

const TensorInfo* TensorStore::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : it->second;
}

Status write_safetensors(const fs::path& path, const std::vector<TensorToWrite>& tensors) {
  json header = json::object();
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    header[t.name] = {{"dtype", safetensors_dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.n_bytes}}};
    offset += t.n_bytes;
  }
  header["__metadata__"] = {{"format", "pt"}};
  std::string text = header.dump();
  while ((8 + text.size()) % 8 != 0) text.push_back(' ');  // align the data section
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return make_error(path.string() + ": cannot create");
  uint64_t len = text.size();
  out.write(reinterpret_cast<const char*>(&len), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const auto& t : tensors) out.write(static_cast<const char*>(t.data), static_cast<std::streamsize>(t.n_bytes));
  out.flush();
  if (!out) return make_error(path.string() + ": write failed (disk full?)");
  return ok_status();
}

}  // namespace gemma3
