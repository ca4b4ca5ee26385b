#include "model/gguf_export.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/block_tensors.h"
#include "model/gguf_model.h"
#include "model/gguf_writer.h"
#include "model/model_config.h"
#include "model/safetensors.h"
#include "ops/parallel.h"
#include "ops/thread_pool.h"

namespace gemma3 {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;


// The GGUF name of a checkpoint tensor; "" for one outside the text decoder (skipped), an error
// for a decoder tensor with no GGUF counterpart.
Result<std::string> gguf_tensor_name(const std::string& hf_name, const ModelConfig& c) {
  const std::string& p = c.weight_prefix;  // "model." or "language_model.model."
  const std::string head = p == "model." ? "lm_head.weight" : "language_model.lm_head.weight";
  if (hf_name == head) return std::string("output.weight");
  if (hf_name.compare(0, p.size(), p) != 0) return std::string();
  const std::string inner = hf_name.substr(p.size());
  if (inner == "embed_tokens.weight") return std::string("token_embd.weight");
  if (inner == "norm.weight") return std::string("output_norm.weight");
  constexpr std::string_view kLayers = "layers.", kWeight = ".weight";
  if (inner.starts_with(kLayers) && inner.ends_with(kWeight)) {
    const size_t dot = inner.find('.', kLayers.size());
    const std::string index = inner.substr(kLayers.size(), dot - kLayers.size());
    const std::string part = dot == std::string::npos ? "" : inner.substr(dot + 1, inner.size() - kWeight.size() - dot - 1);
    for (const BlockTensor& t : kBlockTensors) {
      if (part == t.hf_name && !index.empty() && index.find_first_not_of("0123456789") == std::string::npos)
        return "blk." + index + "." + t.gguf_name + ".weight";
    }
  }
  return make_error("tensor '" + hf_name + "' has no GGUF name for Gemma 3");
}

// llama_ftype of the file (general.file_type).
uint32_t file_type(DType d) {
  switch (d) {
    case DType::kF32: return 0;
    case DType::kF16: return 1;
    case DType::kQ4_0: return 2;
    case DType::kQ8_0: return 7;
    case DType::kBF16: return 32;
    default: break;  // (gemma3 quantize writes only the types above)
  }
  return 0;
}

// SentencePiece token types as llama.cpp stores them (llama_token_type).
enum TokenType : int32_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

// The converter's test for added tokens that are special even when not flagged so.
bool looks_special(const std::string& t) {
  auto wrapped = [&](std::string_view open, std::string_view close) {
    return t.size() >= open.size() + close.size() && t.starts_with(open) && t.ends_with(close);
  };
  return t == "<pad>" || t == "<mask>" || t == "<2mass>" || t == "[@BOS@]" || wrapped("<|", "|>") ||
         wrapped("<\xef\xbd\x9c", "\xef\xbd\x9c>");  // <｜ ... ｜> (U+FF5C)
}

std::string replace_all(const std::string& s, std::string_view from, std::string_view to) {
  std::string out;
  size_t done = 0;
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, done)) {
    out.append(s, done, at - done).append(to);
    done = at + from.size();
  }
  return out.append(s, done, std::string::npos);
}

// tokenizer_config.json's special tokens and the tokenizer.ggml.*_token_id key of each.
constexpr std::array<std::pair<const char*, const char*>, 4> kSpecialTokens = {
    {{"bos_token", "bos"}, {"eos_token", "eos"}, {"unk_token", "unknown"}, {"pad_token", "padding"}}};

struct HfVocabAsSentencePiece {
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  json tokenizer_config = json::object();
  // kSpecialTokens' ids: the added token with that text, else the vocab piece; none if neither.
  std::array<std::optional<int32_t>, kSpecialTokens.size()> special_ids;
};

