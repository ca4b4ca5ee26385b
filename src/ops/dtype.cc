#include "ops/dtype.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ops/kquant.h"

namespace gemma3 {

namespace {
uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
}  // namespace

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kBF16:
      return 2;
    case DType::kF16:
      return 2;
    case DType::kF32:
      return 4;
    default:
      return 0;
  }
}

bool dtype_is_quantized(DType dtype) { return dtype_size(dtype) == 0; }

size_t dtype_block_elems(DType dtype) {
  if (!dtype_is_quantized(dtype)) return 1;
  return kquant_block_bytes(dtype) != 0 ? kquant_block_elems(dtype) : kQuantBlock;
}

size_t dtype_block_bytes(DType dtype) {
  switch (dtype) {
    case DType::kQ8_0:
      return sizeof(BlockQ8_0);
    case DType::kQ4_0:
      return sizeof(BlockQ4_0);
    default:
      return dtype_is_quantized(dtype) ? kquant_block_bytes(dtype) : dtype_size(dtype);
  }
}

size_t dtype_row_bytes(DType dtype, size_t cols) {
  return cols / dtype_block_elems(dtype) * dtype_block_bytes(dtype);
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kBF16:
      return "bf16";
    case DType::kF16:
      return "f16";
    case DType::kF32:
      return "f32";
    case DType::kQ8_0:
      return "q8_0";
    case DType::kQ4_0:
      return "q4_0";
    default:
      return kquant_name(dtype);
  }
}

