#include "server/anthropic/messages_request.h"

#include <limits>
#include <map>

#include "server/api_translation.h"

namespace gemma3 {

namespace {

using nlohmann::ordered_json;

std::string at(const std::string& param, size_t i) { return param + "." + std::to_string(i); }

ApiError required(const std::string& param) { return invalid_field(param, param + ": Field required"); }

ApiResult<std::string> required_string(const ordered_json& object, const std::string& p, const char* name) {
  const ordered_json* v = find_field(object, name);
  if (!v) return required(p + "." + name);
  return expect_string(*v, p + "." + name);
}

// Text blocks ([{type: text, text}], the system field and tool_result content) -> a string when
// there is one block, else chat text parts.
ApiResult<ordered_json> text_blocks(const ordered_json& value, const std::string& p) {
  if (value.is_string()) return value;
  if (!value.is_array()) return invalid_field(p, p + ": must be a string or an array of text blocks, got " + describe_json(value) + ".");
  ordered_json parts = ordered_json::array();
  for (size_t i = 0; i < value.size(); ++i) {
    const ordered_json& block = value[i];
    const std::string bp = at(p, i);
    if (!block.is_object() || string_member(block, "type") != "text") {
      return invalid_field(bp + ".type", bp + ".type: only 'text' blocks are supported here (the model reads text only).");
    }
    auto text = required_string(block, bp, "text");
    if (!text.ok()) return text.error();
    parts.push_back({{"type", "text"}, {"text", std::move(text.value())}});
  }
  if (parts.size() == 1) return parts[0]["text"];
  if (parts.empty()) return ordered_json("");
  return parts;
}

class MessagesTranslator {
 public:
  ApiResult<ordered_json> run(const ordered_json* system, const ordered_json* messages) {
    if (system) {
      auto s = text_blocks(*system, "system");
      if (!s.ok()) return s.error();
      out_.push_back({{"role", "system"}, {"content", std::move(s.value())}});
    }
    if (!messages) return required("messages");
    if (!messages->is_array() || messages->empty()) {
      return invalid_field("messages", "messages: must be a non-empty array, got " + describe_json(*messages) + ".");
    }
    for (size_t i = 0; i < messages->size(); ++i) {
      if (auto e = message((*messages)[i], at("messages", i))) return *e;
    }
    return std::move(out_);
  }

 private:
  std::optional<ApiError> message(const ordered_json& m, const std::string& p) {
    if (!m.is_object()) return invalid_field(p, p + ": must be an object, got " + describe_json(m) + ".");
    auto role = required_string(m, p, "role");
    if (!role.ok()) return role.error();
    if (role.value() != "user" && role.value() != "assistant") {
      return invalid_field(p + ".role", p + ".role: must be 'user' or 'assistant', got '" + role.value() + "'.");
    }
    const ordered_json* content = find_field(m, "content");
    if (!content) return required(p + ".content");
    if (content->is_string()) {
      out_.push_back({{"role", role.value()}, {"content", *content}});
      return std::nullopt;
    }
    if (!content->is_array()) {
      return invalid_field(p + ".content", p + ".content: must be a string or an array of content blocks, got " +
                                               describe_json(*content) + ".");
    }
    const bool assistant = role.value() == "assistant";
    ordered_json parts = ordered_json::array(), calls = ordered_json::array();
    for (size_t i = 0; i < content->size(); ++i) {
      const ordered_json& block = (*content)[i];
      const std::string bp = at(p + ".content", i);
      if (!block.is_object()) return invalid_field(bp, bp + ": must be an object, got " + describe_json(block) + ".");
      const std::string type = string_member(block, "type");
      if (type == "text") {
        auto text = required_string(block, bp, "text");
        if (!text.ok()) return text.error();
        parts.push_back({{"type", "text"}, {"text", std::move(text.value())}});
      } else if (type == "tool_use" && assistant) {
        auto call = tool_use(block, bp);
        if (!call.ok()) return call.error();
        calls.push_back(std::move(call.value()));
      } else if (type == "tool_result" && !assistant) {
        if (auto e = tool_result(block, bp)) return *e;
      } else {
        return invalid_field(bp + ".type", bp + ".type: '" + type + "' is not supported in a" +
                                               (assistant ? "n assistant" : " user") + " message; expected 'text'" +
                                               (assistant ? " or 'tool_use'." : " or 'tool_result'."));
      }
    }
    if (parts.empty() && calls.empty()) return std::nullopt;   // only tool results (already added)
    ordered_json msg = {{"role", role.value()}};
    if (parts.empty()) {
      msg["content"] = nullptr;
    } else if (parts.size() == 1) {
      msg["content"] = parts[0]["text"];
    } else {
      msg["content"] = std::move(parts);
    }
    if (!calls.empty()) msg["tool_calls"] = std::move(calls);
    out_.push_back(std::move(msg));
    return std::nullopt;
  }

