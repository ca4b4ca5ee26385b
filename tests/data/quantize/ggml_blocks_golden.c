// Writes blocks.json: GGML's own quantizers (ggml_quantize_chunk without an importance matrix,
// i.e. the quantize_row_*_ref functions llama-quantize runs) applied to the inputs that
// tests/ops/kquant_quantize_test.cc generates the same way. Not built by the project (llama.cpp
// is not a dependency); README.md in this folder has the command that compiled and ran it.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ggml.h"

enum { kCases = 12, kN = 512 };

static uint64_t next(uint64_t* s) {  // splitmix64
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Uniform in [-1, 1): a 24-bit integer times 2^-23, exact in f32.
static float uniform(uint64_t* s) { return (float)((int32_t)(next(s) >> 40) - 8388608) * (1.0f / 8388608.0f); }

// The inputs; kquant_quantize_test.cc's make_case() is the same function, written in C++.
static void make_case(int c, float* x) {
  uint64_t s = 1000 + (uint64_t)c;
  for (int i = 0; i < kN; ++i) {
    const float u = uniform(&s);
    float v = 0.0f;
    switch (c) {
      case 0: v = u; break;
      case 1: v = u * 0.02f; break;
      case 2: {
        const float a = uniform(&s), b = uniform(&s), d = uniform(&s);
        v = (u + a + b + d) * 0.05f;
        break;
      }
      case 3: v = 0.0f; break;
      case 4: v = 0.5f; break;
      case 5: v = u < 0.0f ? -u : u; break;
      case 6: v = u < 0.0f ? u : -u; break;
      case 7: v = i == 37 ? 3.0f : u * 0.01f; break;
      case 8: v = u * 1e-18f; break;
      case 9: v = u * (float)(1 << (i / 16 % 16)) * (1.0f / 256.0f); break;
      case 10: v = i % 7 == 0 ? u : 0.0f; break;
      default: {
        const float a = uniform(&s), b = uniform(&s), d = uniform(&s);
        v = (u + a + b + d) * 0.05f;
        uint32_t bits;
        memcpy(&bits, &v, 4);
        bits &= 0xffff0000u;  // a bf16 weight
        memcpy(&v, &bits, 4);
      }
    }
    x[i] = v;
  }
}

int main(void) {
  const struct { const char* name; enum ggml_type type; } types[] = {
      {"q8_0", GGML_TYPE_Q8_0}, {"q4_0", GGML_TYPE_Q4_0}, {"q4_1", GGML_TYPE_Q4_1}, {"q5_0", GGML_TYPE_Q5_0},
      {"q5_1", GGML_TYPE_Q5_1}, {"q3_k", GGML_TYPE_Q3_K}, {"q4_k", GGML_TYPE_Q4_K}, {"q5_k", GGML_TYPE_Q5_K},
      {"q6_k", GGML_TYPE_Q6_K}};
  static float x[kN];
  static uint8_t out[kN * 4];
  printf("{\"n\": %d, \"cases\": %d, \"types\": {", kN, kCases);
  for (size_t t = 0; t < sizeof types / sizeof types[0]; ++t) {
    printf("%s\n \"%s\": [", t ? "," : "", types[t].name);
    for (int c = 0; c < kCases; ++c) {
      make_case(c, x);
      const size_t n = ggml_quantize_chunk(types[t].type, x, out, 0, 1, kN, NULL);
      printf("%s\n  \"", c ? "," : "");
      for (size_t i = 0; i < n; ++i) printf("%02x", out[i]);
      printf("\"");
    }
    printf("]");
  }
  printf("}}\n");
  return 0;
}
