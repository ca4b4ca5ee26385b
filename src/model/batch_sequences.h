// BatchSequences: a fixed set of B sequences that share one paged KvCache and advance together, for
// `gemma3 bench --batch B` (batched decode without the engine's scheduler). Each sequence owns a
// disjoint range of blocks in both pools, laid out the way SequenceRunner lays out its one sequence:
// full-attention blocks in order, sliding-window blocks as a ring just large enough for the window
// plus one chunk. Every step() is ONE forward pass over B one-token items, so each weight matrix is
// read once per step for all B sequences — the point of batching a memory-bound decode.
#pragma once

#include <span>
#include <vector>

#include "model/forward.h"

namespace gemma3 {

class BatchSequences {
 public:
  // n_seqs >= 1 sequences of at most `capacity` positions each; prefill runs `chunk` tokens per pass.
  BatchSequences(const Model& model, int32_t n_seqs, int32_t capacity, int32_t chunk = 512);

  int32_t n_seqs() const { return n_seqs_; }
  int32_t capacity() const { return capacity_; }
  int32_t position(int32_t seq) const { return positions_[seq]; }
  size_t kv_bytes() const { return cache_.bytes(); }

  // Appends `tokens` to sequence `seq` alone (prefill, in chunks). When logits != nullptr writes
  // the last token's logits (vocab,).
  void feed(int32_t seq, std::span<const int32_t> tokens, float* logits);

  // One decode step: tokens[i] is appended to sequence i, for i < tokens.size() <= n_seqs, all in
  // one forward pass. logits (tokens.size(), vocab) gets each sequence's next-token logits.
  void step(std::span<const int32_t> tokens, float* logits);

  // Every sequence back to position 0 (the cache is overwritten, not cleared).
  void reset();

 private:
  BatchItem item(int32_t seq, std::span<const int32_t> tokens) const;

  const Model& model_;
  int32_t n_seqs_, capacity_, chunk_;
  int32_t blocks_per_seq_;   // full-pool blocks of one sequence
  int32_t ring_per_seq_;     // sliding-pool blocks of one sequence
  KvGeometry geometry_;
  KvCache cache_;
  ForwardPass forward_;
  std::vector<int32_t> positions_;  // (n_seqs,)
  // (n_seqs, blocks_per_seq) physical block of each logical block, per pool.
  std::vector<int32_t> full_tables_, sliding_tables_;
  std::vector<BatchItem> items_;  // scratch for step()
};

}  // namespace gemma3
