#include "toolcall/parsers.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <random>

namespace gemma3::toolcall {
namespace {

using json = nlohmann::ordered_json;
using Factory = std::function<std::unique_ptr<ToolCallParser>()>;

ToolRequest request_with(std::vector<std::string> names) {
  ToolRequest r;
  for (auto& n : names) r.tools.push_back(Tool{n, "", json::object(), false});
  return r;
}

// Events with neighbouring content merged: how a client sees them, whatever the chunking.
std::vector<std::string> normalize(const std::vector<ParserEvent>& events) {
  std::vector<std::string> out;
  bool last_content = false;
  for (const auto& e : events) {
    if (e.kind == ParserEvent::Kind::kContent) {
      EXPECT_FALSE(e.content.empty());
      if (last_content) out.back() += e.content;
      else out.push_back("text:" + e.content);
      last_content = true;
    } else {
      out.push_back("call:" + e.call.name + " " + e.call.arguments_json);
      last_content = false;
    }
  }
  return out;
}

std::vector<std::string> run(const Factory& make, const std::vector<std::string_view>& pieces, bool truncated = false) {
  auto p = make();
  std::vector<ParserEvent> events;
  for (auto piece : pieces) p->feed(piece, events);
  p->finish(truncated, events);
  return normalize(events);
}

// Feeding the text whole, byte by byte, and split at every single position gives the same events.
std::vector<std::string> run_all_splits(const Factory& make, std::string_view text, bool truncated = false) {
  auto whole = run(make, {text}, truncated);
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < text.size(); ++i) bytes.push_back(text.substr(i, 1));
  EXPECT_EQ(run(make, bytes, truncated), whole) << "byte by byte: " << text;
  for (size_t cut = 0; cut <= text.size(); ++cut)
    EXPECT_EQ(run(make, {text.substr(0, cut), text.substr(cut)}, truncated), whole) << "cut at " << cut << ": " << text;
  return whole;
}

using V = std::vector<std::string>;

Factory fg(std::vector<std::string> names = {"get_weather", "f"}) {
  return [names] { return make_functiongemma_parser(request_with(names)); };
}
Factory js(std::vector<std::string> names = {"get_weather", "f"}) {
  return [names] { return make_json_call_parser(request_with(names)); };
}

TEST(FunctionGemmaParser, CallsAndContent) {
  EXPECT_EQ(run_all_splits(fg(), "<start_function_call>call:get_weather{city:<escape>Paris<escape>}<end_function_call>"),
            (V{R"(call:get_weather {"city":"Paris"})"}));
  EXPECT_EQ(run_all_splits(fg(), "Let me check. <start_function_call>call:f{n:1}<end_function_call>"
                                 "<start_function_call>call:get_weather{city:<escape>a}b<escape>,x:[1,{y:null}]}<end_function_call> done"),
            (V{"text:Let me check. ", R"(call:f {"n":1})", R"(call:get_weather {"city":"a}b","x":[1,{"y":null}]})",
               "text: done"}));
  EXPECT_EQ(run_all_splits(fg(), "no calls, just < and <start_ and <escape> text"),
            (V{"text:no calls, just < and <start_ and <escape> text"}));
}

TEST(FunctionGemmaParser, EndMarkerInsideAStringIsText) {
  EXPECT_EQ(run_all_splits(fg(), "<start_function_call>call:f{s:<escape>x<end_function_call>y<escape>}<end_function_call>"),
            (V{R"(call:f {"s":"x<end_function_call>y"})"}));
}

TEST(FunctionGemmaParser, HostileOutputNeverBecomesACallOrContent) {
  // Unknown function, bad syntax, garbage after call:, unbalanced <escape>: dropped, not content.
  EXPECT_EQ(run_all_splits(fg(), "a<start_function_call>call:rm_rf{}<end_function_call>b"), (V{"text:ab"}));
  EXPECT_EQ(run_all_splits(fg(), "<start_function_call>call:f{x:Paris}<end_function_call>"), V{});
  EXPECT_EQ(run_all_splits(fg(), "<start_function_call>garbage!!<end_function_call>ok"), (V{"text:ok"}));
  EXPECT_EQ(run_all_splits(fg(), "<start_function_call>call:f{s:<escape>open}<end_function_call>"), V{});
  // Truncated at max_tokens, or ended early: the half call is dropped, the text before it stays.
  EXPECT_EQ(run_all_splits(fg(), "hi <start_function_call>call:f{s:<escape>par", true), (V{"text:hi "}));
  EXPECT_EQ(run_all_splits(fg(), "hi <start_function_call>call:f{n:1}<end_function_ca", false), (V{"text:hi "}));
  // A call that restarts inside an unfinished one: the first is dropped, the second counts.
  EXPECT_EQ(run_all_splits(fg(), "<start_function_call>call:f{n:<start_function_call>call:f{n:2}<end_function_call>"),
            (V{R"(call:f {"n":2})"}));
  // A held-back marker prefix that never completes is released at the end.
  EXPECT_EQ(run_all_splits(fg(), "x<start_function"), (V{"text:x<start_function"}));
}

