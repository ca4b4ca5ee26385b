// The Messages API's translation into a chat body, its error shape and its writers (message object,
// SSE events). Expected shapes follow Anthropic's API reference for /v1/messages.
#include <gtest/gtest.h>

#include "server/anthropic/anthropic_error.h"
#include "server/anthropic/messages_request.h"
#include "server/anthropic/messages_writer.h"
#include "sse_test_util.h"

namespace gemma3 {
namespace {

using nlohmann::ordered_json;
using test::event_names;
using test::parse_named_sse;

MessagesRequest parse_ok(const ordered_json& body) {
  auto r = parse_messages_request(body);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : MessagesRequest{};
}

ordered_json base() {
  return ordered_json::parse(R"({"model": "m", "max_tokens": 32, "messages": [{"role": "user", "content": "Hi"}]})");
}

TEST(MessagesRequest, PlainConversation) {
  ordered_json body = base();
  body["system"] = "Be brief.";
  body["temperature"] = 0;
  body["top_k"] = 5;
  body["top_p"] = 0.9;
  body["stop_sequences"] = {"END"};
  body["metadata"] = {{"user_id", "u"}};
  MessagesRequest r = parse_ok(body);
  EXPECT_EQ(r.model, "m");
  EXPECT_FALSE(r.stream);
  EXPECT_EQ(r.chat, ordered_json::parse(R"({"model": "m",
      "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
      "max_tokens": 32, "temperature": 0, "top_p": 0.9, "top_k": 5, "stop": ["END"], "stream": false})"));

  body["stream"] = true;
  body["system"] = ordered_json::parse(R"([{"type": "text", "text": "A"}, {"type": "text", "text": "B"}])");
  r = parse_ok(body);
  EXPECT_TRUE(r.stream);
  EXPECT_EQ(r.chat["stream_options"]["include_usage"], true);
  EXPECT_EQ(r.chat["messages"][0]["content"],
            ordered_json::parse(R"([{"type": "text", "text": "A"}, {"type": "text", "text": "B"}])"));
}

TEST(MessagesRequest, ToolUseAndResults) {
  ordered_json body = ordered_json::parse(R"({
    "model": "m", "max_tokens": 64,
    "tools": [{"name": "get_weather", "description": "d", "input_schema": {"type": "object"}}],
    "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
    "messages": [
      {"role": "user", "content": [{"type": "text", "text": "Weather?"}]},
      {"role": "assistant", "content": [{"type": "text", "text": "Checking."},
          {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}]},
      {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"},
          {"type": "text", "text": "Thanks"}]},
      {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {}}]},
      {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_2",
          "content": [{"type": "text", "text": "rain"}], "is_error": true}]}
    ]})");
  MessagesRequest r = parse_ok(body);
  EXPECT_EQ(r.chat["tools"], ordered_json::parse(R"([{"type": "function", "function":
      {"name": "get_weather", "description": "d", "parameters": {"type": "object"}}}])"));
  EXPECT_EQ(r.chat["tool_choice"], "required");
  EXPECT_EQ(r.chat["parallel_tool_calls"], false);
  EXPECT_EQ(r.chat["messages"], ordered_json::parse(R"([
    {"role": "user", "content": "Weather?"},
    {"role": "assistant", "content": "Checking.", "tool_calls": [
      {"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
    {"role": "tool", "tool_call_id": "toolu_1", "name": "get_weather", "content": "18C"},
    {"role": "user", "content": "Thanks"},
    {"role": "assistant", "content": null, "tool_calls": [
      {"id": "toolu_2", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
    {"role": "tool", "tool_call_id": "toolu_2", "name": "get_weather", "content": "rain"}
  ])"));

  body["tool_choice"] = {{"type", "tool"}, {"name", "get_weather"}};
  EXPECT_EQ(parse_ok(body).chat["tool_choice"], ordered_json::parse(R"({"type": "function", "function": {"name": "get_weather"}})"));
  body["tool_choice"] = {{"type", "none"}};
  EXPECT_EQ(parse_ok(body).chat["tool_choice"], "none");
  body["tool_choice"] = {{"type", "auto"}};
  EXPECT_EQ(parse_ok(body).chat["tool_choice"], "auto");
  EXPECT_FALSE(parse_ok(body).chat.contains("parallel_tool_calls"));
  // Without tools, none and auto mean nothing (chat would refuse a choice without tools).
  ordered_json no_tools = base();
  no_tools["tool_choice"] = {{"type", "none"}};
  EXPECT_FALSE(parse_ok(no_tools).chat.contains("tool_choice"));
}

TEST(MessagesRequest, CountTokensNeedsNoMaxTokens) {
  ordered_json body = base();
  body.erase("max_tokens");
  EXPECT_FALSE(parse_messages_request(body).ok());
  auto r = parse_count_tokens_request(body);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->chat["messages"][0]["content"], "Hi");
  EXPECT_FALSE(r->chat.contains("max_tokens"));
}

TEST(MessagesRequest, ErrorsNameTheField) {
  struct Case {
    const char* patch;   // merged into base()
    const char* param;
  } cases[] = {
      {R"({"model": null})", "model"},
      {R"({"model": 3})", "model"},
      {R"({"max_tokens": null})", "max_tokens"},
      {R"({"max_tokens": 0})", "max_tokens"},
      {R"({"max_tokens": 1.5})", "max_tokens"},
      {R"({"max_tokens": "9"})", "max_tokens"},
      {R"({"messages": null})", "messages"},
      {R"({"messages": []})", "messages"},
      {R"({"messages": [1]})", "messages.0"},
      {R"({"messages": [{"role": "system", "content": "x"}]})", "messages.0.role"},
      {R"({"messages": [{"role": "user"}]})", "messages.0.content"},
      {R"({"messages": [{"role": "user", "content": 5}]})", "messages.0.content"},
      {R"({"messages": [{"role": "user", "content": [{"type": "image", "source": {}}]}]})", "messages.0.content.0.type"},
      {R"({"messages": [{"role": "user", "content": [{"type": 7}]}]})", "messages.0.content.0.type"},
      {R"({"messages": [{"role": "user", "content": [{"type": "tool_use", "id": "a", "name": "b", "input": {}}]}]})",
       "messages.0.content.0.type"},
      {R"({"messages": [{"role": "assistant", "content": [{"type": "tool_result", "tool_use_id": "a"}]}]})",
       "messages.0.content.0.type"},
      {R"({"messages": [{"role": "user", "content": [{"type": "text"}]}]})", "messages.0.content.0.text"},
      {R"({"messages": [{"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "b", "input": 1}]}]})",
       "messages.0.content.0.input"},
      {R"({"messages": [{"role": "assistant", "content": [{"type": "tool_use", "name": "b", "input": {}}]}]})",
       "messages.0.content.0.id"},
      {R"({"messages": [{"role": "user", "content": [{"type": "tool_result"}]}]})", "messages.0.content.0.tool_use_id"},
      {R"({"messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a", "content": 4}]}]})",
       "messages.0.content.0.content"},
      {R"({"system": 5})", "system"},
      {R"({"system": [{"type": "image"}]})", "system.0.type"},
      {R"({"temperature": 1.5})", "temperature"},
      {R"({"temperature": "hot"})", "temperature"},
      {R"({"stop_sequences": "END"})", "stop_sequences"},
      {R"({"stop_sequences": [""]})", "stop_sequences.0"},
      {R"({"stream": "yes"})", "stream"},
      {R"({"tools": {}})", "tools"},
      {R"({"tools": [{"input_schema": {}}]})", "tools.0.name"},
      {R"({"tools": [{"name": "f"}]})", "tools.0.input_schema"},
      {R"({"tools": [{"type": "web_search_20250305", "name": "web_search"}]})", "tools.0.type"},
      {R"({"tool_choice": "auto"})", "tool_choice"},
      {R"({"tool_choice": {"type": "tool"}})", "tool_choice.name"},
      {R"({"tool_choice": {"type": "auto", "disable_parallel_tool_use": 1}})", "tool_choice.disable_parallel_tool_use"},
      {R"({"thinking": {"type": "enabled", "budget_tokens": 1024}})", "thinking"},
      {R"({"metadata": 3})", "metadata"},
  };
  for (const Case& c : cases) {
    ordered_json body = base();
    body.merge_patch(ordered_json::parse(c.patch));
    if (ordered_json::parse(c.patch).begin().value().is_null()) body.erase(ordered_json::parse(c.patch).begin().key());
    auto r = parse_messages_request(body);
    ASSERT_FALSE(r.ok()) << c.patch;
    EXPECT_EQ(r.error().status, 400) << c.patch;
    EXPECT_EQ(r.error().param.value_or(""), c.param) << c.patch << ": " << r.error().message;
    EXPECT_EQ(to_anthropic_error(r.error()).body["error"]["type"], "invalid_request_error");
  }
  EXPECT_FALSE(parse_messages_request(ordered_json::array()).ok());
}

