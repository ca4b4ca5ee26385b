// Request parsing and validation: every field's type and range, the prompt shapes, and the
// expansion to engine requests (n, seeds, default max tokens, context limits).
#include <gtest/gtest.h>

#include "server/request_parser.h"

namespace gemma3 {
namespace {

using nlohmann::json;

constexpr int32_t kVocab = 1000;

json chat_body(json extra = json::object()) {
  json body = {{"model", "m"}, {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}};
  for (auto it = extra.begin(); it != extra.end(); ++it) body[it.key()] = it.value();
  return body;
}

// The 400 error for `body`, and that it names `param`.
void expect_chat_error(const json& body, const std::string& param) {
  auto r = parse_chat_request(body, kVocab);
  ASSERT_FALSE(r.ok()) << body.dump();
  EXPECT_EQ(r.error().status, 400);
  EXPECT_EQ(r.error().type, "invalid_request_error");
  ASSERT_TRUE(r.error().param.has_value()) << r.error().message;
  EXPECT_EQ(*r.error().param, param) << r.error().message;
  EXPECT_FALSE(r.error().message.empty());
}

TEST(ServerRequest, BodyMustBeUtf8JsonObject) {
  EXPECT_TRUE(parse_json_body(R"({"a": 1})").ok());
  EXPECT_EQ(parse_json_body("{\"a\": \"\xff\"}").error().status, 400);
  EXPECT_NE(parse_json_body("{\"a\": \"\xff\"}").error().message.find("UTF-8"), std::string::npos);
  EXPECT_NE(parse_json_body("{\"a\": ").error().message.find("JSON"), std::string::npos);
  EXPECT_NE(parse_json_body("[1, 2]").error().message.find("object"), std::string::npos);
  EXPECT_FALSE(parse_json_body("").ok());
}

TEST(ServerRequest, DeeplyNestedBodiesAreRefusedBeforeParsing) {
  // 100,000 levels would overflow the stack when the parsed value is copied or destroyed.
  const std::string deep = "{\"messages\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  auto r = parse_json_body(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status, 400);
  EXPECT_NE(r.error().message.find("deeper than 256"), std::string::npos);
  EXPECT_FALSE(parse_json_body(std::string(300, '{')).ok());
  // Brackets inside strings do not nest; 255 levels inside the body object are fine.
  EXPECT_TRUE(parse_json_body("{\"a\": \"" + std::string(1000, '[') + "\\\"\"}").ok());
  EXPECT_TRUE(parse_json_body("{\"a\": " + std::string(255, '[') + std::string(255, ']') + "}").ok());
}

TEST(ServerRequest, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));           // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));       // surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));   // past U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));           // truncated
}

TEST(ServerRequest, ChatDefaultsAndAllFields) {
  auto r = parse_chat_request(chat_body(), kVocab);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->common.n, 1);
  EXPECT_FALSE(r->common.stream);
  EXPECT_FALSE(r->common.max_tokens.has_value());
  EXPECT_FLOAT_EQ(r->common.sampling.temperature, 1.0f);

  json extra = {{"max_tokens", 7},      {"temperature", 0.5},        {"top_p", 0.9},
                {"top_k", 40},          {"min_p", 0.05},             {"repetition_penalty", 1.1},
                {"presence_penalty", 0.5}, {"frequency_penalty", -0.5}, {"logit_bias", {{"5", 10}, {"7", -100}}},
                {"seed", 42},           {"stop", {"a", "b"}},        {"n", 3},
                {"stream", true},       {"stream_options", {{"include_usage", true}}},
                {"logprobs", true},     {"top_logprobs", 5},         {"user", "u1"},
                {"some_unknown_field", {1, 2, 3}}};
  r = parse_chat_request(chat_body(extra), kVocab);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const CommonParams& c = r->common;
  EXPECT_EQ(c.max_tokens, 7);
  EXPECT_FLOAT_EQ(c.sampling.temperature, 0.5f);
  EXPECT_FLOAT_EQ(c.sampling.top_p, 0.9f);
  EXPECT_EQ(c.sampling.top_k, 40);
  EXPECT_FLOAT_EQ(c.sampling.min_p, 0.05f);
  EXPECT_FLOAT_EQ(c.sampling.repetition_penalty, 1.1f);
  EXPECT_FLOAT_EQ(c.sampling.presence_penalty, 0.5f);
  EXPECT_FLOAT_EQ(c.sampling.frequency_penalty, -0.5f);
  ASSERT_EQ(c.sampling.logit_bias.size(), 2u);
  EXPECT_EQ(c.sampling.logit_bias[0], (std::pair<int32_t, float>{5, 10.0f}));
  EXPECT_EQ(c.sampling.logit_bias[1], (std::pair<int32_t, float>{7, -100.0f}));
  EXPECT_EQ(c.sampling.seed, 42u);
  EXPECT_EQ(c.stop, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.n, 3);
  EXPECT_TRUE(c.stream);
  EXPECT_TRUE(c.include_usage);
  EXPECT_TRUE(c.logprobs);
  EXPECT_EQ(c.top_logprobs, 5);
  EXPECT_EQ(c.model, "m");
}

