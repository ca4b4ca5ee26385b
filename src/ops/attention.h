// Fused causal attention over a paged KV cache (flash-attention style): one pass over the keys with
// an online softmax, no scores buffer. K/V rows are read block by block through the block table
// (the slots of a block are contiguous, so there is no table lookup per key), in f32 or bf16
// (widened in registers). All query heads that share a KV head are processed together, and several
// consecutive query tokens of a sequence per task, so every K/V row loaded serves many queries.
//
// Numerics: s = (q·k)·scale, optionally s = tanh(s / softcap)·softcap, softmax over the visible
// keys, out = Σ softmax(s)_j · v_j, all in f32. The keys are cut into segments of whole blocks
// (~512 positions) at fixed positions; within a segment a query's keys are visited in fixed chunks
// of kAttentionChunk positions aligned to the position (never crossing a block), its running
// max / sum / output updated only from its own visible keys; the segments' states are then merged
// in position order. So each output row is a function of its own (token, head) inputs alone:
// bit-identical whatever else is in the batch, how the tokens are grouped into tasks, whether a
// decode's segments run on one thread or several, and how many threads run (for one ISA; the ISAs
// differ by rounding). Each vectorised kernel has a scalar twin (GEMMA3_ISA=scalar), the oracle.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "ops/dtype.h"

namespace gemma3 {

// Key positions per online-softmax step (a chunk never crosses a block boundary).
inline constexpr int32_t kAttentionChunk = 16;

// One layer's K and V storage: slot s of physical block b is the row at element offset
// (b * block_size + s) * row_stride; a row holds every KV head (n_kv_heads * head_dim elements).
struct PagedKvLayer {
  const void* keys = nullptr;
  const void* values = nullptr;
  DType dtype = DType::kF32;  // kF32 or kBF16
  int32_t block_size = 16;
  int32_t n_blocks = 0;       // physical blocks (block table entries are checked against it)
  size_t row_stride = 0;      // elements per slot
};

struct AttentionParams {
  int32_t n_heads = 0;      // query heads; head h reads KV head h / (n_heads / n_kv_heads)
  int32_t n_kv_heads = 0;
  int32_t head_dim = 0;
  float scale = 1.0f;       // multiplies q·k
  float softcap = 0.0f;     // > 0: attention logit soft-capping
  int32_t window = 0;       // > 0: a query at p sees keys p-window+1 .. p; 0: keys 0 .. p
};

// n consecutive query tokens of one sequence, at positions first_pos .. first_pos + n - 1; their
// K/V (and every earlier visible position's) must already be in the cache.
struct AttentionRun {
  const float* q = nullptr;  // (n, n_heads * head_dim)
  float* out = nullptr;      // (n, n_heads * head_dim)
  int32_t first_pos = 0;
  int32_t n = 0;
  std::span<const int32_t> blocks;  // physical block per logical block (pos / block_size)
};

// Computes every run's output, split over the kernel thread pool (ops/thread_pool.h). Block table
// entries the queries need must be valid (checked: a bad table aborts rather than reading wild
// memory).
void paged_attention(const AttentionParams& params, const PagedKvLayer& kv, std::span<const AttentionRun> runs);

// Stores n f32 values as a KV row of `dtype` (kF32: copy; kBF16: round to nearest even).
void store_kv_row(const float* src, size_t n, DType dtype, void* dst);

}  // namespace gemma3