  ApiResult<ordered_json> tool_use(const ordered_json& block, const std::string& bp) {
    auto id = required_string(block, bp, "id");
    if (!id.ok()) return id.error();
    auto name = required_string(block, bp, "name");
    if (!name.ok()) return name.error();
    const ordered_json* input = find_field(block, "input");
    if (!input || !input->is_object()) return invalid_field(bp + ".input", bp + ".input: must be an object.");
    call_names_[id.value()] = name.value();
    return ordered_json{{"id", id.value()},
                        {"type", "function"},
                        {"function", {{"name", name.value()}, {"arguments", input->dump()}}}};
  }

  std::optional<ApiError> tool_result(const ordered_json& block, const std::string& bp) {
    auto id = required_string(block, bp, "tool_use_id");
    if (!id.ok()) return id.error();
    ordered_json content = "";
    if (const ordered_json* c = find_field(block, "content")) {
      auto t = text_blocks(*c, bp + ".content");
      if (!t.ok()) return t.error();
      content = std::move(t.value());
    }
    if (const ordered_json* e = find_field(block, "is_error"); e && !e->is_boolean()) {
      return invalid_field(bp + ".is_error", bp + ".is_error: must be a boolean.");
    }
    ordered_json tool = {{"role", "tool"}, {"tool_call_id", id.value()}};
    if (auto it = call_names_.find(id.value()); it != call_names_.end()) tool["name"] = it->second;
    tool["content"] = std::move(content);
    out_.push_back(std::move(tool));
    return std::nullopt;
  }

