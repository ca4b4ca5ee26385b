// What is done with a parsed ECMAScript regex: anchors resolved, lowering to byte regexes, a slow
// full-match check, length ranges.
#include <algorithm>
#include <unordered_set>

#include "grammar/ecma_regex.h"

namespace gemma3::grammar {
namespace {

using Kind = ReNode::Kind;

std::shared_ptr<ReNode> make_node(Kind kind, std::vector<ReNodePtr> children = {}) {
  auto n = std::make_shared<ReNode>();
  n->kind = kind;
  n->children = std::move(children);
  return n;
}

ReNodePtr any_string() {
  auto any = std::make_shared<ReNode>();
  any->kind = Kind::kSet;
  any->set = CodepointSet::all();
  auto n = make_node(Kind::kRepeat, {any});
  n->min = 0;
  n->max = Regex::kUnbounded;
  return n;
}

bool has_anchor(const ReNodePtr& n) {
  if (n->kind == Kind::kStart || n->kind == Kind::kEnd) return true;
  return std::any_of(n->children.begin(), n->children.end(), has_anchor);
}

void flatten_alt(const ReNodePtr& n, std::vector<ReNodePtr>& out) {
  if (n->kind == Kind::kAlt) {
    for (const auto& c : n->children) flatten_alt(c, out);
  } else {
    out.push_back(n);
  }
}

class Lowerer {
 public:
  Lowerer(CharEncoder encode, const FrontEndLimits& limits) : encode_(encode), limits_(limits) {}

  Result<RegexPtr> lower(const ReNodePtr& n) {
    if (nodes_ > limits_.max_regex_nodes) {
      return make_error("regex produces more than max_regex_nodes=" + std::to_string(limits_.max_regex_nodes) + " nodes");
    }
    ++nodes_;
    switch (n->kind) {
      case Kind::kSet: return encode_set(n->set);
      case Kind::kConcat:
      case Kind::kAlt: {
        std::vector<RegexPtr> parts;
        for (const auto& c : n->children) {
          auto r = lower(c);
          if (!r) return r;
          parts.push_back(std::move(*r));
        }
        return n->kind == Kind::kConcat ? Regex::concat(std::move(parts)) : Regex::alt(std::move(parts));
      }
      case Kind::kRepeat: {
        auto r = lower(n->children[0]);
        if (!r) return r;
        return Regex::repeat(std::move(*r), n->min, n->max);
      }
      case Kind::kStart:
      case Kind::kEnd: break;
    }
    return make_error("regex: anchor left in a pattern being lowered");
  }

 private:
  RegexPtr encode_set(const CodepointSet& set) {
    for (const auto& [s, r] : cache_) {
      if (s == set) return r;
    }
    RegexPtr r = encode_(set);
    nodes_ += count_nodes(r);
    cache_.emplace_back(set, r);
    return r;
  }

  static size_t count_nodes(const RegexPtr& r) {
    std::unordered_set<const Regex*> seen;
    std::vector<const Regex*> stack{r.get()};
    while (!stack.empty()) {
      const Regex* x = stack.back();
      stack.pop_back();
      if (!seen.insert(x).second) continue;
      for (const auto& c : x->children) stack.push_back(c.get());
    }
    return seen.size();
  }

