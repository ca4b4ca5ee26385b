// A slow, simple reference recognizer for the grammar IR, independent of the back end: an Earley
// parser whose terminals are matched by evaluating the lexeme's regex tree on sets of positions
// (no automata). Input units: bytes 0..255, and special token id t as 256 + t.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "grammar/grammar_ir.h"

namespace gemma3::grammar::testing {

class IrRecognizer {
 public:
  explicit IrRecognizer(const Grammar& g) : g_(g) {}

  bool accepts(std::string_view text) const {
    std::vector<int> units(text.begin(), text.end());
    for (int& u : units) u = static_cast<uint8_t>(u);
    return accepts_units(units);
  }

  bool accepts_units(const std::vector<int>& input) const {
    const size_t n = input.size();
    using Item = std::tuple<uint32_t, uint32_t, uint32_t, uint32_t>;   // rule, alternative, dot, origin
    std::vector<std::set<Item>> sets(n + 1);
    std::map<std::pair<uint32_t, size_t>, std::vector<bool>> lexeme_ends;
    auto ends_of = [&](uint32_t lexeme, size_t start) -> const std::vector<bool>& {
      auto key = std::make_pair(lexeme, start);
      auto it = lexeme_ends.find(key);
      if (it != lexeme_ends.end()) return it->second;
      std::vector<bool> starts(n + 1, false);
      starts[start] = true;
      return lexeme_ends.emplace(key, match(*g_.lexemes[lexeme], input, starts)).first->second;
    };
    for (uint32_t a = 0; a < g_.rules[g_.start].alternatives.size(); ++a) sets[0].insert({g_.start, a, 0, 0});
    for (size_t i = 0; i <= n; ++i) {
      // Closure of set i (predict / complete / scan into later sets), to a fixpoint.
      for (bool changed = true; changed;) {
        changed = false;
        std::vector<Item> items(sets[i].begin(), sets[i].end());
        for (const auto& [rule, alt, dot, origin] : items) {
          const auto& seq = g_.rules[rule].alternatives[alt];
          if (dot == seq.size()) {
            for (const auto& [r2, a2, d2, o2] : std::vector<Item>(sets[origin].begin(), sets[origin].end())) {
              const auto& s2 = g_.rules[r2].alternatives[a2];
              if (d2 < s2.size() && s2[d2].kind == Symbol::Kind::kRule && s2[d2].index == rule) {
                changed |= sets[i].insert({r2, a2, d2 + 1, o2}).second;
              }
            }
            continue;
          }
          const Symbol& s = seq[dot];
          if (s.kind == Symbol::Kind::kRule) {
            for (uint32_t a = 0; a < g_.rules[s.index].alternatives.size(); ++a) {
              changed |= sets[i].insert({s.index, a, 0, static_cast<uint32_t>(i)}).second;
            }
          } else if (s.kind == Symbol::Kind::kToken) {
            if (i < n && input[i] == 256 + static_cast<int>(s.index)) sets[i + 1].insert({rule, alt, dot + 1, origin});
          } else {
            const std::vector<bool>& ends = ends_of(s.index, i);
            for (size_t j = i; j <= n; ++j) {
              if (!ends[j]) continue;
              if (j == i) changed |= sets[i].insert({rule, alt, dot + 1, origin}).second;
              else sets[j].insert({rule, alt, dot + 1, origin});
            }
          }
        }
      }
    }
    for (uint32_t a = 0; a < g_.rules[g_.start].alternatives.size(); ++a) {
      if (sets[n].count({g_.start, a, static_cast<uint32_t>(g_.rules[g_.start].alternatives[a].size()), 0})) return true;
    }
    return false;
  }

  // End positions of matches of `r` from any start position in `starts`.
  static std::vector<bool> match(const Regex& r, const std::vector<int>& in, const std::vector<bool>& starts) {
    const size_t n = in.size();
    std::vector<bool> out(n + 1, false);
    switch (r.kind) {
      case Regex::Kind::kNothing: return out;
      case Regex::Kind::kEmpty: return starts;
      case Regex::Kind::kByteSet:
        for (size_t p = 0; p < n; ++p) {
          if (starts[p] && in[p] < 256 && r.bytes.test(static_cast<size_t>(in[p]))) out[p + 1] = true;
        }
        return out;
      case Regex::Kind::kConcat: {
        std::vector<bool> cur = starts;
        for (const auto& c : r.children) cur = match(*c, in, cur);
        return cur;
      }
      case Regex::Kind::kAlt:
        for (const auto& c : r.children) {
          std::vector<bool> e = match(*c, in, starts);
          for (size_t p = 0; p <= n; ++p) out[p] = out[p] || e[p];
        }
        return out;
      case Regex::Kind::kRepeat: {
        std::vector<bool> cur = starts;
        for (uint32_t k = 0; k < r.min; ++k) cur = match(*r.children[0], in, cur);
        out = cur;
        for (uint64_t k = r.min; r.max == Regex::kUnbounded || k < r.max; ++k) {
          std::vector<bool> next = match(*r.children[0], in, cur);
          bool grew = false;
          for (size_t p = 0; p <= n; ++p) {
            next[p] = next[p] && !out[p];
            if (next[p]) out[p] = grew = true;
          }
          if (!grew) break;
          cur = std::move(next);
        }
        return out;
      }
    }
    return out;
  }

 private:
  const Grammar& g_;
};

}  // namespace gemma3::grammar::testing
