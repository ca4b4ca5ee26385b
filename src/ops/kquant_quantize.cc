// GGML's reference quantizers (the quantize_row_*_ref functions llama-quantize runs when it has no
// importance matrix) for the legacy Q4_1 / Q5_0 / Q5_1 blocks and the Q3_K / Q4_K / Q5_K / Q6_K
// super-blocks, rewritten from the algorithms' public description so a file written by
// `gemma3 quantize --dtype q4_k_m` equals llama-quantize's byte for byte (tests/data/quantize).
//
// Byte identity needs more than the same algorithm: every float expression below is evaluated in
// the order GGML writes it (a·b·c is (a·b)·c; integers are converted to float where GGML's C
// arithmetic converts them), every operation rounds to f32 on its own (the build passes
// -ffp-contract=off; GGML's ggml-quants.c is built without FMA for a generic x86-64), and ties
// are settled the same way (strict comparisons, the first maximum wins). Change an expression's
// shape and a few blocks in a million pick another scale.
//
// The K-quant searches, in short:
//   - Q6_K (and Q3_K): per 16 elements a symmetric scale: start from the one that maps the
//     element of largest magnitude to −nmax, then try 18 nearby scales (or, for Q3_K, move single
//     elements to another level) and keep the one with the smallest error weighted by x²; the 16
//     scales are then quantized to int8 (Q6_K) or 6 bits (Q3_K) against one f16 d.
//   - Q4_K / Q5_K: per 32 elements a scale and a min (x ≈ scale·q − min): start from [min, max]
//     over 2^bits − 1 steps, try nstep + 1 step counts around it, for each solve the weighted
//     least-squares scale and min of the levels it gives, keep the smallest weighted error
//     (weights mean|x| + |x|); the 8 scales and mins are then quantized to 6 bits against f16
//     d and dmin, and the levels recomputed from the quantized values.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "ops/kquant.h"
#include "util/check.h"

