#include "grammar/json_syntax.h"

#include "grammar/codepoint_set.h"
#include "grammar/number_ranges.h"
#include "grammar/regex_nullable.h"

namespace gemma3::grammar {
namespace {

constexpr std::string_view kEscapeText = "<escape>";

// FunctionGemma text-marker mode: the string content ends at the first "<escape>", so the content
// must not contain it. KMP-style: '<' (re)starts a partial match of the marker; any other byte
// that does not continue the match falls back to "nothing matched".
RegexPtr text_without_escape_marker() {
  auto not_these = [](std::string_view cs) {
    CodepointSet s = CodepointSet::all();
    for (char c : cs) s = s.minus(CodepointSet::single(static_cast<uint8_t>(c)));
    return utf8_regex(s);
  };
  std::vector<RegexPtr> partial, exits;   // after '<': a proper prefix of "escape>", or one that breaks off
  for (size_t k = 1; k < kEscapeText.size(); ++k) {
    RegexPtr matched = Regex::literal(kEscapeText.substr(1, k - 1));
    partial.push_back(matched);
    exits.push_back(Regex::concat({matched, not_these(std::string{'<', kEscapeText[k]})}));
  }
  RegexPtr restarts = Regex::star(Regex::concat({Regex::alt(partial), Regex::byte('<')}));
  RegexPtr excursion = Regex::concat({Regex::byte('<'), restarts, Regex::alt(exits)});
  RegexPtr tail = Regex::concat({Regex::byte('<'), restarts, Regex::alt(partial)});
  return Regex::concat({Regex::star(Regex::alt({not_these("<"), excursion})), Regex::optional(tail)});
}

}  // namespace

JsonSyntax::JsonSyntax(Grammar& g, const SchemaOptions& options)
    : g_(g), syntax_(options.syntax), max_ws_(options.max_whitespace_run) {}

CharEncoder JsonSyntax::char_encoder() const { return is_json() ? &json_char_regex : &utf8_regex; }

RegexPtr JsonSyntax::any_char() const {
  if (is_json()) return json_any_char_regex();
  if (syntax_.escape_token >= 0) return utf8_any_char_regex();
  return utf8_regex(CodepointSet::all().minus(CodepointSet::single('<')));
}

RegexPtr JsonSyntax::ws() const {
  if (!is_json() || max_ws_ == 0) return Regex::empty();
  std::bitset<256> space;
  for (char c : {' ', '\t', '\n', '\r'}) space.set(static_cast<uint8_t>(c));
  return Regex::repeat(Regex::byte_set(space), 0, max_ws_);
}

Symbol JsonSyntax::token_regex(const std::string& cache_key, const RegexPtr& body) {
  auto it = lexeme_cache_.find(cache_key);
  if (it != lexeme_cache_.end()) return Symbol::lexeme(it->second);
  const uint32_t id = g_.add_lexeme(Regex::concat({ws(), body}));
  lexeme_cache_.emplace(cache_key, id);
  return Symbol::lexeme(id);
}

Symbol JsonSyntax::token(std::string_view text) { return token_regex("t:" + std::string(text), Regex::literal(text)); }

RegexPtr JsonSyntax::string_body(const RegexPtr& content) const {
  if (is_json()) return Regex::concat({Regex::byte('"'), content, Regex::byte('"')});
  return Regex::concat({Regex::literal(kEscapeText), content, Regex::literal(kEscapeText)});
}

uint32_t JsonSyntax::string_rule(const RegexPtr& content) {
  const uint32_t rule = g_.add_rule("string");
  if (!is_json() && syntax_.escape_token >= 0) {
    const Symbol marker = Symbol::token(syntax_.escape_token);
    add_regex_alternatives(g_, rule, content, {marker}, {marker});
  } else if (content->kind != Regex::Kind::kNothing) {
    g_.rules[rule].alternatives.push_back({Symbol::lexeme(g_.add_lexeme(Regex::concat({ws(), string_body(content)})))});
  }
  return rule;
}

RegexPtr JsonSyntax::encoded_literal(std::string_view utf8) const {
  if (!is_json()) return Regex::literal(utf8);
  std::vector<RegexPtr> parts;
  size_t pos = 0;
  while (pos < utf8.size()) {
    uint32_t c = 0;
    if (!next_utf8(utf8, pos, c)) return Regex::nothing();
    parts.push_back(json_char_regex(CodepointSet::single(c)));
  }
  return Regex::concat(std::move(parts));
}

Symbol JsonSyntax::key(std::string_view name) {
  auto it = lexeme_cache_.find("k:" + std::string(name));
  if (it != lexeme_cache_.end()) return Symbol::lexeme(it->second);
  Symbol s = key_regex(encoded_literal(name));
  lexeme_cache_.emplace("k:" + std::string(name), s.index);
  return s;
}

Symbol JsonSyntax::key_regex(const RegexPtr& content) {
  RegexPtr body = is_json() ? Regex::concat({ws(), Regex::byte('"'), content, Regex::byte('"'), ws(), Regex::byte(':')})
                            : Regex::concat({content, Regex::byte(':')});
  return Symbol::lexeme(g_.add_lexeme(body));
}

uint32_t JsonSyntax::any_value_rule() {
  if (any_value_) return *any_value_;
  const uint32_t value = g_.add_rule("any_value");
  any_value_ = value;
  if (!any_string_) {
    any_string_ = string_rule(is_json() || syntax_.escape_token >= 0 ? Regex::star(any_char()) : text_without_escape_marker());
  }
  const uint32_t object = any_object_rule(), array = any_array_rule();
  g_.rules[value].alternatives.push_back({Symbol::rule(object)});
  g_.rules[value].alternatives.push_back({Symbol::rule(array)});
  g_.rules[value].alternatives.push_back({Symbol::rule(*any_string_)});
  g_.rules[value].alternatives.push_back({token_regex("number", json_number_regex())});
  for (const char* lit : {"true", "false", "null"}) g_.rules[value].alternatives.push_back({token(lit)});
  return value;
}

uint32_t JsonSyntax::any_object_rule() {
  if (any_object_) return *any_object_;
  const uint32_t object = g_.add_rule("any_object");
  any_object_ = object;
  const uint32_t members = g_.add_rule("any_members");
  RegexPtr key_content;
  if (is_json()) {
    key_content = Regex::star(any_char());
  } else {
    CodepointSet key_chars = CodepointSet::range('a', 'z');
    key_chars.add('A', 'Z');
    key_chars.add('0', '9');
    for (char c : {'_', '-', '.', '$'}) key_chars.add(c, c);
    key_content = Regex::plus(utf8_regex(key_chars));
  }
  const Symbol key = key_regex(key_content);
  const uint32_t value = any_value_rule();
  g_.rules[members].alternatives = {{key, Symbol::rule(value)}, {key, Symbol::rule(value), token(","), Symbol::rule(members)}};
  g_.rules[object].alternatives = {{token("{"), token("}")}, {token("{"), Symbol::rule(members), token("}")}};
  return object;
}

uint32_t JsonSyntax::any_array_rule() {
  if (any_array_) return *any_array_;
  const uint32_t array = g_.add_rule("any_array");
  any_array_ = array;
  const uint32_t elements = g_.add_rule("any_elements");
  const uint32_t value = any_value_rule();
  g_.rules[elements].alternatives = {{Symbol::rule(value)}, {Symbol::rule(value), token(","), Symbol::rule(elements)}};
  g_.rules[array].alternatives = {{token("["), token("]")}, {token("["), Symbol::rule(elements), token("]")}};
  return array;
}

uint32_t JsonSyntax::document_rule(uint32_t value_rule) {
  const uint32_t doc = g_.add_rule("document");
  g_.rules[doc].alternatives.push_back({Symbol::rule(value_rule)});
  if (is_json() && max_ws_ > 0) {
    std::bitset<256> space;
    for (char c : {' ', '\t', '\n', '\r'}) space.set(static_cast<uint8_t>(c));
    const uint32_t trailing = g_.add_lexeme(Regex::repeat(Regex::byte_set(space), 1, max_ws_));
    g_.rules[doc].alternatives.push_back({Symbol::rule(value_rule), Symbol::lexeme(trailing)});
  }
  return doc;
}

}  // namespace gemma3::grammar
