#include "tokenizer/merge_table.h"

#include <algorithm>
#include <array>
#include <bit>
#include <string>

namespace gemma3 {

void MergeTable::rehash(size_t n_slots) {
  std::vector<Slot> old(n_slots, Slot{kEmpty, {}});
  old.swap(slots_);
  n_merges_ = 0;
  for (const Slot& s : old) {
    if (s.key != kEmpty) insert(s.key, s.merge);
  }
}

void MergeTable::reserve(size_t n) {
  if (slots_.size() < 2 * n) rehash(std::bit_ceil(std::max<size_t>(2 * n, 16)));
}

void MergeTable::insert(uint64_t key, Merge merge) {
  const size_t mask = slots_.size() - 1;
  for (size_t i = slot_of(key, mask);; i = (i + 1) & mask) {
    if (slots_[i].key == key) {
      slots_[i].merge = merge;  // a repeated pair: the later rank wins, as in HF's HashMap collect
      return;
    }
    if (slots_[i].key == kEmpty) {
      slots_[i] = Slot{key, merge};
      ++n_merges_;
      return;
    }
  }
}

static Status merge_error(const MergeTable::MergeText& merge, uint32_t rank, bool left_ok, bool right_ok) {
  return make_error("merge " + std::to_string(rank) + " (\"" + std::string(merge.first) + "\", \"" +
                    std::string(merge.second) + "\"): " + (!left_ok ? "left part" : !right_ok ? "right part" : "merged token") +
                    " is not in the vocab");
}

Status MergeTable::add(std::span<const MergeText> merges, uint32_t first_rank, const Vocab& vocab) {
  if (2 * (n_merges_ + merges.size()) > slots_.size()) reserve(std::max(n_merges_ + merges.size(), 2 * n_merges_));
  constexpr size_t kBatch = 32;
  std::array<std::string, kBatch> joined;  // left + right; reused, so no allocation after warm-up
  std::array<std::array<uint32_t, 3>, kBatch> hashes;  // left, right, joined
  std::array<uint64_t, kBatch> keys;
  std::array<int32_t, kBatch> new_ids;
  const size_t mask = slots_.size() - 1;
  for (size_t base = 0; base < merges.size(); base += kBatch) {
    const size_t n = std::min(kBatch, merges.size() - base);
    for (size_t i = 0; i < n; ++i) {  // 1. hash, prefetch the vocab slots
      const MergeText& m = merges[base + i];
      joined[i].assign(m.first).append(m.second);
      hashes[i] = {Vocab::hash(m.first), Vocab::hash(m.second), Vocab::hash(joined[i])};
      for (uint32_t h : hashes[i]) vocab.prefetch_slot(h);
    }
    for (size_t i = 0; i < n; ++i) {  // 2. prefetch the piece text the slots point at
      for (uint32_t h : hashes[i]) vocab.prefetch_piece(h);
    }
    for (size_t i = 0; i < n; ++i) {  // 3. look up, prefetch the pair slot
      const MergeText& m = merges[base + i];
      const auto l = vocab.find(m.first, hashes[i][0]);
      const auto r = vocab.find(m.second, hashes[i][1]);
      const auto merged = vocab.find(joined[i], hashes[i][2]);
      if (!l || !r || !merged) {
        return merge_error(m, first_rank + static_cast<uint32_t>(base + i), l.has_value(), r.has_value());
      }
      keys[i] = pair_key(*l, *r);
      new_ids[i] = *merged;
      __builtin_prefetch(&slots_[slot_of(keys[i], mask)]);
    }
    for (size_t i = 0; i < n; ++i) {  // 4. insert
      insert(keys[i], Merge{first_rank + static_cast<uint32_t>(base + i), new_ids[i]});
    }
  }
  return ok_status();
}

}  // namespace gemma3
