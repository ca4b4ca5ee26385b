// Objects: listed properties in the schema's order (required ones present, optional ones may be
// left out), then any additional members the schema allows, with commas only between members
// present, and minProperties / maxProperties counted in the rules.
#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include "grammar/codepoint_set.h"
#include "grammar/ecma_regex.h"
#include "grammar/regex_nullable.h"
#include "grammar/schema_lowering.h"

namespace gemma3::grammar {
namespace {

// Strings over `alphabet` (each character through `encode`) that are not in `names`. Every such
// string is either a proper path of the names' trie that is not a name (exact), or a trie path
// followed by a character that leaves the trie there, then anything. The leaving character is
// split into the few characters the names use but this node has no child for (per node, small)
// and the characters no name uses (the same at every node: encoded once, after the set of all trie
// paths), and the tail is written once: encoding "every other character" and the tail at every
// node made one lexeme of a large object 200k NFA states.
struct Trie {
  std::map<uint32_t, Trie> children;
  bool terminal = false;
};

// The trie's paths: all of them (`exact` false) or only those that are not names (`exact` true).
RegexPtr trie_paths(const Trie& node, CharEncoder encode, const CodepointSet& alphabet, bool exact) {
  std::vector<RegexPtr> options;
  if (!exact || !node.terminal) options.push_back(Regex::empty());
  for (const auto& [c, child] : node.children) {
    if (alphabet.contains(c)) {
      options.push_back(Regex::concat({encode(CodepointSet::single(c)), trie_paths(child, encode, alphabet, exact)}));
    }
  }
  return Regex::alt(std::move(options));
}

// A trie path, then a character of `used` that has no child there.
RegexPtr leave_by_used(const Trie& node, CharEncoder encode, const CodepointSet& alphabet, const CodepointSet& used) {
  std::vector<RegexPtr> options;
  CodepointSet others = used;
  for (const auto& [c, child] : node.children) {
    others = others.minus(CodepointSet::single(c));
    if (alphabet.contains(c)) {
      options.push_back(Regex::concat({encode(CodepointSet::single(c)), leave_by_used(child, encode, alphabet, used)}));
    }
  }
  if (!others.empty()) options.push_back(encode(others));
  return Regex::alt(std::move(options));
}

RegexPtr not_in_trie(const Trie& root, CharEncoder encode, const CodepointSet& alphabet, const RegexPtr& any_tail) {
  CodepointSet used;
  std::vector<const Trie*> stack{&root};
  while (!stack.empty()) {
    const Trie* node = stack.back();
    stack.pop_back();
    for (const auto& [c, child] : node->children) {
      used.add(c, c);
      stack.push_back(&child);
    }
  }
  used = used.intersect(alphabet);
  const CodepointSet unused = alphabet.minus(used);
  std::vector<RegexPtr> leave = {leave_by_used(root, encode, alphabet, used)};
  if (!unused.empty()) leave.push_back(Regex::concat({trie_paths(root, encode, alphabet, false), encode(unused)}));
  return Regex::alt({trie_paths(root, encode, alphabet, true), Regex::concat({Regex::alt(std::move(leave)), any_tail})});
}

struct Member {
  Symbol key;
  uint32_t value;
  bool required;
};

}  // namespace

Result<uint32_t> SchemaLowering::lower_object(const OJson& s, const std::string& ptr, int depth) {
  static const OJson kEmptyObject = OJson::object();
  const OJson& props = s.contains("properties") ? s["properties"] : kEmptyObject;
  if (!props.is_object()) return error(ptr, "'properties' must be an object");
  std::vector<std::string> required;
  std::set<std::string> required_set;
  if (s.contains("required")) {
    if (!s["required"].is_array()) return error(ptr, "'required' must be an array of strings");
    for (const auto& r : s["required"]) {
      if (!r.is_string()) return error(ptr, "'required' must be an array of strings");
      if (required_set.insert(r.get<std::string>()).second) required.push_back(r.get<std::string>());
    }
  }
  const OJson additional = s.contains("additionalProperties") ? s["additionalProperties"] : OJson(true);
  const OJson& patterns = s.contains("patternProperties") ? s["patternProperties"] : kEmptyObject;
  if (!patterns.is_object()) return error(ptr, "'patternProperties' must be an object");
  auto min_props = count_keyword(s, "minProperties", ptr);
  if (!min_props) return std::move(min_props).take_error();
  auto max_props = count_keyword(s, "maxProperties", ptr);
  if (!max_props) return std::move(max_props).take_error();

  // Patterns, resolved for search (JSON Schema patterns are unanchored).
  std::vector<std::pair<ReNodePtr, const OJson*>> pattern_nodes;
  for (const auto& [pattern, sub] : patterns.items()) {
    auto parsed = parse_ecma_regex(pattern, options_.limits);
    if (!parsed) return error(ptr + "/patternProperties", parsed.error());
    auto resolved = resolve_anchors(*parsed, Anchoring::kSearch);
    if (!resolved) return error(ptr + "/patternProperties", resolved.error());
    pattern_nodes.emplace_back(*resolved, &sub);
  }
  // A member's value must satisfy every pattern its key matches, plus its own schema (listed) or
  // additionalProperties (not listed, no pattern matched).
  auto member_schema = [&](const std::string& name, const OJson* own) -> Result<OJson> {
    OJson schema = own ? *own : OJson(true);
    bool matched = false;
    for (const auto& [node, sub] : pattern_nodes) {
      if (!regex_full_match(node, decode_utf8(name))) continue;
      matched = true;
      auto m = merge(schema, *sub, ptr + "/patternProperties", depth + 1);
      if (!m) return m;
      schema = std::move(*m);
    }
    if (!own && !matched) schema = additional;
    return schema;
  };

  std::vector<Member> members;
  std::set<std::string> listed;
  auto add_member = [&](const std::string& name, const OJson* own) -> Status {
    listed.insert(name);
    auto schema = member_schema(name, own);
    if (!schema) return std::move(schema).take_error();
    const bool req = required_set.count(name) > 0;
    if (schema->is_boolean() && !schema->get<bool>() && !req) return ok_status();   // may not appear
    auto value = lower(*schema, ptr + "/properties/" + pointer_token(name), depth + 1);
    if (!value) return std::move(value).take_error();
    members.push_back({syntax_.key(name), *value, req});
    return ok_status();
  };
  for (const auto& [name, sub] : props.items()) G3_TRY(add_member(name, &sub));
  for (const auto& name : required) {
    if (!props.contains(name)) G3_TRY(add_member(name, nullptr));
  }

  // Additional members: their key must not be a listed name (that member is handled above).
  std::optional<uint32_t> extra;
  const bool additional_false = additional.is_boolean() && !additional.get<bool>();
  const bool patterns_trivial = std::all_of(pattern_nodes.begin(), pattern_nodes.end(), [](const std::pair<ReNodePtr, const OJson*>& p) {
    const OJson& sub = *p.second;
    return (sub.is_boolean() && sub.get<bool>()) || (sub.is_object() && sub.empty());
  });
  const CodepointSet alphabet = syntax_.is_json() ? CodepointSet::all() : [] {
    CodepointSet k = CodepointSet::range('a', 'z');
    k.add('A', 'Z');
    k.add('0', '9');
    for (char c : {'_', '-', '.', '$'}) k.add(c, c);
    return k;
  }();
  auto extra_rule = [&]() -> Result<uint32_t> {
    if (!extra) {
      auto r = new_rule(ptr + " extra member");
      if (!r) return r;
      extra = *r;
    }
    return *extra;
  };
  if (!pattern_nodes.empty() && !(patterns_trivial && !additional_false)) {
    if (!additional_false) {
      return error(ptr, "keyword 'patternProperties' is supported only with additionalProperties false (or patterns whose schemas are all true)");
    }
    for (size_t i = 0; i < pattern_nodes.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (*pattern_nodes[i].second != *pattern_nodes[j].second) {
          return error(ptr, "keyword 'patternProperties' with several patterns of different schemas is not supported (a key may match several)");
        }
      }
      for (const auto& name : listed) {
        if (regex_full_match(pattern_nodes[i].first, decode_utf8(name))) {
          return error(ptr, "keyword 'patternProperties': listed property '" + name + "' also matches a pattern; not supported");
        }
      }
    }
    auto value = lower(*pattern_nodes[0].second, ptr + "/patternProperties", depth + 1);
    if (!value) return value;
    auto r = extra_rule();
    if (!r) return r;
    for (const auto& [node, sub] : pattern_nodes) {
      auto key = lower_regex(node, syntax_.char_encoder(), options_.limits);
      if (!key) return error(ptr + "/patternProperties", key.error());
      g_.rules[*r].alternatives.push_back({syntax_.key_regex(*key), Symbol::rule(*value)});
    }
  } else if (!additional_false) {
    Trie trie;
    for (const auto& name : listed) {
      Trie* node = &trie;
      for (uint32_t c : decode_utf8(name)) node = &node->children[c];
      node->terminal = true;
    }
    const RegexPtr any_tail = Regex::star(syntax_.is_json() ? syntax_.any_char() : utf8_regex(alphabet));
    RegexPtr key = not_in_trie(trie, syntax_.char_encoder(), alphabet, any_tail);
    if (!syntax_.is_json()) key = regex_without_empty(key);   // bare keys are never empty
    auto value = lower(additional, ptr + "/additionalProperties", depth + 1);
    if (!value) return value;
    auto r = extra_rule();
    if (!r) return r;
    g_.rules[*r].alternatives.push_back({syntax_.key_regex(key), Symbol::rule(*value)});
  }

