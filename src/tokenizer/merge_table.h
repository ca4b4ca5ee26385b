// MergeTable: the BPE merge list as a hash map (left id, right id) -> (rank, merged id), built from
// the merge texts of tokenizer.json (514,906 for Gemma 3). Lookups during encode touch one 16-byte
// slot; the table is open addressing with linear probing, sized once for the known merge count.
// Not thread-safe to build; const methods may be called from any number of threads.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/vocab.h"
#include "util/result.h"

namespace gemma3 {

class MergeTable {
 public:
  struct Merge {
    uint32_t rank;
    int32_t new_id;
  };
  using MergeText = std::pair<std::string_view, std::string_view>;  // (left, right)

  // Sizes the table for `n` merges in all (load <= 1/2), so adding them never rehashes.
  void reserve(size_t n);

  // Adds merges[i] with rank first_rank + i, in order. Fails when a left part, right part or their
  // concatenation is not in `vocab`, as HF does; the message names the merge and its rank. A
  // repeated pair keeps the later rank (HF collects the merges into a HashMap). Batched: the vocab
  // lookups of 32 merges are hashed and prefetched together so their cache misses overlap.
  Status add(std::span<const MergeText> merges, uint32_t first_rank, const Vocab& vocab);

  const Merge* find(int32_t left, int32_t right) const {
    if (slots_.empty()) return nullptr;
    const uint64_t key = pair_key(left, right);
    const size_t mask = slots_.size() - 1;
    for (size_t i = slot_of(key, mask);; i = (i + 1) & mask) {
      if (slots_[i].key == key) return &slots_[i].merge;
      if (slots_[i].key == kEmpty) return nullptr;
    }
  }
  size_t size() const { return n_merges_; }

  // Calls f(left, right, merge) for every pair, in no particular order.
  template <typename F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_) {
      if (s.key != kEmpty) f(static_cast<int32_t>(s.key >> 32), static_cast<int32_t>(s.key & 0xFFFFFFFFu), s.merge);
    }
  }

 private:
  struct Slot {
    uint64_t key;  // kEmpty: a free slot
    Merge merge;
  };
  static constexpr uint64_t kEmpty = UINT64_MAX;  // no pair: ids are non-negative int32
  static uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  static size_t slot_of(uint64_t key, size_t mask) {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ULL) >> 20) & mask;
  }
  void insert(uint64_t key, Merge merge);
  void rehash(size_t n_slots);

  std::vector<Slot> slots_;  // [power of two], load <= 1/2
  size_t n_merges_ = 0;
};

}  // namespace gemma3
