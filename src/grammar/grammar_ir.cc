#include "grammar/grammar_ir.h"

namespace gemma3::grammar {
namespace {

std::shared_ptr<Regex> make(Regex::Kind kind) {
  auto r = std::make_shared<Regex>();
  r->kind = kind;
  return r;
}

}  // namespace

RegexPtr Regex::nothing() {
  static const RegexPtr kNothing = make(Kind::kNothing);
  return kNothing;
}

RegexPtr Regex::empty() {
  static const RegexPtr kEmpty = make(Kind::kEmpty);
  return kEmpty;
}

RegexPtr Regex::byte_set(const std::bitset<256>& bytes) {
  if (bytes.none()) return nothing();
  auto r = make(Kind::kByteSet);
  r->bytes = bytes;
  return r;
}

RegexPtr Regex::byte(uint8_t b) {
  std::bitset<256> bytes;
  bytes.set(b);
  return byte_set(bytes);
}

RegexPtr Regex::literal(std::string_view text) {
  std::vector<RegexPtr> parts;
  parts.reserve(text.size());
  for (char c : text) parts.push_back(byte(static_cast<uint8_t>(c)));
  return concat(std::move(parts));
}

RegexPtr Regex::concat(std::vector<RegexPtr> parts) {
  std::vector<RegexPtr> kept;
  kept.reserve(parts.size());
  for (RegexPtr& p : parts) {
    if (p->kind == Kind::kNothing) return nothing();
    if (p->kind == Kind::kEmpty) continue;
    kept.push_back(std::move(p));
  }
  if (kept.empty()) return empty();
  if (kept.size() == 1) return kept[0];
  auto r = make(Kind::kConcat);
  r->children = std::move(kept);
  return r;
}

RegexPtr Regex::alt(std::vector<RegexPtr> options) {
  std::vector<RegexPtr> kept;
  kept.reserve(options.size());
  for (RegexPtr& o : options) {
    if (o->kind != Kind::kNothing) kept.push_back(std::move(o));
  }
  if (kept.empty()) return nothing();
  if (kept.size() == 1) return kept[0];
  auto r = make(Kind::kAlt);
  r->children = std::move(kept);
  return r;
}

RegexPtr Regex::repeat(RegexPtr child, uint32_t min, uint32_t max) {
  if (max != kUnbounded && max < min) return nothing();
  if (max == 0) return empty();
  if (min == 1 && max == 1) return child;
  if (child->kind == Kind::kEmpty) return empty();
  if (child->kind == Kind::kNothing) return min == 0 ? empty() : nothing();
  auto r = make(Kind::kRepeat);
  r->children.push_back(std::move(child));
  r->min = min;
  r->max = max;
  return r;
}

Status Grammar::validate() const {
  if (rules.empty()) return make_error("grammar has no rules");
  if (start >= rules.size()) return make_error("grammar start rule " + std::to_string(start) + " does not exist");
  for (const Rule& rule : rules) {
    for (const std::vector<Symbol>& seq : rule.alternatives) {
      for (const Symbol& s : seq) {
        if (s.kind == Symbol::Kind::kLexeme && s.index >= lexemes.size()) {
          return make_error("rule '" + rule.name + "' names lexeme " + std::to_string(s.index) + ", which does not exist");
        }
        if (s.kind == Symbol::Kind::kRule && s.index >= rules.size()) {
          return make_error("rule '" + rule.name + "' names rule " + std::to_string(s.index) + ", which does not exist");
        }
      }
    }
  }
  return ok_status();
}

}  // namespace gemma3::grammar
