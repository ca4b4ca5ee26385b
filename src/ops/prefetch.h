// Software prefetch for the matmul kernels that stream weights from DRAM (decode, batched decode).
#pragma once

#include <immintrin.h>

#include <cstddef>

namespace gemma3::kernels {

// Two policies, by what bounds the kernel (270m, batch-1 decode, 2 threads, alternating runs):
//
// - Widening loads (bf16, f16, f32) are bound by memory: they prefetch into L2, two tiles ahead
//   (8 weight rows of 1.3 KB per tile: ~20 KB ahead). An L1 prefetch holds one of the core's few L1
//   miss buffers until its line arrives, which caps the lines in flight; the L2 has several times
//   as many. LM head GEMV: into L1 one tile ahead 21-27 GB/s, into L2 one ahead 28-30, two ahead
//   27-32, non-temporal 21-23. Whole model: 55 → 61 tok/s.
// - Block-quantized loads (Q8_0, Q4_0) spend several instructions per byte, so they are bound by
//   the core and want their lines already in L1 when the FMAs get there: one tile ahead into L1.
//   Whole model, Q8_0: 87-97 tok/s that way vs 79-80 into L2 two ahead; Q4_0: 108-112 vs 89.
//   Without any prefetch Q8_0 falls to 42.
constexpr size_t kStreamPrefetchTiles = 2;
constexpr size_t kQuantPrefetchTiles = 1;

inline void prefetch_l2(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T1); }
inline void prefetch_l1(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0); }

}  // namespace gemma3::kernels
