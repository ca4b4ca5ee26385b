// The ECMAScript regex parser: recursive descent over the pattern's code points.
#include <string>

#include "grammar/ecma_regex.h"

namespace gemma3::grammar {
namespace {

ReNodePtr make_set(CodepointSet set) {
  auto n = std::make_shared<ReNode>();
  n->kind = ReNode::Kind::kSet;
  n->set = std::move(set);
  return n;
}

std::shared_ptr<ReNode> make_node(ReNode::Kind kind, std::vector<ReNodePtr> children = {}) {
  auto n = std::make_shared<ReNode>();
  n->kind = kind;
  n->children = std::move(children);
  return n;
}

CodepointSet digit_class() { return CodepointSet::range('0', '9'); }

CodepointSet word_class() {
  CodepointSet s = CodepointSet::range('a', 'z');
  s.add('A', 'Z');
  s.add('0', '9');
  s.add('_', '_');
  return s;
}

// ECMAScript WhiteSpace and LineTerminator code points.
CodepointSet space_class() {
  CodepointSet s = CodepointSet::range(0x09, 0x0D);
  for (uint32_t c : {0x20u, 0xA0u, 0x1680u, 0x2028u, 0x2029u, 0x202Fu, 0x205Fu, 0x3000u, 0xFEFFu}) s.add(c, c);
  s.add(0x2000, 0x200A);
  return s;
}

CodepointSet dot_class() {
  CodepointSet s = CodepointSet::all();
  for (uint32_t c : {0x0Au, 0x0Du, 0x2028u, 0x2029u}) s = s.minus(CodepointSet::single(c));
  return s;
}

class Parser {
 public:
  Parser(std::string_view pattern, const FrontEndLimits& limits, bool ignore_case)
      : limits_(limits), ignore_case_(ignore_case) {
    size_t pos = 0;
    while (pos < pattern.size()) {
      uint32_t c = 0;
      if (!next_utf8(pattern, pos, c)) {
        error_ = "regex is not valid UTF-8";
        return;
      }
      text_.push_back(c);
    }
  }