TEST(ServerRequest, NullMeansAbsent) {
  auto r = parse_chat_request(chat_body({{"temperature", nullptr}, {"stop", nullptr}, {"n", nullptr},
                                         {"stream_options", nullptr}, {"seed", nullptr}}),
                              kVocab);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->common.n, 1);
  EXPECT_FALSE(r->common.sampling.seed.has_value());
}

TEST(ServerRequest, MaxCompletionTokensWins) {
  auto r = parse_chat_request(chat_body({{"max_tokens", 5}, {"max_completion_tokens", 9}}), kVocab);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->common.max_tokens, 9);
}

TEST(ServerRequest, StopAsStringAndLimits) {
  auto r = parse_chat_request(chat_body({{"stop", "END"}}), kVocab);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->common.stop, std::vector<std::string>{"END"});
  expect_chat_error(chat_body({{"stop", json::array({"a", 1})}}), "stop");
  expect_chat_error(chat_body({{"stop", ""}}), "stop");
  expect_chat_error(chat_body({{"stop", 5}}), "stop");
  expect_chat_error(chat_body({{"stop", json(std::vector<std::string>(17, "x"))}}), "stop");
  EXPECT_TRUE(parse_chat_request(chat_body({{"stop", json(std::vector<std::string>(16, "x"))}}), kVocab).ok());
}

TEST(ServerRequest, WrongTypesNameTheField) {
  expect_chat_error(chat_body({{"temperature", "hot"}}), "temperature");
  expect_chat_error(chat_body({{"temperature", true}}), "temperature");
  expect_chat_error(chat_body({{"top_p", "x"}}), "top_p");
  expect_chat_error(chat_body({{"top_k", 1.5}}), "top_k");
  expect_chat_error(chat_body({{"max_tokens", "10"}}), "max_tokens");
  expect_chat_error(chat_body({{"max_completion_tokens", false}}), "max_completion_tokens");
  expect_chat_error(chat_body({{"n", "2"}}), "n");
  expect_chat_error(chat_body({{"stream", "yes"}}), "stream");
  expect_chat_error(chat_body({{"logprobs", 1}}), "logprobs");
  expect_chat_error(chat_body({{"seed", "1"}}), "seed");
  expect_chat_error(chat_body({{"seed", 1.5}}), "seed");
  expect_chat_error(chat_body({{"logit_bias", json::array({1})}}), "logit_bias");
  expect_chat_error(chat_body({{"model", 3}}), "model");
  expect_chat_error(chat_body({{"user", 3}}), "user");
  expect_chat_error(chat_body({{"stream", true}, {"stream_options", "x"}}), "stream_options");
  expect_chat_error(chat_body({{"stream", true}, {"stream_options", {{"include_usage", "yes"}}}}),
                    "stream_options.include_usage");
}