// The text of tokenizer_config.json's KEY token (a string, or {"content": ...}).
std::optional<std::string> special_text(const json& c, const char* key) {
  if (!c.contains(key)) return std::nullopt;
  const json* value = &c[key];
  if (value->is_object()) {
    if (!value->contains("content")) return std::nullopt;
    value = &(*value)["content"];
  }
  if (!value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

Result<HfVocabAsSentencePiece> read_vocab(const fs::path& dir, int32_t vocab_size) {
  HfVocabAsSentencePiece v;
  const fs::path cfg_path = dir / "tokenizer_config.json";
  if (fs::exists(cfg_path)) {
    std::ifstream in(cfg_path);
    v.tokenizer_config = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (v.tokenizer_config.is_discarded() || !v.tokenizer_config.is_object())
      return make_error(cfg_path.string() + ": expected a JSON object");
  }
  // The special tokens' texts, looked for in the one pass over the vocab and the added tokens
  // below; the first entry with the text gives the id.
  std::array<std::optional<std::string>, kSpecialTokens.size()> wanted;
  std::array<std::optional<int32_t>, kSpecialTokens.size()> in_vocab, in_added;
  for (size_t i = 0; i < kSpecialTokens.size(); ++i) wanted[i] = special_text(v.tokenizer_config, kSpecialTokens[i].first);
  auto note_special = [&](std::string_view text, int64_t id, auto& found) {
    for (size_t i = 0; i < wanted.size(); ++i) {
      if (wanted[i] && !found[i] && *wanted[i] == text) found[i] = static_cast<int32_t>(id);
    }
  };

  const fs::path tj_path = dir / "tokenizer.json";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.load(tj_path.string()).get(doc); err)
    return make_error(tj_path.string() + ": cannot read: " + simdjson::error_message(err));
  simdjson::dom::object vocab;
  if (doc["model"]["vocab"].get_object().get(vocab))
    return make_error(tj_path.string() + ": expected an object model.vocab");
  v.tokens.resize(vocab_size);
  for (int32_t i = 0; i < vocab_size; ++i) v.tokens[i] = "[PAD" + std::to_string(i) + "]";
  v.scores.assign(vocab_size, -10000.0f);
  v.types.assign(vocab_size, kUnused);
  std::string_view unk;
  bool has_unk = !doc["model"]["unk_token"].get_string().get(unk);
  for (auto field : vocab) {
    int64_t id;
    if (field.value.get_int64().get(id)) return make_error(tj_path.string() + ": model.vocab ids must be integers");
    note_special(field.key, id, in_vocab);
    if (id < 0 || id >= vocab_size) continue;
    const std::string piece(field.key);
    int32_t type = kNormal;
    if (has_unk && piece == unk) {
      type = kUnknown;
    } else if (piece == "<pad>" || piece == "<eos>" || piece == "<bos>") {
      type = kControl;
    } else if (piece.size() == 6 && piece.starts_with("<0x") && piece.back() == '>') {
      type = kByte;
    }
    v.tokens[id] = piece;
    v.types[id] = type;
    v.scores[id] = (type == kNormal || type == kByte) ? -static_cast<float>(id) : 0.0f;
  }
  simdjson::dom::array added;
  if (!doc["added_tokens"].get_array().get(added)) {
    for (auto a : added) {
      std::string_view content;
      int64_t id;
      if (!a["content"].get_string().get(content) && !a["id"].get_int64().get(id)) note_special(content, id, in_added);
    }
  }
  for (size_t i = 0; i < kSpecialTokens.size(); ++i) v.special_ids[i] = in_added[i] ? in_added[i] : in_vocab[i];

  const json& decoder = v.tokenizer_config.contains("added_tokens_decoder") ? v.tokenizer_config["added_tokens_decoder"] : json::object();
  if (!decoder.is_object()) return make_error(cfg_path.string() + ": added_tokens_decoder must be an object");
  for (const auto& [key, data] : decoder.items()) {
    char* end = nullptr;
    const long id = std::strtol(key.c_str(), &end, 10);
    if (key.empty() || *end != '\0' || id < 0) return make_error(cfg_path.string() + ": added_tokens_decoder key '" + key + "' is not an id");
    if (id >= vocab_size) continue;
    if (!data.is_object() || !data.contains("content") || !data["content"].is_string())
      return make_error(cfg_path.string() + ": added_tokens_decoder[" + key + "] needs a string 'content'");
    std::string text = data["content"].get<std::string>();
    if (data.value("special", false) || looks_special(text)) {
      v.types[id] = kControl;
    } else {
      text = replace_all(text, "\xe2\x96\x81", " ");  // ▁ (U+2581) -> space
      v.types[id] = kUserDefined;
    }
    v.scores[id] = -1000.0f;
    v.tokens[id] = text;
  }
  return v;
}

// Whether the layer kinds are llama.cpp's fixed pattern, so GGUF needs no key for them.
bool default_layer_pattern(const ModelConfig& c) {
  for (int32_t i = 0; i < c.num_layers; ++i) {
    if (c.layer_kinds[i] != gguf_layer_kind(i)) return false;
  }
  return true;
}

// The file read back must describe the same model: everything the forward pass uses.
Status check_round_trip(const ModelConfig& a, const ModelConfig& b, const std::string& what) {
  auto close = [](double x, double y) { return std::abs(x - y) <= 1e-6 * std::max(std::abs(x), std::abs(y)); };
  auto same_cap = [&](const std::optional<double>& x, const std::optional<double>& y) {
    return x.has_value() == y.has_value() && (!x || close(*x, *y));
  };
  std::string diff;
  auto field = [&](const char* name, bool same) {
    if (!same) diff += std::string(diff.empty() ? "" : ", ") + name;
  };
  field("vocab_size", a.vocab_size == b.vocab_size);
  field("hidden_size", a.hidden_size == b.hidden_size);
  field("intermediate_size", a.intermediate_size == b.intermediate_size);
  field("num_hidden_layers", a.num_layers == b.num_layers);
  field("num_attention_heads", a.num_heads == b.num_heads);
  field("num_key_value_heads", a.num_kv_heads == b.num_kv_heads);
  field("head_dim", a.head_dim == b.head_dim);
  field("max_position_embeddings", a.max_position_embeddings == b.max_position_embeddings);
  field("sliding_window", a.sliding_window == b.sliding_window);
  field("layer_types", a.layer_kinds == b.layer_kinds);
  field("rope_theta", close(a.rope_theta, b.rope_theta));
  field("rope_local_base_freq", close(a.rope_local_base_freq, b.rope_local_base_freq));
  field("rope_scaling", close(a.rope_scaling_factor, b.rope_scaling_factor));
  field("query_pre_attn_scalar", close(a.query_pre_attn_scalar, b.query_pre_attn_scalar));
  field("rms_norm_eps", close(a.rms_norm_eps, b.rms_norm_eps));
  field("final_logit_softcapping", same_cap(a.final_logit_softcapping, b.final_logit_softcapping));
  field("attn_logit_softcapping", same_cap(a.attn_logit_softcapping, b.attn_logit_softcapping));
  field("tie_word_embeddings", a.tie_word_embeddings == b.tie_word_embeddings);
  if (!diff.empty()) return make_error(what + " reads back with a different " + diff);
  return ok_status();
}

}  // namespace

