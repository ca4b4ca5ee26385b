// matmul(): picks the ISA kernel and splits output features across the kernel thread pool.
#include "ops/matmul.h"

#include <algorithm>

#include "ops/cpu_features.h"
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
// DRAM) the fork/join (~3.3 µs measured here: cross-core round trips are ~0.5-1 µs) costs more
// than the second thread saves.
constexpr size_t kMinMacsPerThread = size_t{1} << 16;
constexpr size_t kChunksPerThread = 8;

}  // namespace

void matmul(const float* x, size_t n_rows, const WeightView& w, float* y) {
  const MatmulTarget target{w, y};
  matmul_many(x, n_rows, std::span<const MatmulTarget>(&target, 1));
}

void matmul_many(const float* x, size_t n_rows, std::span<const MatmulTarget> targets) {
  if (n_rows == 0 || targets.empty()) return;
  const BlockFn fn = block_fn(active_isa());
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
      fn(x, n_rows, w, (a - t0) * kFeatureAlign, std::min(w.rows, (b - t0) * kFeatureAlign), targets[i].y);
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
