// gguf_quant_check SAFETENSORS_DIR FILE.gguf: every tensor of a GGUF written by
// tests/reference/gguf_writer.py (NumPy) against the safetensors checkpoint it was converted from,
// through the engine's own code: each Q8_0 / Q4_0 row must be byte-identical to the engine's
// quantize_row_q8_0 / quantize_row_q4_0 (GGML's reference quantizers) of the same weights, each
// F32 / F16 / BF16 row equal to the weights rounded to that type, and each norm equal to
// f32(w) + 1 (llama.cpp's converter adds Gemma's 1 before writing). This proves the two
// quantizers and the loader's offsets agree, independently of the matmul kernels.
// Exit status 0 when everything matches; the first mismatches are printed.
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "model/gguf_file.h"
#include "model/safetensors.h"
#include "ops/dtype.h"

using namespace gemma3;

namespace {

// The Hugging Face name a GGUF tensor was converted from (convert_hf_to_gguf's mapping, reversed).
std::string hf_name(const std::string& gguf) {
  static const std::map<std::string, std::string> layer = {
      {"attn_q", "self_attn.q_proj"}, {"attn_k", "self_attn.k_proj"}, {"attn_v", "self_attn.v_proj"},
      {"attn_output", "self_attn.o_proj"}, {"attn_q_norm", "self_attn.q_norm"}, {"attn_k_norm", "self_attn.k_norm"},
      {"attn_norm", "input_layernorm"}, {"post_attention_norm", "post_attention_layernorm"},
      {"ffn_norm", "pre_feedforward_layernorm"}, {"post_ffw_norm", "post_feedforward_layernorm"},
      {"ffn_gate", "mlp.gate_proj"}, {"ffn_up", "mlp.up_proj"}, {"ffn_down", "mlp.down_proj"}};
  if (gguf == "token_embd.weight") return "model.embed_tokens.weight";
  if (gguf == "output_norm.weight") return "model.norm.weight";
  if (gguf.rfind("blk.", 0) != 0) return "";
  const size_t dot = gguf.find('.', 4);
  const size_t last = gguf.rfind(".weight");
  if (dot == std::string::npos || last == std::string::npos || last <= dot) return "";
  auto it = layer.find(gguf.substr(dot + 1, last - dot - 1));
  if (it == layer.end()) return "";
  return "model.layers." + gguf.substr(4, dot - 4) + "." + it->second + ".weight";
}

// The bytes a row of f32 values takes in `dtype`, encoded by the engine's own conversions.
std::vector<uint8_t> encode_row(const std::vector<float>& x, DType dtype) {
  std::vector<uint8_t> out(dtype_row_bytes(dtype, x.size()));
  switch (dtype) {
    case DType::kF32: std::memcpy(out.data(), x.data(), out.size()); break;
    case DType::kF16:
      for (size_t i = 0; i < x.size(); ++i) { const uint16_t h = f32_to_f16(x[i]); std::memcpy(&out[2 * i], &h, 2); }
      break;
    case DType::kBF16:
      for (size_t i = 0; i < x.size(); ++i) { const uint16_t h = f32_to_bf16(x[i]); std::memcpy(&out[2 * i], &h, 2); }
      break;
    case DType::kQ8_0: quantize_row_q8_0(x.data(), x.size(), reinterpret_cast<BlockQ8_0*>(out.data())); break;
    case DType::kQ4_0: quantize_row_q4_0(x.data(), x.size(), reinterpret_cast<BlockQ4_0*>(out.data())); break;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: gguf_quant_check SAFETENSORS_DIR FILE.gguf\n");
    return 2;
  }
  auto store = TensorStore::open_dir(argv[1]);
  if (!store) return std::fprintf(stderr, "%s\n", store.error().c_str()), 2;
  auto gguf = GgufFile::open(argv[2]);
  if (!gguf) return std::fprintf(stderr, "%s\n", gguf.error().c_str()), 2;

  size_t checked_rows = 0, bad = 0, tensors = 0;
  std::map<std::string, size_t> by_type;
  for (const auto& [gname, g] : (*gguf)->tensors()) {
    const std::string hf = hf_name(gname);
    const TensorInfo* s = hf.empty() ? nullptr : (*store)->find(hf);
    if (s == nullptr) {
      std::fprintf(stderr, "FAIL %s: no safetensors tensor maps to it\n", gname.c_str());
      ++bad;
      continue;
    }
    ++tensors;
    ++by_type[dtype_name(g.dtype)];
    const size_t cols = static_cast<size_t>(s->shape.back());
    const size_t rows = s->shape.size() == 2 ? static_cast<size_t>(s->shape[0]) : 1;
    if (g.shape.size() != s->shape.size() || static_cast<size_t>(g.shape.back()) != cols) {
      std::fprintf(stderr, "FAIL %s: shape differs from %s\n", gname.c_str(), hf.c_str());
      ++bad;
      continue;
    }
    const bool is_norm = s->shape.size() == 1;
    const WeightView sv{s->dtype, s->data, rows, cols};
    const size_t row_bytes = dtype_row_bytes(g.dtype, cols);
    std::vector<float> x(cols);
    for (size_t r = 0; r < rows; ++r) {
      row_to_f32(sv, r, x.data());
      if (is_norm)
        for (float& v : x) v = v + 1.0f;
      const std::vector<uint8_t> want = encode_row(x, g.dtype);
      const uint8_t* got = static_cast<const uint8_t*>(g.data) + r * row_bytes;
      ++checked_rows;
      if (std::memcmp(got, want.data(), row_bytes) != 0) {
        if (bad < 10) std::fprintf(stderr, "FAIL %s (%s) row %zu differs from the engine's encoding\n", gname.c_str(), dtype_name(g.dtype), r);
        ++bad;
      }
    }
  }
  std::printf("%s: %zu tensors, %zu rows checked (", argv[2], tensors, checked_rows);
  for (const auto& [t, n] : by_type) std::printf(" %s:%zu", t.c_str(), n);
  std::printf(" ), %zu mismatches\n", bad);
  return bad == 0 && tensors > 0 ? 0 : 1;
}
