#include "model/batch_sequences.h"

#include <algorithm>

#include "util/check.h"

namespace gemma3 {

namespace {

constexpr int32_t kBlockSize = 16;

}  // namespace

BatchSequences::BatchSequences(const Model& model, int32_t n_seqs, int32_t capacity, int32_t chunk)
    : model_(model),
      n_seqs_(n_seqs),
      capacity_(capacity),
      chunk_(std::max(1, chunk)),
      blocks_per_seq_((capacity + kBlockSize - 1) / kBlockSize),
      // A chunk starting at a needs keys a-W+1 .. a+chunk-1 alive at once: W + chunk positions,
      // spanning at most that many / block_size + 2 blocks.
      ring_per_seq_(std::min(blocks_per_seq_, (model.config.sliding_window + chunk_) / kBlockSize + 2)),
      geometry_{kBlockSize, n_seqs * blocks_per_seq_, n_seqs * ring_per_seq_, model.config.sliding_window,
                model.config.max_position_embeddings, model.kv_dtype},
      cache_(make_kv_cache(model.config, geometry_)),
      forward_(model),
      positions_(n_seqs, 0) {
  G3_CHECK(n_seqs >= 1 && capacity >= 1);
  for (int32_t s = 0; s < n_seqs; ++s) {
    for (int32_t b = 0; b < blocks_per_seq_; ++b) {
      full_tables_.push_back(s * blocks_per_seq_ + b);
      sliding_tables_.push_back(s * ring_per_seq_ + b % ring_per_seq_);
    }
  }
}

BatchItem BatchSequences::item(int32_t seq, std::span<const int32_t> tokens) const {
  BatchItem it;
  it.seq_id = seq;
  it.tokens = tokens;
  it.first_pos = positions_[seq];
  it.full_blocks = std::span<const int32_t>(full_tables_).subspan(seq * blocks_per_seq_, blocks_per_seq_);
  it.sliding_blocks = std::span<const int32_t>(sliding_tables_).subspan(seq * blocks_per_seq_, blocks_per_seq_);
  return it;
}

void BatchSequences::feed(int32_t seq, std::span<const int32_t> tokens, float* logits) {
  G3_CHECK(seq >= 0 && seq < n_seqs_);
  G3_CHECK(positions_[seq] + static_cast<int64_t>(tokens.size()) <= capacity_);
  for (size_t start = 0; start < tokens.size(); start += chunk_) {
    const size_t n = std::min<size_t>(chunk_, tokens.size() - start);
    BatchItem it = item(seq, tokens.subspan(start, n));
    it.want_logits = logits != nullptr && start + n == tokens.size();
    forward_.run(std::span<const BatchItem>(&it, 1), cache_, logits);
    positions_[seq] += static_cast<int32_t>(n);
  }
}

void BatchSequences::step(std::span<const int32_t> tokens, float* logits) {
  G3_CHECK(!tokens.empty() && tokens.size() <= static_cast<size_t>(n_seqs_));
  items_.clear();
  for (size_t s = 0; s < tokens.size(); ++s) {
    G3_CHECK(positions_[s] < capacity_);
    items_.push_back(item(static_cast<int32_t>(s), tokens.subspan(s, 1)));
    items_.back().want_logits = logits != nullptr;
  }
  forward_.run(items_, cache_, logits);
  for (size_t s = 0; s < tokens.size(); ++s) ++positions_[s];
}

void BatchSequences::reset() { std::fill(positions_.begin(), positions_.end(), 0); }

}  // namespace gemma3
