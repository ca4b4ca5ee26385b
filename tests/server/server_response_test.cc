// Response JSON shapes, SSE framing, the error -> status mapping, and GenerationSession driving
// scripted streams (collect and pump) — everything the HTTP layer sends, without HTTP.
#include <gtest/gtest.h>

#include "fake_backend.h"
#include "server/api_error.h"
#include "server/generation_session.h"
#include "server/response_builder.h"

namespace gemma3 {
namespace {

using nlohmann::json;
using fake::FakeBackend;
using fake::FakeState;

ResponseMeta meta() { return {"chatcmpl-abc", 1700000000, "m", "fp_x"}; }

TokenLogprobInfo token(const std::string& text, float logprob) {
  TokenLogprobInfo t;
  t.id = 5;
  t.token = text;
  t.bytes = text;
  t.logprob = logprob;
  t.top = {{"x", "x", -1.5f}, {text, text, logprob}};
  return t;
}

TEST(ServerErrors, ShapeAndStatuses) {
  json j = invalid_field("temperature", "bad").to_json();
  EXPECT_EQ(j["error"]["message"], "bad");
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  EXPECT_EQ(j["error"]["param"], "temperature");
  EXPECT_TRUE(j["error"]["code"].is_null());
  EXPECT_TRUE(invalid_body("x").to_json()["error"]["param"].is_null());
  EXPECT_EQ(unauthorized().status, 401);
  EXPECT_EQ(unauthorized().code, "invalid_api_key");
  EXPECT_EQ(route_not_found("GET", "/x").status, 404);
  EXPECT_EQ(model_not_found("y").status, 404);
  EXPECT_EQ(model_not_found("y").code, "model_not_found");
  EXPECT_EQ(method_not_allowed("GET", "/v1/completions").status, 405);
  EXPECT_EQ(payload_too_large(10).status, 413);
  EXPECT_EQ(model_loading().status, 503);
  EXPECT_EQ(internal_error("x").status, 500);
  EXPECT_EQ(context_length_exceeded("messages", 10, 5, 12).code, "context_length_exceeded");

  ApiError full = from_submit_error({SubmitErrorKind::kQueueFull, "full"});
  EXPECT_EQ(full.status, 429);
  EXPECT_EQ(full.retry_after_s, 1);
  EXPECT_EQ(from_submit_error({SubmitErrorKind::kInvalid, "bad ids"}).status, 400);
  EXPECT_EQ(from_submit_error({SubmitErrorKind::kShuttingDown, "bye"}).status, 503);
}

TEST(ServerResponse, ChatCompletion) {
  ChoiceOutput c;
  c.index = 0;
  c.text = "hello";
  c.finish = FinishReason::kStop;
  json j = chat_completion_json(meta(), {c}, false, {10, 3, 4});
  EXPECT_EQ(j["id"], "chatcmpl-abc");
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["created"], 1700000000);
  EXPECT_EQ(j["model"], "m");
  EXPECT_EQ(j["system_fingerprint"], "fp_x");
  EXPECT_EQ(j["choices"][0]["index"], 0);
  EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(j["choices"][0]["message"]["content"], "hello");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
  EXPECT_TRUE(j["choices"][0]["logprobs"].is_null());
  EXPECT_EQ(j["usage"]["prompt_tokens"], 10);
  EXPECT_EQ(j["usage"]["completion_tokens"], 3);
  EXPECT_EQ(j["usage"]["total_tokens"], 13);
  EXPECT_EQ(j["usage"]["prompt_tokens_details"]["cached_tokens"], 4);
}

TEST(ServerResponse, ChatLogprobs) {
  json j = chat_logprobs_json(std::vector<TokenLogprobInfo>{token("h\xc3\xa9", -0.5f)});
  const json& t = j["content"][0];
  EXPECT_EQ(t["token"], "h\xc3\xa9");
  EXPECT_DOUBLE_EQ(t["logprob"].get<double>(), -0.5);
  EXPECT_EQ(t["bytes"], json({104, 195, 169}));
  ASSERT_EQ(t["top_logprobs"].size(), 2u);
  EXPECT_EQ(t["top_logprobs"][0]["token"], "x");
  EXPECT_EQ(t["top_logprobs"][0]["bytes"], json({120}));
  // -inf (an impossible token) is reported as OpenAI does, not as null.
  json inf = chat_logprobs_json(std::vector<TokenLogprobInfo>{token("a", -INFINITY)});
  EXPECT_DOUBLE_EQ(inf["content"][0]["logprob"].get<double>(), -9999.0);
}

TEST(ServerResponse, LegacyLogprobs) {
  json j = legacy_logprobs_json(std::vector<TokenLogprobInfo>{token("ab", -0.5f), token("c", -0.25f)}, 7);
  EXPECT_EQ(j["tokens"], json({"ab", "c"}));
  EXPECT_EQ(j["token_logprobs"], json({-0.5, -0.25}));
  EXPECT_EQ(j["text_offset"], json({7, 9}));
  EXPECT_DOUBLE_EQ(j["top_logprobs"][0]["x"].get<double>(), -1.5);
  EXPECT_DOUBLE_EQ(j["top_logprobs"][0]["ab"].get<double>(), -0.5);
}

TEST(ServerResponse, TextCompletionAndChunks) {
  ChoiceOutput c;
  c.index = 1;
  c.text = "xy";
  c.finish = FinishReason::kLength;
  json j = text_completion_json({"cmpl-1", 5, "m", "fp"}, {c}, false, {1, 2, 0});
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["choices"][0]["text"], "xy");
  EXPECT_EQ(j["choices"][0]["index"], 1);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");

