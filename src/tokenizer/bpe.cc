#include "tokenizer/bpe.h"

#include <algorithm>
#include <array>
#include <bit>
#include <string>
#include <unordered_map>

#include "tokenizer/utf8.h"

namespace gemma3 {

namespace {

// One symbol of the word being merged. Symbols form a doubly linked list over a vector so a merge
// is O(1); a symbol merged into its left neighbour keeps its slot with len == 0.
struct Symbol {
  int32_t id;
  int32_t prev;  // -1 at the start
  int32_t next;  // -1 at the end
  uint32_t len;  // bytes of text covered; 0 once merged away
};

// A merge that was possible when it was queued: (symbol at `pos`, its next) -> new_id.
struct Candidate {
  uint32_t rank;
  int32_t pos;
  int32_t new_id;
};

// Heap order: the top is the lowest rank, then the lowest position (HF's tie-break).
struct LaterCandidate {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
  }
};

std::string byte_piece(int b) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  return std::string{'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
}

}  // namespace

BpeModel::BpeModel(const Vocab* vocab, Options options) : vocab_(vocab), options_(options) {
  for (int c = 0; c < 128; ++c) {
    const char ch = static_cast<char>(c);
    ascii_ids_[c] = vocab_->find(std::string_view(&ch, 1)).value_or(-1);
  }
  for (int b = 0; b < 256; ++b) byte_ids_[b] = vocab_->find(byte_piece(b)).value_or(-1);
}

void BpeModel::rehash(size_t n_slots) {
  std::vector<PairSlot> old(n_slots, PairSlot{kEmpty, {}});
  old.swap(pairs_);
  for (const PairSlot& s : old) {
    if (s.key != kEmpty) insert_merge(s.key, s.merge);
  }
}

void BpeModel::reserve_merges(size_t n) {
  if (pairs_.size() < 2 * n) rehash(std::bit_ceil(std::max<size_t>(2 * n, 16)));
}

static inline size_t pair_hash(uint64_t key, size_t mask) {
  return static_cast<size_t>((key * 0x9E3779B97F4A7C15ULL) >> 20) & mask;
}

void BpeModel::insert_merge(uint64_t key, Merge merge) {
  const size_t mask = pairs_.size() - 1;
  for (size_t i = pair_hash(key, mask);; i = (i + 1) & mask) {
    if (pairs_[i].key == key) {
      pairs_[i].merge = merge;  // a repeated pair: the later rank wins, as in HF's HashMap collect
      return;
    }
    if (pairs_[i].key == kEmpty) {
      pairs_[i] = PairSlot{key, merge};
      ++n_merges_;
      return;
    }
  }
}

const BpeModel::Merge* BpeModel::find_merge(int32_t left, int32_t right) const {
  if (pairs_.empty()) return nullptr;
  const uint64_t key = pair_key(left, right);
  const size_t mask = pairs_.size() - 1;
  for (size_t i = pair_hash(key, mask);; i = (i + 1) & mask) {
    if (pairs_[i].key == key) return &pairs_[i].merge;
    if (pairs_[i].key == kEmpty) return nullptr;
  }
}

Status BpeModel::merge_error(const MergeText& merge, uint32_t rank, bool left_ok, bool right_ok) const {
  return make_error("merge " + std::to_string(rank) + " (\"" + std::string(merge.first) + "\", \"" +
                    std::string(merge.second) + "\"): " + (!left_ok ? "left part" : !right_ok ? "right part" : "merged token") +
                    " is not in the vocab");
}

void BpeModel::note_word_start_join(std::string_view left, std::string_view right) {
  const std::string& ws = options_.word_start;
  if (ws.empty() || right.substr(0, ws.size()) != ws) return;
  // Remember the last character of `left`: a cut after it is never safe.
  size_t begin = left.size() - 1;
  while (begin > 0 && (static_cast<unsigned char>(left[begin]) & 0xC0) == 0x80) --begin;
  const std::string_view last = left.substr(begin);
  if (std::find(joins_word_start_.begin(), joins_word_start_.end(), last) == joins_word_start_.end()) {
    joins_word_start_.emplace_back(last);
  }
}

