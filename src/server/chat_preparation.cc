#include "server/chat_preparation.h"

#include "server/structured_output.h"
#include "toolcall/tool_format.h"
#include "toolcall/tool_request.h"

namespace gemma3 {
namespace {

using ordered = nlohmann::ordered_json;

ApiResult<GenerationExtras> constraint_extras(ServingBackend& backend, const ConstraintSpec& spec) {
  GenerationExtras extras;
  if (spec.kind == ConstraintSpec::Kind::kNone) return extras;
  ConstraintCompiler* compiler = backend.constraints();
  if (!compiler) return invalid_field(spec.param, "This server cannot constrain outputs (no tokenizer).");
  auto grammar = compiler->compile(spec);
  if (!grammar.ok()) return grammar.error();
  extras.constraint.grammar = std::move(grammar.value());
  extras.constraint.end_ids = backend.eos_ids();
  return extras;
}

}  // namespace

ApiResult<GenerationExtras> prepare_completion_extras(ServingBackend& backend, const ordered& body) {
  auto spec = parse_constraint_spec(body);
  if (!spec.ok()) return spec.error();
  return constraint_extras(backend, spec.value());
}

ApiResult<PreparedChat> prepare_chat(ServingBackend& backend, const nlohmann::json& body, const ordered& body_ordered) {
  auto spec = parse_constraint_spec(body_ordered);
  if (!spec.ok()) return spec.error();
  auto tools = toolcall::parse_tool_request(body_ordered);
  if (auto* e = std::get_if<toolcall::FieldError>(&tools)) return invalid_field(e->param, e->message);
  const toolcall::ToolRequest& tool_request = std::get<toolcall::ToolRequest>(tools);

  ChatInput input;
  input.messages = body_ordered.at("messages");
  if (auto it = body_ordered.find("chat_template_kwargs"); it != body_ordered.end() && !it->is_null()) {
    if (!it->is_object()) return invalid_field("chat_template_kwargs", "'chat_template_kwargs' must be an object.");
    input.kwargs = *it;
  }

  PreparedChat prepared;
  std::shared_ptr<const toolcall::ToolFormat> format;
  if (!tool_request.empty()) {
    format = backend.tool_format();
    if (!format) return invalid_field("tools", "This server's model has no chat template, so it cannot take tools.");
    if (tool_request.choice.kind != toolcall::ToolChoice::Kind::kNone && spec->kind != ConstraintSpec::Kind::kNone) {
      return invalid_field(spec->param, "'" + spec->param + "' cannot be combined with tools unless tool_choice is \"none\".");
    }
    input.tools = body_ordered.at("tools");
    // The format rewrites what the template sees (the json format describes the tools in the
    // prompt and turns past calls and results into plain turns); native formats leave it.
    format->prepare_chat(input.messages, input.tools, tool_request);
    if (tool_request.choice.kind != toolcall::ToolChoice::Kind::kNone) {
      ConstraintCompiler* compiler = backend.constraints();
      if (!compiler) return invalid_field("tools", "This server cannot constrain outputs (no tokenizer).");
      auto constraint = format->constraint(tool_request, compiler->tokens(), backend.eos_ids());
      if (!constraint.ok()) return invalid_field("tools", constraint.error());
      prepared.extras.constraint = std::move(constraint.value());
    }
    prepared.extras.visible_special_ids = format->visible_special_ids();
    prepared.extras.make_tool_parser = [format, tool_request] { return format->make_parser(tool_request); };
  } else {
    auto extras = constraint_extras(backend, spec.value());
    if (!extras.ok()) return extras.error();
    prepared.extras = std::move(extras.value());
  }

  auto prompt = backend.chat_prompt(input);
  if (!prompt.ok()) return invalid_field("messages", prompt.error());
  prepared.prompt = std::move(prompt.value());
  return prepared;
}

void apply_extras(const GenerationExtras& extras, std::vector<GenerationRequest>& requests) {
  for (GenerationRequest& r : requests) {
    r.constraint = extras.constraint;
    r.visible_special_ids = extras.visible_special_ids;
  }
}

}  // namespace gemma3
