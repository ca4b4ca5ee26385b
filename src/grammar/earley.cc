#include "grammar/earley.h"

#include <algorithm>

namespace gemma3::grammar {
namespace {

uint32_t encode(const Symbol& s) {
  switch (s.kind) {
    case Symbol::Kind::kLexeme: return ParserTables::kLexeme | s.index;
    case Symbol::Kind::kToken: return ParserTables::kToken | s.index;
    case Symbol::Kind::kRule: return ParserTables::kRule | s.index;
  }
  return ParserTables::kEnd;
}

uint64_t mix(uint64_t x) {
  x ^= x >> 31;
  x *= 0x9E3779B97F4A7C15ull;
  return x ^ (x >> 29);
}

}  // namespace

Result<ParserTables> ParserTables::build(const Grammar& g, const Nfa& nfa) {
  G3_TRY(g.validate());
  for (const Rule& rule : g.rules) {
    for (const auto& seq : rule.alternatives) {
      for (const Symbol& s : seq) {
        if (s.kind == Symbol::Kind::kToken && s.index >= (1u << 30)) {
          return make_error("rule '" + rule.name + "' names token id " + std::to_string(static_cast<int32_t>(s.index)) +
                            ", which is out of range");
        }
      }
    }
  }
  ParserTables t;
  t.lexeme_nullable = nfa.lexeme_nullable;
  t.lexeme_scannable = nfa.lexeme_nonempty;
  const size_t n_rules = g.rules.size();

  // Productive rules (derive some string) and nullable rules (derive ""), by fixpoint.
  const auto lexeme_productive = [&](uint32_t l) { return t.lexeme_nullable[l] || t.lexeme_scannable[l]; };
  std::vector<uint8_t> productive(n_rules, 0);
  t.rule_nullable.assign(n_rules + 1, 0);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t r = 0; r < n_rules; ++r) {
      for (const auto& seq : g.rules[r].alternatives) {
        bool prod = true, null = true;
        for (const Symbol& s : seq) {
          switch (s.kind) {
            case Symbol::Kind::kLexeme:
              prod = prod && lexeme_productive(s.index);
              null = null && t.lexeme_nullable[s.index];
              break;
            case Symbol::Kind::kToken: null = false; break;
            case Symbol::Kind::kRule:
              prod = prod && productive[s.index];
              null = null && t.rule_nullable[s.index];
              break;
          }
        }
        if (prod && !productive[r]) productive[r] = 1, changed = true;
        if (null && !t.rule_nullable[r]) t.rule_nullable[r] = 1, changed = true;
      }
    }
  }
  if (!productive[g.start]) return make_error("the grammar derives no string (start rule '" + g.rules[g.start].name + "')");

  // Flatten: rule n_rules is the augmented start S' -> start.
  t.rule_productions.assign(n_rules + 1, {});
  const auto add_production = [&](uint32_t lhs, const std::vector<Symbol>& seq) {
    t.rule_productions[lhs].push_back(static_cast<uint32_t>(t.dp_symbol.size()));
    for (const Symbol& s : seq) {
      t.dp_symbol.push_back(encode(s));
      t.dp_lhs.push_back(lhs);
    }
    t.dp_symbol.push_back(kEnd);
    t.dp_lhs.push_back(lhs);
  };
  for (size_t r = 0; r < n_rules; ++r) {
    for (const auto& seq : g.rules[r].alternatives) {
      const bool prod = std::all_of(seq.begin(), seq.end(), [&](const Symbol& s) {
        return s.kind == Symbol::Kind::kToken || (s.kind == Symbol::Kind::kLexeme && lexeme_productive(s.index)) ||
               (s.kind == Symbol::Kind::kRule && productive[s.index]);
      });
      if (prod) add_production(static_cast<uint32_t>(r), seq);
    }
  }
  t.start_dp = static_cast<uint32_t>(t.dp_symbol.size());
  add_production(static_cast<uint32_t>(n_rules), {Symbol::rule(g.start)});
  t.accept_dp = t.start_dp + 1;
  t.rule_nullable[n_rules] = t.rule_nullable[g.start];
  return t;
}

Chart::Chart(const ParserTables* tables, LazyDfa* dfa) : t_(tables), dfa_(dfa) {
  seen_.assign(64, 0);
  lexeme_mark_.assign(tables->lexeme_nullable.size(), 0);
  set_begin_.push_back(0);
}

