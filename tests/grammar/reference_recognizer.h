// A slow, independent recogniser for the grammar IR, for the back end's tests: every lexeme is
// expanded into byte-level context-free rules (concatenation -> sequence, alternation ->
// alternatives, repetition -> unrolled rules), and a textbook Earley parser without any lexer runs
// over the bytes and special tokens. It shares no code with the back end (lexer.cc / earley.cc /
// matcher.cc); it only reads grammar_ir.h.
#pragma once

#include <algorithm>
#include <bitset>
#include <cstdint>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "grammar/grammar_ir.h"

namespace gemma3::grammar::testing {

class ReferenceRecognizer {
 public:
  // An input unit: a byte (0..255) or a special token (256 + id).
  using Unit = int32_t;
  static Unit special(int32_t id) { return 256 + id; }

  explicit ReferenceRecognizer(const Grammar& g) {
    n_user_rules_ = g.rules.size();
    rules_.resize(g.rules.size());
    std::vector<int> lexeme_rule(g.lexemes.size());
    for (size_t l = 0; l < g.lexemes.size(); ++l) lexeme_rule[l] = lower(*g.lexemes[l]);
    for (size_t r = 0; r < g.rules.size(); ++r) {
      for (const auto& seq : g.rules[r].alternatives) {
        std::vector<Sym> out;
        for (const Symbol& s : seq) {
          if (s.kind == Symbol::Kind::kRule) out.push_back(Sym::rule(static_cast<int>(s.index)));
          if (s.kind == Symbol::Kind::kLexeme) out.push_back(Sym::rule(lexeme_rule[s.index]));
          if (s.kind == Symbol::Kind::kToken) out.push_back(Sym::token(static_cast<int32_t>(s.index)));
        }
        rules_[r].push_back(out);
      }
    }
    start_ = static_cast<int>(g.start);
    start_sym_ = Sym::rule(start_);
    prune();
  }

  // Whether `input` is a prefix of some sentence (viable) and whether it is a sentence.
  struct Verdict {
    bool viable, complete;
  };
  // The Earley sets of the last input are kept, so checking many inputs that share a prefix (the
  // history plus each token) costs only their last units.
  Verdict check(const std::vector<Unit>& input) const {
    if (!productive_[static_cast<size_t>(start_)]) return {false, false};
    size_t keep = 0;
    while (keep < input.size() && keep < input_.size() && input[keep] == input_[keep] && keep + 1 < sets_.size()) ++keep;
    if (sets_.empty()) {
      sets_.emplace_back();
      sets_[0].insert({-1, 0, 0, 0});
      closure(sets_, 0);
    }
    sets_.resize(keep + 1);
    input_.assign(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(keep));
    for (size_t i = keep; i < input.size(); ++i) {
      if (sets_[i].empty()) return {false, false};
      std::set<Item> next_set;
      for (const Item& it : sets_[i]) {
        const Sym* s = next(it);
        if (s == nullptr) continue;
        const bool match = s->kind == Sym::kBytes ? (input[i] < 256 && s->bytes.test(static_cast<size_t>(input[i])))
                         : s->kind == Sym::kToken ? input[i] == special(s->index)
                                                  : false;
        if (match) next_set.insert({it.rule, it.alt, it.dot + 1, it.origin});
      }
      sets_.push_back(std::move(next_set));
      input_.push_back(input[i]);
      closure(sets_, i + 1);
    }
    const std::set<Item>& last = sets_[input.size()];
    if (last.empty()) return {false, false};
    bool complete = false;
    for (const Item& it : last) complete = complete || (it.rule == -1 && it.dot == 1);
    return {true, complete};
  }

 private:
  struct Sym {
    enum Kind { kBytes, kToken, kRule } kind;
    int index = 0;
    std::bitset<256> bytes;
    static Sym rule(int r) { return {kRule, r, {}}; }
    static Sym token(int32_t t) { return {kToken, t, {}}; }
    static Sym byte_set(const std::bitset<256>& b) { return {kBytes, 0, b}; }
  };
  struct Item {
    int rule, alt, dot, origin;
    bool operator<(const Item& o) const {
      return std::tie(rule, alt, dot, origin) < std::tie(o.rule, o.alt, o.dot, o.origin);
    }
  };

  int new_rule() {
    rules_.emplace_back();
    return static_cast<int>(rules_.size() - 1);
  }

