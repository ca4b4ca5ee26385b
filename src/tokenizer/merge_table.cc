#include "tokenizer/merge_table.h"

#include <algorithm>
#include <array>
#include <bit>
#include <string>

namespace gemma3 {

void MergeTable::rehash(size_t n_slots) {
  std::vector<Slot> old(n_slots, Slot{kEmpty, {}});
  old.swap(slots_);
  shift_ = 64 - std::countr_zero(n_slots);
  n_merges_ = 0;
  for (const Slot& s : old) {  // in slot order, so the inserts sweep the new table
    if (s.key != kEmpty) insert(s);
  }
}

void MergeTable::reserve(size_t n) {
  const size_t per_list = n / pending_.size();
  for (auto& list : pending_) list.reserve(per_list + per_list / 8 + 16);  // the lists fill evenly
}

void MergeTable::make_room(size_t n_merges) {
  const size_t need = std::bit_ceil(std::max<size_t>(2 * n_merges, pending_.size()));
  if (slots_.size() < need) rehash(need);
}

void MergeTable::absorb(MergeTable&& other) {
  for (const Slot& s : other.slots_) {
    if (s.key != kEmpty) pending_[pair_hash(s.key) >> (64 - kListBits)].push_back(s);
  }
  n_pending_ += other.n_merges_;
  for (size_t k = 0; k < pending_.size(); ++k) {  // list by list: moved, not copied, where it can be
    for (auto* from : {&other.pending_[k], &other.absorbed_[k]}) {
      if (absorbed_[k].empty()) {
        absorbed_[k].swap(*from);
      } else {
        absorbed_[k].insert(absorbed_[k].end(), from->begin(), from->end());
      }
    }
  }
  n_pending_ += other.n_pending_;
  other = MergeTable();
}

static Status merge_error(const MergeTable::MergeText& merge, uint32_t rank, bool left_ok, bool right_ok) {
  return make_error("merge " + std::to_string(rank) + " (\"" + std::string(merge.first) + "\", \"" +
                    std::string(merge.second) + "\"): " + (!left_ok ? "left part" : !right_ok ? "right part" : "merged token") +
                    " is not in the vocab");
}

Status MergeTable::add(std::span<const MergeText> merges, uint32_t first_rank, const Vocab& vocab) {
  // A software pipeline over the merges, kDistance apart: hash merge i and prefetch its three vocab
  // slots; prefetch the text of merge i - kDistance's long pieces; look up merge i - 2 kDistance
  // and file it. Every vocab access is then issued well before it is needed, so the cache and TLB
  // misses of many merges overlap.
  constexpr size_t kDistance = 16;
  constexpr size_t kRing = 64;  // > 2 kDistance (stage 1 must not overwrite what stage 3 reads), a power of two
  struct Stage {
    std::string joined;  // left + right; reused, so no allocation after warm-up
    std::array<uint32_t, 3> hashes;  // left, right, joined
  };
  std::array<Stage, kRing> ring;
  const size_t n = merges.size();
  for (size_t i = 0; i < n + 2 * kDistance; ++i) {
    if (i < n) {
      Stage& st = ring[i % kRing];
      const MergeText& m = merges[i];
      st.joined.assign(m.first).append(m.second);
      st.hashes = {Vocab::hash(m.first), Vocab::hash(m.second), Vocab::hash(st.joined)};
      for (uint32_t h : st.hashes) vocab.prefetch_slot(h);
    }
    if (i >= kDistance && i - kDistance < n) {
      const size_t j = i - kDistance;
      const Stage& st = ring[j % kRing];
      vocab.prefetch_piece(merges[j].first, st.hashes[0]);
      vocab.prefetch_piece(merges[j].second, st.hashes[1]);
      vocab.prefetch_piece(st.joined, st.hashes[2]);
    }
    if (i >= 2 * kDistance) {
      const size_t j = i - 2 * kDistance;
      const Stage& st = ring[j % kRing];
      const MergeText& m = merges[j];
      const auto l = vocab.find(m.first, st.hashes[0]);
      const auto r = vocab.find(m.second, st.hashes[1]);
      const auto merged = vocab.find(st.joined, st.hashes[2]);
      if (!l || !r || !merged) return merge_error(m, first_rank + static_cast<uint32_t>(j), l.has_value(), r.has_value());
      const uint64_t key = pair_key(*l, *r);
      pending_[pair_hash(key) >> (64 - kListBits)].push_back(Slot{key, Merge{first_rank + static_cast<uint32_t>(j), *merged}});
      ++n_pending_;
    }
  }
  return ok_status();
}

}  // namespace gemma3
