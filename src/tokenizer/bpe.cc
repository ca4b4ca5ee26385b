#include "tokenizer/bpe.h"

#include <algorithm>
#include <array>
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

BpeModel::BpeModel(const Vocab* vocab, MergeTable merges, Options options)
    : vocab_(vocab), options_(std::move(options)), merges_(std::move(merges)) {
  for (int c = 0; c < 128; ++c) {
    const char ch = static_cast<char>(c);
    ascii_ids_[c] = vocab_->find(std::string_view(&ch, 1)).value_or(-1);
  }
  for (int b = 0; b < 256; ++b) byte_ids_[b] = vocab_->find(byte_piece(b)).value_or(-1);

  // The last characters of merge lefts whose right starts with word_start: a cut after one of them
  // is never safe (Gemma: only '>' and '▁'). Collected while the merge table is built.
  const std::string& ws = options_.word_start;
  std::vector<bool> starts_with_ws(ws.empty() ? 0 : static_cast<size_t>(vocab_->id_limit()));
  for (size_t id = 0; id < starts_with_ws.size(); ++id) {
    starts_with_ws[id] = vocab_->piece(static_cast<int32_t>(id)).starts_with(ws);
  }
  const auto note = [&](int32_t left, int32_t right) {
    if (ws.empty() || !starts_with_ws[right]) return;
    const std::string_view piece = vocab_->piece(left);
    if (piece.empty()) return;
    size_t begin = piece.size() - 1;
    while (begin > 0 && (static_cast<unsigned char>(piece[begin]) & 0xC0) == 0x80) --begin;
    const std::string_view last = piece.substr(begin);
    if (std::find(joins_word_start_.begin(), joins_word_start_.end(), last) == joins_word_start_.end()) {
      joins_word_start_.emplace_back(last);
    }
  };
  if (!ws.empty()) merges_.for_each([&](int32_t left, int32_t right, const Merge&) { note(left, right); });  // built before
  merges_.build(note);
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
