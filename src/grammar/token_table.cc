#include "grammar/token_table.h"

#include <algorithm>
#include <numeric>

#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace gemma3::grammar {

TokenTrie TokenTrie::build(const std::vector<int32_t>& sorted_ids, const std::vector<std::string>& bytes_of) {
  TokenTrie t;
  std::vector<uint32_t> open;   // node index of the open path, one per depth
  const std::string* prev = nullptr;
  for (int32_t id : sorted_ids) {
    const std::string& s = bytes_of[static_cast<size_t>(id)];
    size_t lcp = 0;
    if (prev != nullptr) {
      const size_t n = std::min(prev->size(), s.size());
      while (lcp < n && (*prev)[lcp] == s[lcp]) ++lcp;
    }
    // Close the nodes deeper than the common prefix: their subtrees end here.
    while (open.size() > lcp) {
      t.end[open.back()] = static_cast<uint32_t>(t.byte.size());
      open.pop_back();
    }
    for (size_t i = lcp; i < s.size(); ++i) {
      open.push_back(static_cast<uint32_t>(t.byte.size()));
      t.byte.push_back(static_cast<uint8_t>(s[i]));
      t.depth.push_back(static_cast<uint16_t>(i + 1));
      t.end.push_back(0);
      t.id_begin.push_back(static_cast<uint32_t>(t.ids.size()));
    }
    // Ids arrive in node order: a node's own string sorts before its descendants' strings.
    t.ids.push_back(id);
    t.max_depth = std::max(t.max_depth, s.size());
    prev = &s;
  }
  while (!open.empty()) {
    t.end[open.back()] = static_cast<uint32_t>(t.byte.size());
    open.pop_back();
  }
  t.id_begin.push_back(static_cast<uint32_t>(t.ids.size()));
  // id_begin[k] was recorded when node k was created, before its own id was pushed; the ids of
  // node k are therefore [id_begin[k], id_begin[k+1]).
  // Characters on the path to each node (bytes that are not UTF-8 continuation bytes), then the
  // subtree maxima from the leaves up: node k's children are k+1, end[k+1], ... before end[k].
  const size_t n = t.byte.size();
  std::vector<uint16_t> path_chars(n);
  std::vector<uint16_t> stack_chars;   // path_chars of the open ancestors, by depth
  for (size_t k = 0; k < n; ++k) {
    stack_chars.resize(t.depth[k] - 1);
    const uint16_t above = stack_chars.empty() ? 0 : stack_chars.back();
    path_chars[k] = static_cast<uint16_t>(above + ((t.byte[k] & 0xC0) != 0x80 ? 1 : 0));
    stack_chars.push_back(path_chars[k]);
  }
  t.subtree_chars.assign(n, 0);
  for (size_t k = n; k-- > 0;) {
    uint16_t m = t.id_begin[k] < t.id_begin[k + 1] ? path_chars[k] : 0;
    for (size_t c = k + 1; c < t.end[k]; c = t.end[c]) m = std::max(m, t.subtree_chars[c]);
    t.subtree_chars[k] = m;
  }
  return t;
}

bool TokenTable::is_string_slice(std::string_view s) {
  if (s.empty() || utf8::find_invalid(s)) return false;
  for (char c : s) {
    const auto b = static_cast<uint8_t>(c);
    if (b < 0x20 || b == '"' || b == '\\') return false;
  }
  return true;
}

