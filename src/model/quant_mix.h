// llama-quantize's file types ("mixes") for Gemma 3: which block type each tensor gets, and the
// order llama-quantize writes tensors in, so `gemma3 quantize --dtype q4_k_m` writes the file
// llama-quantize writes from the same weights (model/gguf_export.h; proof: tests/data/quantize).
//
// The rules, as llama.cpp's llama-quant.cpp applies them to a Gemma 3 (no experts, not Falcon, not
// a 70B) without an importance matrix or overrides:
//   - 1-D tensors (the norms) are not quantized;
//   - the LM head, and the token embedding when it is tied to it: Q8_0 when its rows are not a
//     multiple of the mix's block size, else Q6_K (Q8_0 mixes keep Q8_0);
//   - attn_v (counted in file order, i of n): Q3_K_M gives Q5_K to the first two, Q4_K to the rest;
//     Q4_K_M and Q5_K_M give Q6_K where "more bits" holds: i < n/8, i ≥ 7n/8, or (i − n/8) % 3 == 2;
//   - ffn_down (layer i of n): Q3_K_M gives Q5_K for i < n/16, else Q4_K; Q4_K_M and Q5_K_M give
//     Q6_K on the "more bits" layers;
//   - attn_output: Q4_K in Q3_K_M;
//   - everything else 2-D: the mix's type (Q3_K, Q4_K, Q5_K, Q6_K);
//   - then, where a row is not a multiple of the chosen type's 256-element block (the 270m's rows
//     of 640), the legacy type llama.cpp falls back to: Q3_K -> Q4_0, Q4_K -> Q5_0, Q5_K -> Q5_1,
//     Q6_K -> Q8_0; F16 where even 32 does not divide the row.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ops/dtype.h"

namespace gemma3 {

enum class QuantMix { kQ3_K_M, kQ4_K_M, kQ5_K_M, kQ6_K };

std::optional<QuantMix> parse_quant_mix(std::string_view name);  // "q3_k_m", "q4_k_m", "q5_k_m", "q6_k"
const char* quant_mix_name(QuantMix mix);
// llama_ftype, written as general.file_type: 12, 15, 17, 18.
uint32_t quant_mix_file_type(QuantMix mix);

// llama.cpp's loader orders tensors by block number (tensors outside blocks first), then by name;
// llama-quantize writes them, and counts attn_v / ffn_down, in that order.
bool llama_tensor_order_less(const std::string& a, const std::string& b);

struct MixTensor {
  std::string name;         // GGUF name, e.g. "blk.3.attn_v.weight"
  std::vector<uint64_t> ne;  // GGML shape, ne[0] = row length
  DType source;             // the type it has before quantization (kept by tensors not quantized)
};

struct MixChoice {
  std::vector<DType> types;  // one per tensor, in the order given
  size_t n_fallback = 0;     // tensors whose rows did not fit the chosen K type
};

// The types for `tensors`, which must be in llama_tensor_order_less order. n_layers: the model's
// block count. token_embd_type: llama-quantize's --token-embedding-type (taken as is).
MixChoice choose_mix_types(QuantMix mix, const std::vector<MixTensor>& tensors, int n_layers,
                           std::optional<DType> token_embd_type = std::nullopt);

}  // namespace gemma3
