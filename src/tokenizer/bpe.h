// BpeModel: the Hugging Face `tokenizers` BPE model (models/bpe) for one pre-tokenized piece of
// normalized text, with byte fallback and fused <unk>.
//
// Semantics reproduced exactly:
//  - the piece is split into UTF-8 characters; a character missing from the vocab becomes its
//    byte tokens <0xNN> when byte_fallback is on and all of them exist, else <unk> (consecutive
//    <unk>s fuse into one when fuse_unk is on);
//  - then the pair with the lowest merge rank is merged first, the leftmost one on ties, until no
//    adjacent pair has a merge.
// Cost: O(n log n) in the characters of the piece (binary heap of candidate merges over a linked
// list of symbols), so a whole document can be one piece, as Gemma 3's pre-tokenizer makes it.
//
// Speed-up that keeps the result exact: Options::word_start (Gemma: "▁") names a character that
// begins most words. A merge can only cross the point just before such a character if some merge
// (left, right) has `right` starting with it and `left` ending with the character found before
// that point; the set of such "left" characters is collected from the merge list at load (Gemma:
// only '>' and '▁'). Everywhere else the text is cut, each chunk is merged alone, and a chunk seen
// before in the same call reuses its ids. Merges never cross a cut, and merges on the two sides
// never interact, so the ids equal those of merging the whole piece (encode_whole, kept as the
// oracle in tests).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/merge_table.h"
#include "tokenizer/vocab.h"

namespace gemma3 {

class BpeModel {
 public:
  struct Options {
    bool byte_fallback = false;
    bool fuse_unk = false;
    std::optional<int32_t> unk_id;
    std::string word_start;  // one UTF-8 character, or "" for no chunking
  };

  // `vocab` must outlive the model and must not change after this call; `merges` hold its ids
  // (built here if they were only added).
  BpeModel(const Vocab* vocab, MergeTable merges, Options options);

  size_t n_merges() const { return merges_.size(); }

  // Appends the ids of `text` (normalized, pre-tokenized; any bytes) to `out`. Invalid UTF-8 bytes
  // are treated as one-byte characters (they are never in the vocab, so they fall back to bytes).
  void encode(std::string_view text, std::vector<int32_t>& out) const;
  // The same ids without chunking: one heap over the whole text.
  void encode_whole(std::string_view text, std::vector<int32_t>& out) const;

 private:
  using Merge = MergeTable::Merge;
  const Merge* find_merge(int32_t left, int32_t right) const { return merges_.find(left, right); }
  // True when no merge can join the characters on the two sides of text[pos] (a word_start).
  bool can_cut_before(std::string_view text, size_t pos) const;

  const Vocab* vocab_;
  Options options_;
  std::array<int32_t, 128> ascii_ids_;     // id of each one-byte character, -1 if none
  std::array<int32_t, 256> byte_ids_;      // id of <0xNN>, -1 if none
  MergeTable merges_;
  std::vector<std::string> joins_word_start_;  // last characters of merge lefts whose right starts with word_start
};

}  // namespace gemma3
