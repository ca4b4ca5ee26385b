// Added tokens: the tokens tokenizer.json lists under "added_tokens" (Gemma 3: 6,415, among them
// <bos>, <start_of_turn>, the "\n" and "\t" runs, <unusedN>, HTML tags). Hugging Face matches them
// in the text before the BPE model runs; this file reproduces AddedVocabulary::find_matches:
//  - patterns are matched leftmost-longest, without overlap (aho-corasick LeftmostLongest); a match
//    that is then discarded (special token while special parsing is off, single_word violated) is
//    not rescanned for shorter patterns, exactly like HF;
//  - tokens with normalized=false are matched on the raw text, tokens with normalized=true on the
//    normalized text, with their content normalized the same way (two matchers, see Tokenizer);
//  - lstrip / rstrip swallow the whitespace (Unicode White_Space) next to the match into the token;
//    single_word requires no word character on either side.
// Cost: O(n * L) worst case for text length n and longest pattern L, near O(n) in practice since
// the trie walk starts only at bytes that begin some pattern.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gemma3 {

struct AddedToken {
  int32_t id = -1;
  std::string content;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool single_word = false;
  bool normalized = true;  // HF's default for non-special tokens
};

// A piece of the text: either plain text (id < 0) or one added token.
struct TextSplit {
  size_t begin = 0;
  size_t end = 0;
  int32_t id = -1;
};

class AddedTokenMatcher {
 public:
  // Adds `pattern` (the text to look for) for `tokens[token_index]`. Empty patterns are ignored;
  // a repeated pattern keeps the first token.
  void add(std::string_view pattern, int32_t token_index);
  bool empty() const { return n_patterns_ == 0; }

  // Appends to `out` the splits of `text` (they cover it, in order, none empty). With
  // `skip_special`, tokens whose `special` flag is set are left in the text (HF's
  // encode_special_tokens = true).
  void split(std::string_view text, const std::vector<AddedToken>& tokens, bool skip_special,
             std::vector<TextSplit>& out) const;

 private:
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> children;  // (byte, node index), unsorted
    int32_t token_index = -1;                            // pattern ending here, or -1
  };
  int32_t child(int32_t node, uint8_t byte) const;
  // The longest pattern starting at text[pos]: (token index, end), or token index -1.
  std::pair<int32_t, size_t> longest_at(std::string_view text, size_t pos) const;

  std::vector<Node> nodes_{Node{}};   // nodes_[0] is the root
  std::array<bool, 256> starts_{};    // bytes that begin some pattern
  size_t n_patterns_ = 0;
};

}  // namespace gemma3
