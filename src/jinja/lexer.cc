#include "jinja/lexer.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "jinja/pystr.h"

namespace gemma3::jinja {
namespace {

struct LexFail {
  size_t pos;
  std::string what;
};

class Lexer {
 public:
  explicit Lexer(std::string src) : src_(std::move(src)) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < src_.size(); ++i)
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
  }

  std::vector<Token> run() {
    size_t pos = 0;
    bool line_starting = true;   // did the previous match end with "\n"? (lstrip_blocks at BOF)
    while (pos < src_.size()) {
      size_t tag = find_tag(pos);
      if (tag == std::string::npos) {
        push_data(pos, src_.substr(pos));
        break;
      }
      char kind = src_[tag + 1];
      char sign = tag + 2 < src_.size() && (src_[tag + 2] == '-' || src_[tag + 2] == '+') ? src_[tag + 2] : 0;
      size_t raw_end = kind == '%' ? match_raw_begin(tag) : std::string::npos;
      push_data(pos, strip_before(pos, tag, sign, kind != '{', line_starting));
      size_t after_open = tag + 2 + (sign ? 1 : 0);
      if (raw_end != std::string::npos) {
        pos = lex_raw(raw_end, line_starting);
      } else if (kind == '#') {
        pos = skip_comment(after_open, line_starting);
      } else {
        pos = lex_tag(tag, after_open, kind == '%', line_starting);
      }
    }
    Token eof;
    eof.type = Tok::Eof;
    set_pos(eof, src_.size());
    tokens_.push_back(eof);
    return std::move(tokens_);
  }

