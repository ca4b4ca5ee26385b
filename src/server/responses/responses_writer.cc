#include "server/responses/responses_writer.h"

#include "server/api_translation.h"

namespace gemma3 {

namespace {

using nlohmann::ordered_json;

ordered_json output_text_part(const std::string& text) {
  return {{"type", "output_text"}, {"annotations", ordered_json::array()}, {"logprobs", ordered_json::array()},
          {"text", text}};
}

ordered_json message_item(const std::string& id, const std::string& text, const char* status) {
  return {{"id", id},
          {"type", "message"},
          {"status", status},
          {"content", ordered_json::array({output_text_part(text)})},
          {"role", "assistant"}};
}

ordered_json function_call_item(const OutcomeToolCall& call, const char* status) {
  return {{"id", "fc_" + id_suffix(call.id)}, {"type", "function_call"}, {"status", status},
          {"arguments", call.arguments},      {"call_id", call.id},        {"name", call.name}};
}

std::string message_id(const ResponseIdentity& identity, size_t n) {
  std::string id = "msg_" + id_suffix(identity.id);
  return n == 0 ? id : id + "_" + std::to_string(n);
}

bool incomplete(const ChatOutcome& o) { return o.finish == ChatFinish::kLength; }

ordered_json usage_of(const ChatOutcome& o) {
  return {{"input_tokens", o.prompt_tokens},
          {"input_tokens_details", {{"cached_tokens", o.cached_tokens}}},
          {"output_tokens", o.completion_tokens},
          {"output_tokens_details", {{"reasoning_tokens", 0}}},
          {"total_tokens", o.prompt_tokens + o.completion_tokens}};
}

// The response object around `output`. `outcome` null: still in progress (no usage yet).
ordered_json assemble(const ResponseIdentity& identity, const ordered_json& echo, ordered_json output,
                      const ChatOutcome* outcome) {
  const char* status = !outcome ? "in_progress" : incomplete(*outcome) ? "incomplete" : "completed";
  ordered_json r = {{"id", identity.id},
                    {"object", "response"},
                    {"created_at", identity.created_at},
                    {"status", status},
                    {"background", false},
                    {"error", nullptr},
                    {"incomplete_details", nullptr}};
  if (outcome && incomplete(*outcome)) r["incomplete_details"] = {{"reason", "max_output_tokens"}};
  r["instructions"] = echo.value("instructions", ordered_json());
  r["max_output_tokens"] = echo.value("max_output_tokens", ordered_json());
  r["model"] = identity.model;
  // output_text: the SDKs compute it client-side; raw HTTP clients get it here.
  std::string text;
  for (const ordered_json& item : output) {
    if (item["type"] == "message") text += item["content"][0]["text"].get<std::string>();
  }
  r["output"] = std::move(output);
  r["parallel_tool_calls"] = echo.value("parallel_tool_calls", ordered_json(true));
  r["previous_response_id"] = identity.previous_response_id ? ordered_json(*identity.previous_response_id) : ordered_json();
  r["reasoning"] = {{"effort", nullptr}, {"summary", nullptr}};
  r["store"] = echo.value("store", ordered_json(true));
  r["temperature"] = echo.value("temperature", ordered_json());
  r["text"] = echo.value("text", ordered_json{{"format", {{"type", "text"}}}});
  r["tool_choice"] = echo.value("tool_choice", ordered_json("auto"));
  r["tools"] = echo.value("tools", ordered_json::array());
  r["top_p"] = echo.value("top_p", ordered_json());
  r["truncation"] = "disabled";
  r["usage"] = outcome ? usage_of(*outcome) : ordered_json();
  r["user"] = echo.value("user", ordered_json());
  r["metadata"] = echo.value("metadata", ordered_json::object());
  if (outcome) r["output_text"] = std::move(text);
  return r;
}

}  // namespace

ordered_json response_object(const ResponseIdentity& identity, const ordered_json& echo, const ChatOutcome& outcome) {
  ordered_json output = ordered_json::array();
  if (!outcome.text.empty() || outcome.tool_calls.empty()) {
    output.push_back(message_item(message_id(identity, 0), outcome.text, incomplete(outcome) ? "incomplete" : "completed"));
  }
  for (const OutcomeToolCall& call : outcome.tool_calls) output.push_back(function_call_item(call, "completed"));
  return assemble(identity, echo, std::move(output), &outcome);
}

ordered_json assistant_chat_message(const ChatOutcome& outcome) {
  ordered_json m = {{"role", "assistant"}, {"content", outcome.text}};
  if (!outcome.tool_calls.empty()) {
    if (outcome.text.empty()) m["content"] = nullptr;
    ordered_json calls = ordered_json::array();
    for (const OutcomeToolCall& c : outcome.tool_calls) {
      calls.push_back({{"id", c.id}, {"type", "function"}, {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
    }
    m["tool_calls"] = std::move(calls);
  }
  return m;
}

ResponsesEventWriter::ResponsesEventWriter(ResponseIdentity identity, ordered_json echo)
    : identity_(std::move(identity)), echo_(std::move(echo)) {}

std::string ResponsesEventWriter::event(const char* type, ordered_json fields) {
  ordered_json data = {{"type", type}};
  for (auto& [key, value] : fields.items()) data[key] = std::move(value);
  data["sequence_number"] = sequence_++;
  return sse_named_event(type, data);
}

// The open (or next) message's id: messages are numbered in output order.
std::string ResponsesEventWriter::current_message_id() const {
  size_t n_messages = 0;
  for (const ordered_json& item : items_) n_messages += item["type"] == "message";
  return message_id(identity_, n_messages);
}

std::string ResponsesEventWriter::begin() {
  response_ = assemble(identity_, echo_, ordered_json::array(), nullptr);
  std::string out = event("response.created", {{"response", response_}});
  out += event("response.in_progress", {{"response", response_}});
  return out;
}

std::string ResponsesEventWriter::open_message() {
  open_ = Open::kMessage;
  open_text_.clear();
  ordered_json item = message_item(current_message_id(), "", "in_progress");
  item["content"] = ordered_json::array();
  const std::string id = item["id"];
  const size_t index = items_.size();
  std::string out = event("response.output_item.added", {{"output_index", index}, {"item", std::move(item)}});
  out += event("response.content_part.added",
               {{"item_id", id}, {"output_index", index}, {"content_index", 0}, {"part", output_text_part("")}});
  return out;
}

std::string ResponsesEventWriter::close_open_item() {
  std::string out;
  const size_t index = items_.size();
  if (open_ == Open::kMessage) {
    const bool cut = finished_ && incomplete(outcome_);
    ordered_json item = message_item(current_message_id(), open_text_, cut ? "incomplete" : "completed");
    const std::string id = item["id"];
    out += event("response.output_text.done", {{"item_id", id},
                                               {"output_index", index},
                                               {"content_index", 0},
                                               {"text", open_text_},
                                               {"logprobs", ordered_json::array()}});
    out += event("response.content_part.done",
                 {{"item_id", id}, {"output_index", index}, {"content_index", 0}, {"part", output_text_part(open_text_)}});
    out += event("response.output_item.done", {{"output_index", index}, {"item", item}});
    items_.push_back(std::move(item));
  } else if (open_ == Open::kCall) {
    const OutcomeToolCall& call = outcome_.tool_calls.back();
    ordered_json item = function_call_item(call, "completed");
    out += event("response.function_call_arguments.done",
                 {{"item_id", item["id"]}, {"output_index", index}, {"name", call.name}, {"arguments", call.arguments}});
    out += event("response.output_item.done", {{"output_index", index}, {"item", item}});
    items_.push_back(std::move(item));
  }
  open_ = Open::kNone;
  return out;
}

std::string ResponsesEventWriter::piece(const ChatStreamPiece& piece) {
  std::string out;
  if (piece.tool_index) {
    if (open_ != Open::kCall || open_call_ != *piece.tool_index) {
      out += close_open_item();
      open_ = Open::kCall;
      open_call_ = *piece.tool_index;
      outcome_.tool_calls.push_back({piece.tool_id, piece.tool_name, ""});
      ordered_json item = function_call_item(outcome_.tool_calls.back(), "in_progress");
      out += event("response.output_item.added", {{"output_index", items_.size()}, {"item", std::move(item)}});
    }
    if (!piece.arguments.empty()) {
      outcome_.tool_calls.back().arguments += piece.arguments;
      out += event("response.function_call_arguments.delta",
                   {{"item_id", "fc_" + id_suffix(outcome_.tool_calls.back().id)},
                    {"output_index", items_.size()},
                    {"delta", piece.arguments}});
    }
    return out;
  }
  if (piece.text.empty()) return out;
  if (open_ != Open::kMessage) {
    out += close_open_item();
    out += open_message();
  }
  open_text_ += piece.text;
  outcome_.text += piece.text;
  out += event("response.output_text.delta", {{"item_id", current_message_id()},
                                              {"output_index", items_.size()},
                                              {"content_index", 0},
                                              {"delta", piece.text},
                                              {"logprobs", ordered_json::array()}});
  return out;
}

std::string ResponsesEventWriter::finish(const ChatOutcome& usage) {
  take_finish_and_usage(outcome_, usage);
  finished_ = true;
  std::string out;
  // An empty answer is still one (empty) message, as the non-streamed response has.
  if (items_.empty() && open_ == Open::kNone) out += open_message();
  out += close_open_item();
  response_ = assemble(identity_, echo_, items_, &outcome_);
  out += event(incomplete(outcome_) ? "response.incomplete" : "response.completed", {{"response", response_}});
  return out;
}

std::string ResponsesEventWriter::error(const std::string& code, const std::string& message) {
  return event("error", {{"code", code}, {"message", message}, {"param", nullptr}});
}

}  // namespace gemma3
