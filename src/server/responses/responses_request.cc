#include "server/responses/responses_request.h"

#include <map>

#include "server/api_translation.h"

namespace gemma3 {

namespace {

using nlohmann::ordered_json;

std::string at(const std::string& param, size_t i) { return param + "[" + std::to_string(i) + "]"; }

// A message's content: a string, or a list of text parts (input_text, output_text; also the chat
// name "text"). Returns a string for a single part so that the template sees what chat would.
ApiResult<ordered_json> content_of(const ordered_json& content, const std::string& param) {
  if (content.is_string()) return content;
  if (!content.is_array() || content.empty()) {
    return invalid_field(param, "'" + param + "' must be a string or a non-empty array of input_text parts, got " +
                                    describe_json(content) + ".");
  }
  ordered_json parts = ordered_json::array();
  for (size_t i = 0; i < content.size(); ++i) {
    const ordered_json& part = content[i];
    const std::string p = at(param, i);
    if (!part.is_object()) return invalid_field(p, "'" + p + "' must be an object, got " + describe_json(part) + ".");
    const ordered_json* type = find_field(part, "type");
    const std::string t = type && type->is_string() ? type->get<std::string>() : "";
    if (t != "input_text" && t != "output_text" && t != "text") {
      return invalid_field(p + ".type", "'" + p + ".type' must be 'input_text' or 'output_text'" +
                                            (t.empty() ? std::string(".") : "; '" + t + "' is not supported (the model reads text only)."));
    }
    const ordered_json* text = find_field(part, "text");
    if (!text) return invalid_field(p + ".text", "'" + p + ".text' is required.");
    auto s = expect_string(*text, p + ".text");
    if (!s.ok()) return s.error();
    parts.push_back({{"type", "text"}, {"text", std::move(s.value())}});
  }
  if (parts.size() == 1) return parts[0]["text"];
  return parts;
}

class InputTranslator {
 public:
  ApiResult<ordered_json> run(const ordered_json& input) {
    if (input.is_string()) return ordered_json::array({{{"role", "user"}, {"content", input}}});
    if (!input.is_array() || input.empty()) {
      return invalid_field("input", "'input' must be a string or a non-empty array of input items, got " +
                                        describe_json(input) + ".");
    }
    for (size_t i = 0; i < input.size(); ++i) {
      if (auto e = item(input[i], at("input", i))) return *e;
    }
    return std::move(messages_);
  }

 private:
  std::optional<ApiError> item(const ordered_json& item, const std::string& p) {
    if (!item.is_object()) return invalid_field(p, "'" + p + "' must be an object, got " + describe_json(item) + ".");
    const ordered_json* type = find_field(item, "type");
    std::string t = "message";   // EasyInputMessage: {role, content} without a type
    if (type) {
      auto s = expect_string(*type, p + ".type");
      if (!s.ok()) return s.error();
      t = s.value();
    }
    if (t == "message") return message(item, p);
    if (t == "function_call") return function_call(item, p);
    if (t == "function_call_output") return function_call_output(item, p);
    return invalid_field(p + ".type", "'" + p + ".type' '" + t +
                                          "' is not supported; expected 'message', 'function_call' or 'function_call_output'.");
  }

  std::optional<ApiError> message(const ordered_json& item, const std::string& p) {
    const ordered_json* role = find_field(item, "role");
    if (!role) return invalid_field(p + ".role", "'" + p + ".role' is required.");
    auto r = expect_string(*role, p + ".role");
    if (!r.ok()) return r.error();
    if (r.value() != "user" && r.value() != "system" && r.value() != "developer" && r.value() != "assistant") {
      return invalid_field(p + ".role", "'" + p + ".role' must be 'user', 'system', 'developer' or 'assistant', got '" +
                                            r.value() + "'.");
    }
    const ordered_json* content = find_field(item, "content");
    if (!content) return invalid_field(p + ".content", "'" + p + ".content' is required.");
    auto c = content_of(*content, p + ".content");
    if (!c.ok()) return c.error();
    messages_.push_back({{"role", r.value()}, {"content", std::move(c.value())}});
    pending_outputs_ = false;
    return std::nullopt;
  }

  ApiResult<std::string> required_string(const ordered_json& item, const std::string& p, const char* name) {
    const ordered_json* v = find_field(item, name);
    if (!v) return invalid_field(p + "." + name, "'" + p + "." + name + "' is required.");
    return expect_string(*v, p + "." + name);
  }

  std::optional<ApiError> function_call(const ordered_json& item, const std::string& p) {
    auto call_id = required_string(item, p, "call_id");
    if (!call_id.ok()) return call_id.error();
    auto name = required_string(item, p, "name");
    if (!name.ok()) return name.error();
    auto arguments = required_string(item, p, "arguments");
    if (!arguments.ok()) return arguments.error();
    // Calls the model made in one turn follow one another: they join the assistant message before
    // them, as chat's tool_calls list them.
    if (messages_.empty() || messages_.back()["role"] != "assistant" || pending_outputs_) {
      messages_.push_back({{"role", "assistant"}, {"content", nullptr}});
      pending_outputs_ = false;
    }
    ordered_json& assistant = messages_.back();
    if (!assistant.contains("tool_calls")) assistant["tool_calls"] = ordered_json::array();
    assistant["tool_calls"].push_back({{"id", call_id.value()},
                                       {"type", "function"},
                                       {"function", {{"name", name.value()}, {"arguments", arguments.value()}}}});
    call_names_[call_id.value()] = name.value();
    return std::nullopt;
  }

