#include "jinja/text.h"

#include <algorithm>

namespace gemma3::jinja {

void Text::mark(size_t begin, size_t end) {
  if (begin >= end) return;
  // Fast path: appending at the end (the common case while rendering left to right).
  if (untrusted.empty() || untrusted.back().second < begin) {
    untrusted.emplace_back(begin, end);
    return;
  }
  if (untrusted.back().first <= begin) {
    untrusted.back().second = std::max(untrusted.back().second, end);
    return;
  }
  // General case: insert, then merge overlapping or adjacent ranges.
  untrusted.emplace_back(begin, end);
  std::sort(untrusted.begin(), untrusted.end());
  ByteRanges merged;
  for (const auto& r : untrusted) {
    if (!merged.empty() && r.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  untrusted = std::move(merged);
}

void Text::append_slice(const Text& other, size_t begin, size_t end) {
  if (begin >= end) return;
  size_t base = s.size();
  s.append(other.s, begin, end - begin);
  for (const auto& [b, e] : other.untrusted) {
    if (e <= begin) continue;
    if (b >= end) break;
    mark(base + std::max(b, begin) - begin, base + std::min(e, end) - begin);
  }
}

bool Text::any_untrusted_in(size_t begin, size_t end) const {
  for (const auto& [b, e] : untrusted) {
    if (b >= end) break;
    if (e > begin) return true;
  }
  return false;
}

}  // namespace gemma3::jinja
