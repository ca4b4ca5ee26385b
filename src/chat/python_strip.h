// python_strip: Python's str.strip() on UTF-8 text, which is what Jinja's `trim` filter does.
// The Gemma 3 chat template trims every message, so this must match Python exactly: it strips the
// 29 code points for which str.isspace() is true (ASCII \t \n \v \f \r space, \x1c-\x1f, U+0085,
// U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000) and nothing else
// (U+200B ZERO WIDTH SPACE and U+FEFF stay).
#pragma once

#include <cstdint>
#include <string_view>

namespace gemma3 {

// True for the code points Python's str.isspace() accepts.
bool is_python_space(char32_t cp);

// Returns `text` without leading and trailing Python whitespace. Invalid UTF-8 bytes are kept
// (they are never whitespace), so the result is always a substring of `text`. Cost: O(stripped).
std::string_view python_strip(std::string_view text);

}  // namespace gemma3
