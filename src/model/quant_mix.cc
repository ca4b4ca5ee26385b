#include "model/quant_mix.h"

#include <cstdio>

namespace gemma3 {

namespace {

struct MixInfo {
  QuantMix mix;
  const char* name;
  uint32_t file_type;
  DType base;  // the type of tensors no rule singles out
};

constexpr MixInfo kMixes[] = {
    {QuantMix::kQ3_K_M, "q3_k_m", 12, DType::kQ3_K},
    {QuantMix::kQ4_K_M, "q4_k_m", 15, DType::kQ4_K},
    {QuantMix::kQ5_K_M, "q5_k_m", 17, DType::kQ5_K},
    {QuantMix::kQ6_K, "q6_k", 18, DType::kQ6_K},
};

const MixInfo& info(QuantMix mix) {
  for (const MixInfo& m : kMixes) {
    if (m.mix == mix) return m;
  }
  return kMixes[0];
}

// The block number of "blk.N.…", or −1 (what the loader's sscanf leaves for other names).
int block_number(const std::string& name) {
  int n = -1;
  if (std::sscanf(name.c_str(), "blk.%d.", &n) != 1) return -1;
  return n;
}

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// llama.cpp's "use more bits" layers: the first and last eighth, and every third one between.
bool more_bits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

// The legacy type llama.cpp uses when a row does not split into 256-element blocks.
DType fallback(DType t, uint64_t row) {
  if (row % dtype_block_elems(t) == 0) return t;
  DType f = t;
  switch (t) {
    case DType::kQ2_K:
    case DType::kQ3_K: f = DType::kQ4_0; break;
    case DType::kQ4_K: f = DType::kQ5_0; break;
    case DType::kQ5_K: f = DType::kQ5_1; break;
    case DType::kQ6_K: f = DType::kQ8_0; break;
    default: break;
  }
  return row % dtype_block_elems(f) == 0 ? f : DType::kF16;
}

}  // namespace

std::optional<QuantMix> parse_quant_mix(std::string_view name) {
  for (const MixInfo& m : kMixes) {
    if (name == m.name) return m.mix;
  }
  return std::nullopt;
}

const char* quant_mix_name(QuantMix mix) { return info(mix).name; }
uint32_t quant_mix_file_type(QuantMix mix) { return info(mix).file_type; }

bool llama_tensor_order_less(const std::string& a, const std::string& b) {
  const int la = block_number(a), lb = block_number(b);
  if (la != lb) return la < lb;
  return a < b;
}

MixChoice choose_mix_types(QuantMix mix, const std::vector<MixTensor>& tensors, int n_layers,
                           std::optional<DType> token_embd_type) {
  const MixInfo& m = info(mix);
  bool tied = true;  // llama-quantize assumes a tied head until it sees output.weight
  int n_attn_v = 0;
  for (const MixTensor& t : tensors) {
    if (t.name == "output.weight") tied = false;
    if (contains(t.name, "attn_v.weight")) ++n_attn_v;
  }
  MixChoice out;
  int i_attn_v = 0, i_ffn_down = 0;
  for (const MixTensor& t : tensors) {
    const bool quantizable = t.ne.size() >= 2 && t.name.ends_with("weight") && !contains(t.name, "_norm.weight");
    if (!quantizable) {
      out.types.push_back(t.source);
      continue;
    }
    const bool embd = t.name == "token_embd.weight";
    if (embd && token_embd_type) {
      out.types.push_back(*token_embd_type);
      continue;
    }
    const uint64_t row = t.ne[0];
    DType type = m.base;
    if (t.name == "output.weight" || (tied && embd)) {
      type = row % dtype_block_elems(m.base) != 0 ? DType::kQ8_0 : DType::kQ6_K;
    } else if (embd) {
      // no rule: the mix's type
    } else if (contains(t.name, "attn_v.weight")) {
      if (mix == QuantMix::kQ3_K_M) {
        type = i_attn_v < 2 ? DType::kQ5_K : DType::kQ4_K;
      } else if ((mix == QuantMix::kQ4_K_M || mix == QuantMix::kQ5_K_M) && more_bits(i_attn_v, n_attn_v)) {
        type = DType::kQ6_K;
      }
      ++i_attn_v;
    } else if (contains(t.name, "ffn_down")) {
      if (mix == QuantMix::kQ3_K_M) {
        type = i_ffn_down < n_layers / 16 ? DType::kQ5_K : DType::kQ4_K;
      } else if ((mix == QuantMix::kQ4_K_M || mix == QuantMix::kQ5_K_M) && more_bits(i_ffn_down, n_layers)) {
        type = DType::kQ6_K;
      }
      ++i_ffn_down;
    } else if (contains(t.name, "attn_output.weight")) {
      if (mix == QuantMix::kQ3_K_M) type = DType::kQ4_K;
    }
    const DType fitted = fallback(type, row);
    if (fitted != type) ++out.n_fallback;
    out.types.push_back(fitted);
  }
  return out;
}

}  // namespace gemma3
