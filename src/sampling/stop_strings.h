// StopStringMatcher: the OpenAI `stop` parameter over streamed text. Text is pushed as it is
// decoded; what comes back is safe to send to the client: it never contains a stop string and
// never ends in the start of one (that part is held back until the next push proves it is not a
// stop string). On a match, the text before the stop string is returned and generation should end;
// the stop string itself is never emitted.
//
// Also held back: an incomplete UTF-8 sequence at the end of the text (at most 3 bytes), so every
// chunk returned is valid UTF-8 when the input is.
//
// Cost per push: O((held + new bytes) * number of stop strings); held is shorter than the longest
// stop string. Not thread-safe; one per sequence.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gemma3 {

class StopStringMatcher {
 public:
  // Empty strings in the list are ignored (they would match everywhere).
  explicit StopStringMatcher(std::vector<std::string> stop_strings);

  struct Output {
    std::string text;
    bool stopped = false;
  };

  // Returns the text that is safe to emit now. After a match (stopped == true), every later push
  // returns {"", true}.
  Output push(std::string_view new_text);

  // At the end of generation: releases what was held back ("" after a match).
  std::string flush();

  bool stopped() const { return stopped_; }
  bool empty() const { return stops_.empty(); }

 private:
  std::vector<std::string> stops_;
  size_t max_len_ = 0;  // longest stop string, bytes
  std::string held_;    // pushed but not yet emitted
  bool stopped_ = false;
};

}  // namespace gemma3
