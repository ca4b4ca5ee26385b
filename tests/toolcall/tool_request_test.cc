#include "toolcall/tool_request.h"

#include <gtest/gtest.h>

namespace gemma3::toolcall {
namespace {

using json = nlohmann::ordered_json;

json weather_tool() {
  return json::parse(R"({"type": "function", "function": {"name": "get_weather", "description": "Weather now",
      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}})");
}

FieldError error_of(const json& body) {
  auto r = parse_tool_request(body);
  EXPECT_TRUE(std::holds_alternative<FieldError>(r)) << body.dump();
  return std::holds_alternative<FieldError>(r) ? std::get<FieldError>(r) : FieldError{};
}

ToolRequest request_of(const json& body) {
  auto r = parse_tool_request(body);
  EXPECT_TRUE(std::holds_alternative<ToolRequest>(r)) << (std::holds_alternative<FieldError>(r) ? std::get<FieldError>(r).message : "");
  return std::holds_alternative<ToolRequest>(r) ? std::get<ToolRequest>(r) : ToolRequest{};
}

TEST(ToolRequest, AbsentToolsGiveAnEmptyRequestWithChoiceNone) {
  ToolRequest r = request_of(json{{"messages", json::array()}});
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.choice.kind, ToolChoice::Kind::kNone);
  EXPECT_TRUE(request_of(json{{"tools", nullptr}}).empty());
}

TEST(ToolRequest, ToolsDefaultToAutoAndParallel) {
  ToolRequest r = request_of(json{{"tools", {weather_tool()}}});
  ASSERT_EQ(r.tools.size(), 1u);
  EXPECT_EQ(r.tools[0].name, "get_weather");
  EXPECT_EQ(r.tools[0].description, "Weather now");
  EXPECT_EQ(r.tools[0].parameters["required"], json::array({"city"}));
  EXPECT_EQ(r.choice.kind, ToolChoice::Kind::kAuto);
  EXPECT_TRUE(r.parallel);
  EXPECT_EQ(r.tools_json, json::array({weather_tool()}));
  EXPECT_NE(r.find("get_weather"), nullptr);
  EXPECT_EQ(r.find("nope"), nullptr);
}

TEST(ToolRequest, ParsesEveryChoiceForm) {
  json tools = json::array({weather_tool()});
  EXPECT_EQ(request_of({{"tools", tools}, {"tool_choice", "none"}}).choice.kind, ToolChoice::Kind::kNone);
  EXPECT_EQ(request_of({{"tools", tools}, {"tool_choice", "auto"}}).choice.kind, ToolChoice::Kind::kAuto);
  EXPECT_EQ(request_of({{"tools", tools}, {"tool_choice", "required"}}).choice.kind, ToolChoice::Kind::kRequired);
  ToolRequest named = request_of({{"tools", tools},
                                  {"tool_choice", {{"type", "function"}, {"function", {{"name", "get_weather"}}}}},
                                  {"parallel_tool_calls", false}});
  EXPECT_EQ(named.choice.kind, ToolChoice::Kind::kNamed);
  EXPECT_EQ(named.choice.name, "get_weather");
  EXPECT_FALSE(named.parallel);
}

TEST(ToolRequest, MissingParametersMeanAnEmptyObjectSchema) {
  ToolRequest r = request_of(json::parse(R"({"tools": [{"type": "function", "function": {"name": "now"}}]})"));
  EXPECT_EQ(r.tools[0].parameters, json::parse(R"({"type": "object", "properties": {}})"));
}

TEST(ToolRequest, ErrorsNameTheField) {
  json tools = json::array({weather_tool()});
  EXPECT_EQ(error_of({{"tools", "x"}}).param, "tools");
  EXPECT_EQ(error_of({{"tools", json::array()}}).param, "tools");
  EXPECT_EQ(error_of({{"tools", {1}}}).param, "tools[0]");
  EXPECT_EQ(error_of(json::parse(R"({"tools": [{"type": "retrieval", "function": {"name": "a"}}]})")).param, "tools[0].type");
  EXPECT_EQ(error_of(json::parse(R"({"tools": [{"type": "function"}]})")).param, "tools[0].function");
  EXPECT_EQ(error_of(json::parse(R"({"tools": [{"type": "function", "function": {}}]})")).param, "tools[0].function.name");
  FieldError bad_name = error_of(json::parse(R"({"tools": [{"type": "function", "function": {"name": "a b"}}]})"));
  EXPECT_EQ(bad_name.param, "tools[0].function.name");
  EXPECT_NE(bad_name.message.find("'a b'"), std::string::npos) << bad_name.message;
  EXPECT_EQ(error_of(json{{"tools", {{{"type", "function"}, {"function", {{"name", std::string(65, 'a')}}}}}}}).param,
            "tools[0].function.name");
  FieldError dup = error_of({{"tools", {weather_tool(), weather_tool()}}});
  EXPECT_EQ(dup.param, "tools[1].function.name");
  EXPECT_NE(dup.message.find("duplicate"), std::string::npos);
  EXPECT_EQ(error_of(json::parse(R"({"tools": [{"type": "function", "function": {"name": "a", "parameters": [1]}}]})")).param,
            "tools[0].function.parameters");
  EXPECT_EQ(error_of(json::parse(R"({"tools": [{"type": "function", "function": {"name": "a", "parameters": {"type": "string"}}}]})")).param,
            "tools[0].function.parameters");
  EXPECT_EQ(error_of(json::parse(R"({"tools": [{"type": "function", "function": {"name": "a", "description": 3}}]})")).param,
            "tools[0].function.description");
  EXPECT_EQ(error_of(json::parse(R"({"tools": [{"type": "function", "function": {"name": "a", "strict": "yes"}}]})")).param,
            "tools[0].function.strict");
  EXPECT_EQ(error_of({{"tools", tools}, {"tool_choice", "always"}}).param, "tool_choice");
  EXPECT_EQ(error_of({{"tools", tools}, {"tool_choice", 3}}).param, "tool_choice");
  EXPECT_EQ(error_of({{"tools", tools}, {"tool_choice", {{"type", "function"}}}}).param, "tool_choice.function");
  FieldError unknown = error_of({{"tools", tools}, {"tool_choice", {{"type", "function"}, {"function", {{"name", "nope"}}}}}});
  EXPECT_EQ(unknown.param, "tool_choice.function.name");
  EXPECT_NE(unknown.message.find("'nope'"), std::string::npos);
  EXPECT_EQ(error_of({{"tool_choice", "required"}}).param, "tool_choice");
  EXPECT_EQ(error_of({{"tools", tools}, {"parallel_tool_calls", "yes"}}).param, "parallel_tool_calls");
}

TEST(ToolRequest, FunctionNames) {
  EXPECT_TRUE(is_valid_function_name("get_weather-2"));
  EXPECT_FALSE(is_valid_function_name(""));
  EXPECT_FALSE(is_valid_function_name("a.b"));
  EXPECT_FALSE(is_valid_function_name("a{"));
  EXPECT_FALSE(is_valid_function_name("é"));
}

}  // namespace
}  // namespace gemma3::toolcall
