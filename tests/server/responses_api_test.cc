// The Responses API's translation into a chat body and its writers (response object, typed SSE
// events). Expected shapes follow OpenAI's API reference for /v1/responses.
#include <gtest/gtest.h>

#include "server/responses/responses_request.h"
#include "server/responses/responses_writer.h"
#include "sse_test_util.h"

namespace gemma3 {
namespace {

using nlohmann::ordered_json;
using test::event_names;
using test::parse_named_sse;

ResponsesRequest parse_ok(const ordered_json& body) {
  auto r = parse_responses_request(body);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : ResponsesRequest{};
}

ApiError parse_err(const ordered_json& body) {
  auto r = parse_responses_request(body);
  EXPECT_FALSE(r.ok()) << body.dump();
  return r.ok() ? ApiError{} : r.error();
}

TEST(ResponsesRequest, StringInputInstructionsAndSampling) {
  ResponsesRequest r = parse_ok({{"model", "m"}, {"input", "Hi"}, {"instructions", "Be brief."},
                                 {"max_output_tokens", 20}, {"temperature", 0}, {"top_p", 0.5}, {"seed", 7}});
  ordered_json chat = chat_body_for(r, ordered_json::array());
  EXPECT_EQ(chat["messages"], ordered_json::parse(R"([{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}])"));
  EXPECT_EQ(chat["model"], "m");
  EXPECT_EQ(chat["max_tokens"], 20);
  EXPECT_EQ(chat["temperature"], 0);
  EXPECT_EQ(chat["top_p"], 0.5);
  EXPECT_EQ(chat["seed"], 7);
  EXPECT_EQ(chat["stream"], false);
  EXPECT_FALSE(chat.contains("stream_options"));
  EXPECT_TRUE(r.store);
  EXPECT_EQ(r.echo["instructions"], "Be brief.");
  EXPECT_EQ(r.echo["max_output_tokens"], 20);
  // Instructions are not part of what a continuation carries over.
  EXPECT_EQ(r.input_messages.size(), 1u);
}

TEST(ResponsesRequest, ItemsBecomeChatMessages) {
  ResponsesRequest r = parse_ok(ordered_json::parse(R"({
    "input": [
      {"role": "developer", "content": "Use tools."},
      {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Weather in"},
                                                      {"type": "input_text", "text": " Paris?"}]},
      {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
      {"type": "function_call", "call_id": "call_2", "name": "get_time", "arguments": "{}"},
      {"type": "function_call_output", "call_id": "call_1", "output": "18C"},
      {"type": "function_call_output", "call_id": "call_2", "output": [{"type": "input_text", "text": "noon"}]},
      {"role": "assistant", "content": [{"type": "output_text", "text": "18C at noon."}]},
      {"type": "function_call", "call_id": "call_3", "name": "get_weather", "arguments": "{}"}
    ]})"));
  EXPECT_EQ(r.input_messages, ordered_json::parse(R"([
    {"role": "developer", "content": "Use tools."},
    {"role": "user", "content": [{"type": "text", "text": "Weather in"}, {"type": "text", "text": " Paris?"}]},
    {"role": "assistant", "content": null, "tool_calls": [
      {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
      {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "18C"},
    {"role": "tool", "tool_call_id": "call_2", "name": "get_time", "content": "noon"},
    {"role": "assistant", "content": "18C at noon.", "tool_calls": [
      {"id": "call_3", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]}
  ])"));
}

TEST(ResponsesRequest, ToolsChoiceAndTextFormat) {
  ResponsesRequest r = parse_ok(ordered_json::parse(R"({
    "input": "x", "stream": true, "parallel_tool_calls": false,
    "tools": [{"type": "function", "name": "f", "description": "d", "parameters": {"type": "object"}, "strict": true}],
    "tool_choice": {"type": "function", "name": "f"},
    "text": {"format": {"type": "json_schema", "name": "s", "schema": {"type": "object"}, "strict": true}}})"));
  const ordered_json& chat = r.chat;
  EXPECT_EQ(chat["tools"], ordered_json::parse(R"([{"type": "function", "function":
      {"name": "f", "description": "d", "parameters": {"type": "object"}, "strict": true}}])"));
  EXPECT_EQ(chat["tool_choice"], ordered_json::parse(R"({"type": "function", "function": {"name": "f"}})"));
  EXPECT_EQ(chat["parallel_tool_calls"], false);
  EXPECT_EQ(chat["response_format"], ordered_json::parse(R"({"type": "json_schema", "json_schema":
      {"name": "s", "schema": {"type": "object"}, "strict": true}})"));
  EXPECT_EQ(chat["stream"], true);
  EXPECT_EQ(chat["stream_options"]["include_usage"], true);
  EXPECT_EQ(r.echo["tool_choice"]["name"], "f");
  EXPECT_EQ(r.echo["text"]["format"]["name"], "s");

  EXPECT_EQ(parse_ok({{"input", "x"}, {"text", {{"format", {{"type", "json_object"}}}}}}).chat["response_format"],
            ordered_json({{"type", "json_object"}}));
  EXPECT_FALSE(parse_ok({{"input", "x"}, {"text", {{"format", {{"type", "text"}}}}}}).chat.contains("response_format"));
  // Without tools, none and auto mean nothing (chat would refuse a choice without tools).
  EXPECT_FALSE(parse_ok({{"input", "x"}, {"tools", ordered_json::array()}, {"tool_choice", "none"}}).chat.contains("tool_choice"));
  EXPECT_EQ(parse_ok({{"input", "x"}, {"tool_choice", "required"}}).chat["tool_choice"], "required");
}

TEST(ResponsesRequest, HistoryGoesBetweenInstructionsAndInput) {
  ResponsesRequest r = parse_ok({{"input", "second"}, {"instructions", "I"}, {"previous_response_id", "resp_1"}});
  EXPECT_EQ(r.previous_response_id, "resp_1");
  ordered_json history = ordered_json::parse(R"([{"role":"user","content":"first"},{"role":"assistant","content":"ok"}])");
  EXPECT_EQ(chat_body_for(r, history)["messages"], ordered_json::parse(R"([{"role":"system","content":"I"},
      {"role":"user","content":"first"},{"role":"assistant","content":"ok"},{"role":"user","content":"second"}])"));
}

TEST(ResponsesRequest, ErrorsNameTheField) {
  struct Case {
    const char* body;
    const char* param;
  } cases[] = {
      {R"({})", "input"},
      {R"({"input": 3})", "input"},
      {R"({"input": []})", "input"},
      {R"({"input": [3]})", "input[0]"},
      {R"({"input": [{"type": 5}]})", "input[0].type"},
      {R"({"input": [{"type": "reasoning"}]})", "input[0].type"},
      {R"({"input": [{"role": "tool", "content": "x"}]})", "input[0].role"},
      {R"({"input": [{"role": "user"}]})", "input[0].content"},
      {R"({"input": [{"role": "user", "content": [{"type": "input_image", "image_url": "x"}]}]})", "input[0].content[0].type"},
      {R"({"input": [{"role": "user", "content": [{"type": "input_text"}]}]})", "input[0].content[0].text"},
      {R"({"input": [{"role": "user", "content": [{"type": "input_text", "text": 1}]}]})", "input[0].content[0].text"},
      {R"({"input": [{"type": "function_call", "name": "f", "arguments": "{}"}]})", "input[0].call_id"},
      {R"({"input": [{"type": "function_call", "call_id": "c", "name": "f", "arguments": {}}]})", "input[0].arguments"},
      {R"({"input": [{"type": "function_call_output", "call_id": "c"}]})", "input[0].output"},
      {R"({"input": "x", "instructions": 1})", "instructions"},
      {R"({"input": "x", "store": "yes"})", "store"},
      {R"({"input": "x", "stream": 1})", "stream"},
      {R"({"input": "x", "previous_response_id": 1})", "previous_response_id"},
      {R"({"input": "x", "background": true})", "background"},
      {R"({"input": "x", "conversation": "c"})", "conversation"},
      {R"({"input": "x", "tools": {}})", "tools"},
      {R"({"input": "x", "tools": [{"type": "web_search"}]})", "tools[0].type"},
      {R"({"input": "x", "tool_choice": {"type": "allowed_tools"}})", "tool_choice"},
      {R"({"input": "x", "tool_choice": {"type": "function"}})", "tool_choice.name"},
      {R"({"input": "x", "text": 1})", "text"},
      {R"({"input": "x", "text": {"format": {"type": "xml"}}})", "text.format.type"},
      {R"({"input": "x", "text": {"format": {"type": "json_schema", "schema": {}}}})", "text.format.name"},
      {R"({"input": "x", "text": {"format": {"type": "json_schema", "name": "n"}}})", "text.format.schema"},
      {R"({"input": "x", "metadata": {"k": 1}})", "metadata.k"},
      {R"({"input": "x", "metadata": []})", "metadata"},
  };
  for (const Case& c : cases) {
    ApiError e = parse_err(ordered_json::parse(c.body));
    EXPECT_EQ(e.status, 400) << c.body;
    EXPECT_EQ(e.type, "invalid_request_error") << c.body;
    EXPECT_EQ(e.param.value_or(""), c.param) << c.body << ": " << e.message;
    EXPECT_FALSE(e.message.empty());
  }
  EXPECT_EQ(parse_err(ordered_json::array()).status, 400);
  ordered_json many = ordered_json::object();
  for (int i = 0; i < 17; ++i) many["k" + std::to_string(i)] = "v";
  EXPECT_EQ(parse_err({{"input", "x"}, {"metadata", many}}).param, "metadata");
}

ResponseIdentity identity() { return {"resp_abc", 1700000000, "gemma", std::nullopt}; }

ChatOutcome text_outcome() {
  ChatOutcome o;
  o.text = "Hello there";
  o.prompt_tokens = 12;
  o.completion_tokens = 3;
  o.cached_tokens = 8;
  return o;
}

TEST(ResponsesWriter, ResponseObjectWithText) {
  ResponsesRequest r = parse_ok({{"input", "x"}, {"metadata", {{"a", "b"}}}, {"temperature", 0.5}});
  ordered_json obj = response_object(identity(), r.echo, text_outcome());
  EXPECT_EQ(obj["id"], "resp_abc");
  EXPECT_EQ(obj["object"], "response");
  EXPECT_EQ(obj["created_at"], 1700000000);
  EXPECT_EQ(obj["status"], "completed");
  EXPECT_TRUE(obj["incomplete_details"].is_null());
  EXPECT_EQ(obj["model"], "gemma");
  EXPECT_EQ(obj["output"], ordered_json::parse(R"([{"id": "msg_abc", "type": "message", "status": "completed",
      "content": [{"type": "output_text", "annotations": [], "logprobs": [], "text": "Hello there"}], "role": "assistant"}])"));
  EXPECT_EQ(obj["output_text"], "Hello there");
  EXPECT_EQ(obj["usage"], ordered_json::parse(R"({"input_tokens": 12, "input_tokens_details": {"cached_tokens": 8},
      "output_tokens": 3, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 15})"));
  EXPECT_EQ(obj["metadata"]["a"], "b");
  EXPECT_EQ(obj["temperature"], 0.5);
  EXPECT_EQ(obj["tool_choice"], "auto");
  EXPECT_EQ(obj["text"]["format"]["type"], "text");
  EXPECT_EQ(obj["store"], true);
}

TEST(ResponsesWriter, CallsAndIncomplete) {
  ChatOutcome o;
  o.tool_calls = {{"call_x1", "f", "{\"a\":1}"}, {"call_x2", "g", "{}"}};
  o.finish = ChatFinish::kToolCalls;
  ordered_json obj = response_object(identity(), ordered_json::object(), o);
  ASSERT_EQ(obj["output"].size(), 2u);   // no empty message before calls
  EXPECT_EQ(obj["output"][0], ordered_json::parse(R"({"id": "fc_x1", "type": "function_call", "status": "completed",
      "arguments": "{\"a\":1}", "call_id": "call_x1", "name": "f"})"));
  EXPECT_EQ(obj["output"][1]["call_id"], "call_x2");
  EXPECT_EQ(obj["status"], "completed");

  EXPECT_EQ(assistant_chat_message(o), ordered_json::parse(R"({"role": "assistant", "content": null, "tool_calls": [
      {"id": "call_x1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}},
      {"id": "call_x2", "type": "function", "function": {"name": "g", "arguments": "{}"}}]})"));

  ChatOutcome cut = text_outcome();
  cut.finish = ChatFinish::kLength;
  ordered_json inc = response_object(identity(), ordered_json::object(), cut);
  EXPECT_EQ(inc["status"], "incomplete");
  EXPECT_EQ(inc["incomplete_details"]["reason"], "max_output_tokens");
  EXPECT_EQ(inc["output"][0]["status"], "incomplete");
  EXPECT_EQ(assistant_chat_message(cut), ordered_json::parse(R"({"role": "assistant", "content": "Hello there"})"));

  ChatOutcome empty;
  EXPECT_EQ(response_object(identity(), ordered_json::object(), empty)["output"][0]["content"][0]["text"], "");
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

TEST(ResponsesWriter, TextStreamEventsInOrder) {
  ResponsesEventWriter w(identity(), ordered_json::object());
  std::string sse = w.begin();
  sse += w.piece(text_piece("Hello"));
  sse += w.piece(text_piece(""));
  sse += w.piece(text_piece(" there"));
  sse += w.finish(text_outcome());
  auto events = parse_named_sse(sse);
  EXPECT_EQ(event_names(events),
            (std::vector<std::string>{"response.created", "response.in_progress", "response.output_item.added",
                                      "response.content_part.added", "response.output_text.delta",
                                      "response.output_text.delta", "response.output_text.done",
                                      "response.content_part.done", "response.output_item.done", "response.completed"}));
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].data["type"], events[i].name);
    EXPECT_EQ(events[i].data["sequence_number"], i);
  }
  EXPECT_EQ(events[0].data["response"]["status"], "in_progress");
  EXPECT_TRUE(events[0].data["response"]["usage"].is_null());
  EXPECT_EQ(events[4].data["item_id"], "msg_abc");
  EXPECT_EQ(events[4].data["delta"], "Hello");
  EXPECT_EQ(events[6].data["text"], "Hello there");
  // The streamed result is the non-streamed one.
  EXPECT_EQ(events.back().data["response"], response_object(identity(), ordered_json::object(), text_outcome()));
  EXPECT_EQ(w.outcome().text, "Hello there");
}

TEST(ResponsesWriter, CallStreamMatchesNonStream) {
  ChatOutcome o;
  o.text = "Let me check.";
  o.tool_calls = {{"call_a", "f", "{\"x\":1}"}, {"call_b", "g", "{}"}};
  o.finish = ChatFinish::kToolCalls;
  o.prompt_tokens = 5;
  o.completion_tokens = 9;

  ResponsesEventWriter w(identity(), ordered_json::object());
  std::string sse = w.begin();
  sse += w.piece(text_piece("Let me check."));
  sse += w.piece(call_piece(0, "call_a", "f", ""));
  sse += w.piece(call_piece(0, "", "", "{\"x\""));
  sse += w.piece(call_piece(0, "", "", ":1}"));
  sse += w.piece(call_piece(1, "call_b", "g", "{}"));
  sse += w.finish(o);
  auto events = parse_named_sse(sse);
  EXPECT_EQ(event_names(events),
            (std::vector<std::string>{
                "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
                "response.output_text.delta", "response.output_text.done", "response.content_part.done",
                "response.output_item.done", "response.output_item.added", "response.function_call_arguments.delta",
                "response.function_call_arguments.delta", "response.function_call_arguments.done",
                "response.output_item.done", "response.output_item.added", "response.function_call_arguments.delta",
                "response.function_call_arguments.done", "response.output_item.done", "response.completed"}));
  EXPECT_EQ(events[8].data["output_index"], 1);
  EXPECT_EQ(events[8].data["item"]["status"], "in_progress");
  EXPECT_EQ(events[8].data["item"]["arguments"], "");
  EXPECT_EQ(events[9].data["item_id"], "fc_a");
  EXPECT_EQ(events[11].data["arguments"], "{\"x\":1}");
  EXPECT_EQ(events[13].data["output_index"], 2);
  EXPECT_EQ(events.back().data["response"], response_object(identity(), ordered_json::object(), o));
}

TEST(ResponsesWriter, EmptyAndIncompleteStreams) {
  ResponsesEventWriter w(identity(), ordered_json::object());
  std::string sse = w.begin();
  ChatOutcome empty;
  sse += w.finish(empty);
  auto events = parse_named_sse(sse);
  EXPECT_EQ(events.back().data["response"], response_object(identity(), ordered_json::object(), empty));

  ResponsesEventWriter cut_writer(identity(), ordered_json::object());
  sse = cut_writer.begin() + cut_writer.piece(text_piece("Hello there"));
  ChatOutcome cut = text_outcome();
  cut.finish = ChatFinish::kLength;
  sse += cut_writer.finish(cut);
  events = parse_named_sse(sse);
  EXPECT_EQ(events.back().name, "response.incomplete");
  EXPECT_EQ(events.back().data["response"], response_object(identity(), ordered_json::object(), cut));

  auto error = parse_named_sse(cut_writer.error("server_error", "shutting down"));
  ASSERT_EQ(error.size(), 1u);
  EXPECT_EQ(error[0].data["type"], "error");
  EXPECT_EQ(error[0].data["code"], "server_error");
}

}  // namespace
}  // namespace gemma3