uint16_t f32_to_bf16(float value) {
  uint32_t u = float_bits(value);
  if ((u & 0x7fffffffu) > 0x7f800000u) {
    // NaN: keep the sign and top payload bits, force quiet so truncation cannot make it inf.
    return static_cast<uint16_t>((u >> 16) | 0x0040u);
  }
  // Round to nearest even: add 0x7fff plus the lowest kept bit; a carry into the exponent is the
  // correct rounding (up to inf for values past the largest bf16).
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

float f16_to_f32(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exp = (bits >> 10) & 0x1fu;
  uint32_t mant = bits & 0x3ffu;
  if (exp == 0) {
    // Zero or subnormal: mant·2⁻²⁴, exact in f32.
    float mag = static_cast<float>(mant) * 0x1p-24f;
    return sign ? -mag : mag;
  }
  if (exp == 31) return bits_float(sign | 0x7f800000u | (mant << 13));  // inf / NaN
  return bits_float(sign | ((exp + 112u) << 23) | (mant << 13));
}

uint16_t f32_to_f16(float value) {
  uint32_t u = float_bits(value);
  uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return sign | 0x7e00u;  // NaN -> quiet NaN
  // 65520 is halfway between 65504 (largest f16, odd mantissa) and 2¹⁶: ties-to-even go to inf.
  if (a >= 0x477ff000u) return sign | 0x7c00u;
  if (a < 0x38800000u) {
    // Below 2⁻¹⁴: an f16 subnormal (or zero) = round(|v|·2²⁴). The product is exact; nearbyint
    // rounds half to even. 1024 is the encoding of the smallest normal, which is also correct.
    float scaled = std::nearbyint(bits_float(a) * 0x1p24f);
    return sign | static_cast<uint16_t>(scaled);
  }
  // Normal: rebias the exponent (127 -> 15) and round the 13 dropped mantissa bits to even.
  uint32_t r = (a - (112u << 23)) + 0xfffu + ((a >> 13) & 1u);
  return sign | static_cast<uint16_t>(r >> 13);
}

void row_to_f32(const WeightView& w, size_t row, float* out) {
  const size_t n = w.cols;
  if (n == 0) return;  // (the data pointer of an empty matrix may be null)
  switch (w.dtype) {
    case DType::kBF16: {
      const uint16_t* src = static_cast<const uint16_t*>(w.data) + row * n;
      for (size_t i = 0; i < n; ++i) out[i] = bf16_to_f32(src[i]);
      return;
    }
    case DType::kF16: {
      const uint16_t* src = static_cast<const uint16_t*>(w.data) + row * n;
      for (size_t i = 0; i < n; ++i) out[i] = f16_to_f32(src[i]);
      return;
    }
    case DType::kF32: {
      const float* src = static_cast<const float*>(w.data) + row * n;
      std::memcpy(out, src, n * sizeof(float));
      return;
    }
    case DType::kQ8_0: {
      const auto* blocks = reinterpret_cast<const BlockQ8_0*>(static_cast<const char*>(w.data) +
                                                              row * dtype_row_bytes(w.dtype, n));
      for (size_t b = 0; b < n / kQuantBlock; ++b) {
        const float d = f16_to_f32(blocks[b].d);
        for (size_t i = 0; i < kQuantBlock; ++i) out[b * kQuantBlock + i] = d * static_cast<float>(blocks[b].qs[i]);
      }
      return;
    }
    case DType::kQ4_0: {
      const auto* blocks = reinterpret_cast<const BlockQ4_0*>(static_cast<const char*>(w.data) +
                                                              row * dtype_row_bytes(w.dtype, n));
      for (size_t b = 0; b < n / kQuantBlock; ++b) {
        const float d = f16_to_f32(blocks[b].d);
        float* o = out + b * kQuantBlock;
        for (size_t i = 0; i < kQuantBlock / 2; ++i) {
          o[i] = d * static_cast<float>((blocks[b].qs[i] & 0x0f) - 8);
          o[i + kQuantBlock / 2] = d * static_cast<float>((blocks[b].qs[i] >> 4) - 8);
        }
      }
      return;
    }
    default:
      kquant_row_to_f32(w.dtype, static_cast<const uint8_t*>(w.data) + row * dtype_row_bytes(w.dtype, n), n, out);
      return;
  }
}

void encode_row_from_f32(const float* x, size_t n, DType dtype, void* out) {
  switch (dtype) {
    case DType::kF32:
      std::memcpy(out, x, n * sizeof(float));
      return;
    case DType::kBF16:
      for (size_t i = 0; i < n; ++i) static_cast<uint16_t*>(out)[i] = f32_to_bf16(x[i]);
      return;
    case DType::kF16:
      for (size_t i = 0; i < n; ++i) static_cast<uint16_t*>(out)[i] = f32_to_f16(x[i]);
      return;
    case DType::kQ8_0:
      quantize_row_q8_0(x, n, static_cast<BlockQ8_0*>(out));
      return;
    case DType::kQ4_0:
      quantize_row_q4_0(x, n, static_cast<BlockQ4_0*>(out));
      return;
    default:
      kquant_quantize_row(dtype, x, n, static_cast<uint8_t*>(out));
      return;
  }
}

void quantize_row_q8_0(const float* x, size_t n, BlockQ8_0* out) {
  for (size_t b = 0; b < n / kQuantBlock; ++b) {
    const float* xb = x + b * kQuantBlock;
    float amax = 0.0f;
    for (size_t i = 0; i < kQuantBlock; ++i) amax = std::max(amax, std::fabs(xb[i]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = f32_to_f16(d);
    for (size_t i = 0; i < kQuantBlock; ++i) out[b].qs[i] = static_cast<int8_t>(std::roundf(xb[i] * id));
  }
}

void quantize_row_q4_0(const float* x, size_t n, BlockQ4_0* out) {
  for (size_t b = 0; b < n / kQuantBlock; ++b) {
    const float* xb = x + b * kQuantBlock;
    // The element of largest magnitude, sign kept, maps to -8 (GGML's choice: the full range of
    // the signed nibble is used on the side of the extreme value).
    float amax = 0.0f, max = 0.0f;
    for (size_t i = 0; i < kQuantBlock; ++i) {
      if (amax < std::fabs(xb[i])) {
        amax = std::fabs(xb[i]);
        max = xb[i];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = f32_to_f16(d);
    for (size_t i = 0; i < kQuantBlock / 2; ++i) {
      const int lo = std::min(15, static_cast<int>(static_cast<int8_t>(xb[i] * id + 8.5f)));
      const int hi = std::min(15, static_cast<int>(static_cast<int8_t>(xb[i + kQuantBlock / 2] * id + 8.5f)));
      out[b].qs[i] = static_cast<uint8_t>(lo | (hi << 4));
    }
  }
}

}  // namespace gemma3
