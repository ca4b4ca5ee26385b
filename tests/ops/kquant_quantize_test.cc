// The reference quantizers (ops/kquant_quantize.cc, dtype.cc's Q8_0 / Q4_0) against GGML's own:
// tests/data/quantize/blocks.json holds what GGML's ggml_quantize_chunk (llama.cpp, run once by
// ggml_blocks_golden.c in that folder) wrote for twelve 512-element inputs per type: weight-like
// values, all zeros, a constant, one sign only, an outlier, values below GGML's 1e-15 "all zero"
// threshold, 16 magnitudes in one block, sparse rows, bf16 weights. Every byte must match.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ops/dtype.h"
#include "ops/kquant.h"

namespace gemma3 {
namespace {

constexpr int kN = 512;

uint64_t next(uint64_t& s) {  // splitmix64, as ggml_blocks_golden.c
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

float uniform(uint64_t& s) {
  return static_cast<float>(static_cast<int32_t>(next(s) >> 40) - 8388608) * (1.0f / 8388608.0f);
}

// ggml_blocks_golden.c's make_case(), the same expressions in the same order.
std::vector<float> make_case(int c) {
  std::vector<float> x(kN);
  uint64_t s = 1000 + static_cast<uint64_t>(c);
  for (int i = 0; i < kN; ++i) {
    const float u = uniform(s);
    float v = 0.0f;
    switch (c) {
      case 0: v = u; break;
      case 1: v = u * 0.02f; break;
      case 2: {
        const float a = uniform(s), b = uniform(s), d = uniform(s);
        v = (u + a + b + d) * 0.05f;
        break;
      }
      case 3: v = 0.0f; break;
      case 4: v = 0.5f; break;
      case 5: v = u < 0.0f ? -u : u; break;
      case 6: v = u < 0.0f ? u : -u; break;
      case 7: v = i == 37 ? 3.0f : u * 0.01f; break;
      case 8: v = u * 1e-18f; break;
      case 9: v = u * static_cast<float>(1 << (i / 16 % 16)) * (1.0f / 256.0f); break;
      case 10: v = i % 7 == 0 ? u : 0.0f; break;
      default: {
        const float a = uniform(s), b = uniform(s), d = uniform(s);
        v = (u + a + b + d) * 0.05f;
        uint32_t bits;
        std::memcpy(&bits, &v, 4);
        bits &= 0xffff0000u;
        std::memcpy(&v, &bits, 4);
      }
    }
    x[i] = v;
  }
  return x;
}

std::string hex(const std::vector<uint8_t>& b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t v : b) s += {digits[v >> 4], digits[v & 15]};
  return s;
}

nlohmann::json golden() {
  std::ifstream in(std::string(GEMMA3_SOURCE_DIR) + "/tests/data/quantize/blocks.json");
  return nlohmann::json::parse(in);
}

TEST(KquantQuantize, EveryBlockEqualsGgmlsReferenceQuantizer) {
  const nlohmann::json g = golden();
  ASSERT_EQ(g["n"], kN);
  const std::pair<const char*, DType> types[] = {
      {"q8_0", DType::kQ8_0}, {"q4_0", DType::kQ4_0}, {"q4_1", DType::kQ4_1}, {"q5_0", DType::kQ5_0}, {"q5_1", DType::kQ5_1},
      {"q3_k", DType::kQ3_K}, {"q4_k", DType::kQ4_K}, {"q5_k", DType::kQ5_K}, {"q6_k", DType::kQ6_K}};
  for (const auto& [name, dtype] : types) {
    const auto& cases = g["types"][name];
    ASSERT_EQ(cases.size(), g["cases"].get<size_t>()) << name;
    for (size_t c = 0; c < cases.size(); ++c) {
      const std::vector<float> x = make_case(static_cast<int>(c));
      std::vector<uint8_t> ours(dtype_row_bytes(dtype, kN));
      encode_row_from_f32(x.data(), kN, dtype, ours.data());
      const std::string want = cases[c].get<std::string>();
      const std::string got = hex(ours);
      if (got == want) continue;
      const size_t bb = dtype_block_bytes(dtype);
      size_t n_diff = 0, first = 0;
      for (size_t i = 0; i < got.size() && i < want.size(); i += 2) {
        if (got.compare(i, 2, want, i, 2) != 0 && n_diff++ == 0) first = i / 2;
      }
      ADD_FAILURE() << name << " case " << c << ": " << n_diff << " bytes differ from GGML's, the first at byte "
                    << first << " (block " << first / bb << ")";
    }
  }
}

// Quantizing and widening again moves no element further than its block allows (a loose bound;
// the exact bytes are the test above): an independent sanity check of the layouts.
TEST(KquantQuantize, WidenedRowsStayClose) {
  const std::vector<float> x = make_case(1);  // uniform in ±0.02
  for (DType dtype : {DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K}) {
    std::vector<uint8_t> q(dtype_row_bytes(dtype, kN));
    encode_row_from_f32(x.data(), kN, dtype, q.data());
    std::vector<float> y(kN);
    kquant_row_to_f32(dtype, q.data(), kN, y.data());
    const float bound = dtype == DType::kQ3_K ? 0.006f : dtype == DType::kQ4_K ? 0.003f : dtype == DType::kQ5_K ? 0.0015f : 0.0008f;
    for (int i = 0; i < kN; ++i) ASSERT_NEAR(y[i], x[i], bound) << dtype_name(dtype) << " element " << i;
  }
}

}  // namespace
}  // namespace gemma3
