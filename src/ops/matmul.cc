// matmul(): picks the ISA kernel and splits output features across the kernel thread pool.
#include "ops/matmul.h"

#include <algorithm>
#include <atomic>
#include <vector>

#include "ops/cpu_features.h"
#include "ops/int8_matmul.h"
#include "ops/kquant.h"
#include "ops/isa_kernels.h"
#include "ops/parallel.h"
#include "ops/thread_pool.h"
#include "util/check.h"

namespace gemma3 {

namespace {

using BlockFn = void (*)(const float*, size_t, const WeightView&, size_t, size_t, float*);

BlockFn block_fn(Isa isa) {
  switch (isa) {
    case Isa::kAvx512:
      return &kernels::avx512::matmul_block;
    case Isa::kAvx2:
      return &kernels::avx2::matmul_block;
    case Isa::kScalar:
      break;
  }
  return &kernels::scalar::matmul_block;
}

// Output features are handed out in multiples of this, so every thread's slice starts on a whole
// microkernel tile (and a cache line of y for n_rows = 1).
constexpr size_t kFeatureAlign = 16;
// Below this many multiply-adds per thread (128 KB of bf16 weights at n_rows = 1, ~4 µs from
// DRAM) the fork/join (~3.3 µs measured with the OpenMP pool this replaced; cross-core round
// trips are ~0.5-1 µs) costs more than the second thread saves. The same bound sizes chunks.
constexpr size_t kMinMacsPerThread = size_t{1} << 16;
// At most this many chunks per thread: enough that a late thread leaves only a few to the others,
// few enough that claiming them (one atomic each) stays negligible.
constexpr size_t kChunksPerThread = 8;

// The legacy and K-quant block types (ops/kquant.h), on ISAs without loaders for them, run the f32
// kernels over rows widened exactly into a scratch buffer, kFeatureAlign rows at a time: each
// output is what the same weights stored as f32 give, whatever the chunking. The AVX-512 kernel
// (always) and the AVX2 one (decode of all but Q2_K / Q3_K: it has no widened panels for batches)
// widen them in registers to the same values (avx512_kquant_loaders.h, avx2_kquant_loaders.h), so
// their outputs are the same.
void widened_block(BlockFn fn, const float* x, size_t n_rows, const WeightView& w, size_t begin, size_t end,
                   float* y) {
  constexpr size_t kChunk = 16;
  thread_local std::vector<float> rows, out;  // (kChunk, w.cols), (n_rows, kChunk)
  rows.resize(kChunk * w.cols);
  out.resize(n_rows * kChunk);
  for (size_t o = begin; o < end; o += kChunk) {
    const size_t n = std::min(kChunk, end - o);
    for (size_t i = 0; i < n; ++i) row_to_f32(w, o + i, rows.data() + i * w.cols);
    const WeightView chunk{DType::kF32, rows.data(), n, w.cols};
    fn(x, n_rows, chunk, 0, n, out.data());
    for (size_t r = 0; r < n_rows; ++r) std::copy_n(out.data() + r * n, n, y + r * w.rows + o);
  }
}

bool widened_type(Isa isa, DType dtype, size_t n_rows) {
  if (kquant_block_bytes(dtype) == 0 || isa == Isa::kAvx512) return false;
  const bool avx2_decodes = dtype != DType::kQ2_K && dtype != DType::kQ3_K;
  return !(isa == Isa::kAvx2 && n_rows == 1 && avx2_decodes);
}

using Int8Fn = void (*)(const kernels::Int8Rows&, const WeightView&, size_t, size_t, float*);

Int8Fn int8_fn(Isa isa) {
  if (isa == Isa::kAvx512 && cpu_has_avx512_vnni()) return &kernels::avx512_vnni::int8_matmul_block;
  if (isa != Isa::kScalar) return &kernels::avx2::int8_matmul_block;
  return &kernels::scalar::int8_matmul_block;
}

}  // namespace

void matmul(const float* x, size_t n_rows, const WeightView& w, float* y) {
  const MatmulTarget target{w, y};
  matmul_many(x, n_rows, std::span<const MatmulTarget>(&target, 1));
}

namespace {
std::atomic<MatmulPrecision> g_precision{MatmulPrecision::kExact};
}  // namespace

void set_matmul_precision(MatmulPrecision precision) { g_precision.store(precision, std::memory_order_relaxed); }
MatmulPrecision matmul_precision() { return g_precision.load(std::memory_order_relaxed); }

void matmul_many(const float* x, size_t n_rows, std::span<const MatmulTarget> targets) {
  if (n_rows == 0 || targets.empty()) return;
  const Isa isa = active_isa();
  const BlockFn fn = block_fn(isa);
  const size_t k = targets[0].w.cols;
  // kBf16Activations: x rounded to bf16 once here. With AVX512_BF16 and bf16 weights the kernel
  // takes the rounded rows as they are; otherwise the rounded values go through the exact kernels,
  // so the mode means the same arithmetic up to summation order on every CPU.
  thread_local std::vector<uint16_t> x_bf16;  // (n_rows, padded_cols(k))
  thread_local std::vector<float> x_rounded;  // (n_rows, k)
  bool bf16_dot = false;
  if (matmul_precision() == MatmulPrecision::kBf16Activations) {
    bf16_dot = cpu_has_avx512_bf16() &&
               std::all_of(targets.begin(), targets.end(), [](const MatmulTarget& t) { return t.w.dtype == DType::kBF16; });
    if (bf16_dot) {
      x_bf16.resize(n_rows * kernels::avx512_bf16::padded_cols(k));
      kernels::avx512_bf16::round_rows_to_bf16(x, n_rows, k, x_bf16.data());
    } else {
      x_rounded.resize(n_rows * k);
      for (size_t i = 0; i < n_rows * k; ++i) x_rounded[i] = bf16_to_f32(f32_to_bf16(x[i]));
      x = x_rounded.data();
    }
  }
  // kInt8Activations: x quantized once here for the targets whose type the mode covers (k is a
  // whole number of blocks for them); the others keep f32 x and the exact kernels.
  thread_local kernels::Int8Buffer x_int8;
  kernels::Int8Rows xq;
  const Int8Fn int8 = int8_fn(isa);
  if (matmul_precision() == MatmulPrecision::kInt8Activations && k % kQuantBlock == 0 &&
      std::any_of(targets.begin(), targets.end(), [](const MatmulTarget& t) { return kernels::int8_supports(t.w.dtype); })) {
    xq = kernels::quantize_rows_int8(x, n_rows, k, x_int8);
  }
  // (Plain pointers: a thread_local named inside the lambda would be each worker's own, empty one.)
  const uint16_t* xb = x_bf16.data();
  auto block = [&, xb](const WeightView& w, size_t begin, size_t end, float* y) {
    if (xq.n_rows != 0 && kernels::int8_supports(w.dtype)) {
      int8(xq, w, begin, end, y);
    } else if (bf16_dot) {
      kernels::avx512_bf16::matmul_block(xb, n_rows, w, begin, end, y);
    } else if (widened_type(isa, w.dtype, n_rows)) {
      widened_block(fn, x, n_rows, w, begin, end, y);
    } else {
      fn(x, n_rows, w, begin, end, y);
    }
  };
  // The targets' output features, concatenated, in units of kFeatureAlign (a unit never spans two
  // targets). first_unit[i] = units before target i.
  size_t first_unit[8], units = 0, macs = 0;
  G3_CHECK(targets.size() <= std::size(first_unit));
  for (size_t i = 0; i < targets.size(); ++i) {
    G3_CHECK(targets[i].w.cols == targets[0].w.cols);
    first_unit[i] = units;
    units += (targets[i].w.rows + kFeatureAlign - 1) / kFeatureAlign;
    macs += n_rows * targets[i].w.rows * targets[i].w.cols;
  }
  // Runs units [u0, u1) of the concatenation.
  auto run_units = [&](size_t u0, size_t u1) {
    for (size_t i = 0; i < targets.size(); ++i) {
      const WeightView& w = targets[i].w;
      const size_t t0 = first_unit[i], t1 = t0 + (w.rows + kFeatureAlign - 1) / kFeatureAlign;
      const size_t a = std::max(u0, t0), b = std::min(u1, t1);
      if (a >= b) continue;
      block(w, (a - t0) * kFeatureAlign, std::min(w.rows, (b - t0) * kFeatureAlign), targets[i].y);
    }
  };
  size_t threads = static_cast<size_t>(num_threads());
  threads = std::min({threads, units, std::max<size_t>(1, macs / kMinMacsPerThread)});
  if (threads <= 1) {
    run_units(0, units);
    return;
  }
  // A few chunks per thread, claimed dynamically (see thread_pool.h): a thread the OS has not
  // scheduled yet does not hold the others up. Chunks start on whole tiles. Which thread computes
  // a feature does not change its value (see the contract).
  const size_t n_chunks = std::min(units, std::min(threads * kChunksPerThread, std::max<size_t>(threads, macs / kMinMacsPerThread)));
  kernel_pool().run_chunks(n_chunks, static_cast<int>(threads),
                           [&](size_t c) { run_units(units * c / n_chunks, units * (c + 1) / n_chunks); });
}

}  // namespace gemma3