  json role = chat_role_chunk(meta(), 0, false);
  EXPECT_EQ(role["object"], "chat.completion.chunk");
  EXPECT_EQ(role["choices"][0]["delta"], json({{"role", "assistant"}, {"content", ""}}));
  EXPECT_TRUE(role["choices"][0]["finish_reason"].is_null());
  EXPECT_FALSE(role.contains("usage"));
  EXPECT_TRUE(chat_role_chunk(meta(), 0, true)["usage"].is_null());
  json fin = chat_finish_chunk(meta(), 2, FinishReason::kStop, false);
  EXPECT_EQ(fin["choices"][0]["delta"], json::object());
  EXPECT_EQ(fin["choices"][0]["index"], 2);
  EXPECT_EQ(fin["choices"][0]["finish_reason"], "stop");
  json usage = usage_chunk(meta(), "chat.completion.chunk", {3, 4, 0});
  EXPECT_EQ(usage["choices"], json::array());
  EXPECT_EQ(usage["usage"]["total_tokens"], 7);
}

TEST(ServerResponse, SseFraming) {
  EXPECT_EQ(sse_event(json{{"a", 1}}), "data: {\"a\":1}\n\n");
  EXPECT_EQ(std::string(kSseDone), "data: [DONE]\n\n");
  EXPECT_EQ(kSseKeepAlive.front(), ':');
  // Invalid UTF-8 never throws out of the JSON writer.
  EXPECT_NO_THROW(dump_json(json("\xff")));
}

TEST(ServerResponse, ModelsList) {
  ModelInfo m;
  m.id = "gemma";
  m.context_length = 128;
  json j = models_json(m);
  EXPECT_EQ(j["object"], "list");
  EXPECT_EQ(j["data"][0]["id"], "gemma");
  EXPECT_EQ(j["data"][0]["object"], "model");
  EXPECT_EQ(j["data"][0]["owned_by"], "google");
}

TEST(ServerResponse, ResponseIdsAreUnique) {
  std::string a = make_response_id("chatcmpl-"), b = make_response_id("chatcmpl-");
  EXPECT_EQ(a.rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(a.size(), 9u + 24u);
  EXPECT_NE(a, b);
}

// A session over `n_prompts` prompts x n choices of the fake backend.
std::unique_ptr<GenerationSession> make_session(FakeState& state, ApiKind kind, int32_t n, int32_t max_tokens,
                                                bool logprobs, bool include_usage, int32_t prompt_len = 3) {
  FakeBackend backend(state);
  SessionOptions o;
  o.kind = kind;
  o.meta = meta();
  o.logprobs = logprobs;
  o.include_usage = include_usage;
  o.n = n;
  std::vector<std::unique_ptr<TokenStream>> streams;
  for (int32_t i = 0; i < n; ++i) {
    GenerationRequest g;
    g.prompt = std::vector<int32_t>(prompt_len, 2);
    g.max_tokens = max_tokens;
    g.logprobs = logprobs;
    g.top_logprobs = logprobs ? 2 : 0;
    o.prompt_tokens.push_back(prompt_len);
    streams.push_back(std::get<std::unique_ptr<TokenStream>>(backend.submit(std::move(g))));
  }
  return std::make_unique<GenerationSession>(std::move(o), std::move(streams));
}

// The data payloads of an SSE byte stream, checking the framing on the way.
std::vector<std::string> sse_payloads(const std::string& bytes) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t end = bytes.find("\n\n", pos);
    EXPECT_NE(end, std::string::npos) << "unterminated event";
    if (end == std::string::npos) break;
    std::string event = bytes.substr(pos, end - pos);
    EXPECT_EQ(event.rfind("data: ", 0), 0u) << event;
    out.push_back(event.substr(6));
    pos = end + 2;
  }
  return out;
}