  Result<ReNodePtr> parse() {
    if (!error_.empty()) return make_error(error_);
    ReNodePtr root = parse_alt(0);
    if (error_.empty() && pos_ < text_.size()) fail("unmatched ')'");
    if (!error_.empty()) return make_error(error_);
    return root;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  uint32_t peek(size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : 0; }
  bool has(size_t ahead) const { return pos_ + ahead < text_.size(); }

  ReNodePtr fail(const std::string& message) {
    if (error_.empty()) error_ = "regex: " + message + " at offset " + std::to_string(pos_);
    pos_ = text_.size();
    return make_node(ReNode::Kind::kConcat);
  }

  ReNodePtr parse_alt(int depth) {
    if (depth > limits_.max_depth) return fail("groups nested deeper than " + std::to_string(limits_.max_depth));
    std::vector<ReNodePtr> options{parse_concat(depth)};
    while (!at_end() && peek() == '|') {
      ++pos_;
      options.push_back(parse_concat(depth));
    }
    return options.size() == 1 ? options[0] : make_node(ReNode::Kind::kAlt, std::move(options));
  }

  ReNodePtr parse_concat(int depth) {
    std::vector<ReNodePtr> items;
    while (!at_end() && peek() != '|' && peek() != ')') items.push_back(parse_quantified(depth));
    return items.size() == 1 ? items[0] : make_node(ReNode::Kind::kConcat, std::move(items));
  }

  // {n}, {n,}, {n,m} at pos_; false (pos_ unchanged) when the text there is not a quantifier.
  bool parse_braces(uint32_t& min, uint32_t& max) {
    size_t p = pos_ + 1;
    auto number = [&](uint64_t& v) {
      const size_t start = p;
      v = 0;
      while (p < text_.size() && text_[p] >= '0' && text_[p] <= '9') {
        v = std::min<uint64_t>(v * 10 + (text_[p] - '0'), uint64_t{1} << 40);
        ++p;
      }
      return p > start;
    };
    uint64_t lo = 0, hi = 0;
    if (!number(lo)) return false;
    bool bounded = true;
    if (p < text_.size() && text_[p] == ',') {
      ++p;
      if (!number(hi)) bounded = false;
    } else {
      hi = lo;
    }
    if (p >= text_.size() || text_[p] != '}') return false;
    pos_ = p + 1;
    if (lo > limits_.max_repeat || (bounded && hi > limits_.max_repeat)) {
      fail("repetition bound above the limit max_repeat=" + std::to_string(limits_.max_repeat));
      return true;
    }
    if (bounded && hi < lo) {
      fail("numbers out of order in {} quantifier");
      return true;
    }
    min = static_cast<uint32_t>(lo);
    max = bounded ? static_cast<uint32_t>(hi) : Regex::kUnbounded;
    return true;
  }

  bool quantifier_here(uint32_t& min, uint32_t& max) {
    if (at_end()) return false;
    switch (peek()) {
      case '*': ++pos_, min = 0, max = Regex::kUnbounded; return true;
      case '+': ++pos_, min = 1, max = Regex::kUnbounded; return true;
      case '?': ++pos_, min = 0, max = 1; return true;
      case '{': return parse_braces(min, max);
      default: return false;
    }
  }

  ReNodePtr parse_quantified(int depth) {
    ReNodePtr atom = parse_atom(depth);
    uint32_t min = 0, max = 0;
    if (!quantifier_here(min, max)) return atom;
    if (!at_end() && peek() == '?') ++pos_;   // lazy: same language
    if (atom->kind == ReNode::Kind::kStart || atom->kind == ReNode::Kind::kEnd) return fail("quantified anchor");
    uint32_t again_min = 0, again_max = 0;
    const size_t here = pos_;
    if (quantifier_here(again_min, again_max)) {
      pos_ = here;
      return fail("nothing to repeat");
    }
    auto n = make_node(ReNode::Kind::kRepeat, {atom});
    n->min = min;
    n->max = max;
    return n;
  }

  ReNodePtr parse_atom(int depth) {
    const uint32_t c = peek();
    switch (c) {
      case '(': return parse_group(depth);
      case '[': return parse_class();
      case '.': ++pos_; return make_set(dot_class());
      case '^': ++pos_; return make_node(ReNode::Kind::kStart);
      case '$': ++pos_; return make_node(ReNode::Kind::kEnd);
      case '*': case '+': case '?': return fail("nothing to repeat");
      case '{': {
        uint32_t a = 0, b = 0;
        const size_t here = pos_;
        if (parse_braces(a, b)) {
          pos_ = here;
          return fail("nothing to repeat");
        }
        ++pos_;
        return make_set(CodepointSet::single('{'));
      }
      case '\\': {
        ++pos_;
        CodepointSet set;
        if (!parse_escape(set, false)) return make_node(ReNode::Kind::kConcat);
        return make_set(fold(std::move(set)));
      }
      default: ++pos_; return make_set(fold(CodepointSet::single(c)));
    }
  }

  ReNodePtr parse_group(int depth) {
    ++pos_;   // (
    if (peek() == '?') {
      if (peek(1) == ':') {
        pos_ += 2;
      } else if (peek(1) == '<' && peek(2) != '=' && peek(2) != '!') {
        pos_ += 2;
        while (!at_end() && peek() != '>') ++pos_;
        if (at_end()) return fail("unterminated group name");
        ++pos_;
      } else {
        return fail("lookaround assertions are not supported (not a regular language here)");
      }
    }
    ReNodePtr inner = parse_alt(depth + 1);
    if (!error_.empty()) return inner;
    if (at_end() || peek() != ')') return fail("missing ')'");
    ++pos_;
    return inner;
  }

  uint32_t hex_value(uint32_t c) const {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 16;
  }

  bool read_hex(size_t digits, uint32_t& value) {
    value = 0;
    for (size_t i = 0; i < digits; ++i) {
      const uint32_t h = hex_value(peek(i));
      if (!has(i) || h >= 16) return false;
      value = value * 16 + h;
    }
    pos_ += digits;
    return true;
  }

  // After a backslash. Class escapes (\d ...) yield a set; others one code point. `in_class`:
  // \b is backspace there, and \- a hyphen.
  bool parse_escape(CodepointSet& out, bool in_class) {
    if (at_end()) {
      fail("pattern ends with a backslash");
      return false;
    }
    const uint32_t c = peek();
    ++pos_;
    switch (c) {
      case 'd': out = digit_class(); return true;
      case 'D': out = digit_class().complement(); return true;
      case 'w': out = word_class(); return true;
      case 'W': out = word_class().complement(); return true;
      case 's': out = space_class(); return true;
      case 'S': out = space_class().complement(); return true;
      case 't': out = CodepointSet::single('\t'); return true;
      case 'n': out = CodepointSet::single('\n'); return true;
      case 'v': out = CodepointSet::single('\v'); return true;
      case 'f': out = CodepointSet::single('\f'); return true;
      case 'r': out = CodepointSet::single('\r'); return true;
      case 'b':
        if (in_class) {
          out = CodepointSet::single(8);
          return true;
        }
        fail("word boundary \\b is not supported");
        return false;
      case 'B': fail("word boundary \\B is not supported"); return false;
      case 'c': {
        const uint32_t l = peek();
        if ((l >= 'a' && l <= 'z') || (l >= 'A' && l <= 'Z')) {
          ++pos_;
          out = CodepointSet::single(l % 32);
          return true;
        }
        fail("invalid \\c escape");
        return false;
      }
      case 'x': {
        uint32_t v = 0;
        if (!read_hex(2, v)) {
          fail("invalid \\x escape");
          return false;
        }
        out = CodepointSet::single(v);
        return true;
      }
      case 'u': return parse_u_escape(out);
      case 'p': case 'P': fail("Unicode property escapes \\p{...} are not supported"); return false;
      case 'k': fail("named backreferences are not supported (not a regular language)"); return false;
      case '0':
        if (peek() >= '0' && peek() <= '9' && has(0)) {
          fail("octal escapes are not supported");
          return false;
        }
        out = CodepointSet::single(0);
        return true;
      default:
        if (c >= '1' && c <= '9') {
          fail("backreferences are not supported (not a regular language)");
          return false;
        }
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
          fail(std::string("invalid escape \\") + static_cast<char>(c));
          return false;
        }
        out = CodepointSet::single(c);   // identity escape: \. \/ \- ...
        return true;
    }
  }

