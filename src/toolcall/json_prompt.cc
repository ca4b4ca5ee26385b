#include "toolcall/json_prompt.h"

#include <map>

namespace gemma3::toolcall {

using json = nlohmann::ordered_json;
using nlohmann::ordered_json;

namespace {

std::string dump(const ordered_json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// A message's content as text: a string, the text parts of a list joined, or "" for null.
std::string content_text(const json& message) {
  auto c = message.find("content");
  if (c == message.end() || c->is_null()) return "";
  if (c->is_string()) return c->get<std::string>();
  std::string text;
  if (c->is_array())
    for (const auto& part : *c)
      if (part.is_object() && part.value("type", "") == "text" && part.contains("text") && part["text"].is_string())
        text += part["text"].get<std::string>();
  return text;
}

void append_paragraph(std::string& to, const std::string& text) {
  if (text.empty()) return;
  if (!to.empty()) to += "\n\n";
  to += text;
}

}  // namespace

std::string describe_tools_for_json(const ToolRequest& request) {
  if (request.empty() || request.choice.kind == ToolChoice::Kind::kNone) return "";
  std::string text = "You can call functions. These are the functions, with their parameters as JSON Schema:\n";
  for (const Tool& t : request.tools) {
    ordered_json entry;
    entry["name"] = t.name;
    if (!t.description.empty()) entry["description"] = t.description;
    entry["parameters"] = t.parameters;
    text += dump(entry) + "\n";
  }
  text += "\nTo call a function, reply with only a JSON object: {\"name\": <function name>, \"arguments\": <arguments object>}.";
  if (request.parallel) text += " To call several functions at once, reply with a JSON list of such objects.";
  switch (request.choice.kind) {
    case ToolChoice::Kind::kAuto: text += " If no function is needed, reply in plain text instead."; break;
    case ToolChoice::Kind::kRequired: text += " You must call a function."; break;
    case ToolChoice::Kind::kNamed: text += " You must call the function \"" + request.choice.name + "\"."; break;
    case ToolChoice::Kind::kNone: break;
  }
  return text;
}

std::string tool_calls_as_json_text(const json& tool_calls) {
  ordered_json calls = ordered_json::array();
  for (const auto& tc : tool_calls) {
    if (!tc.is_object() || !tc.contains("function") || !tc["function"].is_object()) continue;
    const json& fn = tc["function"];
    ordered_json call;
    call["name"] = fn.value("name", "");
    ordered_json args = ordered_json::object();
    if (auto a = fn.find("arguments"); a != fn.end()) {
      if (a->is_string()) {
        args = ordered_json::parse(a->get<std::string>(), nullptr, false);
        if (args.is_discarded()) args = a->get<std::string>();   // not JSON: shown as the string it is
      } else {
        args = *a;
      }
    }
    call["arguments"] = std::move(args);
    calls.push_back(std::move(call));
  }
  return dump(calls.size() == 1 ? calls[0] : calls);
}

void rewrite_messages_for_json(json& messages, const std::string& tools_description) {
  // Names of earlier calls by id, so that a tool message without "name" still says whose result it is.
  std::map<std::string, std::string> call_names;
  json out = json::array();
  for (const json& m : messages) {
    std::string role = m.value("role", "");
    json msg = m;
    if (role == "assistant" && m.contains("tool_calls") && m["tool_calls"].is_array() && !m["tool_calls"].empty()) {
      for (const auto& tc : m["tool_calls"])
        if (tc.is_object() && tc.contains("id") && tc["id"].is_string() && tc.contains("function"))
          call_names[tc["id"].get<std::string>()] = tc["function"].value("name", "");
      std::string text = content_text(m);
      append_paragraph(text, tool_calls_as_json_text(m["tool_calls"]));
      msg = json{{"role", "assistant"}, {"content", text}};
    } else if (role == "tool") {
      std::string name = m.value("name", "");
      if (name.empty() && m.contains("tool_call_id") && m["tool_call_id"].is_string()) {
        auto it = call_names.find(m["tool_call_id"].get<std::string>());
        if (it != call_names.end()) name = it->second;
      }
      msg = json{{"role", "user"}, {"content", "Function " + (name.empty() ? std::string("call") : name) + " returned:\n" +
                                                   content_text(m)}};
      role = "user";
    }
    // Merge with the previous message of the same role (tool results after a user turn, etc.).
    if (!out.empty() && out.back().value("role", "") == role && (role == "user" || role == "assistant")) {
      std::string text = content_text(out.back());
      append_paragraph(text, content_text(msg));
      out.back() = json{{"role", role}, {"content", text}};
      continue;
    }
    out.push_back(std::move(msg));
  }
  if (!tools_description.empty()) {
    if (!out.empty() && (out[0].value("role", "") == "system" || out[0].value("role", "") == "developer")) {
      std::string text = content_text(out[0]);
      append_paragraph(text, tools_description);
      out[0] = json{{"role", out[0]["role"]}, {"content", text}};
    } else {
      out.insert(out.begin(), json{{"role", "system"}, {"content", tools_description}});
    }
  }
  messages = std::move(out);
}

}  // namespace gemma3::toolcall