Status BpeModel::add_merge(std::string_view left, std::string_view right, uint32_t rank) {
  const MergeText merge{left, right};
  return add_merges(std::span<const MergeText>(&merge, 1), rank);
}

Status BpeModel::add_merges(std::span<const MergeText> merges, uint32_t first_rank) {
  if (2 * (n_merges_ + merges.size()) > pairs_.size()) reserve_merges(n_merges_ + merges.size());
  constexpr size_t kBatch = 32;
  std::array<std::string, kBatch> joined;
  std::array<std::array<uint32_t, 3>, kBatch> hashes;  // left, right, joined
  std::array<uint64_t, kBatch> keys;
  std::array<int32_t, kBatch> new_ids;
  for (size_t base = 0; base < merges.size(); base += kBatch) {
    const size_t n = std::min(kBatch, merges.size() - base);
    for (size_t i = 0; i < n; ++i) {  // 1. hash, prefetch the slots
      const MergeText& m = merges[base + i];
      joined[i].assign(m.first).append(m.second);
      hashes[i] = {Vocab::hash(m.first), Vocab::hash(m.second), Vocab::hash(joined[i])};
      for (uint32_t h : hashes[i]) vocab_->prefetch_slot(h);
    }
    for (size_t i = 0; i < n; ++i) {  // 2. prefetch the piece text the slots point at
      for (uint32_t h : hashes[i]) vocab_->prefetch_piece(h);
    }
    for (size_t i = 0; i < n; ++i) {  // 3. look up, prefetch the pair slot
      const MergeText& m = merges[base + i];
      const auto l = vocab_->find(m.first, hashes[i][0]);
      const auto r = vocab_->find(m.second, hashes[i][1]);
      const auto merged = vocab_->find(joined[i], hashes[i][2]);
      if (!l || !r || !merged) return merge_error(m, first_rank + static_cast<uint32_t>(base + i), l.has_value(), r.has_value());
      keys[i] = pair_key(*l, *r);
      new_ids[i] = *merged;
      __builtin_prefetch(&pairs_[pair_hash(keys[i], pairs_.size() - 1)]);
    }
    for (size_t i = 0; i < n; ++i) {  // 4. insert
      insert_merge(keys[i], Merge{first_rank + static_cast<uint32_t>(base + i), new_ids[i]});
      note_word_start_join(merges[base + i].first, merges[base + i].second);
    }
  }
  return ok_status();
}

bool BpeModel::can_cut_before(std::string_view text, size_t pos) const {
  // The character ending at pos must be a one-character vocab token (not byte fallback or <unk>,
  // whose token strings end in '>') and must not end the left side of a merge with word_start.
  size_t begin = pos - 1;
  while (begin > 0 && pos - begin < 4 && (static_cast<unsigned char>(text[begin]) & 0xC0) == 0x80) --begin;
  if (utf8::valid_char_len(text, begin) != pos - begin) return false;
  const std::string_view last = text.substr(begin, pos - begin);
  if (std::find(joins_word_start_.begin(), joins_word_start_.end(), last) != joins_word_start_.end()) return false;
  const auto lead = static_cast<unsigned char>(last[0]);
  return lead < 0x80 ? ascii_ids_[lead] >= 0 : vocab_->find(last).has_value();
}

void BpeModel::encode(std::string_view text, std::vector<int32_t>& out) const {
  const std::string& ws = options_.word_start;
  if (ws.empty() || !vocab_->find(ws)) {
    encode_whole(text, out);
    return;
  }
  // Chunks already merged in this call: text -> (offset in out, count). Short chunks only.
  constexpr size_t kMaxCachedChunk = 128;
  std::unordered_map<std::string_view, std::pair<size_t, size_t>> seen;
  auto encode_chunk = [&](std::string_view chunk) {
    if (chunk.size() > kMaxCachedChunk) {
      encode_whole(chunk, out);
      return;
    }
    if (auto it = seen.find(chunk); it != seen.end()) {
      const auto [offset, count] = it->second;
      for (size_t i = 0; i < count; ++i) {
        const int32_t id = out[offset + i];  // copied first: push_back may reallocate `out`
        out.push_back(id);
      }
      return;
    }
    const size_t offset = out.size();
    encode_whole(chunk, out);
    seen.emplace(chunk, std::make_pair(offset, out.size() - offset));
  };
  size_t chunk_begin = 0;
  for (size_t pos = text.find(ws, 1); pos != std::string_view::npos; pos = text.find(ws, pos + ws.size())) {
    if (can_cut_before(text, pos)) {
      encode_chunk(text.substr(chunk_begin, pos - chunk_begin));
      chunk_begin = pos;
    }
  }
  encode_chunk(text.substr(chunk_begin));
}

