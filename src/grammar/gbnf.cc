// llama.cpp's GBNF grammar format -> grammar IR.
//
// Syntax: rules `name ::= alternatives`, one per line (a rule continues on the next line inside
// parentheses, after a '|', or on a line that starts with '|'); "literals" and [classes] with the
// escapes \n \r \t \\ \" \[ \] \- \xHH \uHHHH \UHHHHHHHH; [^...] negation; `.` any character; rule
// references; ( groups ); the repetitions * + ? {m} {m,} {m,n}; # comments. `root` starts.
//
// Lowering: characters are code points (UTF-8). A rule whose expansion reaches no rule recursively
// is regular and becomes one regex; runs of consecutive regular elements in a sequence become one
// lexeme, so the parser works on few, long lexemes. Other repetitions become rules.
#include <functional>
#include <map>
#include <set>

#include "grammar/codepoint_set.h"
#include "grammar/front_ends.h"
#include "grammar/regex_nullable.h"

namespace gemma3::grammar {
namespace {

struct Node;
using Sequence = std::vector<Node>;
using Alternatives = std::vector<Sequence>;

struct Node {
  enum class Kind { kChars, kRef, kGroup };
  Kind kind = Kind::kChars;
  RegexPtr chars;            // kChars: a literal or class, already UTF-8 bytes
  std::string ref;           // kRef
  Alternatives group;        // kGroup
  uint32_t min = 1, max = 1;
  size_t offset = 0;         // for errors
};

class GbnfParser {
 public:
  GbnfParser(std::string_view text, const FrontEndLimits& limits) : text_(text), limits_(limits) {}

  Result<std::vector<std::pair<std::string, Alternatives>>> parse() {
    std::vector<std::pair<std::string, Alternatives>> rules;
    skip_space(true);
    while (pos_ < text_.size()) {
      if (text_[pos_] == '|' && !rules.empty()) {   // continuation line of the previous rule
        ++pos_;
        skip_space(true);
        auto more = parse_alternates(false, 0);
        if (!more) return std::move(more).take_error();
        for (auto& seq : *more) rules.back().second.push_back(std::move(seq));
      } else {
        const std::string name = parse_name();
        if (name.empty()) return fail("expected a rule name");
        skip_space(false);
        if (text_.substr(pos_, 3) != "::=") return fail("expected '::=' after rule name '" + name + "'");
        pos_ += 3;
        skip_space(true);
        auto alts = parse_alternates(false, 0);
        if (!alts) return std::move(alts).take_error();
        rules.emplace_back(name, std::move(*alts));
      }
      if (!error_.empty()) return make_error(error_);
      if (pos_ < text_.size() && text_[pos_] != '\n' && text_[pos_] != '\r') return fail("expected end of line");
      skip_space(true);
    }
    if (!error_.empty()) return make_error(error_);
    return rules;
  }

