#include "grammar/regex_nullable.h"

namespace gemma3::grammar {

bool regex_nullable(const RegexPtr& r) {
  switch (r->kind) {
    case Regex::Kind::kNothing:
    case Regex::Kind::kByteSet: return false;
    case Regex::Kind::kEmpty: return true;
    case Regex::Kind::kConcat:
      for (const auto& c : r->children) {
        if (!regex_nullable(c)) return false;
      }
      return true;
    case Regex::Kind::kAlt:
      for (const auto& c : r->children) {
        if (regex_nullable(c)) return true;
      }
      return false;
    case Regex::Kind::kRepeat: return r->min == 0 || regex_nullable(r->children[0]);
  }
  return false;
}

// concat(a, rest): a non-empty word starts with a non-empty part of `a`, or `a` matches "" and the
// rest is non-empty. A repetition's non-empty words start with a non-empty iteration (empty
// iterations of a nullable child can be dropped without changing the word).
RegexPtr regex_without_empty(const RegexPtr& r) {
  if (!regex_nullable(r)) return r;
  switch (r->kind) {
    case Regex::Kind::kEmpty: return Regex::nothing();
    case Regex::Kind::kConcat: {
      std::vector<RegexPtr> rest(r->children.begin() + 1, r->children.end());
      RegexPtr tail = Regex::concat(rest);
      return Regex::alt({Regex::concat({regex_without_empty(r->children[0]), tail}), regex_without_empty(tail)});
    }
    case Regex::Kind::kAlt: {
      std::vector<RegexPtr> options;
      for (const auto& c : r->children) options.push_back(regex_without_empty(c));
      return Regex::alt(std::move(options));
    }
    case Regex::Kind::kRepeat: {
      const uint32_t rest_max = r->max == Regex::kUnbounded ? Regex::kUnbounded : r->max - 1;
      return Regex::concat({regex_without_empty(r->children[0]), Regex::repeat(r->children[0], 0, rest_max)});
    }
    default: return r;
  }
}

void add_regex_alternatives(Grammar& g, uint32_t rule, const RegexPtr& r, const std::vector<Symbol>& prefix,
                            const std::vector<Symbol>& suffix) {
  if (r->kind == Regex::Kind::kNothing) return;
  std::vector<Symbol> seq = prefix;
  if (regex_nullable(r)) {
    seq.insert(seq.end(), suffix.begin(), suffix.end());
    g.rules[rule].alternatives.push_back(seq);
    seq = prefix;
  }
  RegexPtr non_empty = regex_without_empty(r);
  if (non_empty->kind == Regex::Kind::kNothing) return;
  seq.push_back(Symbol::lexeme(g.add_lexeme(std::move(non_empty))));
  seq.insert(seq.end(), suffix.begin(), suffix.end());
  g.rules[rule].alternatives.push_back(std::move(seq));
}

}  // namespace gemma3::grammar