namespace gemma3 {

namespace {

// Round to nearest, ties to even, as GGML's quantizers round: adding 1.5·2^23 leaves the integer
// part of x in the low mantissa bits (the f32 addition itself does the rounding). |x| < 2^22.
inline int round_nearest(float x) {
  const float shifted = x + 12582912.0f;
  int32_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  return (bits & 0x007fffff) - 0x00400000;
}

inline void put_f16(uint8_t* p, float v) {
  const uint16_t h = f32_to_f16(v);
  std::memcpy(p, &h, sizeof h);
}

constexpr float kGroupMaxEps = 1e-15f;  // a group whose largest |x| is below this is all zeros

// ---------------------------------------------------------------- legacy 32-element blocks

// Q4_1 / Q5_1: the block's range [min, max] over 2^bits − 1 steps; q = trunc((x − min)/d + 0.5)
// (at most 2^bits − 1 for Q4_1, where rounding can overshoot; GGML clamps only there).
template <int kBits>
void quantize_min_block(const float* x, uint8_t* out) {
  float min = x[0], max = x[0];
  for (int j = 1; j < 32; ++j) {
    min = std::min(min, x[j]);
    max = std::max(max, x[j]);
  }
  const float d = (max - min) / static_cast<float>((1 << kBits) - 1);
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  put_f16(out, d);
  put_f16(out + 2, min);
  uint8_t q[32];
  for (int j = 0; j < 32; ++j) {
    const float v = (x[j] - min) * id + 0.5f;
    q[j] = kBits == 4 ? static_cast<uint8_t>(std::min(15, static_cast<int>(static_cast<int8_t>(v))))
                      : static_cast<uint8_t>(v);
  }
  uint8_t* qs = out + 4;
  if constexpr (kBits == 5) {
    uint32_t qh = 0;
    for (int j = 0; j < 32; ++j) qh |= static_cast<uint32_t>((q[j] >> 4) & 1) << j;
    std::memcpy(out + 4, &qh, 4);
    qs = out + 8;
  }
  for (int j = 0; j < 16; ++j) qs[j] = static_cast<uint8_t>((q[j] & 15) | ((q[j + 16] & 15) << 4));
}

// Q5_0: like Q4_0, the element of largest magnitude (sign kept) maps to −16.
void quantize_q5_0_block(const float* x, uint8_t* out) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < 32; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  const float d = max / -16.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  put_f16(out, d);
  uint32_t qh = 0;
  uint8_t* qs = out + 6;
  for (int j = 0; j < 16; ++j) {
    const int lo = std::min(31, static_cast<int>(static_cast<int8_t>(x[j] * id + 16.5f)));
    const int hi = std::min(31, static_cast<int>(static_cast<int8_t>(x[j + 16] * id + 16.5f)));
    qs[j] = static_cast<uint8_t>((lo & 15) | ((hi & 15) << 4));
    qh |= static_cast<uint32_t>((lo >> 4) & 1) << j;
    qh |= static_cast<uint32_t>((hi >> 4) & 1) << (j + 16);
  }
  std::memcpy(out + 2, &qh, 4);
}

// ---------------------------------------------------------------- symmetric scale searches

// The element of largest magnitude, sign kept (the first one on ties); 0 when all are below eps.
float signed_absmax(int n, const float* x) {
  float amax = 0.0f, max = 0.0f;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  return amax < kGroupMaxEps ? 0.0f : max;
}

inline int clamp_level(int l, int lo, int hi) { return std::max(lo, std::min(hi, l)); }

// Q6_K's group scale: levels l in [−nmax, nmax − 1] for x ≈ scale·l, weighted by x²; the scale
// that maps the extreme element to −nmax, then 18 neighbours −(nmax ± 0.1·k)/max, keeping the
// one with the largest (Σw·x·l)² / Σw·l² (the least-squares error's complement). L (n) receives
// l + nmax; returns the least-squares scale of the kept levels.
float symmetric_scale_search(int n, int nmax, const float* x, int8_t* L) {
  const float max = signed_absmax(n, x);
  if (max == 0.0f) {
    std::fill(L, L + n, int8_t{0});
    return 0.0f;
  }
  float iscale = static_cast<float>(-nmax) / max;
  float sumlx = 0.0f, suml2 = 0.0f;
  for (int i = 0; i < n; ++i) {
    const int l = clamp_level(round_nearest(iscale * x[i]), -nmax, nmax - 1);
    L[i] = static_cast<int8_t>(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * static_cast<float>(l);
    suml2 += w * static_cast<float>(l) * static_cast<float>(l);
  }
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(is)) / max;
    sumlx = suml2 = 0.0f;
    for (int i = 0; i < n; ++i) {
      const float l = static_cast<float>(clamp_level(round_nearest(iscale * x[i]), -nmax, nmax - 1));
      const float w = x[i] * x[i];
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
    if (suml2 > 0.0f && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i)
        L[i] = static_cast<int8_t>(nmax + clamp_level(round_nearest(iscale * x[i]), -nmax, nmax - 1));
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// Q3_K's group scale: the same start, then up to 5 passes that move single elements to the level
// the current fit suggests when that lowers the x²-weighted error. L (n) receives l + nmax.
float symmetric_level_refine(int n, int nmax, const float* x, int8_t* L) {
  const float max = signed_absmax(n, x);
  if (max == 0.0f) {
    std::fill(L, L + n, int8_t{0});
    return 0.0f;
  }
  const float iscale = static_cast<float>(-nmax) / max;
  float sumlx = 0.0f, suml2 = 0.0f;
  for (int i = 0; i < n; ++i) {
    const int l = clamp_level(round_nearest(iscale * x[i]), -nmax, nmax - 1);
    L[i] = static_cast<int8_t>(l);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * static_cast<float>(l);
    suml2 += w * static_cast<float>(l) * static_cast<float>(l);
  }
  for (int pass = 0; pass < 5; ++pass) {
    int n_changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      const float li = static_cast<float>(L[i]);
      float slx = sumlx - w * x[i] * li;
      if (slx > 0.0f) {
        float sl2 = suml2 - w * li * li;
        const int new_l = clamp_level(round_nearest(x[i] * sl2 / slx), -nmax, nmax - 1);
        if (new_l != L[i]) {
          const float nl = static_cast<float>(new_l);
          slx += w * x[i] * nl;
          sl2 += w * nl * nl;
          if (sl2 > 0.0f && slx * slx * suml2 > sumlx * sumlx * sl2) {
            L[i] = static_cast<int8_t>(new_l);
            sumlx = slx;
            suml2 = sl2;
            ++n_changed;
          }
        }
      }
    }
    if (n_changed == 0) break;
  }
  for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(L[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// ---------------------------------------------------------------- Q6_K, Q3_K

// Q6_K (210 bytes): ql[128], qh[64], int8 scales[16], f16 d.
void quantize_q6_k_block(const float* x, uint8_t* out) {
  int8_t L[256];
  float scales[16];
  float max_scale = 0.0f, max_abs_scale = 0.0f;
  for (int g = 0; g < 16; ++g) {
    scales[g] = symmetric_scale_search(16, 32, x + 16 * g, L + 16 * g);
    const float a = std::fabs(scales[g]);
    if (a > max_abs_scale) {
      max_abs_scale = a;
      max_scale = scales[g];
    }
  }
  std::memset(out, 0, 210);
  if (max_abs_scale < kGroupMaxEps) return;  // all zeros (d = +0)
  const float iscale = -128.0f / max_scale;
  put_f16(out + 208, 1.0f / iscale);
  auto* sc = reinterpret_cast<int8_t*>(out + 192);
  for (int g = 0; g < 16; ++g) sc[g] = static_cast<int8_t>(std::min(127, round_nearest(iscale * scales[g])));
  const float d_all = f16_at(out + 208);
  for (int g = 0; g < 16; ++g) {
    const float d = d_all * static_cast<float>(sc[g]);
    if (d == 0.0f) continue;  // keeps the search's levels, as GGML does
    for (int i = 0; i < 16; ++i)
      L[16 * g + i] = static_cast<int8_t>(clamp_level(round_nearest(x[16 * g + i] / d), -32, 31) + 32);
  }
  // Element 128·h + 32·s + l: low nibble in ql[64·h + 32·(s % 2) + l] (low half for s < 2), high
  // two bits as crumb s of qh[32·h + l].
  uint8_t* ql = out;
  uint8_t* qh = out + 128;
  for (int h = 0; h < 2; ++h) {
    const int8_t* q = L + 128 * h;
    for (int l = 0; l < 32; ++l) {
      ql[64 * h + l] = static_cast<uint8_t>((q[l] & 15) | ((q[l + 64] & 15) << 4));
      ql[64 * h + l + 32] = static_cast<uint8_t>((q[l + 32] & 15) | ((q[l + 96] & 15) << 4));
      qh[32 * h + l] = static_cast<uint8_t>((q[l] >> 4) | ((q[l + 32] >> 4) << 2) | ((q[l + 64] >> 4) << 4) |
                                            ((q[l + 96] >> 4) << 6));
    }
  }
}

// Q3_K (110 bytes): hmask[32], qs[64], 16 6-bit scales packed in 12 bytes, f16 d.
void quantize_q3_k_block(const float* x, uint8_t* out) {
  int8_t L[256];
  float scales[16];
  float max_scale = 0.0f, amax = 0.0f;
  for (int g = 0; g < 16; ++g) {
    scales[g] = symmetric_level_refine(16, 4, x + 16 * g, L + 16 * g);
    const float a = std::fabs(scales[g]);
    if (a > amax) {
      amax = a;
      max_scale = scales[g];
    }
  }
  std::memset(out, 0, 110);
  uint8_t* hmask = out;
  uint8_t* qs = out + 32;
  uint8_t* packed = out + 96;
  if (max_scale != 0.0f) {
    const float iscale = -32.0f / max_scale;
    for (int g = 0; g < 16; ++g) {
      // GGML keeps the rounded value in an int8 before clamping it to [−32, 31].
      const int v = clamp_level(static_cast<int8_t>(round_nearest(iscale * scales[g])), -32, 31) + 32;
      if (g < 8) {
        packed[g] = static_cast<uint8_t>(v & 15);
      } else {
        packed[g - 8] |= static_cast<uint8_t>((v & 15) << 4);
      }
      packed[8 + g % 4] |= static_cast<uint8_t>((v >> 4) << (2 * (g / 4)));
    }
    put_f16(out + 108, 1.0f / iscale);
  }
  const float d_all = f16_at(out + 108);
  for (int g = 0; g < 16; ++g) {
    const int low = g < 8 ? packed[g] & 15 : packed[g - 8] >> 4;
    const int sc = (low | (((packed[8 + g % 4] >> (2 * (g / 4))) & 3) << 4)) - 32;
    const float d = d_all * static_cast<float>(sc);
    if (d == 0.0f) continue;
    for (int i = 0; i < 16; ++i)
      L[16 * g + i] = static_cast<int8_t>(clamp_level(round_nearest(x[16 * g + i] / d), -4, 3) + 4);
  }
  // The third bit of element e goes to bit e / 32 of hmask[e % 32]; the low two bits to crumb s
  // of qs[32·h + l] for e = 128·h + 32·s + l.
  for (int e = 0; e < 256; ++e) {
    if (L[e] > 3) {
      hmask[e % 32] |= static_cast<uint8_t>(1 << (e / 32));
      L[e] = static_cast<int8_t>(L[e] - 4);
    }
  }
  for (int h = 0; h < 2; ++h) {
    const int8_t* q = L + 128 * h;
    for (int l = 0; l < 32; ++l)
      qs[32 * h + l] = static_cast<uint8_t>(q[l] | (q[l + 32] << 2) | (q[l + 64] << 4) | (q[l + 96] << 6));
  }
}

// ---------------------------------------------------------------- Q4_K, Q5_K

// A group's scale and min for x ≈ scale·l − min_out, l in [0, nmax], min_out ≥ 0 (see the file
// comment). L (n) receives the levels; `aux` (n) is scratch.
float scale_min_search(int n, int nmax, const float* x, const float* w, uint8_t* L, float* min_out, uint8_t* aux,
                       float rmin, float rdelta, int nstep) {
  float min = x[0], max = x[0];
  float sum_w = w[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  if (min > 0.0f) min = 0.0f;
  if (max == min) {
    std::fill(L, L + n, uint8_t{0});
    *min_out = -min;
    return 0.0f;
  }
  const float nm = static_cast<float>(nmax);
  float iscale = nm / (max - min);
  float scale = 1.0f / iscale;
  float best_error = 0.0f;
  for (int i = 0; i < n; ++i) {
    L[i] = static_cast<uint8_t>(clamp_level(round_nearest(iscale * (x[i] - min)), 0, nmax));
    const float diff = scale * static_cast<float>(L[i]) + min - x[i];
    best_error += w[i] * (diff * diff);
  }
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * static_cast<float>(is) + nm) / (max - min);
    float sum_l = 0.0f, sum_l2 = 0.0f, sum_xl = 0.0f;
    for (int i = 0; i < n; ++i) {
      const int l = clamp_level(round_nearest(iscale * (x[i] - min)), 0, nmax);
      aux[i] = static_cast<uint8_t>(l);
      const float fl = static_cast<float>(l);
      sum_l += w[i] * fl;
      sum_l2 += w[i] * fl * fl;
      sum_xl += w[i] * fl * x[i];
    }
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (D > 0.0f) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
      if (this_min > 0.0f) {
        this_min = 0.0f;
        this_scale = sum_xl / sum_l2;
      }
      float cur_error = 0.0f;
      for (int i = 0; i < n; ++i) {
        const float diff = this_scale * static_cast<float>(aux[i]) + this_min - x[i];
        cur_error += w[i] * (diff * diff);
      }
      if (cur_error < best_error) {
        std::copy(aux, aux + n, L);
        best_error = cur_error;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  *min_out = -min;
  return scale;
}

// Q4_K (144 bytes: d, dmin, scales[12], qs[128]) and Q5_K (176: d, dmin, scales[12], qh[32],
// qs[128]); 8 groups of 32, each with a 6-bit scale and min.
template <int kBits>
void quantize_q45_k_block(const float* x, uint8_t* out) {
  constexpr int kMax = (1 << kBits) - 1;
  constexpr float kRmin = kBits == 4 ? -1.0f : -0.5f;
  constexpr int kSteps = kBits == 4 ? 20 : 15;
  uint8_t L[256], aux[32];
  float weights[32], mins[8], scales[8];
  float max_scale = 0.0f, max_min = 0.0f;
  for (int g = 0; g < 8; ++g) {
    const float* xg = x + 32 * g;
    float sum_x2 = 0.0f;
    for (int l = 0; l < 32; ++l) sum_x2 += xg[l] * xg[l];
    const float av_x = std::sqrt(sum_x2 / 32.0f);
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(xg[l]);
    scales[g] = scale_min_search(32, kMax, xg, weights, L + 32 * g, &mins[g], aux, kRmin, 0.1f, kSteps);
    if (scales[g] > max_scale) max_scale = scales[g];
    if (mins[g] > max_min) max_min = mins[g];
  }
  std::memset(out, 0, kBits == 4 ? 144 : 176);
  uint8_t* packed = out + 4;
  const float inv_scale = max_scale > 0.0f ? 63.0f / max_scale : 0.0f;
  const float inv_min = max_min > 0.0f ? 63.0f / max_min : 0.0f;
  for (int g = 0; g < 8; ++g) {
    // GGML stores the rounded values in a uint8 (wrapping) before capping them at 63.
    const uint8_t ls = std::min<uint8_t>(63, static_cast<uint8_t>(round_nearest(inv_scale * scales[g])));
    const uint8_t lm = std::min<uint8_t>(63, static_cast<uint8_t>(round_nearest(inv_min * mins[g])));
    if (g < 4) {
      packed[g] = ls;
      packed[g + 4] = lm;
    } else {
      packed[g + 4] = static_cast<uint8_t>((ls & 15) | ((lm & 15) << 4));
      packed[g - 4] |= static_cast<uint8_t>((ls >> 4) << 6);
      packed[g] |= static_cast<uint8_t>((lm >> 4) << 6);
    }
  }
  put_f16(out, max_scale / 63.0f);
  put_f16(out + 2, max_min / 63.0f);
  const float d_all = f16_at(out), dmin_all = f16_at(out + 2);
  for (int g = 0; g < 8; ++g) {
    uint8_t sc, m;
    kquant_scale_min_k4(static_cast<size_t>(g), packed, sc, m);
    const float d = d_all * static_cast<float>(sc);
    if (d == 0.0f) continue;
    const float dm = dmin_all * static_cast<float>(m);
    for (int i = 0; i < 32; ++i)
      L[32 * g + i] = static_cast<uint8_t>(clamp_level(round_nearest((x[32 * g + i] + dm) / d), 0, kMax));
  }
  // Groups 2k and 2k + 1 share qs[32·k ..]: low and high nibbles; Q5_K's fifth bit of group g
  // is bit g of qh[l].
  uint8_t* qh = out + 16;
  uint8_t* qs = out + (kBits == 4 ? 16 : 48);
  for (int k = 0; k < 4; ++k) {
    for (int l = 0; l < 32; ++l) {
      const int lo = L[64 * k + l], hi = L[64 * k + 32 + l];
      qs[32 * k + l] = static_cast<uint8_t>((lo & 15) | ((hi & 15) << 4));
      if constexpr (kBits == 5) qh[l] |= static_cast<uint8_t>(((lo >> 4) << (2 * k)) | ((hi >> 4) << (2 * k + 1)));
    }
  }
}

}  // namespace

bool kquant_can_quantize(DType dtype) {
  switch (dtype) {
    case DType::kQ4_1:
    case DType::kQ5_0:
    case DType::kQ5_1:
    case DType::kQ3_K:
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K:
      return true;
    default:
      return false;
  }
}

void kquant_quantize_row(DType dtype, const float* x, size_t n, uint8_t* out) {
  G3_CHECK(kquant_can_quantize(dtype));
  const size_t be = kquant_block_elems(dtype), bb = kquant_block_bytes(dtype);
  for (size_t b = 0; b < n / be; ++b) {
    const float* xb = x + b * be;
    uint8_t* ob = out + b * bb;
    switch (dtype) {
      case DType::kQ4_1: quantize_min_block<4>(xb, ob); break;
      case DType::kQ5_1: quantize_min_block<5>(xb, ob); break;
      case DType::kQ5_0: quantize_q5_0_block(xb, ob); break;
      case DType::kQ3_K: quantize_q3_k_block(xb, ob); break;
      case DType::kQ4_K: quantize_q45_k_block<4>(xb, ob); break;
      case DType::kQ5_K: quantize_q45_k_block<5>(xb, ob); break;
      case DType::kQ6_K: quantize_q6_k_block(xb, ob); break;
      default: break;
    }
  }
}

}  // namespace gemma3
