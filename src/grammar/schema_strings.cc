// Strings: minLength / maxLength (code points of the decoded string), pattern (ECMAScript, search
// semantics) and format, lowered to the bytes of the JSON string literal (any character may be
// written raw or escaped).
#include "grammar/ecma_regex.h"
#include "grammar/schema_lowering.h"

namespace gemma3::grammar {

Result<uint32_t> SchemaLowering::lower_string(const OJson& s, const std::string& ptr) {
  auto min_len = count_keyword(s, "minLength", ptr);
  if (!min_len) return std::move(min_len).take_error();
  auto max_len = count_keyword(s, "maxLength", ptr);
  if (!max_len) return std::move(max_len).take_error();
  ReNodePtr node;
  std::string source_keyword;
  if (s.contains("format")) {
    if (!s["format"].is_string()) return error(ptr, "'format' must be a string");
    auto pattern = format_pattern(s["format"].get<std::string>());
    if (!pattern) return error(ptr, pattern.error());
    if (*pattern) {
      auto parsed = parse_ecma_regex((*pattern)->pattern, options_.limits, (*pattern)->ignore_case);
      if (!parsed) return error(ptr, "format '" + s["format"].get<std::string>() + "': " + parsed.error());
      auto resolved = resolve_anchors(*parsed, Anchoring::kFullMatch);
      if (!resolved) return error(ptr, resolved.error());
      node = *resolved;
      source_keyword = "format";
    }
  }
  if (s.contains("pattern")) {
    if (!s["pattern"].is_string()) return error(ptr, "'pattern' must be a string");
    if (node) return error(ptr, "keyword 'pattern' together with 'format' is not supported");
    auto parsed = parse_ecma_regex(s["pattern"].get<std::string>(), options_.limits);
    if (!parsed) return error(ptr, "keyword 'pattern': " + parsed.error());
    auto resolved = resolve_anchors(*parsed, Anchoring::kSearch);
    if (!resolved) return error(ptr, "keyword 'pattern': " + resolved.error());
    node = *resolved;
    source_keyword = "pattern";
  }
  RegexPtr content;
  if (node) {
    if (*min_len || *max_len) {
      auto restricted = restrict_regex_length(node, min_len->value_or(0), *max_len);
      if (!restricted) {
        return error(ptr, std::string("keyword '") + (*max_len ? "maxLength" : "minLength") + "' together with '" +
                              source_keyword + "' is not supported for this pattern");
      }
      node = *restricted;
    }
    auto lowered = lower_regex(node, syntax_.char_encoder(), options_.limits);
    if (!lowered) return error(ptr, "keyword '" + source_keyword + "': " + lowered.error());
    content = *lowered;
  } else {
    content = Regex::repeat(syntax_.any_char(), min_len->value_or(0), max_len->value_or(Regex::kUnbounded));
  }
  auto rule = syntax_.string_rule(content);
  if (g_.rules.size() > options_.limits.max_rules) {
    return make_error("schema needs more than max_rules=" + std::to_string(options_.limits.max_rules) + " grammar rules");
  }
  return rule;
}

}  // namespace gemma3::grammar
