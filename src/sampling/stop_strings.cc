#include "sampling/stop_strings.h"

#include <algorithm>

namespace gemma3 {
namespace {

// Bytes at the end of `s` that start a UTF-8 sequence they do not complete (0 to 3).
size_t incomplete_utf8_tail(std::string_view s) {
  const size_t n = s.size();
  for (size_t back = 1; back <= std::min<size_t>(3, n); ++back) {
    const auto c = static_cast<unsigned char>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    return need > back ? back : 0;
  }
  return 0;  // three continuation bytes (complete or malformed): nothing to wait for
}

}  // namespace

StopStringMatcher::StopStringMatcher(std::vector<std::string> stop_strings) {
  for (std::string& s : stop_strings) {
    if (s.empty()) continue;
    max_len_ = std::max(max_len_, s.size());
    stops_.push_back(std::move(s));
  }
}

StopStringMatcher::Output StopStringMatcher::push(std::string_view new_text) {
  if (stopped_) return {"", true};
  held_.append(new_text);
  const std::string_view text = held_;

  // The earliest match wins: it ends the text soonest. The held part holds no complete match
  // (it would have matched on an earlier push), but a match may start inside it.
  size_t match = std::string_view::npos;
  for (const std::string& s : stops_) match = std::min(match, text.find(s));
  if (match != std::string_view::npos) {
    Output out{std::string(text.substr(0, match)), true};
    held_.clear();
    stopped_ = true;
    return out;
  }

  // Hold back the longest suffix that is a proper prefix of some stop string.
  size_t hold = 0;
  for (size_t len = std::min(text.size(), max_len_ > 0 ? max_len_ - 1 : 0); len > 0 && hold == 0; --len) {
    const std::string_view suffix = text.substr(text.size() - len);
    for (const std::string& s : stops_) {
      if (s.size() > len && std::string_view(s).substr(0, len) == suffix) {
        hold = len;
        break;
      }
    }
  }
  hold = std::max(hold, incomplete_utf8_tail(text));
  Output out{std::string(text.substr(0, text.size() - hold)), false};
  held_.erase(0, text.size() - hold);
  return out;
}

std::string StopStringMatcher::flush() {
  std::string out;
  out.swap(held_);
  return out;
}

}  // namespace gemma3
