// Matcher: one sequence's position in a compiled grammar.
//
// The position is a small set of "threads" (parse set, lexer state): the Earley set before the
// lexeme being read and the lazily built DFA state after the bytes of it read so far. Because a
// lexeme may end wherever its regex can (no maximal munch), a byte either continues the current
// lexeme or, when some lexeme can end before it, commits that lexeme (one new Earley set, cached
// per (set, accepted lexemes)) and starts the next one; both branches are kept, deduplicated.
//
// fill_mask walks the vocabulary trie once: the threads after each trie node's bytes are computed
// from its parent's, and a node with no live thread prunes its whole subtree. When some thread's
// lexer state survives every run of plain string characters, the token table's string slice is
// OR-ed in as a bitmap and only the remaining trie is walked.
//
// Work bounds: at most kMaxThreads threads per position (more are dropped, counted in
// dropped_threads; only highly ambiguous grammars get there, and dropping can only forbid tokens,
// never allow an invalid one), so a mask costs at most kMaxThreads steps per trie node. The lexer
// cache is flushed when it exceeds CompileLimits::max_lexer_states states.
#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "grammar/compiled_grammar.h"
#include "grammar/matcher_state.h"

namespace gemma3::grammar {

Matcher::State::State(std::shared_ptr<const CompiledGrammar> grammar, std::vector<int32_t> ends)
    : g(std::move(grammar)), end_ids(std::move(ends)), dfa(&g->nfa), chart(&g->tables, &dfa) {
  const uint32_t s0 = chart.initial();
  threads.push_back({s0, chart.info(s0).dfa_start, true});
  refresh();
}

uint32_t Matcher::State::commit(uint32_t set, uint32_t accept_id) {
  const uint64_t key = static_cast<uint64_t>(set) << 32 | accept_id;
  auto it = commits.find(key);
  if (it != commits.end()) return it->second;
  const uint32_t next = chart.scan_lexemes(set, dfa.accept_set(accept_id));
  commits.emplace(key, next);
  return next;
}

void Matcher::State::truncate(uint32_t n_sets) {
  if (chart.size() > n_sets) {
    chart.truncate(n_sets);
    commits.clear();
  }
}

bool Matcher::State::step(const Thread* in, size_t n, uint8_t byte, std::vector<Thread>& out) {
  out.clear();
  const auto push = [&](Thread t) {
    for (const Thread& o : out) {
      if (o.set == t.set && o.dfa == t.dfa) return;
    }
    if (out.size() >= kMaxThreads) {
      ++dropped_threads;
      return;
    }
    out.push_back(t);
  };
  for (size_t i = 0; i < n; ++i) {
    const Thread& th = in[i];
    const uint32_t d = dfa.step(th.dfa, byte);
    if (d != LazyDfa::kDead) push({th.set, d, false});
    const uint32_t aid = dfa.accept_id(th.dfa);
    if (aid != 0) {
      const uint32_t next = commit(th.set, aid);
      if (next != Chart::kNoSet) {
        const uint32_t d2 = dfa.step(chart.info(next).dfa_start, byte);
        if (d2 != LazyDfa::kDead) push({next, d2, false});
      }
    }
  }
  return !out.empty();
}

// The parse sets a thread can be at a lexeme boundary in: its own set when fresh, and the set after
// committing the lexemes its lexer state can end. Calls f(set) for each.
template <typename F>
void Matcher::State::for_each_boundary(const Thread& th, F&& f) {
  if (th.fresh) f(th.set);
  const uint32_t aid = dfa.accept_id(th.dfa);
  if (aid != 0) {
    const uint32_t next = commit(th.set, aid);
    if (next != Chart::kNoSet) f(next);
  }
}

void Matcher::State::refresh() {
  complete = false;
  bool more = false;
  for (const Thread& th : threads) {
    if (dfa.can_continue(th.dfa)) more = true;
    for_each_boundary(th, [&](uint32_t set) {
      const Chart::SetInfo& info = chart.info(set);
      if (info.complete) complete = true;
      if (info.tokens_end > info.tokens_begin || dfa.can_continue(info.dfa_start)) more = true;
    });
  }
  must_end = complete && !more;
  committed = chart.size();
}

void Matcher::State::flush_if_needed() {
  if (dfa.n_states() <= g->limits.max_lexer_states) return;
  truncate(committed);
  std::vector<uint32_t*> refs;
  for (Thread& t : threads) refs.push_back(&t.dfa);
  for (Snapshot& s : history) {
    for (Thread& t : s.threads) refs.push_back(&t.dfa);
  }
  chart.dfa_refs(refs);
  dfa.flush(std::move(refs));
  commits.clear();
}

void Matcher::State::walk(const TokenTrie& trie, std::span<uint32_t> mask, uint32_t skip_chars) {
  if (trie.size() == 0) return;
  levels.resize(trie.max_depth + 1);
  levels[0] = threads;
  for (size_t k = 0; k < trie.size();) {
    if (skip_chars > 0 && trie.subtree_chars[k] <= skip_chars) {
      k = trie.end[k];
      continue;
    }
    const size_t d = trie.depth[k];
    const std::vector<Thread>& parent = levels[d - 1];
    std::vector<Thread>& cur = levels[d];
    // Fast path: one thread whose lexeme cannot end here needs one table lookup.
    if (parent.size() == 1 && dfa.accept_id(parent[0].dfa) == 0) {
      const uint32_t next = dfa.step(parent[0].dfa, trie.byte[k]);
      if (next == LazyDfa::kDead) {
        k = trie.end[k];
        continue;
      }
      cur.assign(1, Thread{parent[0].set, next, false});
    } else if (!step(parent.data(), parent.size(), trie.byte[k], cur)) {
      k = trie.end[k];
      continue;
    }
    for (uint32_t i = trie.id_begin[k]; i < trie.id_begin[k + 1]; ++i) {
      const auto id = static_cast<uint32_t>(trie.ids[i]);
      mask[id / 32] |= 1u << (id % 32);
    }
    ++k;
  }
}

Matcher::Matcher(std::shared_ptr<const CompiledGrammar> grammar, std::vector<int32_t> end_ids)
    : state_(std::make_unique<State>(std::move(grammar), std::move(end_ids))) {}
Matcher::~Matcher() = default;
Matcher::Matcher(Matcher&&) noexcept = default;
Matcher& Matcher::operator=(Matcher&&) noexcept = default;

void Matcher::fill_mask(std::span<uint32_t> mask) {
  State& s = *state_;
  s.flush_if_needed();
  std::fill(mask.begin(), mask.end(), 0u);
  if (s.ended) return;
  const TokenTable& table = *s.g->tokens;
  const size_t n_ids = std::min(static_cast<size_t>(table.vocab_size()), mask.size() * 32);
  const auto set_bit = [&](int32_t id) {
    if (id >= 0 && static_cast<size_t>(id) < n_ids) mask[static_cast<size_t>(id) / 32] |= 1u << (id % 32);
  };
  if (s.complete) {
    for (int32_t id : s.end_ids) set_bit(id);
  }
  // The most characters of plain string content every slice run of which some thread survives.
  const uint32_t max_chars = table.slice_max_chars();
  uint32_t slice = 0;
  for (const Thread& th : s.threads) {
    s.for_each_boundary(th, [&](uint32_t set) {
      for (int32_t id : s.chart.tokens(set)) set_bit(id);
    });
    if (slice < max_chars) slice = std::max(slice, s.dfa.slice_chars(th.dfa, max_chars));
  }
  if (slice > 0) {
    const std::vector<uint32_t>& bits = table.slice_mask_upto(slice);
    for (size_t i = 0; i < mask.size() && i < bits.size(); ++i) mask[i] |= bits[i];
  }
  // Slice tokens of more characters than the bitmap covers are walked; subtrees of shorter ones
  // (all allowed by the bitmap) are skipped.
  if (slice < max_chars) s.walk(table.slice_trie(), mask, std::min(slice, TokenTable::kSliceCharMasks));
  s.walk(table.rest_trie(), mask);
  s.truncate(s.committed);
}

bool Matcher::accept(int32_t token) {
  State& s = *state_;
  s.flush_if_needed();
  if (s.ended) return false;
  const TokenTable& table = *s.g->tokens;
  if (token < 0 || token >= table.vocab_size()) return false;
  const uint32_t chart_size = s.chart.size();
  const auto snapshot = [&] { return Snapshot{s.threads, chart_size, s.ended, s.complete, s.must_end}; };
  std::vector<Thread> next;
  // A token the grammar names as a Symbol::token: taken at a lexeme boundary.
  for (const Thread& th : s.threads) {
    s.for_each_boundary(th, [&](uint32_t set) {
      const auto allowed = s.chart.tokens(set);
      if (!std::binary_search(allowed.begin(), allowed.end(), token)) return;
      const uint32_t after = s.chart.scan_token(set, token);
      if (after != Chart::kNoSet) next.push_back({after, s.chart.info(after).dfa_start, true});
    });
  }
  if (next.empty() && !table.is_special(token) && !table.bytes(token).empty()) {
    std::vector<Thread> cur = s.threads, out;
    bool alive = true;
    for (char c : table.bytes(token)) {
      alive = s.step(cur.data(), cur.size(), static_cast<uint8_t>(c), out);
      if (!alive) break;
      cur.swap(out);
    }
    if (alive) next = std::move(cur);
  }
  if (next.empty()) {
    if (s.complete && std::find(s.end_ids.begin(), s.end_ids.end(), token) != s.end_ids.end()) {
      s.history.push_back(snapshot());
      s.ended = true;
      s.must_end = false;
      return true;
    }
    s.truncate(chart_size);
    return false;
  }
  s.history.push_back(snapshot());
  s.threads = std::move(next);
  s.refresh();
  return true;
}

bool Matcher::is_complete() const { return !state_->ended && state_->complete; }
bool Matcher::must_end() const { return !state_->ended && state_->must_end; }
size_t Matcher::accepted_count() const { return state_->history.size(); }

void Matcher::rollback(size_t n) {
  State& s = *state_;
  n = std::min(n, s.history.size());
  if (n == 0) return;
  Snapshot& snap = s.history[s.history.size() - n];
  s.threads = std::move(snap.threads);
  s.ended = snap.ended;
  s.complete = snap.complete;
  s.must_end = snap.must_end;
  const uint32_t size = snap.chart_size;
  s.history.resize(s.history.size() - n);
  s.truncate(size);
  s.committed = size;
}

std::vector<int32_t> Matcher::forced_tokens(size_t max) {
  State& s = *state_;
  if (max == 0 || s.ended) return {};
  s.flush_if_needed();
  std::string forced;
  bool ends_after = false;   // the grammar must end right after the forced bytes
  std::vector<Thread> cur = s.threads, out;
  int32_t forced_special = -1;
  constexpr size_t kMaxForcedBytes = 256;
  while (forced.size() < kMaxForcedBytes) {
    // The continuations: bytes that keep some thread alive, special tokens, or the end.
    bool complete = false;
    std::vector<int32_t> specials;
    std::bitset<256> bytes;
    for (const Thread& th : cur) {
      for (uint8_t b : s.dfa.live_bytes(th.dfa)) bytes.set(b);
      s.for_each_boundary(th, [&](uint32_t set) {
        const Chart::SetInfo& info = s.chart.info(set);
        complete = complete || info.complete;
        for (int32_t id : s.chart.tokens(set)) specials.push_back(id);
        for (uint8_t b : s.dfa.live_bytes(info.dfa_start)) bytes.set(b);
      });
    }
    std::sort(specials.begin(), specials.end());
    specials.erase(std::unique(specials.begin(), specials.end()), specials.end());
    if (complete) {
      ends_after = bytes.none() && specials.empty();
      break;
    }
    if (forced.empty() && bytes.none() && specials.size() == 1) forced_special = specials[0];
    if (bytes.count() != 1 || !specials.empty()) break;
    uint8_t b = 0;
    while (!bytes.test(b)) ++b;
    if (!s.step(cur.data(), cur.size(), b, out)) break;
    cur.swap(out);
    forced.push_back(static_cast<char>(b));
  }
  s.truncate(s.committed);
  if (forced_special >= 0) return {forced_special};
  if (forced.empty()) return {};
  const TokenTable& table = *s.g->tokens;
  std::vector<int32_t> ids = table.encode(forced);
  // The tokenizer's tokens need not write the bytes they were given: it normalises first (a space
  // becomes "▁", whose byte-fallback tokens write E2 96 81 where no "▁" piece exists; invalid UTF-8
  // is replaced). Only the leading tokens that write exactly the forced bytes are kept.
  size_t pos = 0, keep = 0;
  for (; keep < ids.size(); ++keep) {
    const int32_t id = ids[keep];
    if (id < 0 || id >= table.vocab_size() || table.is_special(id)) break;
    const std::string& b = table.bytes(id);
    if (b.empty() || forced.compare(pos, b.size(), b) != 0) break;
    pos += b.size();
  }
  const bool exact = keep == ids.size() && pos == forced.size();
  ids.resize(keep);
  // Unless the output must end after the forced bytes (and the tokens write all of them), the last
  // token could merge with what follows into a longer token, so it is not forced.
  if (!(ends_after && exact) && !ids.empty()) ids.pop_back();
  if (ids.size() > max) ids.resize(max);
  return ids;
}

}  // namespace gemma3::grammar