TEST(FunctionGemmaParser, LinearTimeOnLongHostileOutput) {
  std::string big = "<start_function_call>call:f{s:<escape>" + std::string(2'000'000, '<') + "<escape>}<end_function_call>";
  auto t0 = std::chrono::steady_clock::now();
  auto p = make_functiongemma_parser(request_with({"f"}));
  std::vector<ParserEvent> events;
  for (size_t i = 0; i < big.size(); i += 3) p->feed(std::string_view(big).substr(i, 3), events);
  p->finish(false, events);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, ParserEvent::Kind::kToolCall);
  EXPECT_LT(s, 5.0);
  std::string text(1'000'000, '<');   // every byte a possible marker start
  auto q = make_functiongemma_parser(request_with({"f"}));
  events.clear();
  for (size_t i = 0; i < text.size(); i += 2) q->feed(std::string_view(text).substr(i, 2), events);
  q->finish(false, events);
  EXPECT_EQ(normalize(events), (V{"text:" + text}));
}

TEST(JsonCallParser, OneCallOrAList) {
  EXPECT_EQ(run_all_splits(js(), R"({"name": "get_weather", "arguments": {"city": "Paris", "n": [1, {"a": "}"}]}})"),
            (V{R"(call:get_weather {"city":"Paris","n":[1,{"a":"}"}]})"}));
  EXPECT_EQ(run_all_splits(js(), R"([{"name": "f", "arguments": {}}, {"arguments": {"s": "a\"]b"}, "name": "get_weather"}])"),
            (V{R"(call:f {})", R"(call:get_weather {"s":"a\"]b"})"}));
  EXPECT_EQ(run_all_splits(js(), "{\"name\": \"f\", \"arguments\": {}}\n  "), (V{"call:f {}"}));
}

TEST(JsonCallParser, TextRepliesAreContent) {
  EXPECT_EQ(run_all_splits(js(), "Sure! {\"name\": \"f\"}"), (V{"text:Sure! {\"name\": \"f\"}"}));
  // Only a reply that starts with the call is a call (the lazy grammar triggers at the start only).
  EXPECT_EQ(run_all_splits(js(), " {\"name\": \"f\", \"arguments\": {}}"), (V{"text: {\"name\": \"f\", \"arguments\": {}}"}));
}

TEST(JsonCallParser, HostileOutput) {
  EXPECT_EQ(run_all_splits(js(), R"({"name": "rm", "arguments": {}})"), V{});
  EXPECT_EQ(run_all_splits(js(), R"({"name": "f", "arguments": "{}"})"), V{});
  EXPECT_EQ(run_all_splits(js(), R"({"name": "f", "arguments": {}, "extra": 1})"), V{});
  EXPECT_EQ(run_all_splits(js(), R"({"name": "f", "arguments": {})"), V{});
  EXPECT_EQ(run_all_splits(js(), R"([{"name": "f", "arguments": {}}, {"name": "f", "argu)", true), (V{"call:f {}"}));
  EXPECT_EQ(run_all_splits(js(), R"([1, {"name": "f", "arguments": {}}])"), V{});
  EXPECT_EQ(run_all_splits(js(), R"({"name": "f", "arguments": {}} and more)"), (V{"call:f {}", "text: and more"}));
  std::string deep = R"({"name": "f", "arguments": {"a": )" + std::string(100000, '[') + std::string(100000, ']') + "}}";
  EXPECT_EQ(run(js(), {deep}), V{});
}

TEST(PassthroughParser, EverythingIsContent) {
  Factory pass = [] { return make_passthrough_parser(); };
  EXPECT_EQ(run_all_splits(pass, "<start_function_call>call:f{}<end_function_call>"),
            (V{"text:<start_function_call>call:f{}<end_function_call>"}));
}

TEST(MarkerPrefix, LongestSuffixThatStartsTheMarker) {
  EXPECT_EQ(marker_prefix_suffix("abc<sta", "<start>"), 4u);
  EXPECT_EQ(marker_prefix_suffix("abc<start>", "<start>"), 0u);
  EXPECT_EQ(marker_prefix_suffix("", "<start>"), 0u);
  EXPECT_EQ(marker_prefix_suffix("<<", "<start>"), 1u);
}

}  // namespace
}  // namespace gemma3::toolcall
