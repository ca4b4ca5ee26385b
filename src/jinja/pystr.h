// Python str semantics on UTF-8 bytes: what templates call (.strip(), .split(), .title(), len(),
// slicing by code point, isspace, isprintable for repr()). Invalid UTF-8 bytes are treated as
// single opaque code points (U+DC80+byte, Python's surrogateescape) so every operation stays total.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gemma3::jinja::py {

// Decodes the code point at s[i] and advances i past it.
char32_t next_cp(std::string_view s, size_t& i);
void append_utf8(std::string& out, char32_t cp);

// str.isspace() for one code point (the 29 Python accepts).
bool is_space(char32_t cp);
// str.isprintable() for one code point, as repr() decides what to escape (approximation of the
// Unicode tables: controls, separators, format characters, surrogates, private use, noncharacters).
bool is_printable(char32_t cp);
bool is_alpha(char32_t cp);   // letters: ASCII, and every non-ASCII code point that is printable,
                              // not a space and not in the Latin-1/general punctuation blocks
bool is_digit(char32_t cp);
bool is_cased(char32_t cp);
bool is_upper(char32_t cp);
bool is_lower(char32_t cp);
// Upper/lower case of one code point (ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic; others
// unchanged). Python's 'ß'.upper() is 'SS': upper() handles that one multi-character mapping.
char32_t to_upper_cp(char32_t cp);
char32_t to_lower_cp(char32_t cp);
std::string upper(std::string_view s);
std::string lower(std::string_view s);
std::string title(std::string_view s);        // str.title()
std::string capitalize(std::string_view s);   // str.capitalize()

// Number of code points.
size_t length(std::string_view s);
// Byte offset of each code point plus s.size() at the end (size length(s) + 1).
std::vector<size_t> cp_offsets(std::string_view s);
bool is_ascii(std::string_view s);

// [begin, end) byte range of s without leading/trailing characters: whitespace when `chars` is
// null, else any code point of *chars.
std::pair<size_t, size_t> strip_range(std::string_view s, const std::string_view* chars, bool left,
                                      bool right);

}  // namespace gemma3::jinja::py
