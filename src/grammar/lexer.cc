#include "grammar/lexer.h"

#include <algorithm>
#include <map>
#include <unordered_set>

namespace gemma3::grammar {
namespace {

constexpr uint32_t kInitialMark = UINT32_MAX;

struct Fragment {
  uint32_t start, end;
};

class NfaBuilder {
 public:
  NfaBuilder(Nfa& nfa, size_t max_states) : nfa_(nfa), max_states_(max_states) {}

  Fragment build(const Regex& r) {
    if (overflow_) return {0, 0};
    switch (r.kind) {
      case Regex::Kind::kNothing: {
        uint32_t s = add();
        uint32_t e = add();
        return Fragment{s, e};
      }
      case Regex::Kind::kEmpty: {
        uint32_t s = add();
        uint32_t e = add();
        nfa_.eps[s].push_back(e);
        return Fragment{s, e};
      }
      case Regex::Kind::kByteSet: {
        uint32_t s = add();
        uint32_t e = add();
        nfa_.bytes[s] = r.bytes;
        nfa_.has_bytes[s] = 1;
        nfa_.next[s] = e;
        return Fragment{s, e};
      }
      case Regex::Kind::kConcat: {
        Fragment f = build(*r.children[0]);
        if (overflow_) return {0, 0};
        for (size_t i = 1; i < r.children.size(); ++i) {
          Fragment g = build(*r.children[i]);
        if (overflow_) return {0, 0};
          nfa_.eps[f.end].push_back(g.start);
          f.end = g.end;
        }
        return f;
      }
      case Regex::Kind::kAlt: {
        uint32_t s = add();
        uint32_t e = add();
        for (const RegexPtr& c : r.children) {
          Fragment g = build(*c);
        if (overflow_) return {0, 0};
          nfa_.eps[s].push_back(g.start);
          nfa_.eps[g.end].push_back(e);
        }
        return Fragment{s, e};
      }
      case Regex::Kind::kRepeat: {
        // min copies in a row, then either a loop (unbounded) or max-min optional copies.
        uint32_t s = add();
        uint32_t cur = s;
        for (uint32_t i = 0; i < r.min; ++i) {
          Fragment g = build(*r.children[0]);
        if (overflow_) return {0, 0};
          nfa_.eps[cur].push_back(g.start);
          cur = g.end;
        }
        uint32_t e = add();
        if (r.max == Regex::kUnbounded) {
          Fragment g = build(*r.children[0]);
        if (overflow_) return {0, 0};
          nfa_.eps[cur].push_back(g.start);
          nfa_.eps[g.end].push_back(cur);
          nfa_.eps[cur].push_back(e);
        } else {
          for (uint32_t i = r.min; i < r.max; ++i) {
            Fragment g = build(*r.children[0]);
        if (overflow_) return {0, 0};
            nfa_.eps[cur].push_back(g.start);
            nfa_.eps[cur].push_back(e);
            cur = g.end;
          }
          nfa_.eps[cur].push_back(e);
        }
        return Fragment{s, e};
      }
    }
    return {0, 0};
  }

  // Once the limit is reached every call returns state 0 and build() unwinds without work.
  uint32_t add() {
    if (nfa_.next.size() >= max_states_) overflow_ = true;
    if (overflow_) return 0;
    nfa_.bytes.emplace_back();
    nfa_.has_bytes.push_back(0);
    nfa_.next.push_back(0);
    nfa_.eps.emplace_back();
    nfa_.accepts.push_back(-1);
    return static_cast<uint32_t>(nfa_.next.size() - 1);
  }

  bool overflow() const { return overflow_; }

