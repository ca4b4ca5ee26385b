#include "server/anthropic/messages_writer.h"

#include "server/api_translation.h"

namespace gemma3 {

namespace {

using nlohmann::ordered_json;

const char* stop_reason(const ChatOutcome& o) {
  switch (o.finish) {
    case ChatFinish::kToolCalls: return "tool_use";
    case ChatFinish::kLength: return "max_tokens";
    case ChatFinish::kStop: break;
  }
  return o.stop_sequence ? "stop_sequence" : "end_turn";
}

ordered_json stop_sequence(const ChatOutcome& o) {
  return o.finish == ChatFinish::kStop && o.stop_sequence ? ordered_json(*o.stop_sequence) : ordered_json();
}

ordered_json usage_of(const ChatOutcome& o) {
  return {{"input_tokens", o.prompt_tokens - o.cached_tokens},
          {"cache_creation_input_tokens", 0},
          {"cache_read_input_tokens", o.cached_tokens},
          {"output_tokens", o.completion_tokens}};
}

// A tool_use block's input: the call's arguments object. The chat path gives valid JSON objects
// (the grammar forces them); anything else (never expected) becomes an empty object, not an error.
ordered_json input_of(const std::string& arguments) {
  ordered_json input = ordered_json::parse(arguments, nullptr, false);
  return input.is_object() ? input : ordered_json::object();
}

ordered_json tool_use_block(const OutcomeToolCall& call, ordered_json input) {
  return {{"type", "tool_use"}, {"id", "toolu_" + id_suffix(call.id)}, {"name", call.name}, {"input", std::move(input)}};
}

}  // namespace

ordered_json message_object(const std::string& id, const std::string& model, const ChatOutcome& outcome) {
  ordered_json content = ordered_json::array();
  if (!outcome.text.empty()) content.push_back({{"type", "text"}, {"text", outcome.text}});
  for (const OutcomeToolCall& call : outcome.tool_calls) content.push_back(tool_use_block(call, input_of(call.arguments)));
  return {{"id", id},
          {"type", "message"},
          {"role", "assistant"},
          {"model", model},
          {"content", std::move(content)},
          {"stop_reason", stop_reason(outcome)},
          {"stop_sequence", stop_sequence(outcome)},
          {"usage", usage_of(outcome)}};
}

MessagesEventWriter::MessagesEventWriter(std::string id, std::string model) : id_(std::move(id)), model_(std::move(model)) {}

std::string MessagesEventWriter::begin(int64_t prompt_tokens) {
  ordered_json message = {{"id", id_},
                          {"type", "message"},
                          {"role", "assistant"},
                          {"model", model_},
                          {"content", ordered_json::array()},
                          {"stop_reason", nullptr},
                          {"stop_sequence", nullptr},
                          {"usage", {{"input_tokens", prompt_tokens},
                                     {"cache_creation_input_tokens", 0},
                                     {"cache_read_input_tokens", 0},
                                     {"output_tokens", 0}}}};
  std::string out = sse_named_event("message_start", {{"type", "message_start"}, {"message", std::move(message)}});
  out += ping();
  return out;
}

std::string MessagesEventWriter::ping() { return sse_named_event("ping", {{"type", "ping"}}); }

std::string MessagesEventWriter::close_block() {
  if (open_ == Open::kNone) return "";
  open_ = Open::kNone;
  return sse_named_event("content_block_stop", {{"type", "content_block_stop"}, {"index", blocks_ - 1}});
}

std::string MessagesEventWriter::piece(const ChatStreamPiece& piece) {
  std::string out;
  if (piece.tool_index) {
    if (open_ != Open::kToolUse || open_call_ != *piece.tool_index) {
      out += close_block();
      open_ = Open::kToolUse;
      open_call_ = *piece.tool_index;
      outcome_.tool_calls.push_back({piece.tool_id, piece.tool_name, ""});
      out += sse_named_event("content_block_start",
                             {{"type", "content_block_start"},
                              {"index", blocks_++},
                              {"content_block", tool_use_block(outcome_.tool_calls.back(), ordered_json::object())}});
    }
    if (!piece.arguments.empty()) {
      outcome_.tool_calls.back().arguments += piece.arguments;
      out += sse_named_event("content_block_delta",
                             {{"type", "content_block_delta"},
                              {"index", blocks_ - 1},
                              {"delta", {{"type", "input_json_delta"}, {"partial_json", piece.arguments}}}});
    }
    return out;
  }
  if (piece.text.empty()) return out;
  if (open_ != Open::kText) {
    out += close_block();
    open_ = Open::kText;
    out += sse_named_event("content_block_start", {{"type", "content_block_start"},
                                                   {"index", blocks_++},
                                                   {"content_block", {{"type", "text"}, {"text", ""}}}});
  }
  outcome_.text += piece.text;
  out += sse_named_event("content_block_delta", {{"type", "content_block_delta"},
                                                 {"index", blocks_ - 1},
                                                 {"delta", {{"type", "text_delta"}, {"text", piece.text}}}});
  return out;
}

std::string MessagesEventWriter::finish(const ChatOutcome& usage) {
  take_finish_and_usage(outcome_, usage);
  std::string out = close_block();
  out += sse_named_event("message_delta",
                         {{"type", "message_delta"},
                          {"delta", {{"stop_reason", stop_reason(outcome_)}, {"stop_sequence", stop_sequence(outcome_)}}},
                          {"usage", usage_of(outcome_)}});
  out += sse_named_event("message_stop", {{"type", "message_stop"}});
  return out;
}

std::string MessagesEventWriter::error(const std::string& type, const std::string& message) {
  return sse_named_event("error", {{"type", "error"}, {"error", {{"type", type}, {"message", message}}}});
}

}  // namespace gemma3