  std::pair<int, int> line_col(size_t pos) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), pos);
    size_t line = it - line_starts_.begin();
    size_t col = py::length(std::string_view(src_).substr(line_starts_[line - 1], pos - line_starts_[line - 1]));
    return {static_cast<int>(line), static_cast<int>(col) + 1};
  }

 private:
  bool starts(size_t pos, std::string_view s) const { return std::string_view(src_).substr(pos, s.size()) == s; }

  size_t find_tag(size_t pos) const {
    for (size_t i = src_.find('{', pos); i != std::string::npos && i + 1 < src_.size(); i = src_.find('{', i + 1)) {
      char c = src_[i + 1];
      if (c == '{' || c == '%' || c == '#') return i;
    }
    return std::string::npos;
  }

  // Skips Python regex \s* (Unicode whitespace) from pos.
  size_t skip_ws(size_t pos) const {
    while (pos < src_.size()) {
      size_t j = pos;
      if (!py::is_space(py::next_cp(src_, j))) break;
      pos = j;
    }
    return pos;
  }

  // `{%[-+]?\s*raw\s*(-%}\s*|%})` at `tag`: the position after it, or npos.
  size_t match_raw_begin(size_t tag) const {
    size_t p = tag + 2;
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) ++p;
    p = skip_ws(p);
    if (!starts(p, "raw")) return std::string::npos;
    p = skip_ws(p + 3);
    if (starts(p, "-%}")) return skip_ws(p + 3);
    if (starts(p, "%}")) return p + 2;
    return std::string::npos;
  }

  // The data text src_[begin, tag) after the whitespace control of the tag that follows it.
  std::string strip_before(size_t begin, size_t tag, char sign, bool is_block_or_comment,
                           bool line_starting) const {
    std::string_view text = std::string_view(src_).substr(begin, tag - begin);
    if (sign == '-') return std::string(text.substr(0, py::strip_range(text, nullptr, false, true).second));
    if (sign != '+' && is_block_or_comment) {
      size_t nl = text.rfind('\n');
      size_t l_pos = nl == std::string_view::npos ? 0 : nl + 1;
      if (l_pos > 0 || line_starting) {
        std::string_view tail = text.substr(l_pos);
        auto r = py::strip_range(tail, nullptr, true, false);
        if (!tail.empty() && r.first == tail.size()) return std::string(text.substr(0, l_pos));
      }
    }
    return std::string(text);
  }

  void push_data(size_t pos, std::string text) {
    if (text.empty()) return;
    Token t;
    t.type = Tok::Data;
    t.text = std::move(text);
    set_pos(t, pos);
    tokens_.push_back(std::move(t));
  }

  // Tokens come in increasing position order, so the column is counted on from the previous
  // token's when both are on the same line: O(template size) in all, even for one huge line.
  void set_pos(Token& t, size_t pos) {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), pos);
    int line = static_cast<int>(it - line_starts_.begin());
    if (line != cache_line_ || pos < cache_pos_) {
      cache_line_ = line;
      cache_pos_ = line_starts_[line - 1];
      cache_col_ = 1;
    }
    cache_col_ += static_cast<int>(py::length(std::string_view(src_).substr(cache_pos_, pos - cache_pos_)));
    cache_pos_ = pos;
    t.line = line;
    t.col = cache_col_;
  }

  // After `+#}`, `-#}\s*` or `#}\n?` (trim_blocks). Returns the position after the end.
  size_t block_end_after(size_t p, char closer, bool trim, bool& line_starting) const {
    // p points at the sign or at '%'/'#'/'}' of the closing delimiter.
    size_t end;
    if (src_[p] == '+') {
      end = p + 3;
    } else if (src_[p] == '-') {
      end = skip_ws(p + 3);
    } else {
      end = p + 2;
      if (trim && end < src_.size() && src_[end] == '\n') ++end;
    }
    (void)closer;
    line_starting = end > 0 && src_[end - 1] == '\n';
    return end;
  }

  size_t skip_comment(size_t p, bool& line_starting) const {
    size_t close = src_.find("#}", p);
    if (close == std::string::npos) throw LexFail{p, "missing end of comment tag"};
    size_t at = close;
    if (close > p && (src_[close - 1] == '-' || src_[close - 1] == '+')) at = close - 1;
    return block_end_after(at, '#', true, line_starting);
  }

  size_t lex_raw(size_t p, bool& line_starting) {
    // The first `{%[-+]?\s*endraw\s*(+%}|-%}\s*|%}\n?)` after p.
    for (size_t i = src_.find("{%", p); i != std::string::npos; i = src_.find("{%", i + 1)) {
      size_t q = i + 2;
      char sign = q < src_.size() && (src_[q] == '-' || src_[q] == '+') ? src_[q] : 0;
      if (sign) ++q;
      q = skip_ws(q);
      if (!starts(q, "endraw")) continue;
      q = skip_ws(q + 6);
      if (!(starts(q, "+%}") || starts(q, "-%}") || starts(q, "%}"))) continue;
      // The raw text gets the same optional lstrip as data before a block tag.
      push_data(p, strip_before(p, i, sign, true, line_starting));
      return block_end_after(q, '%', true, line_starting);
    }
    throw LexFail{p, "missing end of raw directive"};
  }

  size_t lex_tag(size_t tag, size_t p, bool is_block, bool& line_starting) {
    Token begin;
    begin.type = is_block ? Tok::BlockBegin : Tok::VarBegin;
    set_pos(begin, tag);
    tokens_.push_back(begin);
    std::vector<char> balance;
    while (true) {
      if (p >= src_.size()) throw LexFail{p, std::string("unexpected end of template, expected '") + (is_block ? "%}" : "}}") + "'"};
      if (balance.empty()) {
        size_t end = std::string::npos;
        if (is_block) {
          if (starts(p, "+%}") || starts(p, "-%}") || starts(p, "%}")) end = block_end_after(p, '%', true, line_starting);
        } else if (starts(p, "-}}")) {
          end = skip_ws(p + 3);
        } else if (starts(p, "}}")) {
          end = p + 2;
        }
        if (end != std::string::npos) {
          if (!is_block) line_starting = src_[end - 1] == '\n';
          Token t;
          t.type = is_block ? Tok::BlockEnd : Tok::VarEnd;
          set_pos(t, p);
          tokens_.push_back(t);
          return end;
        }
      }
      size_t q = skip_ws(p);
      if (q != p) {
        p = q;
        continue;
      }
      Token t;
      set_pos(t, p);
      unsigned char c = src_[p];
      if (std::isdigit(c)) {
        p = lex_number(p, t);
      } else if (std::isalpha(c) || c == '_' || c >= 0x80) {
        size_t q2 = p;
        while (q2 < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[q2])) || src_[q2] == '_')) ++q2;
        if (q2 == p) throw LexFail{p, "unexpected character"};
        t.type = Tok::Name;
        t.text = src_.substr(p, q2 - p);
        p = q2;
      } else if (c == '\'' || c == '"') {
        p = lex_string(p, t);
      } else {
        static const char* kOps[] = {"//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]",
                                     "(", ")", "{", "}", "|", ".", ",", ":", ";", "=", "<", ">"};
        const char* op = nullptr;
        for (const char* o : kOps)
          if (starts(p, o)) { op = o; break; }
        if (!op) throw LexFail{p, std::string("unexpected character '") + static_cast<char>(c) + "'"};
        t.type = Tok::Op;
        t.text = op;
        if (t.text == "(" || t.text == "[" || t.text == "{") {
          balance.push_back(t.text == "(" ? ')' : t.text == "[" ? ']' : '}');
        } else if (t.text == ")" || t.text == "]" || t.text == "}") {
          if (balance.empty()) throw LexFail{p, "unexpected '" + t.text + "'"};
          if (balance.back() != t.text[0])
            throw LexFail{p, "unexpected '" + t.text + "', expected '" + std::string(1, balance.back()) + "'"};
          balance.pop_back();
        }
        p += t.text.size();
      }
      tokens_.push_back(std::move(t));
    }
  }

  // Digits with single underscores between them, as Jinja's (\d+_)*\d+.
  size_t digits(size_t p) const {
    size_t q = p;
    while (q < src_.size() && std::isdigit(static_cast<unsigned char>(src_[q]))) {
      ++q;
      if (q + 1 < src_.size() && src_[q] == '_' && std::isdigit(static_cast<unsigned char>(src_[q + 1]))) ++q;
    }
    return q;
  }

  size_t lex_number(size_t p, Token& t) {
    size_t q = digits(p);
    size_t end = q;
    bool is_float = false;
    if (q + 1 < src_.size() && src_[q] == '.' && std::isdigit(static_cast<unsigned char>(src_[q + 1]))) {
      end = digits(q + 1);
      is_float = true;
    }
    if (end < src_.size() && (src_[end] == 'e' || src_[end] == 'E')) {
      size_t e = end + 1;
      if (e < src_.size() && (src_[e] == '+' || src_[e] == '-')) ++e;
      if (e < src_.size() && std::isdigit(static_cast<unsigned char>(src_[e]))) {
        end = digits(e);
        is_float = true;
      }
    }
    std::string spelled;
    for (size_t i = p; i < end; ++i)
      if (src_[i] != '_') spelled.push_back(src_[i]);
    if (is_float) {
      t.type = Tok::Float;
      t.fval = std::strtod(spelled.c_str(), nullptr);
    } else {
      t.type = Tok::Int;
      errno = 0;
      t.ival = std::strtoll(spelled.c_str(), nullptr, 10);
      if (errno == ERANGE) throw LexFail{p, "integer literal too large"};
    }
    t.text = src_.substr(p, end - p);
    return end;
  }

  // A quoted string with Python's escapes (Jinja decodes literals with "unicode-escape").
  size_t lex_string(size_t p, Token& t) {
    char quote = src_[p];
    std::string out;
    size_t i = p + 1;
    auto hex = [&](size_t at, int n) -> char32_t {
      if (at + n > src_.size()) throw LexFail{at, "truncated escape in string literal"};
      char32_t v = 0;
      for (int k = 0; k < n; ++k) {
        char c = src_[at + k];
        int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        if (d < 0) throw LexFail{at, "truncated escape in string literal"};
        v = v * 16 + d;
      }
      return v;
    };
    while (true) {
      if (i >= src_.size()) throw LexFail{p, "unterminated string literal"};
      char c = src_[i];
      if (c == quote) break;
      if (c != '\\') {
        out.push_back(c);
        ++i;
        continue;
      }
      if (i + 1 >= src_.size()) throw LexFail{p, "unterminated string literal"};
      char e = src_[i + 1];
      i += 2;
      switch (e) {
        case '\n': break;
        case '\\': out.push_back('\\'); break;
        case '\'': out.push_back('\''); break;
        case '"': out.push_back('"'); break;
        case 'a': out.push_back('\a'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'v': out.push_back('\v'); break;
        case 'x': py::append_utf8(out, hex(i, 2)); i += 2; break;
        case 'u': py::append_utf8(out, hex(i, 4)); i += 4; break;
        case 'U': {
          char32_t cp = hex(i, 8);
          if (cp > 0x10FFFF) throw LexFail{i, "illegal Unicode character in string literal"};
          py::append_utf8(out, cp);
          i += 8;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {   // up to three octal digits
            char32_t v = e - '0';
            for (int k = 0; k < 2 && i < src_.size() && src_[i] >= '0' && src_[i] <= '7'; ++k) v = v * 8 + (src_[i++] - '0');
            py::append_utf8(out, v);
          } else {   // unknown escapes stay as written
            out.push_back('\\');
            --i;
          }
      }
    }
    t.type = Tok::String;
    t.text = std::move(out);
    return i + 1;
  }

  std::string src_;
  std::vector<size_t> line_starts_;
  int cache_line_ = 0;     // set_pos's memory: the last position it resolved
  size_t cache_pos_ = 0;
  int cache_col_ = 1;
  std::vector<Token> tokens_;
};

std::string normalize_newlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out.push_back(source[i]);
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();   // keep_trailing_newline=False
  return out;
}

}  // namespace

Result<std::vector<Token>> lex(std::string_view source) {
  Lexer lexer(normalize_newlines(source));
  try {
    return lexer.run();
  } catch (const LexFail& f) {
    auto [line, col] = lexer.line_col(f.pos);
    return make_error("line " + std::to_string(line) + ", column " + std::to_string(col) + ": " + f.what);
  }
}

}  // namespace gemma3::jinja
