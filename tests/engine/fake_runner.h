// FakeRunner: a deterministic stand-in for the model that also audits the paged KV cache.
//
// "KV" here is, per (pool, block, slot), the position, the token and a hash of the whole token
// history up to it (like real KV, which depends on every earlier token). Before an item's tokens
// are processed, every position a query will read must hold the right entry: all earlier
// positions in the full pool (checked as one unbroken hash chain), the last W in the sliding pool
// (identical to the full pool's). So paging, sliding release, prefix sharing and preemption are
// proven not to corrupt KV: a wrong block table shows up as an error here.
// Logits of a token are a pure function of the history hash, so outputs are reproducible alone,
// batched, recomputed after preemption, or verified as part of a speculative draft. Thread-safe introspection for tests.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "engine/model_runner.h"

namespace gemma3::testing {

struct ItemLog {
  int64_t seq_id;
  int32_t first_pos, n_tokens;
  bool want_logits;
  bool want_all_logits;
};

class FakeRunner : public ModelRunner {
 public:
  static constexpr uint64_t kRoot = 0x243f6a8885a308d3ULL;

  // `favoured`: when not empty, only these ids get high logits (so generated text is readable).
  FakeRunner(KvGeometry geometry, int32_t vocab, std::vector<int32_t> favoured = {})
      : geometry_(geometry), vocab_(vocab), favoured_(std::move(favoured)),
        full_(static_cast<size_t>(geometry.n_full_blocks) * geometry.block_size),
        sliding_(static_cast<size_t>(geometry.n_sliding_blocks) * geometry.block_size) {}

  int32_t vocab_size() const override { return vocab_; }
  KvGeometry kv_geometry() const override { return geometry_; }

  static uint64_t mix(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }
  static uint64_t extend(uint64_t h, int32_t token) { return mix(h ^ (0x9e3779b97f4a7c15ULL * (static_cast<uint64_t>(token) + 1))); }
  static uint64_t history_hash(std::span<const int32_t> tokens) {
    uint64_t h = kRoot;
    for (int32_t t : tokens) h = extend(h, t);
    return h;
  }
  // The logits row after a history whose hash is h.
  void logits_for(uint64_t h, float* row) const {
    if (favoured_.empty()) {
      for (int32_t v = 0; v < vocab_; ++v) row[v] = static_cast<float>(mix(h + static_cast<uint64_t>(v)) >> 40) * (8.0f / 16777216.0f) - 4.0f;
      return;
    }
    for (int32_t v = 0; v < vocab_; ++v) row[v] = -20.0f;
    for (size_t i = 0; i < favoured_.size(); ++i) {
      row[favoured_[i]] = static_cast<float>(mix(h + i) >> 40) * (4.0f / 16777216.0f);
    }
  }

  void run(std::span<const BatchItem> items, float* logits) override {
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<ItemLog> step;
    int32_t row = 0;
    const int32_t w = geometry_.sliding_window;
    for (const BatchItem& it : items) {
      step.push_back({it.seq_id, it.first_pos, static_cast<int32_t>(it.tokens.size()), it.want_logits, it.want_all_logits});
      if (it.tokens.empty()) fail(it, "empty item");
      // Every earlier position: an unbroken chain in the full pool.
      uint64_t h = kRoot;
      for (int32_t q = 0; q < it.first_pos; ++q) {
        const Entry* e = at(full_, it.full_blocks, q);
        if (!e || e->pos != q || e->hash != extend(h, e->token)) {
          fail(it, "full pool position " + std::to_string(q) + " missing or corrupt");
          break;
        }
        h = e->hash;
      }
      // The last W positions: present in the sliding pool and equal to the full pool's.
      for (int32_t q = std::max(0, it.first_pos - w + 1); q < it.first_pos; ++q) {
        const Entry* s = at(sliding_, it.sliding_blocks, q);
        const Entry* f = at(full_, it.full_blocks, q);
        if (!s || !f || s->pos != q || s->hash != f->hash) {
          fail(it, "sliding pool position " + std::to_string(q) + " missing or corrupt");
          break;
        }
      }
      for (size_t i = 0; i < it.tokens.size(); ++i) {
        const int32_t p = it.first_pos + static_cast<int32_t>(i);
        h = extend(h, it.tokens[i]);
        Entry* f = at(full_, it.full_blocks, p);
        Entry* s = at(sliding_, it.sliding_blocks, p);
        if (!f || !s || p >= geometry_.max_context) {
          fail(it, "no block for position " + std::to_string(p));
          continue;
        }
        *f = Entry{p, it.tokens[i], h};
        *s = *f;
        ++tokens_processed_;
        const bool last = i + 1 == it.tokens.size();
        if (it.want_all_logits || (it.want_logits && last)) {
          float* out = logits + static_cast<size_t>(row++) * vocab_;
          logits_for(h, out);
          // Copying model: favour the token that followed the position copy_lag_ back.
          if (copy_lag_ > 0 && p + 1 - copy_lag_ >= 0) {
            const Entry* src = at(full_, it.full_blocks, p + 1 - copy_lag_);
            if (src) out[src->token] += copy_boost_;
          }
        }
      }
    }
    steps_.push_back(std::move(step));
  }

  void set_delay(std::chrono::microseconds d) { delay_ = d; }
  // Makes the model copy its context: the logits after position p add `boost` to the token at
  // position p + 1 - lag, so greedy output soon loops with period `lag` (text that repeats itself,
  // what speculative drafting predicts). A boost near the logits' spread gives near ties.
  void set_copy(int32_t lag, float boost) { copy_lag_ = lag; copy_boost_ = boost; }
  std::vector<std::vector<ItemLog>> steps() const { std::lock_guard<std::mutex> l(mu_); return steps_; }
  std::vector<std::string> errors() const { std::lock_guard<std::mutex> l(mu_); return errors_; }
  int64_t tokens_processed() const { std::lock_guard<std::mutex> l(mu_); return tokens_processed_; }

 private:
  struct Entry {
    int32_t pos = -1;
    int32_t token = 0;
    uint64_t hash = 0;
  };
  Entry* at(std::vector<Entry>& pool, std::span<const int32_t> table, int32_t pos) {
    const int32_t lb = pos / geometry_.block_size;
    if (lb >= static_cast<int32_t>(table.size())) return nullptr;
    const int32_t b = table[static_cast<size_t>(lb)];
    if (b < 0) return nullptr;
    const size_t idx = static_cast<size_t>(b) * geometry_.block_size + pos % geometry_.block_size;
    return idx < pool.size() ? &pool[idx] : nullptr;
  }
  void fail(const BatchItem& it, const std::string& what) {
    if (errors_.size() < 20) errors_.push_back("seq " + std::to_string(it.seq_id) + " at first_pos " + std::to_string(it.first_pos) + ": " + what);
  }

  KvGeometry geometry_;
  int32_t vocab_;
  std::vector<int32_t> favoured_;
  std::chrono::microseconds delay_{0};
  int32_t copy_lag_ = 0;
  float copy_boost_ = 0.0f;
  mutable std::mutex mu_;
  std::vector<Entry> full_, sliding_;   // (n_blocks * block_size,) per pool
  std::vector<std::vector<ItemLog>> steps_;
  std::vector<std::string> errors_;
  int64_t tokens_processed_ = 0;
};

}  // namespace gemma3::testing
