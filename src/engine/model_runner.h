// ModelRunner: the one seam between the engine (scheduler, KV block manager, sampling) and the
// model's forward pass. The engine thread is the only caller; an implementation need not be
// thread-safe. Tests substitute a deterministic fake.
#pragma once

#include <cstdint>
#include <span>

#include "kv/batch.h"

namespace gemma3 {

class ModelRunner {
 public:
  virtual ~ModelRunner() = default;
  virtual int32_t vocab_size() const = 0;
  virtual KvGeometry kv_geometry() const = 0;
  // One forward pass over all items (weights read once for the whole batch). Writes, in item order,
  // one logits row per token of an item with want_all_logits (a decode token and its speculative
  // draft, verified together), else one row for an item with want_logits (its last token), into
  // logits: (n_rows, vocab).
  // Contract: each item's KV for positions < first_pos is already in the blocks its tables name;
  // the runner writes the KV of tokens[i] at position first_pos + i into block
  // table[(first_pos + i) / block_size], slot (first_pos + i) % block_size, in both pools.
  // Rows must not depend on which other items share the batch (determinism under batching).
  virtual void run(std::span<const BatchItem> items, float* logits) = 0;
};

}  // namespace gemma3