void Chart::add(uint32_t dp, uint32_t origin) {
  const uint64_t key = (static_cast<uint64_t>(dp) << 32 | origin) + 1;
  const size_t n_items = items_.size() - set_begin_.back();
  if (2 * (n_items + 1) > seen_.size()) {
    // Grow and re-insert the set's items.
    for (uint32_t s : seen_used_) seen_[s] = 0;
    seen_used_.clear();
    seen_.assign(seen_.size() * 4, 0);
    for (size_t i = set_begin_.back(); i < items_.size(); ++i) {
      const uint64_t k = (static_cast<uint64_t>(items_[i].dp) << 32 | items_[i].origin) + 1;
      size_t slot = mix(k) & (seen_.size() - 1);
      while (seen_[slot] != 0) slot = (slot + 1) & (seen_.size() - 1);
      seen_[slot] = k;
      seen_used_.push_back(static_cast<uint32_t>(slot));
    }
  }
  size_t slot = mix(key) & (seen_.size() - 1);
  while (seen_[slot] != 0) {
    if (seen_[slot] == key) return;
    slot = (slot + 1) & (seen_.size() - 1);
  }
  seen_[slot] = key;
  seen_used_.push_back(static_cast<uint32_t>(slot));
  items_.push_back({dp, origin});
}

uint32_t Chart::close() {
  const uint32_t set = static_cast<uint32_t>(info_.size());
  const uint32_t begin = set_begin_.back();
  if (items_.size() == begin) return kNoSet;
  SetInfo info{LazyDfa::kDead, static_cast<uint32_t>(tokens_.size()), 0, false};
  scratch_lexemes_.clear();
  for (size_t i = begin; i < items_.size(); ++i) {
    const Item it = items_[i];
    const uint32_t sym = t_->dp_symbol[it.dp];
    const uint32_t index = sym & ~ParserTables::kKindMask;
    switch (sym & ParserTables::kKindMask) {
      case ParserTables::kEnd: {
        if (it.dp == t_->accept_dp) {
          info.complete = true;
          break;
        }
        const uint32_t want = ParserTables::kRule | t_->dp_lhs[it.dp];
        const uint32_t o_begin = set_begin_[it.origin];
        const uint32_t o_end = it.origin == set ? static_cast<uint32_t>(items_.size()) : set_begin_[it.origin + 1];
        for (uint32_t j = o_begin; j < o_end; ++j) {
          const Item w = items_[j];
          if (t_->dp_symbol[w.dp] == want) add(w.dp + 1, w.origin);
        }
        break;
      }
      case ParserTables::kRule:
        for (uint32_t p : t_->rule_productions[index]) add(p, set);
        if (t_->rule_nullable[index]) add(it.dp + 1, it.origin);
        break;
      case ParserTables::kLexeme:
        if (t_->lexeme_scannable[index] && !lexeme_mark_[index]) {
          lexeme_mark_[index] = 1;
          scratch_lexemes_.push_back(index);
        }
        if (t_->lexeme_nullable[index]) add(it.dp + 1, it.origin);
        break;
      case ParserTables::kToken: tokens_.push_back(static_cast<int32_t>(index)); break;
    }
  }
  for (uint32_t s : seen_used_) seen_[s] = 0;
  seen_used_.clear();
  for (uint32_t l : scratch_lexemes_) lexeme_mark_[l] = 0;
  std::sort(scratch_lexemes_.begin(), scratch_lexemes_.end());
  info.dfa_start = dfa_->start(scratch_lexemes_);
  std::sort(tokens_.begin() + info.tokens_begin, tokens_.end());
  tokens_.erase(std::unique(tokens_.begin() + info.tokens_begin, tokens_.end()), tokens_.end());
  info.tokens_end = static_cast<uint32_t>(tokens_.size());
  info_.push_back(info);
  set_begin_.push_back(static_cast<uint32_t>(items_.size()));
  return set;
}

uint32_t Chart::initial() {
  add(t_->start_dp, 0);
  return close();
}

uint32_t Chart::scan_lexemes(uint32_t from, const std::vector<uint32_t>& lexemes) {
  for (uint32_t j = set_begin_[from]; j < set_begin_[from + 1]; ++j) {
    const Item w = items_[j];
    const uint32_t sym = t_->dp_symbol[w.dp];
    if ((sym & ParserTables::kKindMask) != ParserTables::kLexeme) continue;
    if (std::binary_search(lexemes.begin(), lexemes.end(), sym & ~ParserTables::kKindMask)) add(w.dp + 1, w.origin);
  }
  return close();
}

uint32_t Chart::scan_token(uint32_t from, int32_t token) {
  const uint32_t want = ParserTables::kToken | static_cast<uint32_t>(token);
  for (uint32_t j = set_begin_[from]; j < set_begin_[from + 1]; ++j) {
    const Item w = items_[j];
    if (t_->dp_symbol[w.dp] == want) add(w.dp + 1, w.origin);
  }
  return close();
}

void Chart::truncate(uint32_t n_sets) {
  if (n_sets >= info_.size()) return;
  items_.resize(set_begin_[n_sets]);
  set_begin_.resize(n_sets + 1);
  tokens_.resize(info_[n_sets].tokens_begin);
  info_.resize(n_sets);
}

void Chart::dfa_refs(std::vector<uint32_t*>& out) {
  for (SetInfo& i : info_) out.push_back(&i.dfa_start);
}

}  // namespace gemma3::grammar