void TokenTable::finish() {
  const size_t n = bytes_.size();
  special_ids_.clear();
  std::vector<int32_t> slice, rest;
  for (size_t i = 0; i < n; ++i) {
    const auto id = static_cast<int32_t>(i);
    if (special_[i]) {
      special_ids_.push_back(id);
      continue;
    }
    if (bytes_[i].empty()) continue;   // no token, or a token that writes nothing: never allowed
    max_token_bytes_ = std::max(max_token_bytes_, bytes_[i].size());
    (is_string_slice(bytes_[i]) ? slice : rest).push_back(id);
  }
  const auto by_bytes = [&](int32_t a, int32_t b) {
    const int c = bytes_[static_cast<size_t>(a)].compare(bytes_[static_cast<size_t>(b)]);
    return c != 0 ? c < 0 : a < b;
  };
  std::sort(slice.begin(), slice.end(), by_bytes);
  std::sort(rest.begin(), rest.end(), by_bytes);
  slice_mask_.assign((n + 31) / 32, 0);
  for (int32_t id : slice) slice_mask_[static_cast<size_t>(id) / 32] |= 1u << (id % 32);
  slice_trie_ = TokenTrie::build(slice, bytes_);
  // Slice tokens by their number of characters (cumulative bitmaps for the bounded-string walk).
  slice_max_chars_ = 0;
  slice_masks_by_chars_.assign(kSliceCharMasks, std::vector<uint32_t>((n + 31) / 32, 0));
  for (int32_t id : slice) {
    uint32_t chars = 0;
    for (char c : bytes_[static_cast<size_t>(id)]) chars += (static_cast<uint8_t>(c) & 0xC0) != 0x80 ? 1 : 0;
    slice_max_chars_ = std::max(slice_max_chars_, chars);
    for (uint32_t k = chars; k <= kSliceCharMasks; ++k) {
      slice_masks_by_chars_[k - 1][static_cast<size_t>(id) / 32] |= 1u << (id % 32);
    }
  }
  rest_trie_ = TokenTrie::build(rest, bytes_);
}

std::shared_ptr<const TokenTable> build_token_table(const Tokenizer& tokenizer) {
  auto table = std::shared_ptr<TokenTable>(new TokenTable());
  const int32_t n = tokenizer.vocab_size();
  table->bytes_.resize(static_cast<size_t>(n));
  table->special_.assign(static_cast<size_t>(n), 0);
  for (int32_t id = 0; id < n; ++id) {
    if (!tokenizer.has_token(id)) continue;
    if (tokenizer.is_special(id)) {
      table->special_[static_cast<size_t>(id)] = 1;
    } else {
      table->bytes_[static_cast<size_t>(id)] = tokenizer.token_bytes(id);
    }
  }
  table->tokenizer_ = &tokenizer;
  table->finish();
  return table;
}

std::shared_ptr<const TokenTable> TokenTable::from_bytes(std::vector<std::string> bytes, std::vector<int32_t> special) {
  auto table = std::shared_ptr<TokenTable>(new TokenTable());
  table->bytes_ = std::move(bytes);
  table->special_.assign(table->bytes_.size(), 0);
  for (int32_t id : special) {
    table->special_[static_cast<size_t>(id)] = 1;
    table->bytes_[static_cast<size_t>(id)].clear();
  }
  table->finish();
  return table;
}

std::vector<int32_t> TokenTable::encode(std::string_view text) const {
  if (tokenizer_ != nullptr) return tokenizer_->encode(text, /*parse_special=*/false);
  // Greedy longest match through the two tries (tables built from_bytes have no BPE to ask).
  std::vector<int32_t> out;
  size_t pos = 0;
  while (pos < text.size()) {
    int32_t best = -1;
    size_t best_len = 0;
    for (const TokenTrie* trie : {&slice_trie_, &rest_trie_}) {
      size_t depth = 0;
      for (size_t k = 0; k < trie->size() && pos + depth < text.size();) {
        if (trie->depth[k] != depth + 1) break;
        if (trie->byte[k] != static_cast<uint8_t>(text[pos + depth])) {
          k = trie->end[k];
          continue;
        }
        ++depth;
        if (trie->id_begin[k] < trie->id_begin[k + 1] && depth > best_len) {
          best = trie->ids[trie->id_begin[k]];
          best_len = depth;
        }
        ++k;
      }
    }
    if (best < 0) return out;   // no token writes this byte: stop (callers force only what encodes)
    out.push_back(best);
    pos += best_len;
  }
  return out;
}

size_t mask_words(const TokenTable& tokens) { return (static_cast<size_t>(tokens.vocab_size()) + 31) / 32; }

}  // namespace gemma3::grammar
