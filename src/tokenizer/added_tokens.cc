#include "tokenizer/added_tokens.h"

#include <algorithm>

#include "tokenizer/utf8.h"

namespace gemma3 {

namespace {

// Decodes the code point at text[pos] (an invalid byte decodes as itself, length 1).
uint32_t code_point_at(std::string_view text, size_t pos, size_t* len) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data()) + pos;
  *len = std::max<size_t>(1, utf8::valid_char_len(text, pos));
  switch (*len) {
    case 2: return ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
    case 3: return ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
    case 4: return ((s[0] & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
    default: return s[0];
  }
}

// The code point that ends text[0, end), and its length.
uint32_t code_point_before(std::string_view text, size_t end, size_t* len) {
  size_t begin = end - 1;
  while (begin > 0 && end - begin < 4 && (static_cast<unsigned char>(text[begin]) & 0xC0) == 0x80) --begin;
  size_t n = 0;
  const uint32_t cp = code_point_at(text, begin, &n);
  if (begin + n != end) {  // not a complete character: treat the last byte alone
    *len = 1;
    return static_cast<unsigned char>(text[end - 1]);
  }
  *len = n;
  return cp;
}

// Unicode White_Space, which Rust's regex `\s` matches.
bool is_space(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// Rust's `\w` (Alphabetic, marks, decimal digits, connector punctuation, join controls). Exact for
// ASCII; for other code points an approximation that excludes whitespace and the common
// punctuation and symbol blocks. Only single_word tokens use it, and Gemma 3 has none.
bool is_word(uint32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
  if (is_space(c)) return false;
  if (c <= 0xBF) return c == 0xAA || c == 0xB5 || c == 0xBA;
  if (c == 0xD7 || c == 0xF7) return false;
  if (c == 0x200C || c == 0x200D) return true;
  if (c >= 0x2000 && c <= 0x206F) return false;                        // general punctuation
  if (c >= 0x2190 && c <= 0x2BFF) return false;                        // arrows, math, boxes, symbols
  if (c >= 0x3000 && c <= 0x303F) return false;                        // CJK punctuation
  if ((c >= 0xFF01 && c <= 0xFF0F) || (c >= 0xFF1A && c <= 0xFF20)) return false;  // fullwidth punct.
  if (c >= 0x1F000 && c <= 0x1FAFF) return false;                      // emoji and pictographs
  return true;
}

}  // namespace

int32_t AddedTokenMatcher::child(int32_t node, uint8_t byte) const {
  for (const auto& [b, next] : nodes_[node].children) {
    if (b == byte) return next;
  }
  return -1;
}

void AddedTokenMatcher::add(std::string_view pattern, int32_t token_index) {
  if (pattern.empty()) return;
  int32_t node = 0;
  for (char ch : pattern) {
    const auto byte = static_cast<uint8_t>(ch);
    int32_t next = child(node, byte);
    if (next < 0) {
      next = static_cast<int32_t>(nodes_.size());
      nodes_[node].children.emplace_back(byte, next);
      nodes_.emplace_back();
    }
    node = next;
  }
  if (nodes_[node].token_index < 0) {
    nodes_[node].token_index = token_index;
    ++n_patterns_;
  }
  starts_[static_cast<uint8_t>(pattern[0])] = true;
}

std::pair<int32_t, size_t> AddedTokenMatcher::longest_at(std::string_view text, size_t pos) const {
  std::pair<int32_t, size_t> best{-1, pos};
  int32_t node = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    node = child(node, static_cast<uint8_t>(text[i]));
    if (node < 0) break;
    if (nodes_[node].token_index >= 0) best = {nodes_[node].token_index, i + 1};
  }
  return best;
}

void AddedTokenMatcher::split(std::string_view text, const std::vector<AddedToken>& tokens, bool skip_special,
                              std::vector<TextSplit>& out) const {
  size_t plain_begin = 0;  // HF's start_offset: where the pending plain text starts
  size_t pos = 0;          // where the scan for the next match resumes
  while (!empty() && pos < text.size()) {
    if (!starts_[static_cast<uint8_t>(text[pos])]) {
      ++pos;
      continue;
    }
    const auto [index, match_end] = longest_at(text, pos);
    if (index < 0) {
      ++pos;
      continue;
    }
    size_t start = pos;
    size_t stop = match_end;
    pos = match_end;  // matches never overlap, even discarded ones
    const AddedToken& token = tokens[index];
    if (skip_special && token.special) continue;
    if (token.single_word) {
      size_t len = 0;
      const bool word_before = start > 0 && is_word(code_point_before(text, start, &len));
      const bool word_after = stop < text.size() && is_word(code_point_at(text, stop, &len));
      if (word_before || word_after) continue;
    }
    if (token.lstrip) {
      size_t len = 0;
      while (start > plain_begin && is_space(code_point_before(text, start, &len))) start -= len;
    }
    if (token.rstrip) {
      size_t len = 0;
      while (stop < text.size() && is_space(code_point_at(text, stop, &len))) stop += len;
    }
    if (plain_begin < start) out.push_back(TextSplit{plain_begin, start, -1});
    out.push_back(TextSplit{start, stop, token.id});
    plain_begin = stop;
    pos = std::max(pos, stop);
  }
  if (plain_begin < text.size()) out.push_back(TextSplit{plain_begin, text.size(), -1});
}

}  // namespace gemma3
