#include "grammar/codepoint_set.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "grammar/digit_ranges.h"

namespace gemma3::grammar {
namespace {

constexpr uint32_t kSurrogateLo = 0xD800, kSurrogateHi = 0xDFFF;

RegexPtr byte_range(uint32_t lo, uint32_t hi) {
  std::bitset<256> bytes;
  for (uint32_t b = lo; b <= hi; ++b) bytes.set(b);
  return Regex::byte_set(bytes);
}

// The UTF-8 sequences of [lo, hi], all of `n` bytes. Splits the range until every byte position
// varies over a plain interval: a range is "aligned" at continuation level i when its low end has
// zeros and its high end ones in the low 6*i bits, and then the lower bytes range over 80..BF freely.
void utf8_ranges(uint32_t lo, uint32_t hi, int n, std::vector<RegexPtr>& out) {
  for (int i = 1; i < n; ++i) {
    const uint32_t m = (1u << (6 * i)) - 1;
    if ((lo & ~m) != (hi & ~m)) {
      if ((lo & m) != 0) {
        utf8_ranges(lo, lo | m, n, out);
        utf8_ranges((lo | m) + 1, hi, n, out);
        return;
      }
      if ((hi & m) != m) {
        utf8_ranges(lo, (hi & ~m) - 1, n, out);
        utf8_ranges(hi & ~m, hi, n, out);
        return;
      }
    }
  }
  // Every byte position now ranges over [byte of lo, byte of hi].
  static constexpr uint32_t kLead[5] = {0, 0x00, 0xC0, 0xE0, 0xF0};
  std::vector<RegexPtr> seq;
  for (int k = 0; k < n; ++k) {
    const int shift = 6 * (n - 1 - k);
    if (k == 0) {
      const uint32_t mask = n == 1 ? 0x7F : (0xFFu >> (n + 1));
      seq.push_back(byte_range(kLead[n] | ((lo >> shift) & mask), kLead[n] | ((hi >> shift) & mask)));
    } else {
      seq.push_back(byte_range(0x80 | ((lo >> shift) & 0x3F), 0x80 | ((hi >> shift) & 0x3F)));
    }
  }
  out.push_back(Regex::concat(std::move(seq)));
}

std::string hex4(uint32_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04x", v);
  return buf;
}

// The hex digits whose values are set in `mask` (bit d: digit d), both spellings of a-f.
RegexPtr hex_digits(uint32_t mask) {
  std::bitset<256> bytes;
  for (uint32_t d = 0; d < 16; ++d) {
    if (!(mask >> d & 1)) continue;
    if (d < 10) {
      bytes.set('0' + d);
    } else {
      bytes.set('a' + d - 10);
      bytes.set('A' + d - 10);
    }
  }
  return Regex::byte_set(bytes);
}

RegexPtr u_escape(uint32_t lo, uint32_t hi) {
  return Regex::concat({Regex::literal("\\u"), fixed_width_range(hex4(lo), hex4(hi), 16)});
}

}  // namespace

CodepointSet CodepointSet::range(uint32_t lo, uint32_t hi) {
  CodepointSet s;
  s.add(lo, hi);
  return s;
}

void CodepointSet::add(uint32_t lo, uint32_t hi) {
  if (lo > hi) return;
  ranges_.emplace_back(lo, hi);
  std::sort(ranges_.begin(), ranges_.end());
  std::vector<std::pair<uint32_t, uint32_t>> merged;
  for (const auto& r : ranges_) {
    if (!merged.empty() && r.first <= merged.back().second + 1) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  ranges_ = std::move(merged);
}

void CodepointSet::add(const CodepointSet& other) {
  for (const auto& r : other.ranges_) add(r.first, r.second);
}

CodepointSet CodepointSet::complement() const {
  CodepointSet out;
  uint32_t next = 0;
  for (const auto& r : ranges_) {
    if (r.first > next) out.ranges_.emplace_back(next, r.first - 1);
    next = r.second + 1;
  }
  if (next <= kMaxCodepoint) out.ranges_.emplace_back(next, kMaxCodepoint);
  return out;
}

CodepointSet CodepointSet::intersect(const CodepointSet& other) const {
  CodepointSet out;
  size_t i = 0, j = 0;
  while (i < ranges_.size() && j < other.ranges_.size()) {
    const uint32_t lo = std::max(ranges_[i].first, other.ranges_[j].first);
    const uint32_t hi = std::min(ranges_[i].second, other.ranges_[j].second);
    if (lo <= hi) out.ranges_.emplace_back(lo, hi);
    (ranges_[i].second < other.ranges_[j].second) ? ++i : ++j;
  }
  return out;
}

bool CodepointSet::contains(uint32_t c) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), std::make_pair(c, UINT32_MAX));
  return it != ranges_.begin() && std::prev(it)->second >= c;
}

