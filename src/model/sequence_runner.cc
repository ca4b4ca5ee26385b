#include "model/sequence_runner.h"

#include <algorithm>

#include "util/check.h"

namespace gemma3 {

namespace {

constexpr int32_t kBlockSize = 16;

KvGeometry single_sequence_geometry(const Model& model, int32_t capacity, int32_t chunk) {
  const ModelConfig& c = model.config;
  KvGeometry g;
  g.kv_dtype = model.kv_dtype;
  g.block_size = kBlockSize;
  const int32_t n_blocks = (capacity + kBlockSize - 1) / kBlockSize;
  g.n_full_blocks = n_blocks;
  // A chunk starting at a needs keys a-W+1 .. a+chunk-1 alive at once: W + chunk positions,
  // spanning at most that many / block_size + 2 blocks.
  g.n_sliding_blocks = std::min(n_blocks, (c.sliding_window + chunk) / kBlockSize + 2);
  g.sliding_window = c.sliding_window;
  g.max_context = c.max_position_embeddings;
  return g;
}

}  // namespace

SequenceRunner::SequenceRunner(const Model& model, int32_t capacity, int32_t chunk)
    : model_(model),
      capacity_(capacity),
      chunk_(std::max(1, chunk)),
      geometry_(single_sequence_geometry(model, capacity, std::max(1, chunk))),
      cache_(make_kv_cache(model.config, geometry_)),
      forward_(model) {
  const int32_t n_blocks = (capacity + kBlockSize - 1) / kBlockSize;
  for (int32_t b = 0; b < n_blocks; ++b) {
    full_table_.push_back(b);
    sliding_table_.push_back(b % geometry_.n_sliding_blocks);
  }
}

void SequenceRunner::feed(std::span<const int32_t> tokens, float* logits, bool all_logits) {
  G3_CHECK(position_ + static_cast<int64_t>(tokens.size()) <= capacity_);
  const size_t vocab = model_.config.vocab_size;
  for (size_t start = 0; start < tokens.size(); start += chunk_) {
    const size_t n = std::min<size_t>(chunk_, tokens.size() - start);
    const bool last_chunk = start + n == tokens.size();
    BatchItem item;
    item.tokens = tokens.subspan(start, n);
    item.first_pos = position_;
    item.full_blocks = full_table_;
    item.sliding_blocks = sliding_table_;
    item.want_all_logits = logits != nullptr && all_logits;
    item.want_logits = logits != nullptr && !all_logits && last_chunk;
    float* out = item.want_all_logits ? logits + start * vocab : logits;
    forward_.run(std::span<const BatchItem>(&item, 1), cache_, out);
    position_ += static_cast<int32_t>(n);
  }
}

void SequenceRunner::rewind(int32_t position) {
  G3_CHECK(position >= 0 && position <= position_);
  position_ = position;
}

}  // namespace gemma3
