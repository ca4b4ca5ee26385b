// SequenceRunner: one sequence through the forward pass, for the command-line tools (generate,
// chat, perplexity, bench, logits). The server uses the batching engine instead; both drive the
// same ForwardPass and paged KvCache. Here the block tables are fixed: full-attention layers get
// blocks 0, 1, 2, ... in order; sliding layers reuse a ring of blocks just large enough for the
// window plus one chunk, since positions older than the window are never read again.
#pragma once

#include <span>
#include <vector>

#include "model/forward.h"

namespace gemma3 {

class SequenceRunner {
 public:
  // capacity: the most positions this sequence will reach; chunk: tokens per forward pass.
  SequenceRunner(const Model& model, int32_t capacity, int32_t chunk = 512);

  // Appends `tokens` at the current end. When logits != nullptr, writes the last token's logits
  // (vocab,) — or, with all_logits, every token's (n, vocab).
  void feed(std::span<const int32_t> tokens, float* logits, bool all_logits = false);

  void reset() { position_ = 0; }
  // Moves the end back to `position` (<= position()): positions from there on are written again by
  // the next feed. Speculative decoding drops its rejected draft tokens this way.
  void rewind(int32_t position);
  int32_t position() const { return position_; }
  int32_t capacity() const { return capacity_; }
  size_t kv_bytes() const { return cache_.bytes(); }

 private:
  const Model& model_;
  int32_t capacity_, chunk_;
  int32_t position_ = 0;
  KvGeometry geometry_;
  KvCache cache_;
  ForwardPass forward_;
  std::vector<int32_t> full_table_;     // (capacity / block_size,) identity
  std::vector<int32_t> sliding_table_;  // (capacity / block_size,) logical block -> ring slot
};

}  // namespace gemma3
