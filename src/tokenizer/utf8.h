// UTF-8 helpers shared by the tokenizer, its decoders and the tokenize subcommands. Byte-oriented,
// no allocation except where a string is returned; "valid" means RFC 3629 (no overlongs, no
// surrogates, nothing above U+10FFFF), the same rule Rust's `String::from_utf8` applies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gemma3::utf8 {

// Length in bytes of the valid UTF-8 character starting at text[pos], or 0 when the bytes there do
// not start a valid, complete character. Precondition: pos < text.size().
size_t valid_char_len(std::string_view text, size_t pos);

// Offset of the first byte that is not part of a valid character, or nullopt when all of `text` is
// valid UTF-8.
std::optional<size_t> find_invalid(std::string_view text);
inline bool is_valid(std::string_view text) { return !find_invalid(text).has_value(); }

// Appends the UTF-8 encoding of `code_point` (must be <= 0x10FFFF and not a surrogate).
void append_code_point(std::string& out, uint32_t code_point);

// The replacement character U+FFFD, as bytes.
inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

}  // namespace gemma3::utf8
