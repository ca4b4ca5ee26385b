#include "chat/chat_template.h"

#include "jinja/template.h"
#include "tokenizer/tokenizer.h"

namespace gemma3 {
namespace {

using json = nlohmann::ordered_json;

std::string message_field(size_t i) { return "messages[" + std::to_string(i) + "]"; }

Status validate_content(const json& content, const std::string& name) {
  if (content.is_null() || content.is_string()) return ok_status();
  if (!content.is_array()) return make_error(name + " must be a string, null, or an array of content parts");
  for (size_t j = 0; j < content.size(); ++j) {
    const json& part = content[j];
    const std::string part_name = name + "[" + std::to_string(j) + "]";
    if (!part.is_object()) return make_error(part_name + " must be an object like {\"type\": \"text\", \"text\": ...}");
    auto type = part.find("type");
    if (type == part.end() || !type->is_string()) return make_error(part_name + ".type must be the string \"text\"");
    if (*type != "text") {
      return make_error(part_name + ".type \"" + type->get<std::string>() +
                        "\" is not supported: this model takes text only (type must be \"text\")");
    }
    auto text = part.find("text");
    if (text == part.end() || !text->is_string()) return make_error(part_name + ".text must be a string");
  }
  return ok_status();
}

Status validate_tool_calls(const json& calls, const std::string& name) {
  if (!calls.is_array()) return make_error(name + " must be an array of tool calls");
  for (size_t j = 0; j < calls.size(); ++j) {
    const json& call = calls[j];
    const std::string call_name = name + "[" + std::to_string(j) + "]";
    if (!call.is_object()) return make_error(call_name + " must be an object {\"id\", \"type\": \"function\", \"function\"}");
    if (auto id = call.find("id"); id != call.end() && !id->is_null() && !id->is_string()) {
      return make_error(call_name + ".id must be a string");
    }
    if (auto type = call.find("type"); type != call.end() && !type->is_null() && *type != "function") {
      return make_error(call_name + ".type must be \"function\"");
    }
    auto fn = call.find("function");
    if (fn == call.end() || !fn->is_object()) return make_error(call_name + ".function must be an object {\"name\", \"arguments\"}");
    auto fname = fn->find("name");
    if (fname == fn->end() || !fname->is_string()) return make_error(call_name + ".function.name must be a string");
    auto args = fn->find("arguments");
    if (args != fn->end() && !args->is_string() && !args->is_object() && !args->is_null()) {
      return make_error(call_name + ".function.arguments must be a JSON string (or an object)");
    }
  }
  return ok_status();
}

// The OpenAI API sends tool-call arguments as a JSON string; templates expect an object
// (`arguments | tojson`, `arguments.items()`), so it is parsed, as vLLM and llama.cpp do. A string
// that is not a JSON object is left as it is: the template decides what to do with it.
// OpenAI's "developer" role (its newer name for "system") becomes "system" for templates that do
// not know it (Gemma 3's would otherwise write a "developer" turn); templates that mention
// "developer" (gpt-oss, FunctionGemma) get it as sent.
json template_messages(const json& messages, bool developer_as_system) {
  json out = messages;
  for (json& m : out) {
    if (developer_as_system && m["role"] == "developer") m["role"] = "system";
    auto calls = m.find("tool_calls");
    if (calls == m.end() || !calls->is_array()) continue;
    for (json& call : *calls) {
      auto fn = call.find("function");
      if (fn == call.end() || !fn->is_object()) continue;
      auto args = fn->find("arguments");
      if (args == fn->end() || !args->is_string()) continue;
      json parsed = json::parse(args->get<std::string>(), nullptr, /*allow_exceptions=*/false);
      if (parsed.is_object()) *args = std::move(parsed);
    }
  }
  return out;
}

}  // namespace

Status validate_chat_messages(const json& messages) {
  if (!messages.is_array()) return make_error("messages must be an array of {\"role\", \"content\"} objects");
  if (messages.empty()) return make_error("messages must hold at least one message");
  for (size_t i = 0; i < messages.size(); ++i) {
    const json& m = messages[i];
    const std::string name = message_field(i);
    if (!m.is_object()) return make_error(name + " must be an object with \"role\" and \"content\"");
    auto role = m.find("role");
    if (role == m.end()) return make_error(name + ".role is required");
    if (!role->is_string()) return make_error(name + ".role must be a string");
    if (auto content = m.find("content"); content != m.end()) G3_TRY(validate_content(*content, name + ".content"));
    if (auto calls = m.find("tool_calls"); calls != m.end() && !calls->is_null()) {
      G3_TRY(validate_tool_calls(*calls, name + ".tool_calls"));
    }
    for (const char* key : {"name", "tool_call_id"}) {
      if (auto v = m.find(key); v != m.end() && !v->is_null() && !v->is_string()) {
        return make_error(name + "." + key + " must be a string");
      }
    }
  }
  return ok_status();
}

ChatTemplate::~ChatTemplate() = default;

Result<std::shared_ptr<const ChatTemplate>> ChatTemplate::create(std::string default_source, std::string tool_use_source,
                                                                 std::string origin,
                                                                 std::map<std::string, std::string> special_tokens) {
  std::shared_ptr<ChatTemplate> t(new ChatTemplate());
  auto parsed = jinja::Template::parse(default_source);
  if (!parsed) return make_error("chat template (" + origin + "): " + parsed.error());
  t->default_ = std::make_unique<jinja::Template>(std::move(parsed).value());
  if (!tool_use_source.empty()) {
    auto tool = jinja::Template::parse(tool_use_source);
    if (!tool) return make_error("chat template \"tool_use\" (" + origin + "): " + tool.error());
    t->tool_use_ = std::make_unique<jinja::Template>(std::move(tool).value());
  }
  t->default_source_ = std::move(default_source);
  t->tool_use_source_ = std::move(tool_use_source);
  t->origin_ = std::move(origin);
  t->special_tokens_ = std::move(special_tokens);
  return std::shared_ptr<const ChatTemplate>(std::move(t));
}

Result<ChatPrompt> ChatTemplate::render(const ChatInput& input) const {
  G3_TRY(validate_chat_messages(input.messages));
  const bool has_tools = input.tools.is_array();
  if (!input.tools.is_null() && !has_tools) return make_error("tools must be an array");
  if (!input.kwargs.is_object()) return make_error("chat_template_kwargs must be an object");

  // apply_chat_template's keyword arguments: kwargs first, so the names it sets itself win.
  std::map<std::string, jinja::Value> globals;
  for (const auto& [key, value] : input.kwargs.items()) globals[key] = jinja::value_from_json(value, /*untrusted=*/true);
  for (const auto& [name, text] : special_tokens_) globals[name] = jinja::value_from_json(json(text), /*untrusted=*/false);
  const bool use_tool_template = has_tools && tool_use_;
  const std::string& source = use_tool_template ? tool_use_source_ : default_source_;
  const bool developer_as_system = source.find("developer") == std::string::npos;
  globals["messages"] = jinja::value_from_json(template_messages(input.messages, developer_as_system), /*untrusted=*/true);
  globals["tools"] = jinja::value_from_json(has_tools ? input.tools : json(nullptr), /*untrusted=*/true);
  globals["add_generation_prompt"] = jinja::value_from_json(json(input.add_generation_prompt), /*untrusted=*/false);

  const jinja::Template& tmpl = use_tool_template ? *tool_use_ : *default_;
  auto rendered = tmpl.render(globals);
  if (!rendered) return std::move(rendered).take_error();
  ChatPrompt prompt;
  prompt.text = std::move(rendered->text);
  prompt.untrusted = std::move(rendered->untrusted);
  return prompt;
}

std::vector<int32_t> ChatPrompt::tokenize(const Tokenizer& tokenizer) const {
  return tokenizer.encode_with_provenance(text, untrusted);
}

}  // namespace gemma3