TEST(AnthropicError, ShapeAndStatusCodes) {
  ApiError e;
  e.message = "nope";
  const std::pair<int, std::pair<int, const char*>> cases[] = {
      {400, {400, "invalid_request_error"}}, {401, {401, "authentication_error"}}, {403, {403, "permission_error"}},
      {404, {404, "not_found_error"}},       {405, {405, "invalid_request_error"}}, {413, {413, "request_too_large"}},
      {429, {429, "rate_limit_error"}},      {500, {500, "api_error"}},             {503, {529, "overloaded_error"}},
  };
  for (const auto& [status, expected] : cases) {
    e.status = status;
    AnthropicError a = to_anthropic_error(e);
    EXPECT_EQ(a.status, expected.first) << status;
    EXPECT_EQ(a.body, ordered_json({{"type", "error"}, {"error", {{"type", expected.second}, {"message", "nope"}}}}));
  }
  EXPECT_EQ(to_anthropic_error(unauthorized()).status, 401);
  EXPECT_EQ(to_anthropic_error(model_not_found("x")).body["error"]["type"], "not_found_error");
}

ChatOutcome outcome_with_calls() {
  ChatOutcome o;
  o.text = "Checking.";
  o.tool_calls = {{"call_k1", "get_weather", "{\"city\":\"Paris\"}"}, {"call_k2", "get_time", "{}"}};
  o.finish = ChatFinish::kToolCalls;
  o.prompt_tokens = 40;
  o.cached_tokens = 32;
  o.completion_tokens = 20;
  return o;
}