  bool parse_u_escape(CodepointSet& out) {
    uint32_t v = 0;
    if (peek() == '{') {
      ++pos_;
      size_t n = 0;
      while (has(0) && hex_value(peek()) < 16 && n < 8) {
        v = v * 16 + hex_value(peek());
        ++pos_, ++n;
      }
      if (n == 0 || peek() != '}' || v > kMaxCodepoint) {
        fail("invalid \\u{...} escape");
        return false;
      }
      ++pos_;
    } else if (!read_hex(4, v)) {
      fail("invalid \\u escape");
      return false;
    } else if (v >= 0xD800 && v <= 0xDBFF && peek() == '\\' && peek(1) == 'u') {
      const size_t here = pos_;
      pos_ += 2;
      uint32_t low = 0;
      if (read_hex(4, low) && low >= 0xDC00 && low <= 0xDFFF) {
        v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00);
      } else {
        pos_ = here;
      }
    }
    out = CodepointSet::single(v);
    return true;
  }

  // One class atom: a code point, or a class escape's set (`single` false).
  bool parse_class_atom(CodepointSet& set, bool& single, uint32_t& cp) {
    if (peek() == '\\') {
      ++pos_;
      if (peek() == '-') {
        ++pos_;
        set = CodepointSet::single('-');
      } else if (!parse_escape(set, true)) {
        return false;
      }
    } else {
      set = CodepointSet::single(peek());
      ++pos_;
    }
    single = set.ranges().size() == 1 && set.ranges()[0].first == set.ranges()[0].second;
    cp = single ? set.ranges()[0].first : 0;
    return true;
  }

  ReNodePtr parse_class() {
    ++pos_;   // [
    bool negated = false;
    if (peek() == '^' && has(0)) {
      negated = true;
      ++pos_;
    }
    CodepointSet set;
    while (true) {
      if (at_end()) return fail("missing ']'");
      if (peek() == ']') break;
      CodepointSet lo_set;
      bool lo_single = false;
      uint32_t lo = 0;
      if (!parse_class_atom(lo_set, lo_single, lo)) return make_node(ReNode::Kind::kConcat);
      if (peek() == '-' && has(1) && peek(1) != ']') {
        ++pos_;
        CodepointSet hi_set;
        bool hi_single = false;
        uint32_t hi = 0;
        if (!parse_class_atom(hi_set, hi_single, hi)) return make_node(ReNode::Kind::kConcat);
        if (!lo_single || !hi_single) return fail("character class escape used as a range bound");
        if (hi < lo) return fail("range out of order in character class");
        set.add(lo, hi);
      } else {
        set.add(lo_set);
      }
    }
    ++pos_;   // ]
    set = fold(std::move(set));
    return make_set(negated ? set.complement() : set);
  }

  std::vector<uint32_t> text_;
  size_t pos_ = 0;
  std::string error_;
  const FrontEndLimits& limits_;
  bool ignore_case_;

  CodepointSet fold(CodepointSet set) const {
    if (!ignore_case_) return set;
    const CodepointSet upper = set.intersect(CodepointSet::range('A', 'Z'));
    const CodepointSet lower = set.intersect(CodepointSet::range('a', 'z'));
    for (auto [lo, hi] : upper.ranges()) set.add(lo + 32, hi + 32);
    for (auto [lo, hi] : lower.ranges()) set.add(lo - 32, hi - 32);
    return set;
  }
};

}  // namespace

Result<ReNodePtr> parse_ecma_regex(std::string_view pattern, const FrontEndLimits& limits, bool ignore_case) {
  if (pattern.size() > limits.max_schema_bytes) return make_error("regex longer than the limit max_schema_bytes");
  return Parser(pattern, limits, ignore_case).parse();
}

}  // namespace gemma3::grammar
