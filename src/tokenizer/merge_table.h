// MergeTable: the BPE merge list as a hash map (left id, right id) -> (rank, merged id), built from
// the merge texts of tokenizer.json (514,906 for Gemma 3). Lookups during encode touch one 16-byte
// slot; the table is open addressing with linear probing, at most half full.
//
// Building is in two steps because the table (16 MB for Gemma) is far larger than what the TLB and
// caches cover: add() resolves merge texts to ids and files each pair under the top 8 bits of its
// hash (one of 256 sequential lists); build() then inserts list by list, so the inserts of a list
// all land in one 1/256th of the table. Inserting in random order instead cost a TLB and cache miss
// per merge, the largest single cost of loading the tokenizer.
// Not thread-safe to build; const methods may be called from any number of threads after build().
#pragma once

#include <array>
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

  // A hint: about `n` merges will be added in all, so the lists and the table are sized once.
  void reserve(size_t n);

  // Resolves merges[i], of rank first_rank + i, to ids and files it for build(); call in rank
  // order. Fails when a left part, right part or their concatenation is not in `vocab`, as HF does;
  // the message names the merge and its rank. Pipelined: the vocab lookups of merges a few dozen
  // apart are in flight together, so their cache misses overlap.
  Status add(std::span<const MergeText> merges, uint32_t first_rank, const Vocab& vocab);

  // Takes over what `other` added or built (merges of other ranks, e.g. resolved on another
  // thread); it is built with the next build().
  void absorb(MergeTable&& other);

  // Inserts everything added since the last build() into the table, calling visit(left, right)
  // for each of those pairs (so a caller that needs to see every pair once does not read the
  // table again); find() sees only what was built. A repeated pair keeps the higher rank, i.e.
  // the later one, as HF's HashMap collect does; so the order of adds does not matter.
  template <typename F>
  void build(F&& visit) {
    if (n_pending_ == 0) return;
    make_room(n_merges_ + n_pending_);
    // List k holds the pairs whose slots start in the k-th 1/256th of the table.
    for (size_t k = 0; k < pending_.size(); ++k) {
      for (auto* list : {&pending_[k], &absorbed_[k]}) {
        for (const Slot& s : *list) {
          insert(s);
          visit(static_cast<int32_t>(s.key >> 32), static_cast<int32_t>(s.key & 0xFFFFFFFFu));
        }
        std::vector<Slot>().swap(*list);  // built: give the memory back
      }
    }
    n_pending_ = 0;
  }
  void build() {
    build([](int32_t, int32_t) {});
  }

  const Merge* find(int32_t left, int32_t right) const {
    if (slots_.empty()) return nullptr;
    const uint64_t key = pair_key(left, right);
    const size_t mask = slots_.size() - 1;
    for (size_t i = slot_of(key);; i = (i + 1) & mask) {
      if (slots_[i].key == key) return &slots_[i].merge;
      if (slots_[i].key == kEmpty) return nullptr;
    }
  }
  size_t size() const { return n_merges_; }  // distinct pairs built

  // Calls f(left, right, merge) for every built pair, in no particular order.
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
  static constexpr int kListBits = 8;
  static uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  static uint64_t pair_hash(uint64_t key) { return key * 0x9E3779B97F4A7C15ULL; }
  // Fibonacci hashing: the top bits of the hash pick the slot, so the top kListBits pick the list
  // and the region of the table at every table size.
  size_t slot_of(uint64_t key) const { return static_cast<size_t>(pair_hash(key) >> shift_); }
  void insert(const Slot& slot) {
    const size_t mask = slots_.size() - 1;
    for (size_t i = slot_of(slot.key);; i = (i + 1) & mask) {
      if (slots_[i].key == slot.key) {  // a repeated pair: the later rank wins, as in HF's HashMap collect
        if (slot.merge.rank > slots_[i].merge.rank) slots_[i].merge = slot.merge;
        return;
      }
      if (slots_[i].key == kEmpty) {
        slots_[i] = slot;
        ++n_merges_;
        return;
      }
    }
  }
  void make_room(size_t n_merges);  // grows the table to hold n_merges at load <= 1/2
  void rehash(size_t n_slots);

  std::vector<Slot> slots_;  // [power of two >= 256], load <= 1/2
  int shift_ = 64;           // 64 - log2(slots_.size())
  size_t n_merges_ = 0;
  std::array<std::vector<Slot>, size_t{1} << kListBits> pending_;   // added, not yet built, by top hash bits
  std::array<std::vector<Slot>, size_t{1} << kListBits> absorbed_;  // the same, taken from other tables
  size_t n_pending_ = 0;
};

}  // namespace gemma3