TEST(ServerRequest, RangesNameTheField) {
  expect_chat_error(chat_body({{"temperature", -0.1}}), "temperature");
  expect_chat_error(chat_body({{"temperature", 2.5}}), "temperature");
  expect_chat_error(chat_body({{"top_p", 0}}), "top_p");
  expect_chat_error(chat_body({{"top_p", 1.5}}), "top_p");
  expect_chat_error(chat_body({{"top_k", -2}}), "top_k");
  expect_chat_error(chat_body({{"min_p", 1.5}}), "min_p");
  expect_chat_error(chat_body({{"repetition_penalty", 0}}), "repetition_penalty");
  expect_chat_error(chat_body({{"presence_penalty", 2.5}}), "presence_penalty");
  expect_chat_error(chat_body({{"frequency_penalty", -3}}), "frequency_penalty");
  expect_chat_error(chat_body({{"max_tokens", 0}}), "max_tokens");
  expect_chat_error(chat_body({{"n", 0}}), "n");
  expect_chat_error(chat_body({{"n", 17}}), "n");
  expect_chat_error(chat_body({{"logprobs", true}, {"top_logprobs", 21}}), "top_logprobs");
  expect_chat_error(chat_body({{"top_logprobs", 3}}), "top_logprobs");   // needs logprobs
  expect_chat_error(chat_body({{"logit_bias", {{"5", 101}}}}), "logit_bias");
  expect_chat_error(chat_body({{"logit_bias", {{"5", "1"}}}}), "logit_bias");
  expect_chat_error(chat_body({{"logit_bias", {{"-1", 1}}}}), "logit_bias");
  expect_chat_error(chat_body({{"logit_bias", {{"1000", 1}}}}), "logit_bias");   // == vocab
  expect_chat_error(chat_body({{"logit_bias", {{"abc", 1}}}}), "logit_bias");
  expect_chat_error(chat_body({{"stream_options", {{"include_usage", true}}}}), "stream_options");  // no stream
  EXPECT_TRUE(parse_chat_request(chat_body({{"top_k", -1}}), kVocab).ok());   // vLLM's "off"
  EXPECT_TRUE(parse_chat_request(chat_body({{"temperature", 0}}), kVocab).ok());
  EXPECT_TRUE(parse_chat_request(chat_body({{"max_tokens", 5.0}}), kVocab).ok());   // integral float
  EXPECT_TRUE(parse_chat_request(chat_body({{"seed", -5}}), kVocab).ok());
}

TEST(ServerRequest, MessagesRequired) {
  json body = chat_body();
  body.erase("messages");
  expect_chat_error(body, "messages");
  expect_chat_error(chat_body({{"messages", json::array()}}), "messages");
  expect_chat_error(chat_body({{"messages", "hi"}}), "messages");
}

TEST(ServerRequest, CompletionPromptShapes) {
  auto one = parse_completion_request({{"prompt", "hello"}}, kVocab);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->prompts.size(), 1u);
  EXPECT_EQ(std::get<std::string>(one->prompts[0]), "hello");

  auto strings = parse_completion_request({{"prompt", {"a", "b"}}}, kVocab);
  ASSERT_TRUE(strings.ok());
  EXPECT_EQ(strings->prompts.size(), 2u);

  auto ids = parse_completion_request({{"prompt", {2, 10, 11}}}, kVocab);
  ASSERT_TRUE(ids.ok());
  ASSERT_EQ(ids->prompts.size(), 1u);
  EXPECT_EQ(std::get<std::vector<int32_t>>(ids->prompts[0]), (std::vector<int32_t>{2, 10, 11}));

  auto nested = parse_completion_request({{"prompt", {{2, 10}, {2, 11, 12}}}}, kVocab);
  ASSERT_TRUE(nested.ok());
  ASSERT_EQ(nested->prompts.size(), 2u);
  EXPECT_EQ(std::get<std::vector<int32_t>>(nested->prompts[1]).size(), 3u);

  for (json bad : {json(nullptr), json(5), json::array(), json::array({json::array()}), json::array({2, 1000}),
                   json::array({2, -1}), json::array({"a", 5}), json::array({json::object()})}) {
    json body = {{"prompt", bad}};
    if (bad.is_null()) body = json::object();
    auto r = parse_completion_request(body, kVocab);
    ASSERT_FALSE(r.ok()) << bad.dump();
    EXPECT_EQ(r.error().param, "prompt") << bad.dump();
  }
}

