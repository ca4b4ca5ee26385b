#include "toolcall/tool_request.h"

#include <set>

namespace gemma3::toolcall {

using json = nlohmann::ordered_json;

const Tool* ToolRequest::find(std::string_view name) const {
  for (const Tool& t : tools)
    if (t.name == name) return &t;
  return nullptr;
}

bool is_valid_function_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

namespace {

const char* type_name(const json& j) { return j.type_name(); }

std::variant<Tool, FieldError> parse_tool(const json& entry, const std::string& at) {
  if (!entry.is_object()) return FieldError{at, at + " must be an object, got " + type_name(entry)};
  auto type = entry.find("type");
  if (type == entry.end() || !type->is_string() || *type != "function")
    return FieldError{at + ".type", at + ".type must be \"function\""};
  auto fn = entry.find("function");
  if (fn == entry.end() || !fn->is_object()) return FieldError{at + ".function", at + ".function must be an object"};
  Tool tool;
  auto name = fn->find("name");
  if (name == fn->end() || !name->is_string())
    return FieldError{at + ".function.name", at + ".function.name is required (a string)"};
  tool.name = name->get<std::string>();
  if (!is_valid_function_name(tool.name))
    return FieldError{at + ".function.name", at + ".function.name '" + tool.name +
                                                 "' must be 1-64 characters of a-z, A-Z, 0-9, '_' or '-'"};
  if (auto d = fn->find("description"); d != fn->end() && !d->is_null()) {
    if (!d->is_string()) return FieldError{at + ".function.description", at + ".function.description must be a string"};
    tool.description = d->get<std::string>();
  }
  tool.parameters = json{{"type", "object"}, {"properties", json::object()}};
  if (auto p = fn->find("parameters"); p != fn->end() && !p->is_null()) {
    const std::string where = at + ".function.parameters";
    if (!p->is_object()) return FieldError{where, where + " must be a JSON Schema object, got " + type_name(*p)};
    if (auto t = p->find("type"); t != p->end() && *t != "object")
      return FieldError{where, where + ".type must be \"object\" (a function's arguments are an object), got " + t->dump()};
    tool.parameters = *p;
  }
  if (auto s = fn->find("strict"); s != fn->end() && !s->is_null()) {
    if (!s->is_boolean()) return FieldError{at + ".function.strict", at + ".function.strict must be a boolean"};
    tool.strict = s->get<bool>();
  }
  return tool;
}

std::variant<ToolChoice, FieldError> parse_choice(const json& j) {
  ToolChoice c;
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == "none") c.kind = ToolChoice::Kind::kNone;
    else if (s == "auto") c.kind = ToolChoice::Kind::kAuto;
    else if (s == "required") c.kind = ToolChoice::Kind::kRequired;
    else return FieldError{"tool_choice", "tool_choice must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}, got \"" + s + "\""};
    return c;
  }
  if (!j.is_object()) return FieldError{"tool_choice", std::string("tool_choice must be a string or an object, got ") + type_name(j)};
  auto type = j.find("type");
  if (type == j.end() || *type != "function") return FieldError{"tool_choice.type", "tool_choice.type must be \"function\""};
  auto fn = j.find("function");
  if (fn == j.end() || !fn->is_object()) return FieldError{"tool_choice.function", "tool_choice.function must be an object"};
  auto name = fn->find("name");
  if (name == fn->end() || !name->is_string())
    return FieldError{"tool_choice.function.name", "tool_choice.function.name is required (a string)"};
  c.kind = ToolChoice::Kind::kNamed;
  c.name = name->get<std::string>();
  return c;
}

}  // namespace

std::variant<ToolRequest, FieldError> parse_tool_request(const json& body) {
  ToolRequest req;
  req.choice.kind = ToolChoice::Kind::kNone;
  if (!body.is_object()) return req;
  auto tools = body.find("tools");
  auto choice = body.find("tool_choice");
  auto parallel = body.find("parallel_tool_calls");
  const bool has_tools = tools != body.end() && !tools->is_null();
  const bool has_choice = choice != body.end() && !choice->is_null();
  if (parallel != body.end() && !parallel->is_null()) {
    if (!parallel->is_boolean()) return FieldError{"parallel_tool_calls", "parallel_tool_calls must be a boolean"};
    req.parallel = parallel->get<bool>();
  }
  if (!has_tools) {
    if (has_choice) return FieldError{"tool_choice", "tool_choice is only allowed when tools are given"};
    return req;
  }
  if (!tools->is_array()) return FieldError{"tools", std::string("tools must be an array, got ") + type_name(*tools)};
  if (tools->empty()) return FieldError{"tools", "tools must not be empty (leave it out instead)"};
  std::set<std::string> names;
  for (size_t i = 0; i < tools->size(); ++i) {
    auto tool = parse_tool((*tools)[i], "tools[" + std::to_string(i) + "]");
    if (auto* e = std::get_if<FieldError>(&tool)) return *e;
    Tool& t = std::get<Tool>(tool);
    if (!names.insert(t.name).second)
      return FieldError{"tools[" + std::to_string(i) + "].function.name", "duplicate function name '" + t.name + "'"};
    req.tools.push_back(std::move(t));
  }
  req.tools_json = *tools;
  req.choice.kind = ToolChoice::Kind::kAuto;
  if (has_choice) {
    auto c = parse_choice(*choice);
    if (auto* e = std::get_if<FieldError>(&c)) return *e;
    req.choice = std::get<ToolChoice>(c);
    if (req.choice.kind == ToolChoice::Kind::kNamed && !req.find(req.choice.name))
      return FieldError{"tool_choice.function.name",
                        "tool_choice names function '" + req.choice.name + "', which is not in tools"};
  }
  return req;
}

}  // namespace gemma3::toolcall
