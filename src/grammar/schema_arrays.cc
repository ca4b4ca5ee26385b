// Arrays: prefixItems (or draft-4..2019 tuple `items`), then `items` / `additionalItems` for the
// rest, with minItems / maxItems counted by rules (binary repetition for large bounds).
#include "grammar/schema_lowering.h"

namespace gemma3::grammar {

Result<uint32_t> SchemaLowering::lower_array(const OJson& s, const std::string& ptr, int depth) {
  std::vector<std::pair<const OJson*, std::string>> prefix;
  OJson rest = true;
  std::string rest_ptr = ptr + "/items";
  const bool tuple_items = s.contains("items") && s["items"].is_array();
  if (s.contains("prefixItems")) {
    if (!s["prefixItems"].is_array()) return error(ptr, "'prefixItems' must be an array");
    for (size_t i = 0; i < s["prefixItems"].size(); ++i) {
      prefix.emplace_back(&s["prefixItems"][i], ptr + "/prefixItems/" + std::to_string(i));
    }
    if (tuple_items) return error(ptr, "'items' must be a schema when 'prefixItems' is present");
    if (s.contains("items")) rest = s["items"];
  } else if (tuple_items) {
    for (size_t i = 0; i < s["items"].size(); ++i) prefix.emplace_back(&s["items"][i], ptr + "/items/" + std::to_string(i));
    if (s.contains("additionalItems")) rest = s["additionalItems"], rest_ptr = ptr + "/additionalItems";
  } else if (s.contains("items")) {
    rest = s["items"];
  }
  auto min_items = count_keyword(s, "minItems", ptr);
  if (!min_items) return std::move(min_items).take_error();
  auto max_items = count_keyword(s, "maxItems", ptr);
  if (!max_items) return std::move(max_items).take_error();
  const uint32_t min = min_items->value_or(0);
  uint32_t max = max_items->value_or(Regex::kUnbounded);
  // An element position whose schema is false ends every array before it.
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (prefix[i].first->is_boolean() && !prefix[i].first->get<bool>()) {
      max = std::min<uint32_t>(max, static_cast<uint32_t>(i));
      prefix.resize(i);
      break;
    }
  }
  const bool rest_allowed = !(rest.is_boolean() && !rest.get<bool>());
  if (!rest_allowed) max = std::min<uint32_t>(max, static_cast<uint32_t>(prefix.size()));
  if (s.contains("uniqueItems") && s["uniqueItems"].is_boolean() && s["uniqueItems"].get<bool>() && max > 1) {
    return error(ptr, "keyword 'uniqueItems' is not supported (a grammar cannot compare items), except with maxItems <= 1");
  }

  const auto k = static_cast<uint32_t>(prefix.size());
  const Symbol comma = syntax_.token(",");
  auto body = new_rule(ptr + " elements");
  if (!body) return body;
  // The tail after the prefix: rest elements, each after a comma unless it is the first element.
  uint32_t tail = 0;
  {
    auto t = new_rule(ptr + " rest");
    if (!t) return t;
    tail = *t;
    const uint32_t kmin = min > k ? min - k : 0;
    if (kmin == 0) g_.rules[tail].alternatives.push_back({});
    if (rest_allowed && max > k) {
      auto element = lower(rest, rest_ptr, depth + 1);
      if (!element) return element;
      const uint32_t kmax = max == Regex::kUnbounded ? max : max - k;
      if (k == 0) {
        auto more = repeat_rule({comma, Symbol::rule(*element)}, kmin > 0 ? kmin - 1 : 0,
                                kmax == Regex::kUnbounded ? kmax : kmax - 1);
        if (!more) return more;
        g_.rules[tail].alternatives.push_back({Symbol::rule(*element), Symbol::rule(*more)});
      } else {
        auto more = repeat_rule({comma, Symbol::rule(*element)}, std::max<uint32_t>(kmin, 1), kmax);
        if (!more) return more;
        g_.rules[tail].alternatives.push_back({Symbol::rule(*more)});
      }
    }
  }
  // Prefix positions from the last to the first: C(i) = stop here (i >= min) | element i, C(i+1).
  uint32_t next = tail;
  for (uint32_t i = k; i-- > 0;) {
    auto c = new_rule(ptr + " prefix " + std::to_string(i));
    if (!c) return c;
    if (i >= min) g_.rules[*c].alternatives.push_back({});
    if (i < max) {
      auto element = lower(*prefix[i].first, prefix[i].second, depth + 1);
      if (!element) return element;
      std::vector<Symbol> seq;
      if (i > 0) seq.push_back(comma);
      seq.push_back(Symbol::rule(*element));
      seq.push_back(Symbol::rule(next));
      g_.rules[*c].alternatives.push_back(std::move(seq));
    }
    next = *c;
  }
  g_.rules[*body].alternatives.push_back({syntax_.token("["), Symbol::rule(next), syntax_.token("]")});
  return *body;
}

}  // namespace gemma3::grammar
