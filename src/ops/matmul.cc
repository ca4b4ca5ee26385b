// matmul(): picks the ISA kernel and splits output features across the kernel thread pool.
#include "ops/matmul.h"

#include <algorithm>

#include "ops/cpu_features.h"
#include "ops/isa_kernels.h"
#include "ops/parallel.h"
#include "ops/thread_pool.h"

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
  if (n_rows == 0 || w.rows == 0) return;
  const BlockFn fn = block_fn(active_isa());
  const size_t units = (w.rows + kFeatureAlign - 1) / kFeatureAlign;
  const size_t macs = n_rows * w.rows * w.cols;
  size_t threads = static_cast<size_t>(num_threads());
  threads = std::min({threads, units, std::max<size_t>(1, macs / kMinMacsPerThread)});
  if (threads <= 1) {
    fn(x, n_rows, w, 0, w.rows, y);
    return;
  }
  // Equal contiguous slices (static split): with n_rows = 1 each thread streams the same number of
  // weight bytes. Which thread computes a feature does not change its value (see the contract).
  // A few chunks per thread, claimed dynamically (see thread_pool.h): a thread the OS has not
  // scheduled yet does not hold the others up. Chunks start on whole tiles.
  const size_t n_chunks = std::min(units, std::min(threads * kChunksPerThread, std::max<size_t>(threads, macs / kMinMacsPerThread)));
  kernel_pool().run_chunks(n_chunks, static_cast<int>(threads), [&](size_t c) {
    const size_t begin = std::min(w.rows, units * c / n_chunks * kFeatureAlign);
    const size_t end = std::min(w.rows, units * (c + 1) / n_chunks * kFeatureAlign);
    if (begin < end) fn(x, n_rows, w, begin, end, y);
  });
}

}  // namespace gemma3
