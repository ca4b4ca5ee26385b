// A slow, simple reference recognizer for the grammar IR, independent of the back end: an Earley
// parser (worklist, with the usual handling of rules that complete without consuming input) whose
// terminals are matched by evaluating the lexeme's regex tree on sets of positions (no automata).
// Input units: bytes 0..255, and special token id t as 256 + t.
#pragma once

#include <algorithm>
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
    std::vector<std::set<Item>> seen(n + 1);
    std::vector<std::vector<Item>> items(n + 1);
    std::vector<std::map<uint32_t, std::vector<Item>>> waiting(n + 1);   // set -> rule -> items before it
    std::vector<std::set<uint32_t>> completed_empty(n + 1);               // rules derived "" at this position
    auto add = [&](size_t at, const Item& item) {
      if (seen[at].insert(item).second) items[at].push_back(item);
    };
    auto advance = [](const Item& it) {
      auto [r, a, d, o] = it;
      return Item{r, a, d + 1, o};
    };
    for (uint32_t a = 0; a < g_.rules[g_.start].alternatives.size(); ++a) add(0, {g_.start, a, 0, 0});
    for (size_t i = 0; i <= n; ++i) {
      for (size_t k = 0; k < items[i].size(); ++k) {
        const Item item = items[i][k];
        const auto [rule, alt, dot, origin] = item;
        const auto& seq = g_.rules[rule].alternatives[alt];
        if (dot == seq.size()) {
          if (origin == i) completed_empty[i].insert(rule);
          auto w = waiting[origin].find(rule);
          if (w == waiting[origin].end()) continue;
          const std::vector<Item> waiters = w->second;   // may grow while we add
          for (const Item& x : waiters) add(i, advance(x));
          continue;
        }
        const Symbol& s = seq[dot];
        if (s.kind == Symbol::Kind::kRule) {
          waiting[i][s.index].push_back(item);
          for (uint32_t a = 0; a < g_.rules[s.index].alternatives.size(); ++a) add(i, {s.index, a, 0, static_cast<uint32_t>(i)});
          if (completed_empty[i].count(s.index)) add(i, advance(item));
        } else if (s.kind == Symbol::Kind::kToken) {
          if (i < n && input[i] == 256 + static_cast<int>(s.index)) add(i + 1, advance(item));
        } else {
          const std::vector<uint32_t> from{static_cast<uint32_t>(i)};
          for (uint32_t j : match(*g_.lexemes[s.index], input, from)) add(j, advance(item));
        }
      }
    }
    for (uint32_t a = 0; a < g_.rules[g_.start].alternatives.size(); ++a) {
      if (seen[n].count({g_.start, a, static_cast<uint32_t>(g_.rules[g_.start].alternatives[a].size()), 0})) return true;
    }
    return false;
  }

  // End positions (sorted) of matches of `r` from any of the start positions `starts` (sorted).
  static std::vector<uint32_t> match(const Regex& r, const std::vector<int>& in, const std::vector<uint32_t>& starts) {
    std::vector<uint32_t> out;
    switch (r.kind) {
      case Regex::Kind::kNothing: return out;
      case Regex::Kind::kEmpty: return starts;
      case Regex::Kind::kByteSet:
        for (uint32_t p : starts) {
          if (p < in.size() && in[p] < 256 && r.bytes.test(static_cast<size_t>(in[p]))) out.push_back(p + 1);
        }
        return out;
      case Regex::Kind::kConcat: {
        std::vector<uint32_t> cur = starts;
        for (const auto& c : r.children) {
          if (cur.empty()) break;
          cur = match(*c, in, cur);
        }
        return cur;
      }
      case Regex::Kind::kAlt:
        for (const auto& c : r.children) {
          std::vector<uint32_t> e = match(*c, in, starts), merged;
          std::set_union(out.begin(), out.end(), e.begin(), e.end(), std::back_inserter(merged));
          out = std::move(merged);
        }
        return out;
      case Regex::Kind::kRepeat: {
        std::vector<uint32_t> cur = starts;
        for (uint32_t k = 0; k < r.min && !cur.empty(); ++k) cur = match(*r.children[0], in, cur);
        out = cur;
        // A position reached again after more repetitions has less budget left: only new ones expand.
        for (uint64_t k = r.min; !cur.empty() && (r.max == Regex::kUnbounded || k < r.max); ++k) {
          std::vector<uint32_t> next = match(*r.children[0], in, cur), fresh, merged;
          std::set_difference(next.begin(), next.end(), out.begin(), out.end(), std::back_inserter(fresh));
          std::set_union(out.begin(), out.end(), fresh.begin(), fresh.end(), std::back_inserter(merged));
          out = std::move(merged);
          cur = std::move(fresh);
        }
        return out;
      }
    }
    return out;
  }

  // Dense-bitmap form, for callers that index positions directly.
  static std::vector<bool> match_bitmap(const Regex& r, const std::vector<int>& in, const std::vector<bool>& starts) {
    std::vector<uint32_t> s;
    for (size_t p = 0; p < starts.size(); ++p) {
      if (starts[p]) s.push_back(static_cast<uint32_t>(p));
    }
    std::vector<bool> out(in.size() + 1, false);
    for (uint32_t p : match(r, in, s)) out[p] = true;
    return out;
  }

 private:
  const Grammar& g_;
};

}  // namespace gemma3::grammar::testing
