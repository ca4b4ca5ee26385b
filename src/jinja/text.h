// Text: a UTF-8 string plus the byte ranges of it that came from untrusted input (the request).
// This is the provenance the chat layer needs so that text a user wrote never becomes a control
// token: a byte is trusted only if the template (or a trusted global) wrote it.
//
// Invariant: `untrusted` is sorted, its ranges are non-empty, non-overlapping and non-adjacent
// (adjacent ranges are merged), and all lie within [0, s.size()).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gemma3::jinja {

using ByteRanges = std::vector<std::pair<size_t, size_t>>;

struct Text {
  std::string s;
  ByteRanges untrusted;

  Text() = default;
  explicit Text(std::string str, bool is_untrusted = false) : s(std::move(str)) {
    if (is_untrusted && !s.empty()) untrusted.emplace_back(0, s.size());
  }

  // `str` with the provenance `ranges` (which must satisfy the invariant for `str`).
  Text(std::string str, ByteRanges ranges) : s(std::move(str)), untrusted(std::move(ranges)) {}

  bool any_untrusted() const { return !untrusted.empty(); }
  bool all_untrusted() const {
    return untrusted.size() == 1 && untrusted[0].first == 0 && untrusted[0].second == s.size();
  }

  // Appends bytes with the given provenance. Cost: O(bytes) plus O(1) for the range.
  void append(std::string_view bytes, bool is_untrusted) {
    if (bytes.empty()) return;
    size_t begin = s.size();
    s.append(bytes);
    if (is_untrusted) mark(begin, s.size());
  }
  // Appends `other` keeping its byte-level provenance.
  void append(const Text& other) { append_slice(other, 0, other.s.size()); }
  // Appends other.s[begin, end) with the provenance of those bytes.
  void append_slice(const Text& other, size_t begin, size_t end);
  // Marks [begin, end) of `s` untrusted (merging with existing ranges).
  void mark(size_t begin, size_t end);
  // True when any byte of [begin, end) is untrusted.
  bool any_untrusted_in(size_t begin, size_t end) const;
  // Text of s[begin, end) with its provenance.
  Text slice(size_t begin, size_t end) const {
    Text t;
    t.append_slice(*this, begin, end);
    return t;
  }
};

}  // namespace gemma3::jinja