 private:
  Error fail(const std::string& message) {
    if (error_.empty()) error_ = "grammar: " + message + " at line " + std::to_string(line()) ;
    pos_ = text_.size();
    return make_error(error_);
  }
  size_t line() const {
    size_t n = 1;
    for (size_t i = 0; i < pos_ && i < text_.size(); ++i) n += text_[i] == '\n';
    return n;
  }
  static bool word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  }
  std::string parse_name() {
    const size_t start = pos_;
    while (pos_ < text_.size() && word_char(text_[pos_])) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }
  void skip_space(bool newlines) {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == ' ' || c == '\t' || (newlines && (c == '\n' || c == '\r'))) {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  Result<Alternatives> parse_alternates(bool nested, int depth) {
    if (depth > limits_.max_depth) return fail("groups nested deeper than max_depth=" + std::to_string(limits_.max_depth));
    Alternatives alts;
    while (true) {
      auto seq = parse_sequence(nested, depth);
      if (!seq) return std::move(seq).take_error();
      alts.push_back(std::move(*seq));
      if (pos_ < text_.size() && text_[pos_] == '|') {
        ++pos_;
        skip_space(true);
        continue;
      }
      return alts;
    }
  }

  Result<Sequence> parse_sequence(bool nested, int depth) {
    Sequence seq;
    while (pos_ < text_.size() && error_.empty()) {
      const char c = text_[pos_];
      Node node;
      node.offset = pos_;
      if (c == '"') {
        ++pos_;
        std::string bytes;
        while (pos_ < text_.size() && text_[pos_] != '"') {
          uint32_t cp = 0;
          if (!parse_char(cp)) return make_error(error_);
          append_utf8(bytes, cp);
        }
        if (pos_ >= text_.size()) return fail("unterminated literal");
        ++pos_;
        node.chars = Regex::literal(bytes);
      } else if (c == '[') {
        ++pos_;
        bool negated = false;
        if (pos_ < text_.size() && text_[pos_] == '^') negated = true, ++pos_;
        CodepointSet set;
        while (pos_ < text_.size() && text_[pos_] != ']') {
          uint32_t lo = 0, hi = 0;
          if (!parse_char(lo)) return make_error(error_);
          hi = lo;
          if (pos_ + 1 < text_.size() && text_[pos_] == '-' && text_[pos_ + 1] != ']') {
            ++pos_;
            if (!parse_char(hi)) return make_error(error_);
            if (hi < lo) return fail("range out of order in character class");
          }
          set.add(lo, hi);
        }
        if (pos_ >= text_.size()) return fail("unterminated character class");
        ++pos_;
        node.chars = utf8_regex(negated ? set.complement() : set);
      } else if (c == '.') {
        ++pos_;
        node.chars = utf8_any_char_regex();
      } else if (word_char(c)) {
        node.kind = Node::Kind::kRef;
        node.ref = parse_name();
      } else if (c == '(') {
        ++pos_;
        skip_space(true);
        auto inner = parse_alternates(true, depth + 1);
        if (!inner) return std::move(inner).take_error();
        if (pos_ >= text_.size() || text_[pos_] != ')') return fail("expected ')'");
        ++pos_;
        node.kind = Node::Kind::kGroup;
        node.group = std::move(*inner);
      } else if (c == '*' || c == '+' || c == '?' || c == '{') {
        if (seq.empty()) return fail("repetition with nothing to repeat");
        Node& last = seq.back();
        if (last.min != 1 || last.max != 1) return fail("repetition of a repetition (add parentheses)");
        if (!parse_repetition(last.min, last.max)) return make_error(error_);
        skip_space(nested);
        continue;
      } else if (c == '<') {
        return fail("token references <...> are not supported");
      } else {
        break;
      }
      seq.push_back(std::move(node));
      skip_space(nested);
    }
    if (!error_.empty()) return make_error(error_);
    return seq;
  }

  bool parse_repetition(uint32_t& min, uint32_t& max) {
    const char c = text_[pos_++];
    if (c == '*') return min = 0, max = Regex::kUnbounded, true;
    if (c == '+') return min = 1, max = Regex::kUnbounded, true;
    if (c == '?') return min = 0, max = 1, true;
    auto number = [&](uint64_t& v) {
      skip_space(false);
      const size_t start = pos_;
      v = 0;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') v = std::min<uint64_t>(v * 10 + (text_[pos_++] - '0'), 1ull << 40);
      skip_space(false);
      return pos_ > start;
    };
    uint64_t lo = 0, hi = 0;
    if (!number(lo)) return fail("expected a number in {}"), false;
    bool bounded = true;
    if (pos_ < text_.size() && text_[pos_] == ',') {
      ++pos_;
      if (!number(hi)) bounded = false;
    } else {
      hi = lo;
    }
    if (pos_ >= text_.size() || text_[pos_] != '}') return fail("expected '}'"), false;
    ++pos_;
    if (lo > limits_.max_repeat || (bounded && hi > limits_.max_repeat)) {
      return fail("repetition bound above the limit max_repeat=" + std::to_string(limits_.max_repeat)), false;
    }
    if (bounded && hi < lo) return fail("repetition bounds out of order"), false;
    min = static_cast<uint32_t>(lo);
    max = bounded ? static_cast<uint32_t>(hi) : Regex::kUnbounded;
    return true;
  }

  bool hex(size_t digits, uint32_t& v) {
    v = 0;
    for (size_t i = 0; i < digits; ++i) {
      if (pos_ >= text_.size() || !std::isxdigit(static_cast<uint8_t>(text_[pos_]))) return fail("invalid hex escape"), false;
      const char c = text_[pos_++];
      v = v * 16 + static_cast<uint32_t>(c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
    }
    return true;
  }

  // One character of a literal or class (an escape, or one UTF-8 code point).
  bool parse_char(uint32_t& cp) {
    if (text_[pos_] == '\\') {
      ++pos_;
      if (pos_ >= text_.size()) return fail("escape at end of text"), false;
      const char e = text_[pos_++];
      switch (e) {
        case 'n': cp = '\n'; return true;
        case 'r': cp = '\r'; return true;
        case 't': cp = '\t'; return true;
        case 'x': return hex(2, cp);
        case 'u': return hex(4, cp);
        case 'U': return hex(8, cp) && (cp <= kMaxCodepoint || (fail("code point out of range"), false));
        case '\\': case '"': case '[': case ']': case '-': case '/': cp = static_cast<uint8_t>(e); return true;
        default: return fail(std::string("unknown escape \\") + e), false;
      }
    }
    if (!next_utf8(text_, pos_, cp)) return fail("invalid UTF-8"), false;
    return true;
  }

  std::string_view text_;
  const FrontEndLimits& limits_;
  size_t pos_ = 0;
  std::string error_;
};

class GbnfLowering {
 public:
  GbnfLowering(const std::vector<std::pair<std::string, Alternatives>>& rules, const FrontEndLimits& limits)
      : limits_(limits) {
    for (const auto& [name, alts] : rules) {
      if (!defs_.count(name)) order_.push_back(name);
      auto& d = defs_[name];
      d.insert(d.end(), alts.begin(), alts.end());
    }
  }

  Result<Grammar> lower() {
    if (!defs_.count("root")) return make_error("grammar: no 'root' rule");
    for (const auto& [name, alts] : defs_) {
      for (const auto& seq : alts) G3_TRY(check_refs(seq));
    }
    for (const auto& name : order_) {
      auto r = rule_for(name);
      if (!r) return std::move(r).take_error();
    }
    g_.start = rule_ids_.at("root");
    return std::move(g_);
  }

 private:
  Status check_refs(const Sequence& seq) {
    for (const Node& n : seq) {
      if (n.kind == Node::Kind::kRef && !defs_.count(n.ref)) return make_error("grammar: undefined rule '" + n.ref + "'");
      if (n.kind == Node::Kind::kGroup) {
        for (const auto& s : n.group) G3_TRY(check_refs(s));
      }
    }
    return ok_status();
  }

  // Regular: reaches no rule that is (transitively) recursive.
  bool regular_rule(const std::string& name) {
    auto it = regular_.find(name);
    if (it != regular_.end()) return it->second;
    regular_[name] = false;   // while visiting: a cycle makes it non-regular
    bool ok = true;
    for (const auto& seq : defs_.at(name)) ok = ok && regular_sequence(seq);
    regular_[name] = ok;
    return ok;
  }
  bool regular_node(const Node& n) {
    if (n.kind == Node::Kind::kChars) return true;
    if (n.kind == Node::Kind::kRef) return regular_rule(n.ref);
    for (const auto& seq : n.group) {
      if (!regular_sequence(seq)) return false;
    }
    return true;
  }
  bool regular_sequence(const Sequence& seq) {
    for (const Node& n : seq) {
      if (!regular_node(n)) return false;
    }
    return true;
  }

  RegexPtr regex_of_node(const Node& n) {
    RegexPtr r;
    if (n.kind == Node::Kind::kChars) {
      r = n.chars;
    } else if (n.kind == Node::Kind::kRef) {
      auto it = rule_regex_.find(n.ref);
      if (it == rule_regex_.end()) {
        std::vector<RegexPtr> options;
        for (const auto& seq : defs_.at(n.ref)) options.push_back(regex_of_sequence(seq));
        it = rule_regex_.emplace(n.ref, Regex::alt(std::move(options))).first;
      }
      r = it->second;
    } else {
      std::vector<RegexPtr> options;
      for (const auto& seq : n.group) options.push_back(regex_of_sequence(seq));
      r = Regex::alt(std::move(options));
    }
    return Regex::repeat(r, n.min, n.max);
  }
  RegexPtr regex_of_sequence(const Sequence& seq) {
    std::vector<RegexPtr> parts;
    for (const Node& n : seq) parts.push_back(regex_of_node(n));
    return Regex::concat(std::move(parts));
  }

  Result<uint32_t> new_rule(const std::string& name) {
    if (g_.rules.size() >= limits_.max_rules) {
      return make_error("grammar needs more than max_rules=" + std::to_string(limits_.max_rules) + " rules");
    }
    return g_.add_rule(name);
  }

  Result<uint32_t> rule_for(const std::string& name) {
    auto it = rule_ids_.find(name);
    if (it != rule_ids_.end()) return it->second;
    auto r = new_rule(name);
    if (!r) return r;
    rule_ids_[name] = *r;
    if (regular_rule(name)) {
      std::vector<RegexPtr> options;
      for (const auto& seq : defs_.at(name)) options.push_back(regex_of_sequence(seq));
      add_regex_alternatives(g_, *r, Regex::alt(std::move(options)));
      return *r;
    }
    for (const auto& seq : defs_.at(name)) {
      auto symbols = lower_sequence(seq, name);
      if (!symbols) return std::move(symbols).take_error();
      g_.rules[*r].alternatives.push_back(std::move(*symbols));
    }
    return *r;
  }

  // A rule deriving exactly L(r) (r may match "").
  Result<uint32_t> regex_rule(const RegexPtr& r, const std::string& name) {
    auto rule = new_rule(name);
    if (!rule) return rule;
    add_regex_alternatives(g_, *rule, r);
    return *rule;
  }

  Result<std::vector<Symbol>> lower_sequence(const Sequence& seq, const std::string& name) {
    std::vector<Symbol> out;
    std::vector<RegexPtr> run;   // consecutive regular elements, emitted as one lexeme
    auto flush = [&]() -> Status {
      if (run.empty()) return ok_status();
      RegexPtr r = Regex::concat(std::move(run));
      run.clear();
      if (regex_nullable(r)) {
        auto rule = regex_rule(r, name + " part");
        if (!rule) return std::move(rule).take_error();
        out.push_back(Symbol::rule(*rule));
      } else {
        out.push_back(Symbol::lexeme(g_.add_lexeme(r)));
      }
      return ok_status();
    };
    for (const Node& n : seq) {
      if (regular_node(n)) {
        run.push_back(regex_of_node(n));
        continue;
      }
      G3_TRY(flush());
      auto sym = lower_node(n, name);
      if (!sym) return std::move(sym).take_error();
      out.push_back(*sym);
    }
    G3_TRY(flush());
    return out;
  }

  // A non-regular node: a reference to a recursive rule or a group containing one, repeated.
  Result<Symbol> lower_node(const Node& n, const std::string& name) {
    uint32_t unit = 0;
    if (n.kind == Node::Kind::kRef) {
      auto r = rule_for(n.ref);
      if (!r) return std::move(r).take_error();
      unit = *r;
    } else {
      auto r = new_rule(name + " group");
      if (!r) return std::move(r).take_error();
      for (const auto& seq : n.group) {
        auto symbols = lower_sequence(seq, name);
        if (!symbols) return std::move(symbols).take_error();
        g_.rules[*r].alternatives.push_back(std::move(*symbols));
      }
      unit = *r;
    }
    if (n.min == 1 && n.max == 1) return Symbol::rule(unit);
    // unit{min,max}: min copies, then a chain of optional ones (or a star).
    auto rep = new_rule(name + " repeat");
    if (!rep) return std::move(rep).take_error();
    std::vector<Symbol> seq(n.min, Symbol::rule(unit));
    uint32_t tail = 0;
    if (n.max == Regex::kUnbounded) {
      auto star = new_rule(name + " star");
      if (!star) return std::move(star).take_error();
      g_.rules[*star].alternatives = {{}, {Symbol::rule(unit), Symbol::rule(*star)}};
      tail = *star;
    } else {
      auto none = new_rule(name + " end");
      if (!none) return std::move(none).take_error();
      g_.rules[*none].alternatives = {{}};
      tail = *none;
      for (uint32_t k = n.min; k < n.max; ++k) {
        auto opt = new_rule(name + " optional");
        if (!opt) return std::move(opt).take_error();
        g_.rules[*opt].alternatives = {{}, {Symbol::rule(unit), Symbol::rule(tail)}};
        tail = *opt;
      }
    }
    seq.push_back(Symbol::rule(tail));
    g_.rules[*rep].alternatives.push_back(std::move(seq));
    return Symbol::rule(*rep);
  }

  const FrontEndLimits& limits_;
  std::map<std::string, Alternatives> defs_;
  std::vector<std::string> order_;
  std::map<std::string, bool> regular_;
  std::map<std::string, RegexPtr> rule_regex_;
  std::map<std::string, uint32_t> rule_ids_;
  Grammar g_;
};

}  // namespace

Result<Grammar> gbnf_grammar(std::string_view text, const FrontEndLimits& limits) {
  if (text.size() > limits.max_schema_bytes) return make_error("grammar text is larger than the limit max_schema_bytes");
  auto rules = GbnfParser(text, limits).parse();
  if (!rules) return std::move(rules).take_error();
  return GbnfLowering(*rules, limits).lower();
}

}  // namespace gemma3::grammar
