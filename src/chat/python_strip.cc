#include "chat/python_strip.h"

namespace gemma3 {

bool is_python_space(char32_t cp) {
  if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F);
  if (cp < 0x85) return false;
  if (cp == 0x85 || cp == 0xA0 || cp == 0x1680) return true;
  if (cp >= 0x2000 && cp <= 0x200A) return true;
  return cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

namespace {

// Decodes the well-formed UTF-8 sequence of `len` bytes at `p`, or returns U+FFFF (never a space)
// when the bytes are not one (so malformed input is kept, never stripped).
char32_t decode_at(const unsigned char* p, int len) {
  char32_t cp;
  if (len == 1) return p[0] < 0x80 ? p[0] : 0xFFFF;
  if (len == 2) {
    if ((p[0] & 0xE0) != 0xC0 || (p[1] & 0xC0) != 0x80) return 0xFFFF;
    cp = (char32_t(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
    return cp >= 0x80 ? cp : 0xFFFF;
  }
  if (len == 3) {
    if ((p[0] & 0xF0) != 0xE0 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0xFFFF;
    cp = (char32_t(p[0] & 0x0F) << 12) | (char32_t(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    return cp >= 0x800 ? cp : 0xFFFF;
  }
  return 0xFFFF;  // every Python space is below U+10000, so 4-byte sequences never strip
}

// Length of the UTF-8 sequence a lead byte announces (1 for ASCII and stray bytes).
int sequence_length(unsigned char lead) {
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

}  // namespace

std::string_view python_strip(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t begin = 0, end = text.size();
  while (begin < end) {
    int len = sequence_length(s[begin]);
    if (begin + len > end || !is_python_space(decode_at(s + begin, len))) break;
    begin += len;
  }
  while (end > begin) {
    // Walk back over at most 3 continuation bytes to the lead byte of the last code point.
    size_t lead = end - 1;
    while (lead > begin && end - lead < 3 && (s[lead] & 0xC0) == 0x80) --lead;
    int len = static_cast<int>(end - lead);
    if (sequence_length(s[lead]) != len || !is_python_space(decode_at(s + lead, len))) break;
    end = lead;
  }
  return text.substr(begin, end - begin);
}

}  // namespace gemma3
