// The vocabulary as the grammar back end sees it (built once per tokenizer, shared by every grammar
// and sequence): the bytes each token id writes, which ids are special (matched only by a grammar's
// Symbol::token), and two byte tries the mask walk descends.
//
// The tries split the vocabulary in two: the "string slice" (tokens whose bytes are whole UTF-8
// characters none of which is '"', '\\' or a control byte below 0x20 -- plain JSON string content,
// most of Gemma's 262k tokens) and the rest. When the lexer sits in a state that stays alive over
// every run of such characters (inside an unbounded JSON string, or a free-text regex), the whole
// slice is allowed at once by OR-ing its precomputed bitmap, and only the rest trie is walked.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "grammar/matcher.h"

namespace gemma3::grammar {

// A byte trie stored as flat arrays in preorder. Node k's subtree is [k, end[k]); its depth counts
// bytes from the root (the root itself is not stored; depth 1 nodes are first bytes). The ids of
// the tokens whose bytes end at node k are ids[id_begin[k] .. id_begin[k+1]).
struct TokenTrie {
  std::vector<uint8_t> byte;
  std::vector<uint16_t> depth;
  std::vector<uint32_t> end;
  std::vector<uint32_t> id_begin;   // size nodes + 1
  std::vector<int32_t> ids;
  // The most UTF-8 characters of any token in node k's subtree (the mask walk skips a subtree of
  // string-slice tokens that the slice bitmaps already allowed).
  std::vector<uint16_t> subtree_chars;
  size_t max_depth = 0;

  size_t size() const { return byte.size(); }
  // `tokens` sorted by bytes (the table's bytes_of).
  static TokenTrie build(const std::vector<int32_t>& sorted_ids, const std::vector<std::string>& bytes_of);
};

class TokenTable {
 public:
  int32_t vocab_size() const { return static_cast<int32_t>(bytes_.size()); }
  const std::string& bytes(int32_t id) const { return bytes_[static_cast<size_t>(id)]; }
  bool is_special(int32_t id) const { return special_[static_cast<size_t>(id)] != 0; }
  const std::vector<int32_t>& special_ids() const { return special_ids_; }

  const TokenTrie& slice_trie() const { return slice_trie_; }
  const TokenTrie& rest_trie() const { return rest_trie_; }
  const std::vector<uint32_t>& slice_mask() const { return slice_mask_; }   // mask_words() words
  // The most characters of a slice token, and the bitmap of the slice tokens of at most `chars`
  // characters (1 <= chars <= kSliceCharMasks; the whole slice from slice_max_chars() on).
  static constexpr uint32_t kSliceCharMasks = 32;
  uint32_t slice_max_chars() const { return slice_max_chars_; }
  const std::vector<uint32_t>& slice_mask_upto(uint32_t chars) const {
    return chars >= slice_max_chars_ ? slice_mask_ : slice_masks_by_chars_[std::min(chars, kSliceCharMasks) - 1];
  }
  size_t max_token_bytes() const { return max_token_bytes_; }

  // Canonical tokenization of plain bytes (the tokenizer's encode, no special tokens), for
  // forced_tokens. The tokenizer given to build_token_table must outlive the table.
  std::vector<int32_t> encode(std::string_view text) const;

  // A table over explicit token bytes (tests; `special` ids have no bytes). encode() is then a
  // greedy longest match, since there is no tokenizer to ask.
  static std::shared_ptr<const TokenTable> from_bytes(std::vector<std::string> bytes, std::vector<int32_t> special);

  // True when every byte of `s` belongs to the string slice's characters (see above).
  static bool is_string_slice(std::string_view s);

 private:
  friend std::shared_ptr<const TokenTable> build_token_table(const Tokenizer& tokenizer);
  void finish();   // builds the tries and the slice mask from bytes_ / special_

  std::vector<std::string> bytes_;     // [vocab] "" for special tokens and ids without a token
  std::vector<uint8_t> special_;       // [vocab]
  std::vector<int32_t> special_ids_;
  TokenTrie slice_trie_, rest_trie_;
  std::vector<uint32_t> slice_mask_;
  std::vector<std::vector<uint32_t>> slice_masks_by_chars_;   // [chars - 1], up to kSliceCharMasks
  uint32_t slice_max_chars_ = 0;
  size_t max_token_bytes_ = 0;
  const Tokenizer* tokenizer_ = nullptr;
};

}  // namespace gemma3::grammar