  CharEncoder encode_;
  const FrontEndLimits& limits_;
  size_t nodes_ = 0;
  std::vector<std::pair<CodepointSet, RegexPtr>> cache_;
};

// The end positions of matches of `n` starting at any position in `starts` (a bitmap over 0..size).
std::vector<bool> match_ends(const ReNodePtr& n, const std::vector<uint32_t>& text, const std::vector<bool>& starts) {
  const size_t size = text.size();
  std::vector<bool> out(size + 1, false);
  switch (n->kind) {
    case Kind::kSet:
      for (size_t p = 0; p < size; ++p) {
        if (starts[p] && n->set.contains(text[p])) out[p + 1] = true;
      }
      return out;
    case Kind::kConcat: {
      std::vector<bool> cur = starts;
      for (const auto& c : n->children) cur = match_ends(c, text, cur);
      return cur;
    }
    case Kind::kAlt:
      for (const auto& c : n->children) {
        std::vector<bool> e = match_ends(c, text, starts);
        for (size_t p = 0; p <= size; ++p) out[p] = out[p] || e[p];
      }
      return out;
    case Kind::kRepeat: {
      std::vector<bool> cur = starts;
      for (uint32_t i = 0; i < n->min; ++i) {
        cur = match_ends(n->children[0], text, cur);
        if (std::none_of(cur.begin(), cur.end(), [](bool b) { return b; })) return cur;
      }
      out = cur;
      // Positions reached again later have less repetition budget left: only new ones expand.
      for (uint64_t i = n->min; n->max == Regex::kUnbounded || i < n->max; ++i) {
        std::vector<bool> next = match_ends(n->children[0], text, cur);
        bool grew = false;
        for (size_t p = 0; p <= size; ++p) {
          next[p] = next[p] && !out[p];
          if (next[p]) out[p] = grew = true;
        }
        if (!grew) break;
        cur = std::move(next);
      }
      return out;
    }
    case Kind::kStart:
    case Kind::kEnd: break;
  }
  return out;
}

uint64_t saturating_mul(uint64_t a, uint64_t b) { return (a != 0 && b > UINT32_MAX / a) ? UINT32_MAX : a * b; }

ReNodePtr nothing_node() {
  auto n = std::make_shared<ReNode>();
  n->kind = Kind::kSet;   // the empty set: matches nothing
  return n;
}

}  // namespace

Result<ReNodePtr> resolve_anchors(const ReNodePtr& node, Anchoring anchoring) {
  std::vector<ReNodePtr> branches;
  flatten_alt(node, branches);
  std::vector<ReNodePtr> out;
  for (const ReNodePtr& branch : branches) {
    std::vector<ReNodePtr> items;
    if (branch->kind == Kind::kConcat) {
      items = branch->children;
    } else {
      items.push_back(branch);
    }
    bool start = false, end = false;
    while (!items.empty() && items.front()->kind == Kind::kStart) items.erase(items.begin()), start = true;
    while (!items.empty() && items.back()->kind == Kind::kEnd) items.pop_back(), end = true;
    for (const auto& item : items) {
      if (has_anchor(item)) return make_error("regex: an anchor ^ or $ inside the pattern is not supported");
    }
    if (anchoring == Anchoring::kSearch) {
      if (!start) items.insert(items.begin(), any_string());
      if (!end) items.push_back(any_string());
    }
    out.push_back(items.size() == 1 ? items[0] : make_node(Kind::kConcat, std::move(items)));
  }
  return out.size() == 1 ? out[0] : make_node(Kind::kAlt, std::move(out));
}

Result<RegexPtr> lower_regex(const ReNodePtr& node, CharEncoder encode, const FrontEndLimits& limits) {
  return Lowerer(encode, limits).lower(node);
}

bool regex_full_match(const ReNodePtr& node, const std::vector<uint32_t>& text) {
  std::vector<bool> starts(text.size() + 1, false);
  starts[0] = true;
  return match_ends(node, text, starts)[text.size()];
}

std::pair<uint32_t, std::optional<uint32_t>> regex_length_range(const ReNodePtr& n) {
  switch (n->kind) {
    case Kind::kSet: return {n->set.empty() ? UINT32_MAX : 1, 1};
    case Kind::kConcat: {
      uint64_t lo = 0, hi = 0;
      bool bounded = true;
      for (const auto& c : n->children) {
        auto [a, b] = regex_length_range(c);
        lo = std::min<uint64_t>(lo + a, UINT32_MAX);
        if (b) hi = std::min<uint64_t>(hi + *b, UINT32_MAX); else bounded = false;
      }
      return {static_cast<uint32_t>(lo), bounded ? std::optional<uint32_t>(static_cast<uint32_t>(hi)) : std::nullopt};
    }
    case Kind::kAlt: {
      uint32_t lo = UINT32_MAX, hi = 0;
      bool bounded = true;
      for (const auto& c : n->children) {
        auto [a, b] = regex_length_range(c);
        lo = std::min(lo, a);
        if (b) hi = std::max(hi, *b); else bounded = false;
      }
      return {lo, bounded ? std::optional<uint32_t>(hi) : std::nullopt};
    }
    case Kind::kRepeat: {
      auto [a, b] = regex_length_range(n->children[0]);
      const auto lo = static_cast<uint32_t>(saturating_mul(a, n->min));
      if (n->max == 0 || (b && *b == 0)) return {lo, 0};
      if (!b || n->max == Regex::kUnbounded) return {lo, std::nullopt};
      return {lo, static_cast<uint32_t>(saturating_mul(*b, n->max))};
    }
    case Kind::kStart:
    case Kind::kEnd: break;
  }
  return {0, 0};
}

std::optional<ReNodePtr> restrict_regex_length(const ReNodePtr& node, uint32_t lo, std::optional<uint32_t> hi) {
  auto [a, b] = regex_length_range(node);
  if (a >= lo && (!hi || (b && *b <= *hi))) return node;
  if (a == UINT32_MAX || (hi && a > *hi) || (b && *b < lo)) return nothing_node();
  if (node->kind == Kind::kAlt) {
    std::vector<ReNodePtr> options;
    for (const auto& c : node->children) {
      auto r = restrict_regex_length(c, lo, hi);
      if (!r) return std::nullopt;
      options.push_back(*r);
    }
    return make_node(Kind::kAlt, std::move(options));
  }
  std::vector<ReNodePtr> items;
  if (node->kind == Kind::kConcat) items = node->children; else items.push_back(node);
  // Exactly one item of variable length; the others fix F code points.
  size_t variable = items.size();
  uint64_t fixed = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    auto [x, y] = regex_length_range(items[i]);
    if (y && x == *y) {
      fixed += x;
    } else if (variable == items.size()) {
      variable = i;
    } else {
      return std::nullopt;
    }
  }
  if (variable == items.size()) return std::nullopt;
  const uint32_t sub_lo = lo > fixed ? static_cast<uint32_t>(lo - fixed) : 0;
  std::optional<uint32_t> sub_hi;
  if (hi) {
    if (*hi < fixed) return nothing_node();
    sub_hi = static_cast<uint32_t>(*hi - fixed);
  }
  const ReNodePtr& v = items[variable];
  std::optional<ReNodePtr> replaced;
  if (v->kind == Kind::kRepeat) {
    auto [x, y] = regex_length_range(v->children[0]);
    if (!y || x != *y || x == 0) return std::nullopt;
    const uint32_t w = x;
    uint64_t kmin = std::max<uint64_t>(v->min, (uint64_t{sub_lo} + w - 1) / w);
    uint64_t kmax = v->max;
    if (sub_hi) kmax = std::min<uint64_t>(kmax, *sub_hi / w);
    if (kmin > kmax) return nothing_node();
    auto r = std::make_shared<ReNode>(*v);
    r->min = static_cast<uint32_t>(kmin);
    r->max = static_cast<uint32_t>(kmax);
    replaced = r;
  } else {
    replaced = restrict_regex_length(v, sub_lo, sub_hi);
    if (!replaced) return std::nullopt;
  }
  items[variable] = *replaced;
  return items.size() == 1 ? items[0] : make_node(Kind::kConcat, std::move(items));
}

}  // namespace gemma3::grammar
