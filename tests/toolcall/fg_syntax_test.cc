#include "toolcall/fg_syntax.h"

#include <gtest/gtest.h>

#include <random>

namespace gemma3::toolcall {
namespace {

using nlohmann::ordered_json;

std::string args_of(std::string_view body) {
  auto r = parse_functiongemma_call(body);
  EXPECT_TRUE(r.ok()) << body << ": " << (r.ok() ? "" : r.error());
  return r.ok() ? r->arguments_json : "";
}

std::string error_of(std::string_view body) {
  auto r = parse_functiongemma_call(body);
  EXPECT_FALSE(r.ok()) << body;
  return r.ok() ? "" : r.error();
}

TEST(FgSyntax, ParsesEveryValueKind) {
  auto r = parse_functiongemma_call(
      "call:configure{name:<escape>a, {b}: \"c\"<escape>,n:3,x:-1.5e3,on:true,off:false,none:null,"
      "obj:{a:1,b:[]},list:[1,<escape>two<escape>,[3]],empty:{}}");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->name, "configure");
  EXPECT_EQ(r->arguments_json,
            R"({"name":"a, {b}: \"c\"","n":3,"x":-1.5e3,"on":true,"off":false,"none":null,)"
            R"("obj":{"a":1,"b":[]},"list":[1,"two",[3]],"empty":{}})");
  EXPECT_EQ(args_of("call:now{}"), "{}");
  // Strings are verbatim: markers other than <escape>, newlines, JSON-looking text.
  EXPECT_EQ(args_of("call:f{s:<escape><end_function_call>\n{\"x\"}<escape>}"), R"({"s":"<end_function_call>\n{\"x\"}"})");
  EXPECT_EQ(args_of("call:f{<escape>odd key:<escape>:1}"), R"({"odd key:":1})");
  // Keys keep the model's order.
  EXPECT_EQ(args_of("call:f{z:1,a:2}"), R"({"z":1,"a":2})");
}

TEST(FgSyntax, InvalidUtf8InStringsIsReplaced) {
  EXPECT_EQ(args_of("call:f{s:<escape>\xff<escape>}"), "{\"s\":\"\xEF\xBF\xBD\"}");
}

TEST(FgSyntax, RejectsMalformedCalls) {
  EXPECT_NE(error_of("cal:f{}").find("call:"), std::string::npos);
  EXPECT_NE(error_of("call:f").find("'{'"), std::string::npos);
  EXPECT_NE(error_of("call:{}").find("function name"), std::string::npos);
  EXPECT_NE(error_of("call:a b{}").find("function name"), std::string::npos);
  EXPECT_NE(error_of("call:f{s:<escape>open}").find("unbalanced <escape>"), std::string::npos);
  EXPECT_NE(error_of("call:f{s:Paris}").find("not a value"), std::string::npos);
  EXPECT_NE(error_of("call:f{n:01}").find("not a value"), std::string::npos);
  EXPECT_NE(error_of("call:f{n:1.}").find("not a value"), std::string::npos);
  EXPECT_NE(error_of("call:f{a:1,a:2}").find("duplicate key"), std::string::npos);
  EXPECT_NE(error_of("call:f{a:1").find("expected"), std::string::npos);
  EXPECT_NE(error_of("call:f{a:1}}").find("after the arguments"), std::string::npos);
  EXPECT_NE(error_of("call:f{a}").find("':'"), std::string::npos);
  EXPECT_NE(error_of("call:f{:1}").find("key is missing"), std::string::npos);
  EXPECT_NE(error_of("call:f{a:[1,}").find("not a value"), std::string::npos);
  EXPECT_NE(error_of("call:f{a:}").find("not a value"), std::string::npos);
}

TEST(FgSyntax, DepthIsBounded) {
  std::string deep = "call:f{a:" + std::string(kFgMaxDepth, '[') + "1" + std::string(kFgMaxDepth, ']') + "}";
  EXPECT_NE(error_of(deep).find("nested deeper"), std::string::npos);
  std::string ok = "call:f{a:" + std::string(kFgMaxDepth - 2, '[') + "1" + std::string(kFgMaxDepth - 2, ']') + "}";
  args_of(ok);
  // Far beyond the limit: an error, not a stack overflow.
  std::string huge = "call:f{a:" + std::string(1'000'000, '[') + "}";
  EXPECT_FALSE(parse_functiongemma_call(huge).ok());
}

// Random JSON values written in FunctionGemma's syntax parse back to the same JSON.
ordered_json random_value(std::mt19937& rng, int depth) {
  std::uniform_int_distribution<int> kind(0, depth > 3 ? 4 : 6);
  static const char* words[] = {"Paris", "", "a,b", "{x}", "[1]", "say \"hi\"\n", "ünï", "null", "12"};
  switch (kind(rng)) {
    case 0: return ordered_json(words[rng() % 9]);
    case 1: return ordered_json(static_cast<int>(rng() % 2001) - 1000);
    case 2: return ordered_json(rng() % 2 == 0);
    case 3: return ordered_json(nullptr);
    case 4: return ordered_json(static_cast<double>(rng() % 1000) / 8.0);
    case 5: {
      ordered_json a = ordered_json::array();
      for (int i = 0, n = rng() % 4; i < n; ++i) a.push_back(random_value(rng, depth + 1));
      return a;
    }
    default: {
      ordered_json o = ordered_json::object();
      for (int i = 0, n = rng() % 4; i < n; ++i) o["k" + std::to_string(i) + (i % 2 ? " sp" : "")] = random_value(rng, depth + 1);
      return o;
    }
  }
}

TEST(FgSyntax, RoundTripsRandomValues) {
  std::mt19937 rng(7);
  for (int i = 0; i < 500; ++i) {
    ordered_json args = ordered_json::object();
    for (int k = 0, n = rng() % 5; k < n; ++k) args["p" + std::to_string(k)] = random_value(rng, 0);
    std::string body = "call:f" + to_functiongemma_text(args);
    auto r = parse_functiongemma_call(body);
    ASSERT_TRUE(r.ok()) << body << ": " << r.error();
    EXPECT_EQ(ordered_json::parse(r->arguments_json), args) << body;
  }
}

}  // namespace
}  // namespace gemma3::toolcall