TEST(ServerSession, CollectChat) {
  FakeState state;
  auto s = make_session(state, ApiKind::kChat, 2, 3, true, false);
  auto r = s->collect();
  ASSERT_TRUE(r.ok());
  const json& j = r.value();
  ASSERT_EQ(j["choices"].size(), 2u);
  EXPECT_EQ(j["choices"][1]["index"], 1);
  EXPECT_EQ(j["choices"][0]["message"]["content"], "t0 t1 t2 ");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["choices"][0]["logprobs"]["content"].size(), 3u);
  EXPECT_EQ(j["choices"][0]["logprobs"]["content"][0]["top_logprobs"].size(), 2u);
  EXPECT_EQ(j["usage"]["prompt_tokens"], 3);        // shared prompt counted once
  EXPECT_EQ(j["usage"]["completion_tokens"], 6);
  EXPECT_EQ(j["usage"]["prompt_tokens_details"]["cached_tokens"], 1);
  EXPECT_TRUE(s->complete());
  EXPECT_TRUE(s->ttft_ms().has_value());
}

TEST(ServerSession, PumpChatStream) {
  FakeState state;
  auto s = make_session(state, ApiKind::kChat, 1, 2, false, true);
  std::string bytes;
  int calls = 0;
  while (s->pump(&bytes, std::chrono::milliseconds(50))) ASSERT_LT(++calls, 100);
  EXPECT_FALSE(s->pump(&bytes, std::chrono::milliseconds(50)));   // stays ended
  auto events = sse_payloads(bytes);
  ASSERT_EQ(events.size(), 6u) << bytes;   // role, t0, t1, finish, usage, [DONE]
  json role = json::parse(events[0]);
  EXPECT_EQ(role["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(role["choices"][0]["delta"]["content"], "");
  EXPECT_TRUE(role["usage"].is_null());
  EXPECT_EQ(json::parse(events[1])["choices"][0]["delta"]["content"], "t0 ");
  EXPECT_EQ(json::parse(events[2])["choices"][0]["delta"]["content"], "t1 ");
  json fin = json::parse(events[3]);
  EXPECT_EQ(fin["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(fin["choices"][0]["delta"], json::object());
  json usage = json::parse(events[4]);
  EXPECT_EQ(usage["choices"], json::array());
  EXPECT_EQ(usage["usage"]["completion_tokens"], 2);
  EXPECT_EQ(events[5], "[DONE]");
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(json::parse(events[i])["id"], "chatcmpl-abc");
}

TEST(ServerSession, PumpTextStreamWithNAndLogprobs) {
  FakeState state;
  auto s = make_session(state, ApiKind::kCompletion, 3, 2, true, false);
  std::string bytes;
  while (s->pump(&bytes, std::chrono::milliseconds(50))) {
  }
  auto events = sse_payloads(bytes);
  ASSERT_EQ(events.back(), "[DONE]");
  std::vector<std::string> text(3);
  std::vector<int> finishes(3, 0);
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    json e = json::parse(events[i]);
    EXPECT_EQ(e["object"], "text_completion");
    EXPECT_FALSE(e.contains("usage"));
    int index = e["choices"][0]["index"];
    text[index] += e["choices"][0]["text"].get<std::string>();
    if (!e["choices"][0]["finish_reason"].is_null()) {
      ++finishes[index];
    } else {
      // Legacy offsets count from the start of this choice's text.
      EXPECT_EQ(e["choices"][0]["logprobs"]["text_offset"][0], text[index].size() - 3);
    }
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(text[i], "t0 t1 ");
    EXPECT_EQ(finishes[i], 1);
  }
}

TEST(ServerSession, EarlyEndIsAnError) {
  FakeState state;
  state.end_early = true;
  auto s = make_session(state, ApiKind::kChat, 1, 5, false, false);
  auto r = s->collect();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status, 503);

  auto streaming = make_session(state, ApiKind::kChat, 1, 5, false, false);
  std::string bytes;
  while (streaming->pump(&bytes, std::chrono::milliseconds(50))) {
  }
  auto events = sse_payloads(bytes);
  ASSERT_GE(events.size(), 2u);
  EXPECT_TRUE(json::parse(events[events.size() - 2]).contains("error"));
  EXPECT_EQ(events.back(), "[DONE]");
}

TEST(ServerSession, DestroyingCancelsUnfinished) {
  FakeState state;
  {
    auto s = make_session(state, ApiKind::kChat, 2, 1000, false, false);
    std::string bytes;
    s->pump(&bytes, std::chrono::milliseconds(10));
    s->pump(&bytes, std::chrono::milliseconds(10));
    EXPECT_EQ(state.live, 2);
  }
  EXPECT_EQ(state.cancelled, 2);
  EXPECT_EQ(state.live, 0);
}

}  // namespace
}  // namespace gemma3