  // S(i, first, count): members from i on; `first`: nothing written yet (no comma before the next
  // member); `count`: members written so far (capped where it no longer matters).
  const uint32_t min_p = min_props->value_or(0);
  const std::optional<uint32_t> max_p = *max_props;
  std::map<std::tuple<size_t, bool, uint32_t>, uint32_t> memo;
  const Symbol comma = syntax_.token(",");
  std::function<Result<uint32_t>(size_t, bool, uint32_t)> seq = [&](size_t i, bool first, uint32_t count) -> Result<uint32_t> {
    auto it = memo.find({i, first, count});
    if (it != memo.end()) return it->second;
    auto rule = new_rule(ptr + " members");
    if (!rule) return rule;
    memo.emplace(std::make_tuple(i, first, count), *rule);
    if (i == members.size()) {
      const uint32_t kmin = min_p > count ? min_p - count : 0;
      const uint32_t kmax = max_p ? *max_p - count : Regex::kUnbounded;
      if (kmin == 0) g_.rules[*rule].alternatives.push_back({});
      if (extra && kmax >= 1) {
        if (first) {
          auto rest = repeat_rule({comma, Symbol::rule(*extra)}, kmin > 0 ? kmin - 1 : 0,
                                  kmax == Regex::kUnbounded ? kmax : kmax - 1);
          if (!rest) return rest;
          g_.rules[*rule].alternatives.push_back({Symbol::rule(*extra), Symbol::rule(*rest)});
        } else {
          auto rest = repeat_rule({comma, Symbol::rule(*extra)}, std::max<uint32_t>(kmin, 1), kmax);
          if (!rest) return rest;
          g_.rules[*rule].alternatives.push_back({Symbol::rule(*rest)});
        }
      }
      return *rule;
    }
    const Member& m = members[i];
    if (!max_p || count + 1 <= *max_p) {
      const uint32_t next_count = max_p ? count + 1 : std::min(count + 1, min_p);
      auto next = seq(i + 1, false, next_count);
      if (!next) return next;
      std::vector<Symbol> present;
      if (!first) present.push_back(comma);
      present.insert(present.end(), {m.key, Symbol::rule(m.value), Symbol::rule(*next)});
      g_.rules[*rule].alternatives.push_back(std::move(present));
    }
    if (!m.required) {
      auto skip = seq(i + 1, first, count);
      if (!skip) return skip;
      g_.rules[*rule].alternatives.push_back({Symbol::rule(*skip)});
    }
    return *rule;
  };
  auto body = seq(0, true, 0);
  if (!body) return body;
  auto object = new_rule(ptr.empty() ? "object" : ptr + " object");
  if (!object) return object;
  g_.rules[*object].alternatives.push_back({syntax_.token("{"), Symbol::rule(*body), syntax_.token("}")});
  return *object;
}

}  // namespace gemma3::grammar