TEST(ServerRequest, CompletionLogprobsIsAnInteger) {
  auto r = parse_completion_request({{"prompt", "x"}, {"logprobs", 3}}, kVocab);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->common.logprobs);
  EXPECT_EQ(r->common.top_logprobs, 3);
  auto off = parse_completion_request({{"prompt", "x"}, {"logprobs", nullptr}}, kVocab);
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->common.logprobs);
  auto bad = parse_completion_request({{"prompt", "x"}, {"logprobs", true}}, kVocab);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().param, "logprobs");
  auto echo = parse_completion_request({{"prompt", "x"}, {"echo", true}}, kVocab);
  ASSERT_FALSE(echo.ok());
  EXPECT_EQ(echo.error().param, "echo");
  auto many = parse_completion_request({{"prompt", json(std::vector<std::string>(5, "x"))}, {"n", 16}}, kVocab);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.error().param, "n");
}

ExpandOptions expand_options(int32_t context, int32_t default_max) {
  ExpandOptions o;
  o.context_length = context;
  o.default_max_tokens = default_max;
  o.request_id = "chatcmpl-x";
  o.prompt_param = "messages";
  o.random_seed = 1000;
  return o;
}

TEST(ServerRequest, ExpandSeedsAndIds) {
  CommonParams p;
  p.n = 3;
  p.max_tokens = 4;
  p.sampling.seed = 7;
  p.logprobs = true;
  p.top_logprobs = 2;
  p.stop = {"x"};
  auto r = expand_requests(p, {{2, 5, 6}, {2, 9}}, expand_options(100, 50));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 6u);
  EXPECT_EQ((*r)[0].request_id, "chatcmpl-x-0");
  EXPECT_EQ((*r)[5].request_id, "chatcmpl-x-5");
  EXPECT_EQ((*r)[0].sampling.seed, 7u);
  EXPECT_EQ((*r)[2].sampling.seed, 9u);
  EXPECT_EQ((*r)[3].sampling.seed, 7u);   // the second prompt's choices restart at seed
  EXPECT_EQ((*r)[4].prompt, (std::vector<int32_t>{2, 9}));
  EXPECT_EQ((*r)[1].max_tokens, 4);
  EXPECT_TRUE((*r)[1].logprobs);
  EXPECT_EQ((*r)[1].top_logprobs, 2);
  EXPECT_EQ((*r)[1].stop, std::vector<std::string>{"x"});

  p.sampling.seed.reset();
  r = expand_requests(p, {{2}}, expand_options(100, 50));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].sampling.seed, 1000u);   // n > 1 without a seed: distinct seeds from a random base
  EXPECT_EQ((*r)[1].sampling.seed, 1001u);
  p.n = 1;
  r = expand_requests(p, {{2}}, expand_options(100, 50));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE((*r)[0].sampling.seed.has_value());
}

TEST(ServerRequest, ExpandDefaultMaxTokensAndContext) {
  CommonParams p;
  auto r = expand_requests(p, {std::vector<int32_t>(10, 2)}, expand_options(100, 50));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].max_tokens, 50);   // capped default
  r = expand_requests(p, {std::vector<int32_t>(80, 2)}, expand_options(100, 50));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].max_tokens, 20);   // the rest of the context

  auto too_long = expand_requests(p, {std::vector<int32_t>(100, 2)}, expand_options(100, 50));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().status, 400);
  EXPECT_EQ(too_long.error().code, "context_length_exceeded");
  EXPECT_EQ(too_long.error().param, "messages");

  p.max_tokens = 21;
  auto over = expand_requests(p, {std::vector<int32_t>(80, 2)}, expand_options(100, 50));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, "context_length_exceeded");
  EXPECT_EQ(over.error().param, "max_tokens");
  EXPECT_NE(over.error().message.find("100"), std::string::npos);
  p.max_tokens = 20;
  EXPECT_TRUE(expand_requests(p, {std::vector<int32_t>(80, 2)}, expand_options(100, 50)).ok());
}

}  // namespace
}  // namespace gemma3