 private:
  Nfa& nfa_;
  size_t max_states_;
  bool overflow_ = false;
};

bool nullable(const Regex& r) {
  switch (r.kind) {
    case Regex::Kind::kNothing: return false;
    case Regex::Kind::kEmpty: return true;
    case Regex::Kind::kByteSet: return false;
    case Regex::Kind::kConcat:
      return std::all_of(r.children.begin(), r.children.end(), [](const RegexPtr& c) { return nullable(*c); });
    case Regex::Kind::kAlt:
      return std::any_of(r.children.begin(), r.children.end(), [](const RegexPtr& c) { return nullable(*c); });
    case Regex::Kind::kRepeat: return r.min == 0 || nullable(*r.children[0]);
  }
  return false;
}

// Partitions the bytes into classes no byte set of the lexemes tells apart. Byte sets are deduped
// by value first (a schema's property names repeat the same single-byte sets thousands of times),
// and each distinct set refines the partition with two arrays instead of a map.
void byte_classes(const std::vector<RegexPtr>& lexemes, Nfa& nfa) {
  std::array<uint32_t, 256> cls{};
  std::unordered_set<const Regex*> seen;
  std::unordered_set<std::bitset<256>> sets;
  std::vector<const Regex*> stack;
  for (const RegexPtr& l : lexemes) stack.push_back(l.get());
  uint32_t n = 1;
  std::array<int32_t, 512> remap;
  while (!stack.empty()) {
    const Regex* r = stack.back();
    stack.pop_back();
    if (!seen.insert(r).second) continue;
    for (const RegexPtr& c : r->children) stack.push_back(c.get());
    if (r->kind != Regex::Kind::kByteSet || !sets.insert(r->bytes).second) continue;
    // New class of byte b: the pair (old class, in the set), numbered in order of first byte.
    remap.fill(-1);
    uint32_t next = 0;
    for (int b = 0; b < 256; ++b) {
      int32_t& slot = remap[cls[b] * 2 + (r->bytes.test(b) ? 1 : 0)];
      if (slot < 0) slot = static_cast<int32_t>(next++);
      cls[b] = static_cast<uint32_t>(slot);
    }
    n = next;
  }
  nfa.n_classes = n;
  nfa.class_rep.assign(n, 0);
  std::vector<bool> have(n, false);
  for (int b = 0; b < 256; ++b) {
    nfa.byte_class[b] = static_cast<uint16_t>(cls[b]);
    if (!have[cls[b]]) {
      have[cls[b]] = true;
      nfa.class_rep[cls[b]] = static_cast<uint8_t>(b);
    }
  }
}

}  // namespace

Result<Nfa> Nfa::build(const std::vector<RegexPtr>& lexemes, size_t max_states) {
  Nfa nfa;
  NfaBuilder builder(nfa, max_states);
  for (size_t i = 0; i < lexemes.size(); ++i) {
    const uint32_t start = builder.add();
    const Fragment f = builder.build(*lexemes[i]);
    const uint32_t accept = builder.add();
    if (builder.overflow()) {
      return make_error("the grammar's lexemes need more than " + std::to_string(max_states) +
                        " automaton states (limit max_lexer_states / max_memory_bytes)");
    }
    nfa.eps[start].push_back(f.start);
    nfa.eps[f.end].push_back(accept);
    nfa.accepts[accept] = static_cast<int32_t>(i);
    nfa.lexeme_start.push_back(start);
    nfa.lexeme_nullable.push_back(nullable(*lexemes[i]) ? 1 : 0);
  }
  // live: the states from which an accept state is reachable (backwards search).
  const size_t n = nfa.next.size();
  std::vector<std::vector<uint32_t>> back(n);
  for (uint32_t s = 0; s < n; ++s) {
    if (nfa.has_bytes[s]) back[nfa.next[s]].push_back(s);
    for (uint32_t t : nfa.eps[s]) back[t].push_back(s);
  }
  nfa.live.assign(n, 0);
  std::vector<uint32_t> stack;
  for (uint32_t s = 0; s < n; ++s) {
    if (nfa.accepts[s] >= 0) {
      nfa.live[s] = 1;
      stack.push_back(s);
    }
  }
  while (!stack.empty()) {
    const uint32_t s = stack.back();
    stack.pop_back();
    for (uint32_t p : back[s]) {
      if (!nfa.live[p]) {
        nfa.live[p] = 1;
        stack.push_back(p);
      }
    }
  }
  byte_classes(lexemes, nfa);
  // A lexeme matches a non-empty string when some live byte transition is reachable from its start.
  LazyDfa dfa(&nfa);
  for (size_t i = 0; i < lexemes.size(); ++i) {
    nfa.lexeme_nonempty.push_back(dfa.can_continue(dfa.start({static_cast<uint32_t>(i)})) ? 1 : 0);
  }
  return nfa;
}

size_t LazyDfa::KeyHash::operator()(const std::vector<uint32_t>& k) const {
  uint64_t h = 1469598103934665603ull ^ k.size();
  for (uint32_t v : k) h = (h ^ v) * 1099511628211ull;
  return static_cast<size_t>(h ^ (h >> 29));
}

LazyDfa::LazyDfa(const Nfa* nfa) : nfa_(nfa), n_classes_(nfa->n_classes) {
  accept_sets_.emplace_back();
  accept_ids_.emplace(std::vector<uint32_t>{}, 0);
  mark_.assign(nfa->next.size(), 0);
  intern({}, false);   // kDead
}

void LazyDfa::closure(std::vector<uint32_t>& frontier, std::vector<uint32_t>& out) {
  ++generation_;
  if (generation_ == 0) {
    std::fill(mark_.begin(), mark_.end(), 0);
    generation_ = 1;
  }
  out.clear();
  while (!frontier.empty()) {
    const uint32_t s = frontier.back();
    frontier.pop_back();
    if (mark_[s] == generation_ || !nfa_->live[s]) continue;
    mark_[s] = generation_;
    if (nfa_->has_bytes[s] || nfa_->accepts[s] >= 0) out.push_back(s);
    for (uint32_t t : nfa_->eps[s]) frontier.push_back(t);
  }
  std::sort(out.begin(), out.end());
}

uint32_t LazyDfa::intern(std::vector<uint32_t> key, bool initial) {
  if (initial) key.push_back(kInitialMark);
  auto it = ids_.find(key);
  if (it != ids_.end()) return it->second;
  const auto id = static_cast<uint32_t>(keys_.size());
  std::vector<uint32_t> accepted;
  if (!initial) {
    for (uint32_t s : key) {
      if (nfa_->accepts[s] >= 0) accepted.push_back(static_cast<uint32_t>(nfa_->accepts[s]));
    }
    std::sort(accepted.begin(), accepted.end());
    accepted.erase(std::unique(accepted.begin(), accepted.end()), accepted.end());
  }
  auto [aid, inserted] = accept_ids_.try_emplace(accepted, static_cast<uint32_t>(accept_sets_.size()));
  if (inserted) accept_sets_.push_back(accepted);
  accept_id_.push_back(aid->second);
  ids_.emplace(key, id);
  keys_.push_back(std::move(key));
  trans_.resize(trans_.size() + n_classes_, -1);
  slice_chars_.push_back(-1);
  can_continue_.push_back(-1);
  if (id == kDead) std::fill(trans_.begin(), trans_.end(), static_cast<int32_t>(kDead));
  return id;
}

uint32_t LazyDfa::start(const std::vector<uint32_t>& lexemes) {
  auto it = starts_.find(lexemes);
  if (it != starts_.end()) return it->second;
  std::vector<uint32_t> frontier, out;
  for (uint32_t l : lexemes) frontier.push_back(nfa_->lexeme_start[l]);
  closure(frontier, out);
  // A start state with no live NFA state is the dead state (no lexeme can begin).
  const uint32_t id = out.empty() ? kDead : intern(std::move(out), true);
  starts_.emplace(lexemes, id);
  return id;
}

uint32_t LazyDfa::compute(uint32_t state, uint16_t cls) {
  const uint8_t rep = nfa_->class_rep[cls];
  std::vector<uint32_t> frontier, out;
  for (uint32_t s : keys_[state]) {
    if (s != kInitialMark && nfa_->has_bytes[s] && nfa_->bytes[s].test(rep)) frontier.push_back(nfa_->next[s]);
  }
  closure(frontier, out);
  return out.empty() ? kDead : intern(std::move(out), false);
}

bool LazyDfa::can_continue(uint32_t state) {
  if (can_continue_[state] < 0) {
    bool any = false;
    for (uint16_t c = 0; c < n_classes_ && !any; ++c) any = step(state, nfa_->class_rep[c]) != kDead;
    can_continue_[state] = any ? 1 : 0;
  }
  return can_continue_[state] == 1;
}

std::vector<uint8_t> LazyDfa::live_bytes(uint32_t state) {
  std::vector<uint8_t> out;
  for (int b = 0; b < 256; ++b) {
    if (step(state, static_cast<uint8_t>(b)) != kDead) out.push_back(static_cast<uint8_t>(b));
  }
  return out;
}

namespace {

// UTF-8 decoding states for the string slice: 0 at a character boundary, 1..3 continuation bytes
// still needed, 4..7 the restricted second byte after E0, ED, F0, F4. Returns -1 when `b` cannot
// come next in a slice string.
int slice_next(int u, uint8_t b) {
  const bool cont = b >= 0x80 && b <= 0xBF;
  switch (u) {
    case 0:
      if (b < 0x20 || b == '"' || b == '\\') return -1;
      if (b < 0x80) return 0;
      if (b >= 0xC2 && b <= 0xDF) return 1;
      if (b == 0xE0) return 4;
      if (b == 0xED) return 5;
      if (b >= 0xE1 && b <= 0xEF) return 2;
      if (b == 0xF0) return 6;
      if (b >= 0xF1 && b <= 0xF3) return 3;
      if (b == 0xF4) return 7;
      return -1;
    case 1: return cont ? 0 : -1;
    case 2: return cont ? 1 : -1;
    case 3: return cont ? 2 : -1;
    case 4: return b >= 0xA0 && b <= 0xBF ? 1 : -1;
    case 5: return b >= 0x80 && b <= 0x9F ? 1 : -1;
    case 6: return b >= 0x90 && b <= 0xBF ? 2 : -1;
    case 7: return b >= 0x80 && b <= 0x8F ? 2 : -1;
  }
  return -1;
}

}  // namespace

uint32_t LazyDfa::slice_chars(uint32_t state, uint32_t limit) {
  if (state == kDead) return 0;
  // Cached: v >= 0 is the exact answer (INT32_MAX: no run dies), v <= -2 a proved lower bound -v-2
  // (the search stopped at its limit or work bound), -1 unknown.
  const int32_t v = slice_chars_[state];
  if (v >= 0) return std::min<uint32_t>(static_cast<uint32_t>(v), limit);
  if (v <= -2 && static_cast<uint32_t>(-v - 2) >= limit) return limit;
  // Breadth first by characters over the DFA states at character boundaries: level k holds the
  // states first reached after k characters. A character from a level-k state that kills the lexer
  // makes r = k (the first level with a death is the shortest dying run). A level adding no new
  // state closes the search: every longer run only revisits expanded states, so r = limit. The
  // (state, UTF-8 position) pairs inside one character are deduplicated per expansion. A search
  // past kMaxWork pairs stops with the level reached, which is a safe (smaller) answer.
  if (slice_reps_.empty()) {
    // One byte per group of bytes that no step can tell apart: same lexer byte class and same
    // UTF-8 role in every decoding state (the search then steps ~60 bytes, not 256).
    std::map<std::pair<uint16_t, std::array<int8_t, 8>>, uint8_t> groups;
    for (int b = 0; b < 256; ++b) {
      std::array<int8_t, 8> role{};
      bool any = false;
      for (int u = 0; u < 8; ++u) {
        role[static_cast<size_t>(u)] = static_cast<int8_t>(slice_next(u, static_cast<uint8_t>(b)));
        any = any || role[static_cast<size_t>(u)] >= 0;
      }
      if (any) groups.try_emplace({nfa_->byte_class[static_cast<size_t>(b)], role}, static_cast<uint8_t>(b));
    }
    for (const auto& [key, b] : groups) slice_reps_.push_back(b);
  }
  constexpr size_t kMaxWork = 1 << 16;
  std::unordered_set<uint32_t> seen{state};
  std::vector<uint32_t> level{state}, next;
  std::vector<uint32_t> reached;   // every state first reached after one character or more
  std::unordered_set<uint64_t> inside;
  std::vector<std::pair<uint32_t, int>> stack;
  size_t work = 0;
  uint32_t r = 0;
  bool stop = false;   // a death, or the work bound: r levels are proved, the next one is not
  for (; r < limit && !level.empty(); ++r) {
    next.clear();
    for (size_t i = 0; i < level.size() && !stop; ++i) {
      // A state an earlier search closed survives every run: nothing to expand (the searches from
      // the starts of successive property names share most of their states).
      if (r > 0 && slice_chars_[level[i]] == INT32_MAX) continue;
      inside.clear();
      stack.assign(1, {level[i], 0});
      while (!stack.empty() && !stop) {
        const auto [d, u] = stack.back();
        stack.pop_back();
        for (uint8_t b : slice_reps_) {
          const int u2 = slice_next(u, b);
          if (u2 < 0) continue;
          const uint32_t d2 = step(d, b);
          if (d2 == kDead || ++work > kMaxWork) {
            stop = true;
            break;
          }
          if (u2 == 0) {
            if (seen.insert(d2).second) {
              next.push_back(d2);
              reached.push_back(d2);
            }
          } else if (inside.insert(static_cast<uint64_t>(d2) << 3 | static_cast<uint64_t>(u2)).second) {
            stack.emplace_back(d2, u2);
          }
        }
      }
    }
    if (stop) break;
    level.swap(next);
  }
  if (!stop && level.empty()) {
    // Closed: no run of any length dies, from this state or any state the search reached (the
    // next queries inside, e.g. the rest of a property name, are then answered at once).
    slice_chars_[state] = INT32_MAX;
    for (uint32_t st : reached) slice_chars_[st] = INT32_MAX;
    return limit;
  }
  const bool exact = stop && work <= kMaxWork;   // stopped by a death
  slice_chars_[state] = exact ? static_cast<int32_t>(r) : -static_cast<int32_t>(r) - 2;
  return r;
}

void LazyDfa::flush(std::vector<uint32_t*> keep) {
  std::vector<std::vector<uint32_t>> kept_keys;
  for (uint32_t* p : keep) kept_keys.push_back(keys_[*p]);
  keys_.clear();
  ids_.clear();
  trans_.clear();
  accept_id_.clear();
  slice_chars_.clear();
  can_continue_.clear();
  starts_.clear();
  intern({}, false);
  for (size_t i = 0; i < keep.size(); ++i) {
    std::vector<uint32_t> key = std::move(kept_keys[i]);
    const bool initial = !key.empty() && key.back() == kInitialMark;
    if (initial) key.pop_back();
    *keep[i] = key.empty() && !initial ? kDead : intern(std::move(key), initial);
  }
}

}  // namespace gemma3::grammar
