#include "toolcall/call_grammar.h"

#include <functional>

#include "grammar/front_ends.h"
#include "grammar/matcher.h"
#include "grammar/token_table.h"
#include "toolcall/fg_syntax.h"

namespace gemma3::toolcall {

using grammar::Grammar;
using grammar::Regex;
using grammar::Symbol;

namespace {

Symbol text(Grammar& g, std::string_view bytes) { return Symbol::lexeme(g.add_lexeme(Regex::literal(bytes))); }
Symbol marker(Grammar& g, int32_t token, std::string_view bytes) {
  return token >= 0 ? Symbol::token(token) : text(g, bytes);
}

}  // namespace

Result<Grammar> build_call_grammar(const ToolRequest& request, const CallFrame& frame) {
  Grammar g;
  const bool fg = frame.kind == CallFrame::Kind::kFunctionGemma;
  grammar::SchemaOptions options;
  if (fg) options.syntax = {grammar::ValueSyntax::Kind::kFunctionGemma, frame.escape};

  const uint32_t call = g.add_rule("tool_call");
  for (size_t i = 0; i < request.tools.size(); ++i) {
    const Tool& tool = request.tools[i];
    if (request.choice.kind == ToolChoice::Kind::kNamed && tool.name != request.choice.name) continue;
    auto args = grammar::add_json_schema_rule(g, tool.parameters, options);
    if (!args) return make_error("tools[" + std::to_string(i) + "].function.parameters: " + args.error());
    std::vector<Symbol> seq;
    if (fg) {
      seq = {marker(g, frame.start_call, kFgStartCall), text(g, "call:" + tool.name), Symbol::rule(*args),
             marker(g, frame.end_call, kFgEndCall)};
    } else {
      seq = {text(g, "{\"name\": \"" + tool.name + "\", \"arguments\": "), Symbol::rule(*args), text(g, "}")};
    }
    g.rules[call].alternatives.push_back(std::move(seq));
  }
  if (g.rules[call].alternatives.empty()) return make_error("tool_choice names a function that is not in tools");

  if (!request.parallel) {
    g.start = call;
  } else if (fg) {
    // calls := call | call calls
    const uint32_t calls = g.add_rule("tool_calls");
    g.rules[calls].alternatives = {{Symbol::rule(call)}, {Symbol::rule(call), Symbol::rule(calls)}};
    g.start = calls;
  } else {
    // calls := call | "[" call (", " call)* "]"
    const uint32_t more = g.add_rule("more_calls");
    g.rules[more].alternatives = {{}, {text(g, ", "), Symbol::rule(call), Symbol::rule(more)}};
    const uint32_t calls = g.add_rule("tool_calls");
    g.rules[calls].alternatives = {{Symbol::rule(call)},
                                   {text(g, "["), Symbol::rule(call), Symbol::rule(more), text(g, "]")}};
    g.start = calls;
  }
  G3_TRY(g.validate());
  return g;
}

Result<OutputConstraint> build_call_constraint(const ToolRequest& request, const CallFrame& frame,
                                               std::shared_ptr<const grammar::TokenTable> tokens,
                                               std::vector<int32_t> end_ids,
                                               const std::function<bool(int32_t, const grammar::TokenTable&)>& is_trigger,
                                               bool trigger_at_start_only) {
  OutputConstraint c;
  if (request.empty() || request.choice.kind == ToolChoice::Kind::kNone) return c;
  auto g = build_call_grammar(request, frame);
  if (!g) return std::move(g).take_error();
  auto compiled = grammar::compile(std::move(*g), tokens);
  if (!compiled) return make_error("tool call grammar: " + compiled.error());
  c.grammar = *compiled;
  c.end_ids = std::move(end_ids);
  if (request.choice.kind != ToolChoice::Kind::kAuto) return c;

  // auto: the same grammar, switched on by the tokens that can start a call.
  c.lazy = true;
  c.trigger_at_start_only = trigger_at_start_only;
  grammar::Matcher matcher(c.grammar, c.end_ids);
  std::vector<uint32_t> mask(grammar::mask_words(*tokens));
  matcher.fill_mask(mask);
  for (int32_t id = 0; id < tokens->vocab_size(); ++id)
    if ((mask[static_cast<size_t>(id) / 32] >> (id % 32)) & 1u)
      if (is_trigger(id, *tokens)) c.trigger_tokens.push_back(id);
  if (c.trigger_tokens.empty()) return make_error("tool call grammar: no token of the vocabulary can start a call");
  return c;
}

}  // namespace gemma3::toolcall