void BpeModel::encode_whole(std::string_view text, std::vector<int32_t>& out) const {
  if (text.empty()) return;
  std::vector<Symbol> symbols;  // [<= text.size()]
  symbols.reserve(text.size());
  auto push = [&](int32_t id, uint32_t len) {
    const auto i = static_cast<int32_t>(symbols.size());
    symbols.push_back(Symbol{id, i - 1, i + 1, len});
  };

  // 1. Characters -> symbols (byte fallback, then <unk>).
  uint32_t unk_len = 0;  // > 0 while an <unk> is being accumulated
  auto flush_unk = [&] {
    if (unk_len > 0) push(*options_.unk_id, unk_len);
    unk_len = 0;
  };
  for (size_t pos = 0; pos < text.size();) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    size_t len = 1;
    int32_t id = -1;
    if (lead < 0x80) {
      id = ascii_ids_[lead];
    } else {
      len = std::max<size_t>(1, utf8::valid_char_len(text, pos));
      id = vocab_->find(text.substr(pos, len)).value_or(-1);
    }
    if (id >= 0) {
      flush_unk();
      push(id, static_cast<uint32_t>(len));
    } else if (options_.byte_fallback &&
               std::all_of(text.begin() + pos, text.begin() + pos + len,
                           [&](char b) { return byte_ids_[static_cast<unsigned char>(b)] >= 0; })) {
      flush_unk();
      for (size_t i = pos; i < pos + len; ++i) push(byte_ids_[static_cast<unsigned char>(text[i])], 1);
    } else if (options_.unk_id) {
      if (!options_.fuse_unk) flush_unk();
      unk_len += static_cast<uint32_t>(len);
    }  // else: HF drops a character it cannot represent at all
    pos += len;
  }
  flush_unk();
  if (symbols.empty()) return;
  symbols.back().next = -1;

  // 2. Merge, lowest rank first, leftmost on ties. A queued candidate is stale when its symbol was
  // merged away or its pair changed; since a symbol only grows to the right, "the current pair
  // still merges into new_id" is exactly "the pair is unchanged".
  std::vector<Candidate> heap;
  heap.reserve(symbols.size());
  for (size_t i = 0; i + 1 < symbols.size(); ++i) {
    if (const Merge* m = find_merge(symbols[i].id, symbols[i + 1].id)) {
      heap.push_back(Candidate{m->rank, static_cast<int32_t>(i), m->new_id});
    }
  }
  std::make_heap(heap.begin(), heap.end(), LaterCandidate{});
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), LaterCandidate{});
    const Candidate top = heap.back();
    heap.pop_back();
    Symbol& sym = symbols[top.pos];
    if (sym.len == 0 || sym.next < 0) continue;
    Symbol& right = symbols[sym.next];
    const Merge* now = find_merge(sym.id, right.id);
    if (now == nullptr || now->new_id != top.new_id) continue;

    sym.id = top.new_id;
    sym.len += right.len;
    sym.next = right.next;
    right.len = 0;
    if (sym.next >= 0) symbols[sym.next].prev = top.pos;
    if (sym.prev >= 0) {
      if (const Merge* m = find_merge(symbols[sym.prev].id, sym.id)) {
        heap.push_back(Candidate{m->rank, sym.prev, m->new_id});
        std::push_heap(heap.begin(), heap.end(), LaterCandidate{});
      }
    }
    if (sym.next >= 0) {
      if (const Merge* m = find_merge(sym.id, symbols[sym.next].id)) {
        heap.push_back(Candidate{m->rank, top.pos, m->new_id});
        std::push_heap(heap.begin(), heap.end(), LaterCandidate{});
      }
    }
  }
  for (int32_t i = 0; i >= 0; i = symbols[i].next) out.push_back(symbols[i].id);
}

}  // namespace gemma3