  ordered_json out_ = ordered_json::array();
  std::map<std::string, std::string> call_names_;
};

ApiResult<ordered_json> translate_tools(const ordered_json& tools) {
  if (!tools.is_array()) return invalid_field("tools", "tools: must be an array, got " + describe_json(tools) + ".");
  ordered_json out = ordered_json::array();
  for (size_t i = 0; i < tools.size(); ++i) {
    const ordered_json& tool = tools[i];
    const std::string p = at("tools", i);
    if (!tool.is_object()) return invalid_field(p, p + ": must be an object, got " + describe_json(tool) + ".");
    if (const ordered_json* type = find_field(tool, "type"); type && *type != "custom") {
      return invalid_field(p + ".type", p + ".type: only client tools ('custom') are supported, got " + type->dump() + ".");
    }
    if (!find_field(tool, "name")) return required(p + ".name");
    if (!find_field(tool, "input_schema")) return required(p + ".input_schema");
    ordered_json fn = ordered_json::object();
    copy_field(tool, "name", fn, "name");
    copy_field(tool, "description", fn, "description");
    copy_field(tool, "input_schema", fn, "parameters");
    out.push_back({{"type", "function"}, {"function", std::move(fn)}});
  }
  return out;
}

std::optional<ApiError> translate_tool_choice(const ordered_json& choice, ordered_json& chat) {
  const std::string type = string_member(choice, "type");
  if (type == "auto") {
    chat["tool_choice"] = "auto";
  } else if (type == "any") {
    chat["tool_choice"] = "required";
  } else if (type == "none") {
    chat["tool_choice"] = "none";
  } else if (type == "tool") {
    auto name = required_string(choice, "tool_choice", "name");
    if (!name.ok()) return name.error();
    chat["tool_choice"] = {{"type", "function"}, {"function", {{"name", name.value()}}}};
  } else {
    return invalid_field("tool_choice", "tool_choice: must be an object with type 'auto', 'any', 'tool' or 'none'.");
  }
  if (const ordered_json* d = find_field(choice, "disable_parallel_tool_use")) {
    if (!d->is_boolean()) return invalid_field("tool_choice.disable_parallel_tool_use", "tool_choice.disable_parallel_tool_use: must be a boolean.");
    if (d->get<bool>()) chat["parallel_tool_calls"] = false;
  }
  return std::nullopt;
}

ApiResult<MessagesRequest> parse(const ordered_json& body, bool count_only) {
  if (!body.is_object()) return invalid_body("The request body must be a JSON object.");
  MessagesRequest r;
  ordered_json& chat = r.chat = ordered_json::object();

  auto model = required_string(body, "", "model");
  if (!model.ok()) {
    ApiError e = model.error();
    e.param = "model";
    e.message = e.message.substr(1);   // "model: ..." rather than ".model: ..."
    return e;
  }
  r.model = model.value();

  auto messages = MessagesTranslator().run(find_field(body, "system"), find_field(body, "messages"));
  if (!messages.ok()) return messages.error();
  chat["model"] = r.model;
  chat["messages"] = std::move(messages.value());

  if (const ordered_json* v = find_field(body, "tools")) {
    auto tools = translate_tools(*v);
    if (!tools.ok()) return tools.error();
    if (!tools->empty()) chat["tools"] = std::move(tools.value());
  }
  if (const ordered_json* v = find_field(body, "tool_choice")) {
    if (auto e = translate_tool_choice(*v, chat)) return *e;
    // Anthropic accepts tool_choice none (and auto) without tools; chat refuses any choice without them.
    if (!chat.contains("tools") && (chat["tool_choice"] == "none" || chat["tool_choice"] == "auto")) {
      chat.erase("tool_choice");
      chat.erase("parallel_tool_calls");
    }
  }
  if (const ordered_json* v = find_field(body, "thinking"); v && !(string_member(*v, "type") == "disabled")) {
    return invalid_field("thinking", "thinking: extended thinking is not supported by this model.");
  }
  if (const ordered_json* v = find_field(body, "metadata"); v && !v->is_object()) {
    return invalid_field("metadata", "metadata: must be an object.");
  }
  if (count_only) return r;

  const ordered_json* max_tokens = find_field(body, "max_tokens");
  if (!max_tokens) return required("max_tokens");
  if (!max_tokens->is_number_integer() || max_tokens->get<int64_t>() < 1 ||
      max_tokens->get<int64_t>() > std::numeric_limits<int32_t>::max()) {
    return invalid_field("max_tokens", "max_tokens: must be a positive integer, got " + max_tokens->dump() + ".");
  }
  chat["max_tokens"] = *max_tokens;

  if (const ordered_json* v = find_field(body, "temperature")) {
    if (!v->is_number() || v->get<double>() < 0.0 || v->get<double>() > 1.0) {
      return invalid_field("temperature", "temperature: must be a number between 0 and 1, got " + v->dump() + ".");
    }
    chat["temperature"] = *v;
  }
  copy_field(body, "top_p", chat, "top_p");
  copy_field(body, "top_k", chat, "top_k");
  if (const ordered_json* v = find_field(body, "stop_sequences")) {
    if (!v->is_array() || v->size() > static_cast<size_t>(kMaxStopSequences)) {
      return invalid_field("stop_sequences", "stop_sequences: must be an array of at most " +
                                                 std::to_string(kMaxStopSequences) + " strings.");
    }
    for (size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string() || (*v)[i].get_ref<const std::string&>().empty()) {
        return invalid_field(at("stop_sequences", i), at("stop_sequences", i) + ": must be a non-empty string.");
      }
    }
    if (!v->empty()) chat["stop"] = *v;
  }
  if (const ordered_json* v = find_field(body, "stream")) {
    if (!v->is_boolean()) return invalid_field("stream", "stream: must be a boolean, got " + describe_json(*v) + ".");
    r.stream = v->get<bool>();
  }
  chat["stream"] = r.stream;
  if (r.stream) chat["stream_options"] = {{"include_usage", true}};
  return r;
}

}  // namespace

ApiResult<MessagesRequest> parse_messages_request(const ordered_json& body) { return parse(body, false); }

ApiResult<MessagesRequest> parse_count_tokens_request(const ordered_json& body) { return parse(body, true); }

}  // namespace gemma3
