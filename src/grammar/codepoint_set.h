// Sets of Unicode code points (sorted disjoint intervals) and their lowering to byte regexes: as raw
// UTF-8, or as the characters of a JSON string literal (each code point raw or escaped), which is
// how a `pattern` or `maxLength` over a DECODED string constrains the ENCODED bytes of a document.
//
// Lone surrogates (U+D800..U+DFFF) are never produced: raw UTF-8 cannot encode them, and the JSON
// lowering writes astral code points as \uD8xx\uDCxx pairs only, never an unpaired half.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "grammar/grammar_ir.h"

namespace gemma3::grammar {

inline constexpr uint32_t kMaxCodepoint = 0x10FFFF;

class CodepointSet {
 public:
  CodepointSet() = default;
  static CodepointSet single(uint32_t c) { return range(c, c); }
  static CodepointSet range(uint32_t lo, uint32_t hi);
  static CodepointSet all() { return range(0, kMaxCodepoint); }

  void add(uint32_t lo, uint32_t hi);
  void add(const CodepointSet& other);
  CodepointSet complement() const;
  CodepointSet intersect(const CodepointSet& other) const;
  CodepointSet minus(const CodepointSet& other) const { return intersect(other.complement()); }
  bool contains(uint32_t c) const;
  bool empty() const { return ranges_.empty(); }
  const std::vector<std::pair<uint32_t, uint32_t>>& ranges() const { return ranges_; }
  bool operator==(const CodepointSet& o) const { return ranges_ == o.ranges_; }

 private:
  std::vector<std::pair<uint32_t, uint32_t>> ranges_;   // sorted, disjoint, non-adjacent, inclusive
};

// The UTF-8 encodings of the set's code points (surrogates left out).
RegexPtr utf8_regex(const CodepointSet& set);

// Every way a JSON string literal may write one code point of `set` between its quotes: raw UTF-8
// (not for '"', '\\' or controls below U+0020), a short escape (\" \\ \/ \b \f \n \r \t), or \uXXXX
// with hex digits in either case (astral code points as a surrogate pair of \u escapes).
RegexPtr json_char_regex(const CodepointSet& set);

// Shared instances of the most used sets' lowerings (built once).
const RegexPtr& json_any_char_regex();   // any code point, JSON-encoded
const RegexPtr& utf8_any_char_regex();   // any code point, raw UTF-8

// Appends the UTF-8 bytes of `c` to `out`.
void append_utf8(std::string& out, uint32_t c);
// The code points of valid UTF-8 text (stops at the first invalid byte).
std::vector<uint32_t> decode_utf8(std::string_view s);
// Decodes one UTF-8 code point of `s` at `pos` (advancing it); returns false on invalid UTF-8.
bool next_utf8(std::string_view s, size_t& pos, uint32_t& c);

}  // namespace gemma3::grammar