RegexPtr utf8_regex(const CodepointSet& set) {
  static const uint32_t kLengthEnds[4] = {0x7F, 0x7FF, 0xFFFF, kMaxCodepoint};
  const CodepointSet usable = set.minus(CodepointSet::range(kSurrogateLo, kSurrogateHi));
  std::vector<RegexPtr> out;
  // The one-byte characters as one byte set, however many ranges they form (one NFA state).
  std::bitset<256> ascii;
  for (auto [lo, hi] : usable.ranges()) {
    for (uint32_t c = lo; c <= std::min<uint32_t>(hi, 0x7F); ++c) ascii.set(c);
  }
  if (ascii.any()) out.push_back(Regex::byte_set(ascii));
  for (auto [lo, hi] : usable.ranges()) {
    uint32_t start = 0x80;
    for (int n = 2; n <= 4; ++n) {
      const uint32_t a = std::max(lo, start), b = std::min(hi, kLengthEnds[n - 1]);
      if (a <= b) utf8_ranges(a, b, n, out);
      start = kLengthEnds[n - 1] + 1;
    }
  }
  return Regex::alt(std::move(out));
}

RegexPtr json_char_regex(const CodepointSet& set) {
  std::vector<RegexPtr> options;
  CodepointSet raw = set.intersect(CodepointSet::range(0x20, kMaxCodepoint));
  raw = raw.minus(CodepointSet::single('"')).minus(CodepointSet::single('\\'));
  options.push_back(utf8_regex(raw));
  static constexpr std::pair<uint32_t, char> kShort[] = {{'"', '"'}, {'\\', '\\'}, {'/', '/'}, {8, 'b'},
                                                         {12, 'f'},  {10, 'n'},   {13, 'r'}, {9, 't'}};
  std::bitset<256> short_bytes;
  for (auto [c, letter] : kShort) {
    if (set.contains(c)) short_bytes.set(static_cast<uint8_t>(letter));
  }
  if (short_bytes.any()) options.push_back(Regex::concat({Regex::byte('\\'), Regex::byte_set(short_bytes)}));
  const CodepointSet bmp =
      set.intersect(CodepointSet::range(0, 0xFFFF)).minus(CodepointSet::range(kSurrogateLo, kSurrogateHi));
  // \u00XX escapes of one-byte characters, grouped by their low hex digits: one alternative per
  // distinct set of low digits instead of one hex-range regex per range (a key trie encodes
  // "every other name character" at each node).
  std::map<uint32_t, uint32_t> high_by_low;   // set of low digits -> set of high digits (bit masks)
  for (uint32_t high = 0; high < 8; ++high) {
    uint32_t low = 0;
    for (uint32_t d = 0; d < 16; ++d) {
      if (bmp.contains(high * 16 + d)) low |= 1u << d;
    }
    if (low != 0) high_by_low[low] |= 1u << high;
  }
  for (const auto& [low, high] : high_by_low) {
    options.push_back(Regex::concat({Regex::literal("\\u00"), hex_digits(high), hex_digits(low)}));
  }
  const CodepointSet wide = bmp.intersect(CodepointSet::range(0x80, 0xFFFF));
  for (auto [lo, hi] : wide.ranges()) options.push_back(u_escape(lo, hi));
  // Astral code points: a high surrogate (one per 1024 code points) then a low one.
  const CodepointSet astral = set.intersect(CodepointSet::range(0x10000, kMaxCodepoint));
  for (auto [lo, hi] : astral.ranges()) {
    const uint32_t hlo = 0xD800 + ((lo - 0x10000) >> 10), hhi = 0xD800 + ((hi - 0x10000) >> 10);
    const uint32_t llo = 0xDC00 + ((lo - 0x10000) & 0x3FF), lhi = 0xDC00 + ((hi - 0x10000) & 0x3FF);
    if (hlo == hhi) {
      options.push_back(Regex::concat({u_escape(hlo, hlo), u_escape(llo, lhi)}));
      continue;
    }
    options.push_back(Regex::concat({u_escape(hlo, hlo), u_escape(llo, 0xDFFF)}));
    if (hlo + 1 <= hhi - 1) options.push_back(Regex::concat({u_escape(hlo + 1, hhi - 1), u_escape(0xDC00, 0xDFFF)}));
    options.push_back(Regex::concat({u_escape(hhi, hhi), u_escape(0xDC00, lhi)}));
  }
  return Regex::alt(std::move(options));
}

const RegexPtr& json_any_char_regex() {
  static const RegexPtr kAny = json_char_regex(CodepointSet::all());
  return kAny;
}

const RegexPtr& utf8_any_char_regex() {
  static const RegexPtr kAny = utf8_regex(CodepointSet::all());
  return kAny;
}

void append_utf8(std::string& out, uint32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::vector<uint32_t> decode_utf8(std::string_view s) {
  std::vector<uint32_t> out;
  size_t pos = 0;
  uint32_t c = 0;
  while (pos < s.size() && next_utf8(s, pos, c)) out.push_back(c);
  return out;
}

bool next_utf8(std::string_view s, size_t& pos, uint32_t& c) {
  const auto b0 = static_cast<uint8_t>(s[pos]);
  int n = b0 < 0x80 ? 1 : (b0 >> 5) == 6 ? 2 : (b0 >> 4) == 14 ? 3 : (b0 >> 3) == 30 ? 4 : 0;
  if (n == 0 || pos + n > s.size()) return false;
  c = n == 1 ? b0 : (b0 & (0x7F >> n));
  for (int k = 1; k < n; ++k) {
    const auto b = static_cast<uint8_t>(s[pos + k]);
    if ((b & 0xC0) != 0x80) return false;
    c = (c << 6) | (b & 0x3F);
  }
  static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < kMin[n] || c > kMaxCodepoint || (c >= kSurrogateLo && c <= kSurrogateHi)) return false;
  pos += n;
  return true;
}

}  // namespace gemma3::grammar