  // A rule deriving exactly the strings of `r`.
  int lower(const Regex& r) {
    const int id = new_rule();
    switch (r.kind) {
      case Regex::Kind::kNothing: break;
      case Regex::Kind::kEmpty: rules_[id].push_back({}); break;
      case Regex::Kind::kByteSet: rules_[id].push_back({Sym::byte_set(r.bytes)}); break;
      case Regex::Kind::kConcat: {
        std::vector<Sym> seq;
        for (const RegexPtr& c : r.children) seq.push_back(Sym::rule(lower(*c)));
        rules_[id].push_back(seq);
        break;
      }
      case Regex::Kind::kAlt:
        for (const RegexPtr& c : r.children) {
          const int child = lower(*c);   // before indexing rules_: lower() grows it
          rules_[id].push_back({Sym::rule(child)});
        }
        break;
      case Regex::Kind::kRepeat: {
        const int child = lower(*r.children[0]);
        std::vector<Sym> seq(r.min, Sym::rule(child));
        if (r.max == Regex::kUnbounded) {
          const int star = new_rule();   // star -> "" | child star
          rules_[star].push_back({});
          rules_[star].push_back({Sym::rule(child), Sym::rule(star)});
          seq.push_back(Sym::rule(star));
        } else {
          // opt_k -> "" | child opt_{k-1}: up to max-min more copies.
          int tail = new_rule();
          rules_[tail].push_back({});
          for (uint32_t k = r.min; k < r.max; ++k) {
            const int opt = new_rule();
            rules_[opt].push_back({});
            rules_[opt].push_back({Sym::rule(child), Sym::rule(tail)});
            tail = opt;
          }
          seq.push_back(Sym::rule(tail));
        }
        rules_[id].push_back(seq);
        break;
      }
    }
    return id;
  }

  void prune() {
    productive_.assign(rules_.size(), 0);
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t r = 0; r < rules_.size(); ++r) {
        if (productive_[r]) continue;
        for (const auto& seq : rules_[r]) {
          bool ok = true;
          for (const Sym& s : seq) ok = ok && (s.kind != Sym::kRule || productive_[static_cast<size_t>(s.index)]);
          if (ok) {
            productive_[r] = 1;
            changed = true;
            break;
          }
        }
      }
    }
    for (auto& alts : rules_) {
      alts.erase(std::remove_if(alts.begin(), alts.end(),
                                [&](const std::vector<Sym>& seq) {
                                  return std::any_of(seq.begin(), seq.end(), [&](const Sym& s) {
                                    return s.kind == Sym::kRule && !productive_[static_cast<size_t>(s.index)];
                                  });
                                }),
                 alts.end());
    }
  }

  const Sym* next(const Item& it) const {
    if (it.rule == -1) return it.dot == 0 ? &start_sym_ : nullptr;
    const auto& seq = rules_[static_cast<size_t>(it.rule)][static_cast<size_t>(it.alt)];
    return static_cast<size_t>(it.dot) < seq.size() ? &seq[static_cast<size_t>(it.dot)] : nullptr;
  }

  // Predict and complete until nothing changes (a plain fixpoint: slow, obviously right).
  void closure(std::vector<std::set<Item>>& sets, size_t i) const {
    for (bool changed = true; changed;) {
      changed = false;
      const std::vector<Item> items(sets[i].begin(), sets[i].end());
      for (const Item& it : items) {
        const Sym* s = next(it);
        if (s != nullptr && s->kind == Sym::kRule) {
          for (size_t a = 0; a < rules_[static_cast<size_t>(s->index)].size(); ++a) {
            changed |= sets[i].insert({s->index, static_cast<int>(a), 0, static_cast<int>(i)}).second;
          }
        } else if (s == nullptr && it.rule != -1) {
          const std::vector<Item> waiting(sets[static_cast<size_t>(it.origin)].begin(),
                                          sets[static_cast<size_t>(it.origin)].end());
          for (const Item& w : waiting) {
            const Sym* ws = next(w);
            if (ws != nullptr && ws->kind == Sym::kRule && ws->index == it.rule) {
              changed |= sets[i].insert({w.rule, w.alt, w.dot + 1, w.origin}).second;
            }
          }
        }
      }
    }
  }

  std::vector<std::vector<std::vector<Sym>>> rules_;
  std::vector<uint8_t> productive_;
  size_t n_user_rules_ = 0;
  int start_ = 0;
  Sym start_sym_ = Sym::rule(0);
  mutable std::vector<Unit> input_;
  mutable std::vector<std::set<Item>> sets_;
};

}  // namespace gemma3::grammar::testing
