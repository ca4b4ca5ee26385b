// ChatRelay's reading of the chat route's output: chat.completion JSON and chat.completion.chunk
// SSE (split anywhere) back into ChatOutcome / ChatStreamPieces, and OpenAI error bodies.
#include <gtest/gtest.h>

#include "server/chat_relay.h"

namespace gemma3 {
namespace {

using nlohmann::json;
using Kind = ChatStreamReader::Event::Kind;

TEST(ChatRelay, OutcomeFromChatCompletion) {
  auto o = outcome_from_chat_completion(json::parse(R"({"object": "chat.completion", "choices": [{"index": 0,
      "message": {"role": "assistant", "content": null, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}]},
      "finish_reason": "tool_calls"}],
      "usage": {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14, "prompt_tokens_details": {"cached_tokens": 8}}})"));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->text, "");
  ASSERT_EQ(o->tool_calls.size(), 1u);
  EXPECT_EQ(o->tool_calls[0].id, "call_1");
  EXPECT_EQ(o->tool_calls[0].name, "f");
  EXPECT_EQ(o->tool_calls[0].arguments, "{\"a\":1}");
  EXPECT_EQ(o->finish, ChatFinish::kToolCalls);
  EXPECT_EQ(o->prompt_tokens, 10);
  EXPECT_EQ(o->completion_tokens, 4);
  EXPECT_EQ(o->cached_tokens, 8);

  o = outcome_from_chat_completion(json::parse(R"({"choices": [{"message": {"content": "hi"}, "finish_reason": "length"}]})"));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->text, "hi");
  EXPECT_EQ(o->finish, ChatFinish::kLength);
  EXPECT_FALSE(outcome_from_chat_completion(json::parse(R"({"choices": []})")));
  EXPECT_FALSE(outcome_from_chat_completion(json::parse(R"([1])")));
}

TEST(ChatRelay, ErrorBodies) {
  ApiError e = api_error_from_response(400, R"({"error": {"message": "bad", "type": "invalid_request_error",
      "param": "max_tokens", "code": null}})");
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.type, "invalid_request_error");
  EXPECT_EQ(e.message, "bad");
  EXPECT_EQ(e.param, "max_tokens");
  EXPECT_FALSE(e.code);
  e = api_error_from_response(500, "not json");
  EXPECT_EQ(e.status, 500);
  EXPECT_EQ(e.message, "not json");
}

TEST(ChatRelay, StreamReaderSplitAnywhere) {
  const std::string sse =
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
      ": keep-alive\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_9\",\"type\":\"function\","
      "\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{}\"}}]}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3,\"prompt_tokens_details\":{\"cached_tokens\":2}}}\n\n"
      "data: [DONE]\n\n";
  for (size_t split = 0; split <= sse.size(); split += 7) {
    ChatStreamReader reader;
    std::vector<ChatStreamReader::Event> events;
    reader.feed(std::string_view(sse).substr(0, split), events);
    reader.feed(std::string_view(sse).substr(split), events);
    ASSERT_EQ(events.size(), 5u) << split;
    EXPECT_EQ(events[0].piece.text, "Hel");
    EXPECT_EQ(events[1].piece.text, "lo");
    EXPECT_EQ(events[2].piece.tool_index, 0);
    EXPECT_EQ(events[2].piece.tool_id, "call_9");
    EXPECT_EQ(events[2].piece.tool_name, "f");
    EXPECT_EQ(events[3].piece.arguments, "{}");
    EXPECT_EQ(events[4].kind, Kind::kDone);
    EXPECT_EQ(events[4].finish.finish, ChatFinish::kToolCalls);
    EXPECT_EQ(events[4].finish.prompt_tokens, 5);
    EXPECT_EQ(events[4].finish.cached_tokens, 2);
  }
  ChatStreamReader reader;
  std::vector<ChatStreamReader::Event> events;
  reader.feed("data: {\"error\":{\"message\":\"shutting down\",\"type\":\"service_unavailable\"}}\n\n", events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kError);
  EXPECT_EQ(events[0].error.message, "shutting down");
}

TEST(ChatRelay, ApiKeyHeaderBecomesBearer) {
  HttpRequest r;
  r.headers = {{"x-api-key", "k1"}};
  EXPECT_EQ(with_bearer_from_api_key(r).header("Authorization"), "Bearer k1");
  r.headers = {{"x-api-key", "k1"}, {"Authorization", "Bearer k2"}};
  EXPECT_EQ(with_bearer_from_api_key(r).header("authorization"), "Bearer k2");
  r.headers.clear();
  EXPECT_EQ(with_bearer_from_api_key(r).header("Authorization"), "");
}

}  // namespace
}  // namespace gemma3
