// The nesting depth of a JSON text, for refusing deep documents before they are parsed.
// nlohmann::json parses iteratively, but copies, compares and dumps values recursively: a few
// hundred KB of '[' in a request body or a downloaded config would overflow a thread's stack in any
// of those. Callers check the depth against a limit first and answer with an error instead.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace gemma3 {

// The deepest nesting of [ and { outside strings, in one pass over the bytes (exact for valid JSON;
// for invalid text a number the parser will refuse anyway).
inline size_t json_nesting_depth(std::string_view text) {
  size_t depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      max_depth = std::max(max_depth, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return max_depth;
}

}  // namespace gemma3
