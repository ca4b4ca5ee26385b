// Format choice and the json format's prompt rewriting (the text docs/TOOL_CALLING.md documents; the
// schema keeps the request's key order).
#include <gtest/gtest.h>

#include "tokenizer/tokenizer.h"
#include "toolcall/json_prompt.h"
#include "toolcall/tool_format.h"

namespace gemma3::toolcall {
namespace {

using json = nlohmann::ordered_json;

const Tokenizer& gemma_tokenizer() {
  static std::unique_ptr<Tokenizer> t = [] {
    auto r = Tokenizer::load(GEMMA3_TOKENIZER_DIR);
    EXPECT_TRUE(r.ok());
    return std::move(*r);
  }();
  return *t;
}

ToolRequest request(const std::string& choice_json = "\"auto\"", bool parallel = true) {
  json body = json::parse(R"({"tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather now",
      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]})");
  body["tool_choice"] = json::parse(choice_json);
  body["parallel_tool_calls"] = parallel;
  return std::get<ToolRequest>(parse_tool_request(body));
}

TEST(ChooseToolFormat, FromTheTemplateOrForced) {
  auto fg = choose_tool_format("{{ '<start_function_call>call:' + name }}", gemma_tokenizer());
  ASSERT_TRUE(fg.ok());
  EXPECT_EQ((*fg)->name(), "functiongemma");
  auto js = choose_tool_format(gemma_tokenizer().chat_template(), gemma_tokenizer());
  ASSERT_TRUE(js.ok());
  EXPECT_EQ((*js)->name(), "json");
  EXPECT_EQ((*choose_tool_format("", gemma_tokenizer(), "functiongemma"))->name(), "functiongemma");
  EXPECT_EQ((*choose_tool_format("<start_function_call>", gemma_tokenizer(), "json"))->name(), "json");
  auto bad = choose_tool_format("", gemma_tokenizer(), "hermes2");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("functiongemma"), std::string::npos);
  EXPECT_NE(bad.error().find("'hermes2'"), std::string::npos);
  EXPECT_EQ(tool_format_names(), (std::vector<std::string>{"functiongemma", "json"}));
  // Gemma 3's vocabulary has no marker tokens: the markers are text, nothing to keep visible.
  EXPECT_TRUE((*fg)->visible_special_ids().empty());
}

TEST(JsonFormat, DescribesTheToolsExactlyAsDocumented) {
  EXPECT_EQ(describe_tools_for_json(request()),
            "You can call functions. These are the functions, with their parameters as JSON Schema:\n"
            R"({"name":"get_weather","description":"Weather now","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}})"
            "\n\nTo call a function, reply with only a JSON object: {\"name\": <function name>, \"arguments\": <arguments object>}."
            " To call several functions at once, reply with a JSON list of such objects."
            " If no function is needed, reply in plain text instead.");
  std::string required = describe_tools_for_json(request("\"required\"", false));
  EXPECT_EQ(required.find("several"), std::string::npos);
  EXPECT_NE(required.find(" You must call a function."), std::string::npos);
  std::string named = describe_tools_for_json(request(R"({"type": "function", "function": {"name": "get_weather"}})"));
  EXPECT_NE(named.find(" You must call the function \"get_weather\"."), std::string::npos);
  EXPECT_EQ(describe_tools_for_json(request("\"none\"")), "");
}

TEST(JsonFormat, RewritesToolHistoryIntoAlternatingTurns) {
  json messages = json::parse(R"([
    {"role": "user", "content": "Weather in Paris and Rome?"},
    {"role": "assistant", "content": null, "tool_calls": [
      {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}},
      {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Rome"}}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "21 C"},
    {"role": "tool", "tool_call_id": "call_2", "name": "get_weather", "content": [{"type": "text", "text": "25 C"}]},
    {"role": "user", "content": "Thanks!"}])");
  json tools = request().tools_json;
  json_format()->prepare_chat(messages, tools, request());
  EXPECT_TRUE(tools.is_null());
  json expected = json::array();
  expected.push_back({{"role", "system"}, {"content", describe_tools_for_json(request())}});
  expected.push_back({{"role", "user"}, {"content", "Weather in Paris and Rome?"}});
  expected.push_back({{"role", "assistant"},
                      {"content", R"([{"name":"get_weather","arguments":{"city":"Paris"}},{"name":"get_weather","arguments":{"city":"Rome"}}])"}});
  expected.push_back({{"role", "user"},
                      {"content", "Function get_weather returned:\n21 C\n\nFunction get_weather returned:\n25 C\n\nThanks!"}});
  EXPECT_EQ(messages, expected);
}

TEST(JsonFormat, ToolsJoinAnExistingSystemMessage) {
  json messages = json::parse(R"([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}])");
  json tools = request().tools_json;
  json_format()->prepare_chat(messages, tools, request());
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0]["content"], "Be brief.\n\n" + describe_tools_for_json(request()));
  // A single call is one object; text before it is kept.
  EXPECT_EQ(tool_calls_as_json_text(json::parse(R"([{"function": {"name": "f", "arguments": "not json"}}])")),
            R"({"name":"f","arguments":"not json"})");
}

TEST(FunctionGemmaFormat, LeavesTheConversationToTheTemplate) {
  json messages = json::parse(R"([{"role": "user", "content": "hi"}])");
  json before = messages;
  json tools = request().tools_json;
  auto fg = functiongemma_format({46, 47, 48, 49, 50, 51, 52});
  fg->prepare_chat(messages, tools, request());
  EXPECT_EQ(messages, before);
  EXPECT_EQ(tools, request().tools_json);
}

TEST(Formats, ChoiceNonePassesEverythingThrough) {
  for (auto f : {json_format(), functiongemma_format({-1, -1, -1, -1, -1, -1, -1})}) {
    auto p = f->make_parser(request("\"none\""));
    std::vector<ParserEvent> events;
    p->feed("{\"name\": \"get_weather\", \"arguments\": {}}<start_function_call>call:get_weather{}<end_function_call>", events);
    p->finish(false, events);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, ParserEvent::Kind::kContent);
  }
}

}  // namespace
}  // namespace gemma3::toolcall