Result<GgufExportReport> export_gguf(const fs::path& dir, const fs::path& out, const GgufExportOptions& options) {
  auto config_or = load_model_config(dir);
  if (!config_or) return std::move(config_or).take_error();
  const ModelConfig& c = *config_or;
  // llama.cpp derives the attention scale; a checkpoint that wants another cannot be written.
  const double derived_scalar = gguf_query_pre_attn_scalar(c);
  if (c.query_pre_attn_scalar != derived_scalar)
    return make_error((dir / "config.json").string() + ": query_pre_attn_scalar " + std::to_string(c.query_pre_attn_scalar) +
                      " differs from what GGUF readers derive for Gemma 3 (" + std::to_string(derived_scalar) +
                      "); this checkpoint cannot be written as GGUF");
  auto store_or = TensorStore::open_dir(dir);
  if (!store_or) return std::move(store_or).take_error();
  const TensorStore& store = **store_or;
  auto vocab_or = read_vocab(dir, c.vocab_size);
  if (!vocab_or) return std::move(vocab_or).take_error();
  const HfVocabAsSentencePiece& v = *vocab_or;
  const DType embd_dtype = options.embedding_dtype.value_or(options.dtype);

  GgufWriter w;
  w.add_string("general.architecture", "gemma3");
  w.add_string("general.type", "model");
  fs::path name_dir = dir.lexically_normal();  // the folder's name, as os.path.normpath gives it
  if (name_dir.filename().empty()) name_dir = name_dir.parent_path();
  w.add_string("general.name", name_dir.filename().string());
  if (options.alignment != 32) w.add_uint32("general.alignment", static_cast<uint32_t>(options.alignment));
  w.add_uint32("gemma3.context_length", c.max_position_embeddings);
  w.add_uint32("gemma3.embedding_length", c.hidden_size);
  w.add_uint32("gemma3.block_count", c.num_layers);
  w.add_uint32("gemma3.feed_forward_length", c.intermediate_size);
  w.add_uint32("gemma3.attention.head_count", c.num_heads);
  w.add_float32("gemma3.attention.layer_norm_rms_epsilon", static_cast<float>(c.rms_norm_eps));
  w.add_uint32("gemma3.attention.key_length", c.head_dim);
  w.add_uint32("gemma3.attention.value_length", c.head_dim);
  // llama-quantize moves the file type to the end (below); the converter writes it here.
  if (!options.mix) w.add_uint32("general.file_type", file_type(options.dtype));
  w.add_float32("gemma3.rope.freq_base", static_cast<float>(c.rope_theta));
  w.add_uint32("gemma3.attention.sliding_window", c.sliding_window);
  w.add_uint32("gemma3.attention.head_count_kv", c.num_kv_heads);
  if (c.rope_scaling_factor != 1.0) {
    w.add_string("gemma3.rope.scaling.type", "linear");
    w.add_float32("gemma3.rope.scaling.factor", static_cast<float>(c.rope_scaling_factor));
  }
  // What llama.cpp fixes for Gemma 3, written only where this checkpoint differs.
  if (c.rope_local_base_freq != kGgufLocalRopeBase) w.add_float32("gemma3.rope.freq_base_swa", static_cast<float>(c.rope_local_base_freq));
  if (!default_layer_pattern(c)) {
    std::vector<bool> sliding;
    for (LayerKind k : c.layer_kinds) sliding.push_back(k == LayerKind::kSliding);
    w.add_bool_array("gemma3.attention.sliding_window_pattern", sliding);
  }
  if (c.final_logit_softcapping) w.add_float32("gemma3.final_logit_softcapping", static_cast<float>(*c.final_logit_softcapping));
  if (c.attn_logit_softcapping) w.add_float32("gemma3.attn_logit_softcapping", static_cast<float>(*c.attn_logit_softcapping));
  if (!options.mix && (dtype_is_quantized(options.dtype) || dtype_is_quantized(embd_dtype)))
    w.add_uint32("general.quantization_version", 2);

  w.add_string("tokenizer.ggml.model", "llama");
  w.add_string("tokenizer.ggml.pre", "default");
  w.add_string_array("tokenizer.ggml.tokens", v.tokens);
  w.add_float32_array("tokenizer.ggml.scores", v.scores);
  w.add_int32_array("tokenizer.ggml.token_type", v.types);
  for (size_t i = 0; i < kSpecialTokens.size(); ++i) {
    if (v.special_ids[i])
      w.add_uint32(std::string("tokenizer.ggml.") + kSpecialTokens[i].second + "_token_id", static_cast<uint32_t>(*v.special_ids[i]));
  }
  const json& tc = v.tokenizer_config;
  w.add_bool("tokenizer.ggml.add_bos_token", tc.contains("add_bos_token") && tc["add_bos_token"].is_boolean() ? tc["add_bos_token"].get<bool>() : true);
  w.add_bool("tokenizer.ggml.add_eos_token", tc.contains("add_eos_token") && tc["add_eos_token"].is_boolean() ? tc["add_eos_token"].get<bool>() : false);
  if (tc.contains("chat_template") && tc["chat_template"].is_string())
    w.add_string("tokenizer.chat_template", tc["chat_template"].get<std::string>());
  w.add_bool("tokenizer.ggml.add_space_prefix", false);
  if (options.mix) {
    w.add_uint32("general.quantization_version", 2);
    w.add_uint32("general.file_type", quant_mix_file_type(*options.mix));
  }

  GgufExportReport report;
  const std::string head_name = c.weight_prefix == "model." ? "lm_head.weight" : "language_model.lm_head.weight";
  struct Entry {
    std::string name;
    const TensorInfo* info;
    size_t rows, cols;
    bool norm;
    DType type;
  };
  std::vector<Entry> entries;
  for (const auto& [hf_name, info] : store.tensors()) {  // sorted by name, as the converter goes
    if (hf_name == head_name && c.tie_word_embeddings) continue;
    auto name_or = gguf_tensor_name(hf_name, c);
    if (!name_or) return make_error(info->file + ": " + name_or.error());
    if (name_or->empty()) {
      ++report.n_skipped;
      continue;
    }
    const std::string name = *name_or;
    const bool norm = hf_name.ends_with("norm.weight");
    if (info->shape.empty() || info->shape.size() > 2)
      return make_error(info->file + ": tensor '" + hf_name + "' is not a vector or a matrix");
    size_t rows = info->shape.size() == 2 ? static_cast<size_t>(info->shape[0]) : 1;
    const size_t cols = static_cast<size_t>(info->shape.back());
    if (name == "token_embd.weight") rows = std::min(rows, static_cast<size_t>(c.vocab_size));
    DType type = name == "token_embd.weight" ? embd_dtype : options.dtype;
    if (norm || info->shape.size() < 2) type = DType::kF32;
    entries.push_back({name, info, rows, cols, norm, type});
  }
  if (options.mix) {
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return llama_tensor_order_less(a.name, b.name); });
    std::vector<MixTensor> mix_tensors;
    for (const Entry& e : entries) {
      std::vector<uint64_t> ne = {e.cols};
      if (e.info->shape.size() == 2) ne.push_back(e.rows);
      mix_tensors.push_back({e.name, ne, e.norm || ne.size() < 2 ? DType::kF32 : DType::kBF16});
    }
    const MixChoice choice = choose_mix_types(*options.mix, mix_tensors, c.num_layers, options.embedding_dtype);
    for (size_t i = 0; i < entries.size(); ++i) entries[i].type = choice.types[i];
    report.n_fallback = choice.n_fallback;
  }
  for (const Entry& e : entries) {
    const std::string& name = e.name;
    const std::string& hf_name = e.info->name;
    const TensorInfo* info = e.info;
    const size_t rows = e.rows, cols = e.cols;
    const bool norm = e.norm;
    const DType type = e.type;
    if (cols % dtype_block_elems(type) != 0)
      return make_error(info->file + ": tensor '" + hf_name + "' has rows of " + std::to_string(cols) +
                        ", not a multiple of " + std::to_string(dtype_block_elems(type)) + " as " + dtype_name(type) + " needs");
    std::vector<uint64_t> ne = {cols};
    if (info->shape.size() == 2) ne.push_back(rows);
    const size_t row_bytes = dtype_row_bytes(type, cols);
    const WeightView src{info->dtype, info->data, rows, cols};
    w.add_tensor(name, ne, ggml_type_of(type), row_bytes * rows, [=](uint8_t* dst) -> Status {
      // Rows in parallel (quantizing the 270m embedding alone is ~170M values); each row is
      // encoded on its own, so the bytes do not depend on the split.
      const size_t n_chunks = std::max<size_t>(1, std::min<size_t>(rows, 64));
      kernel_pool().run_chunks(n_chunks, num_threads(), [&](size_t chunk) {
        std::vector<float> row(cols);
        for (size_t r = rows * chunk / n_chunks; r < rows * (chunk + 1) / n_chunks; ++r) {
          row_to_f32(src, r, row.data());
          if (norm) {
            for (float& x : row) x = x + 1.0f;  // Gemma's (1 + w), added in f32 as the converter does
          }
          encode_row_from_f32(row.data(), cols, type, dst + r * row_bytes);
        }
      });
      return ok_status();
    });
    ++report.n_tensors;
  }

  // Write beside OUT, read it back, then move it into place: OUT is never left half-written.
  fs::path part = out;
  part += ".part";
  auto fail = [&](Error e) -> Result<GgufExportReport> {
    std::error_code ec;
    fs::remove(part, ec);
    return e;
  };
  if (auto s = w.write(part, options.alignment); !s) return fail(std::move(s).take_error());
  {
    auto g = GgufFile::open(part);
    if (!g) return fail(std::move(g).take_error());
    auto back = gguf_model_config(**g);
    if (!back) return fail(std::move(back).take_error());
    if (auto s = check_round_trip(c, *back, out.string()); !s) return fail(std::move(s).take_error());
    if (auto bound = bind_gguf_weights(*back, **g); !bound) return fail(std::move(bound).take_error());
  }
  std::error_code ec;
  fs::rename(part, out, ec);
  if (ec) return fail(make_error(out.string() + ": cannot move the written file into place: " + ec.message()));
  report.file_bytes = static_cast<size_t>(fs::file_size(out, ec));
  return report;
}

}  // namespace gemma3
