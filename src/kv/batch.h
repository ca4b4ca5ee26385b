// The contract between the scheduler and the model: a step's batch is a list of BatchItems, each a
// run of consecutive tokens of one sequence plus that sequence's block tables. Block tables are the
// only way the model finds a sequence's KV: position p lives in block table[p / block_size], slot
// p % block_size. Nothing else about sequences crosses this line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace gemma3 {

// Element type of the stored K/V rows. f32 by default: bf16 halves the cache's memory and read
// traffic but moves synthetic checkpoints' logits past the reference tolerance (docs in kv_cache.h).
enum class KvDtype { kF32 = 0, kBf16 = 1 };

inline size_t kv_dtype_bytes(KvDtype dtype) { return dtype == KvDtype::kBf16 ? 2 : 4; }
inline const char* kv_dtype_name(KvDtype dtype) { return dtype == KvDtype::kBf16 ? "bf16" : "f32"; }

// Shape of the paged KV cache. Two pools, like the model has two kinds of layers: full-attention
// layers keep every position; sliding-window layers only ever read the last `sliding_window`
// positions, so their blocks can go back to the pool once they fall out of the window.
struct KvGeometry {
  int32_t block_size = 16;        // positions per block
  int32_t n_full_blocks = 0;      // blocks in the full-attention pool (0 when the model has no full layers)
  int32_t n_sliding_blocks = 0;   // blocks in the sliding-window pool (0 when no sliding layers)
  int32_t sliding_window = 0;     // W: a query at p sees keys p-W+1 .. p on sliding layers
  int32_t max_context = 0;        // max_position_embeddings
  KvDtype kv_dtype = KvDtype::kF32;
};

struct BatchItem {
  int64_t seq_id = 0;
  std::span<const int32_t> tokens;          // (n,) tokens to process this step
  int32_t first_pos = 0;                    // position of tokens[0]; earlier positions are in the cache
  std::span<const int32_t> full_blocks;     // physical block per logical block (pos / block_size), full pool
  std::span<const int32_t> sliding_blocks;  // same for the sliding pool; -1 where a block fell out of the window
  bool want_logits = false;                 // logits of the item's last token are needed (sampling)
  bool want_all_logits = false;             // logits of every token of the item (perplexity, tests)
};

}  // namespace gemma3