TEST(MessagesWriter, MessageObject) {
  EXPECT_EQ(message_object("msg_1", "m", outcome_with_calls()), ordered_json::parse(R"({
    "id": "msg_1", "type": "message", "role": "assistant", "model": "m",
    "content": [{"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_k1", "name": "get_weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "toolu_k2", "name": "get_time", "input": {}}],
    "stop_reason": "tool_use", "stop_sequence": null,
    "usage": {"input_tokens": 8, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 32, "output_tokens": 20}})"));

  ChatOutcome o;
  o.text = "abc";
  EXPECT_EQ(message_object("msg_1", "m", o)["stop_reason"], "end_turn");
  o.stop_sequence = "END";
  EXPECT_EQ(message_object("msg_1", "m", o)["stop_reason"], "stop_sequence");
  EXPECT_EQ(message_object("msg_1", "m", o)["stop_sequence"], "END");
  o.finish = ChatFinish::kLength;
  EXPECT_EQ(message_object("msg_1", "m", o)["stop_reason"], "max_tokens");
  EXPECT_TRUE(message_object("msg_1", "m", o)["stop_sequence"].is_null());
  EXPECT_EQ(message_object("msg_1", "m", ChatOutcome{})["content"], ordered_json::array());
}

// Rebuilds the message from the events as @anthropic-ai/sdk's MessageStream does.
ordered_json reassemble(const std::vector<test::SseEvent>& events) {
  ordered_json message;
  std::vector<std::string> json_buffers;
  for (const auto& e : events) {
    const ordered_json& d = e.data;
    EXPECT_EQ(d["type"], e.name);
    if (e.name == "message_start") {
      message = d["message"];
    } else if (e.name == "content_block_start") {
      EXPECT_EQ(d["index"], message["content"].size());
      message["content"].push_back(d["content_block"]);
      json_buffers.emplace_back();
    } else if (e.name == "content_block_delta") {
      const size_t i = d["index"];
      if (d["delta"]["type"] == "text_delta") {
        message["content"][i]["text"] = message["content"][i]["text"].get<std::string>() + d["delta"]["text"].get<std::string>();
      } else {
        json_buffers[i] += d["delta"]["partial_json"].get<std::string>();
      }
    } else if (e.name == "content_block_stop") {
      const size_t i = d["index"];
      if (message["content"][i]["type"] == "tool_use") {
        message["content"][i]["input"] = json_buffers[i].empty() ? ordered_json::object() : ordered_json::parse(json_buffers[i]);
      }
    } else if (e.name == "message_delta") {
      message["stop_reason"] = d["delta"]["stop_reason"];
      message["stop_sequence"] = d["delta"]["stop_sequence"];
      for (const auto& [k, v] : d["usage"].items()) message["usage"][k] = v;
    }
  }
  return message;
}

ChatStreamPiece text_piece(const char* t) {
  ChatStreamPiece p;
  p.text = t;
  return p;
}

ChatStreamPiece call_piece(int32_t index, const char* id, const char* name, const char* args) {
  ChatStreamPiece p;
  p.tool_index = index;
  p.tool_id = id;
  p.tool_name = name;
  p.arguments = args;
  return p;
}

TEST(MessagesWriter, StreamEventsRebuildTheMessage) {
  const ChatOutcome o = outcome_with_calls();
  MessagesEventWriter w("msg_1", "m");
  std::string sse = w.begin(40);
  sse += w.piece(text_piece("Check"));
  sse += w.piece(text_piece("ing."));
  sse += w.piece(call_piece(0, "call_k1", "get_weather", "{\"city\""));
  sse += w.piece(call_piece(0, "", "", ":\"Paris\"}"));
  sse += w.piece(call_piece(1, "call_k2", "get_time", ""));
  sse += w.finish(o);
  auto events = parse_named_sse(sse);
  EXPECT_EQ(event_names(events),
            (std::vector<std::string>{"message_start", "ping", "content_block_start", "content_block_delta",
                                      "content_block_delta", "content_block_stop", "content_block_start",
                                      "content_block_delta", "content_block_delta", "content_block_stop",
                                      "content_block_start", "content_block_stop", "message_delta", "message_stop"}));
  EXPECT_EQ(events[0].data["message"]["usage"]["input_tokens"], 40);
  EXPECT_TRUE(events[0].data["message"]["stop_reason"].is_null());
  EXPECT_EQ(events[6].data["content_block"], ordered_json::parse(
      R"({"type": "tool_use", "id": "toolu_k1", "name": "get_weather", "input": {}})"));
  EXPECT_EQ(reassemble(events), message_object("msg_1", "m", o));
  EXPECT_EQ(w.outcome().tool_calls.size(), 2u);
  EXPECT_EQ(w.outcome().tool_calls[0].arguments, "{\"city\":\"Paris\"}");

  MessagesEventWriter empty("msg_2", "m");
  events = parse_named_sse(empty.begin(3) + empty.finish(ChatOutcome{}));
  EXPECT_EQ(event_names(events), (std::vector<std::string>{"message_start", "ping", "message_delta", "message_stop"}));
  auto error = parse_named_sse(empty.error("overloaded_error", "shutting down"));
  ASSERT_EQ(error.size(), 1u);
  EXPECT_EQ(error[0].name, "error");
  EXPECT_EQ(error[0].data["error"]["type"], "overloaded_error");
}

}  // namespace
}  // namespace gemma3
