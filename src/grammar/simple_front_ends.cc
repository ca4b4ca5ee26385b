// The front ends that need no schema: a whole-output regular expression and a list of choices.
#include "grammar/codepoint_set.h"
#include "grammar/ecma_regex.h"
#include "grammar/front_ends.h"
#include "grammar/regex_nullable.h"

namespace gemma3::grammar {

Result<Grammar> regex_grammar(std::string_view pattern, const FrontEndLimits& limits) {
  auto parsed = parse_ecma_regex(pattern, limits);
  if (!parsed) return std::move(parsed).take_error();
  auto resolved = resolve_anchors(*parsed, Anchoring::kFullMatch);
  if (!resolved) return std::move(resolved).take_error();
  auto lowered = lower_regex(*resolved, &utf8_regex, limits);
  if (!lowered) return std::move(lowered).take_error();
  if ((*lowered)->kind == Regex::Kind::kNothing) return make_error("regex matches no text");
  Grammar g;
  g.start = g.add_rule("regex");
  add_regex_alternatives(g, g.start, *lowered);
  return g;
}

Result<Grammar> choice_grammar(const std::vector<std::string>& choices) {
  if (choices.empty()) return make_error("choice list is empty");
  std::vector<RegexPtr> options;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (choices[i].empty()) return make_error("choice " + std::to_string(i) + " is an empty string");
    options.push_back(Regex::literal(choices[i]));
  }
  Grammar g;
  g.start = g.add_rule("choice");
  g.rules[g.start].alternatives.push_back({Symbol::lexeme(g.add_lexeme(Regex::alt(std::move(options))))});
  return g;
}

}  // namespace gemma3::grammar