  std::optional<ApiError> function_call_output(const ordered_json& item, const std::string& p) {
    auto call_id = required_string(item, p, "call_id");
    if (!call_id.ok()) return call_id.error();
    const ordered_json* output = find_field(item, "output");
    if (!output) return invalid_field(p + ".output", "'" + p + ".output' is required.");
    auto content = content_of(*output, p + ".output");
    if (!content.ok()) return content.error();
    ordered_json tool = {{"role", "tool"}, {"tool_call_id", call_id.value()}};
    // The function's name, for templates that write it with the result (FunctionGemma's does).
    if (auto it = call_names_.find(call_id.value()); it != call_names_.end()) tool["name"] = it->second;
    tool["content"] = std::move(content.value());
    messages_.push_back(std::move(tool));
    pending_outputs_ = true;
    return std::nullopt;
  }

  ordered_json messages_ = ordered_json::array();
  std::map<std::string, std::string> call_names_;
  bool pending_outputs_ = false;   // a tool result came after the last assistant message
};

ApiResult<ordered_json> translate_tools(const ordered_json& tools) {
  if (!tools.is_array()) return invalid_field("tools", "'tools' must be an array, got " + describe_json(tools) + ".");
  ordered_json out = ordered_json::array();
  for (size_t i = 0; i < tools.size(); ++i) {
    const ordered_json& tool = tools[i];
    const std::string p = at("tools", i);
    if (!tool.is_object()) return invalid_field(p, "'" + p + "' must be an object, got " + describe_json(tool) + ".");
    const ordered_json* type = find_field(tool, "type");
    if (!type || *type != "function") {
      return invalid_field(p + ".type", "'" + p + ".type' must be 'function' (hosted tools such as web_search are not "
                                        "available on this server), got " + (type ? type->dump() : "nothing") + ".");
    }
    ordered_json fn = ordered_json::object();
    copy_field(tool, "name", fn, "name");
    copy_field(tool, "description", fn, "description");
    copy_field(tool, "parameters", fn, "parameters");
    copy_field(tool, "strict", fn, "strict");
    out.push_back({{"type", "function"}, {"function", std::move(fn)}});
  }
  return out;
}

ApiResult<ordered_json> translate_tool_choice(const ordered_json& choice) {
  if (choice.is_string()) return choice;
  if (string_member(choice, "type") == "function") {
    const ordered_json* name = find_field(choice, "name");
    if (!name) return invalid_field("tool_choice.name", "'tool_choice.name' is required.");
    return ordered_json{{"type", "function"}, {"function", {{"name", *name}}}};
  }
  return invalid_field("tool_choice", "'tool_choice' must be 'none', 'auto', 'required' or {\"type\": \"function\", "
                                      "\"name\": ...}, got " + choice.dump() + ".");
}

ApiResult<ordered_json> translate_text_format(const ordered_json& text) {
  if (!text.is_object()) return invalid_field("text", "'text' must be an object, got " + describe_json(text) + ".");
  const ordered_json* format = find_field(text, "format");
  if (!format) return ordered_json();
  if (!format->is_object()) {
    return invalid_field("text.format", "'text.format' must be an object, got " + describe_json(*format) + ".");
  }
  const std::string type = string_member(*format, "type");
  if (type == "text") return ordered_json();
  if (type == "json_object") return ordered_json{{"type", "json_object"}};
  if (type == "json_schema") {
    const ordered_json* name = find_field(*format, "name");
    if (!name) return invalid_field("text.format.name", "'text.format.name' is required.");
    if (!find_field(*format, "schema")) return invalid_field("text.format.schema", "'text.format.schema' is required.");
    ordered_json js = ordered_json::object();
    for (const char* key : {"name", "description", "schema", "strict"}) copy_field(*format, key, js, key);
    return ordered_json{{"type", "json_schema"}, {"json_schema", std::move(js)}};
  }
  return invalid_field("text.format.type", "'text.format.type' must be 'text', 'json_schema' or 'json_object', got " +
                                               (format->contains("type") ? (*format)["type"].dump() : "nothing") + ".");
}

std::optional<ApiError> check_metadata(const ordered_json& metadata) {
  if (!metadata.is_object() || metadata.size() > kMaxMetadataKeys) {
    return invalid_field("metadata", "'metadata' must be an object of at most " + std::to_string(kMaxMetadataKeys) +
                                         " string values.");
  }
  for (const auto& [key, value] : metadata.items()) {
    if (key.size() > 64 || !value.is_string() || value.get_ref<const std::string&>().size() > kMaxMetadataValueBytes) {
      return invalid_field("metadata." + key, "'metadata' keys have at most 64 characters and values are strings of at most " +
                                                  std::to_string(kMaxMetadataValueBytes) + " characters.");
    }
  }
  return std::nullopt;
}

}  // namespace

ApiResult<ResponsesRequest> parse_responses_request(const ordered_json& body) {
  if (!body.is_object()) return invalid_body("The request body must be a JSON object.");
  ResponsesRequest r;
  ordered_json& chat = r.chat = ordered_json::object();
  ordered_json& echo = r.echo = ordered_json::object();

  for (const char* refused : {"background", "conversation"}) {
    const ordered_json* v = find_field(body, refused);
    if (v && !(v->is_boolean() && !v->get<bool>())) {
      return invalid_field(refused, std::string("'") + refused + "' is not supported by this server.");
    }
  }

  const ordered_json* input = find_field(body, "input");
  if (!input) return invalid_field("input", "'input' is required.");
  auto messages = InputTranslator().run(*input);
  if (!messages.ok()) return messages.error();
  r.input_messages = std::move(messages.value());

  if (const ordered_json* v = find_field(body, "instructions")) {
    auto s = expect_string(*v, "instructions");
    if (!s.ok()) return s.error();
    r.instructions = s.value();
  }
  echo["instructions"] = r.instructions ? ordered_json(*r.instructions) : ordered_json();

  if (const ordered_json* v = find_field(body, "previous_response_id")) {
    auto s = expect_string(*v, "previous_response_id");
    if (!s.ok()) return s.error();
    r.previous_response_id = s.value();
  }
  for (const char* flag : {"store", "stream"}) {
    if (const ordered_json* v = find_field(body, flag)) {
      if (!v->is_boolean()) {
        return invalid_field(flag, std::string("'") + flag + "' must be a boolean, got " + describe_json(*v) + ".");
      }
      (std::string(flag) == "store" ? r.store : r.stream) = v->get<bool>();
    }
  }

  copy_field(body, "model", chat, "model");
  copy_field(body, "max_output_tokens", chat, "max_tokens");
  echo["max_output_tokens"] = body.value("max_output_tokens", ordered_json());
  for (const char* key : {"temperature", "top_p", "seed", "top_k", "min_p", "repetition_penalty", "presence_penalty",
                          "frequency_penalty", "stop", "logit_bias", "user"}) {
    copy_field(body, key, chat, key);
  }

  if (const ordered_json* v = find_field(body, "tools")) {
    auto tools = translate_tools(*v);
    if (!tools.ok()) return tools.error();
    if (!tools->empty()) chat["tools"] = std::move(tools.value());
  }
  echo["tools"] = body.value("tools", ordered_json::array());
  if (echo["tools"].is_null()) echo["tools"] = ordered_json::array();
  if (const ordered_json* v = find_field(body, "tool_choice")) {
    auto choice = translate_tool_choice(*v);
    if (!choice.ok()) return choice.error();
    chat["tool_choice"] = std::move(choice.value());
    echo["tool_choice"] = *v;
  } else {
    echo["tool_choice"] = "auto";
  }
  copy_field(body, "parallel_tool_calls", chat, "parallel_tool_calls");
  // OpenAI accepts tool_choice none / auto with no tools; chat refuses any choice without them.
  if (!chat.contains("tools") && chat.contains("tool_choice") && chat["tool_choice"].is_string() &&
      (chat["tool_choice"] == "none" || chat["tool_choice"] == "auto")) {
    chat.erase("tool_choice");
  }
  echo["parallel_tool_calls"] = body.value("parallel_tool_calls", ordered_json(true));

  echo["text"] = ordered_json{{"format", {{"type", "text"}}}};
  if (const ordered_json* v = find_field(body, "text")) {
    auto format = translate_text_format(*v);
    if (!format.ok()) return format.error();
    if (!format->is_null()) {
      chat["response_format"] = std::move(format.value());
      echo["text"] = *v;
    }
  }

  if (const ordered_json* v = find_field(body, "metadata")) {
    if (auto e = check_metadata(*v)) return *e;
  }
  echo["metadata"] = body.value("metadata", ordered_json::object());
  if (echo["metadata"].is_null()) echo["metadata"] = ordered_json::object();
  for (const char* key : {"temperature", "top_p", "user"}) echo[key] = body.value(key, ordered_json());
  echo["store"] = r.store;

  chat["stream"] = r.stream;
  // The writers report usage at the end of a stream, as a non-streamed response does.
  if (r.stream) chat["stream_options"] = {{"include_usage", true}};
  return r;
}

ordered_json chat_body_for(const ResponsesRequest& request, const ordered_json& history) {
  ordered_json body = ordered_json::object();
  ordered_json messages = ordered_json::array();
  if (request.instructions) messages.push_back({{"role", "system"}, {"content", *request.instructions}});
  for (const ordered_json& m : history) messages.push_back(m);
  for (const ordered_json& m : request.input_messages) messages.push_back(m);
  body["messages"] = std::move(messages);
  for (const auto& [key, value] : request.chat.items()) body[key] = value;
  return body;
}

}  // namespace gemma3
