// JSON Schema -> grammar: each keyword lowered, checked on valid and invalid documents with the
// reference recognizer (tests/grammar/ir_recognizer.h), independent of the back end.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "grammar/front_ends.h"
#include "ir_recognizer.h"

namespace gemma3::grammar {
namespace {

using testing::IrRecognizer;

Grammar compile(const std::string& schema, const SchemaOptions& options = {}) {
  auto g = json_schema_grammar(nlohmann::ordered_json::parse(schema), options);
  EXPECT_TRUE(g.ok()) << schema << ": " << (g.ok() ? "" : g.error());
  if (!g.ok()) return Grammar{};
  EXPECT_TRUE(g->validate().ok());
  return std::move(*g);
}

std::string compile_error(const std::string& schema, const SchemaOptions& options = {}) {
  auto g = json_schema_grammar(nlohmann::ordered_json::parse(schema), options);
  EXPECT_FALSE(g.ok()) << schema << " compiled but should not";
  return g.ok() ? "" : g.error();
}

void expect_docs(const std::string& schema, const std::vector<std::string>& valid, const std::vector<std::string>& invalid) {
  Grammar g = compile(schema);
  if (g.rules.empty()) return;
  IrRecognizer rec(g);
  for (const auto& doc : valid) EXPECT_TRUE(rec.accepts(doc)) << schema << " should accept: " << doc;
  for (const auto& doc : invalid) EXPECT_FALSE(rec.accepts(doc)) << schema << " should reject: " << doc;
}

TEST(JsonSchema, ScalarTypes) {
  expect_docs(R"({"type":"null"})", {"null", " null", "null \n"}, {"nul", "Null", "0", "\"null\""});
  expect_docs(R"({"type":"boolean"})", {"true", "false"}, {"1", "True", "null"});
  expect_docs(R"({"type":"integer"})", {"0", "-0", "12", "-7", "1.0", "3.000", "123456789012345678901234567890"},
              {"1.5", "01", "+1", "1e2", "\"1\"", "1.", "-", ""});
  expect_docs(R"({"type":"number"})", {"0", "-0", "1.5", "-0.25", "1e10", "1E+2", "2.5e-3", "-0.0e0"},
              {"01", ".5", "1.", "+1", "1e", "--1", "0x1", "NaN", "Infinity"});
  expect_docs(R"({"type":["string","null"]})", {"\"a\"", "null"}, {"1", "true"});
  expect_docs(R"({"type":"integer","nullable":true})", {"1", "null"}, {"\"a\""});
}

TEST(JsonSchema, StringEscapesAndUnicode) {
  expect_docs(R"({"type":"string"})",
              {R"("")", R"("a\"b")", R"("\\ \/ \b \f \n \r \t")", R"("\u00e9")", "\"\xc3\xa9\"", R"("\ud83d\ude00")",
               "\"\xf0\x9f\x98\x80\"", R"("\u00E9\uD83D\uDE00")", "\"\x7f\""},
              {R"("\x41")", R"("\ud83d")", R"("\ude00")", "\"a\nb\"", "\"\x01\"", R"("\u12")", "\"\xff\"", "\"\xc3\"",
               "\"\xed\xa0\x80\"", R"("a)", "'a'"});
}

TEST(JsonSchema, LengthsCountCodePoints) {
  const std::string schema = R"({"type":"string","minLength":2,"maxLength":3})";
  expect_docs(schema, {R"("ab")", R"("abc")", "\"\xc3\xa9\xc3\xa9\"", R"("\u00e9\u00e9\u00e9")", R"("a\ud83d\ude00")", R"("\n\t")"},
              {R"("a")", R"("abcd")", "\"\xc3\xa9\"", R"("\ud83d\ude00")", R"("\"\"\"\"")"});
}

TEST(JsonSchema, ObjectsPropertiesInSchemaOrder) {
  const std::string schema =
      R"({"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"tag":{"type":"boolean"}},"required":["name"],"additionalProperties":false})";
  expect_docs(schema,
              {R"({"name":"x"})", R"({"name": "x", "age": 3})", R"({"name":"x","tag":true})", R"({"name":"x","age":3,"tag":false})",
               "{\n  \"name\": \"x\",\n  \"age\": 3\n}", R"({"\u006eame":"x"})"},
              {R"({})", R"({"age":3})", R"({"age":3,"name":"x"})", R"({"name":"x","other":1})", R"({"name":"x",})",
               R"({"name":"x" "age":3})", R"({,"name":"x"})", R"({"name":1})"});
}

TEST(JsonSchema, AdditionalPropertiesSchemaExcludesListedNames) {
  const std::string schema = R"({"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":{"type":"string"}})";
  expect_docs(schema, {R"({})", R"({"a":1})", R"({"a":1,"b":"x"})", R"({"b":"x","c":"y"})", R"({"ab":"x"})", R"({"":"x"})"},
              {R"({"b":1})", R"({"a":"x"})", R"({"b":"x","a":1})", R"({"\u0061":"x"})"});
  // Absent additionalProperties allows any other member.
  expect_docs(R"({"type":"object","properties":{"a":{"type":"integer"}}})", {R"({"a":1,"z":[1,{"q":null}]})"}, {R"({"a":1,"a":"x"})"});
}

TEST(JsonSchema, RequiredPropertyNotListed) {
  expect_docs(R"({"type":"object","required":["id"]})", {R"({"id":1})", R"({"id":"x","more":true})"}, {R"({})", R"({"more":1})"});
  EXPECT_NE(compile_error(R"({"type":"object","required":["id"],"additionalProperties":false})").find("no JSON value"), std::string::npos);
}

TEST(JsonSchema, MinMaxProperties) {
  const std::string schema =
      R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"additionalProperties":{"type":"integer"},"minProperties":1,"maxProperties":2})";
  expect_docs(schema, {R"({"a":1})", R"({"b":1})", R"({"x":1})", R"({"a":1,"b":2})", R"({"a":1,"x":2})", R"({"x":1,"y":2})"},
              {R"({})", R"({"a":1,"b":2,"x":3})", R"({"x":1,"y":2,"z":3})"});
}

TEST(JsonSchema, PatternProperties) {
  const std::string schema =
      R"({"type":"object","properties":{"id":{"type":"integer"}},"patternProperties":{"^x-":{"type":"string"}},"additionalProperties":false})";
  expect_docs(schema, {R"({"id":1})", R"({"id":1,"x-a":"v"})", R"({"x-a":"v","x-b":"w"})"}, {R"({"y":"v"})", R"({"x-a":1})"});
  EXPECT_NE(compile_error(R"({"patternProperties":{"^a":{"type":"string"}}})").find("patternProperties"), std::string::npos);
}

TEST(JsonSchema, Arrays) {
  expect_docs(R"({"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":3})", {"[1]", "[1, 2]", "[ 1 ,2,3 ]"},
              {"[]", "[1,2,3,4]", "[1,]", "[,1]", "[\"a\"]"});
  expect_docs(R"({"type":"array","prefixItems":[{"type":"string"},{"type":"integer"}],"items":false})",
              {"[]", R"(["a"])", R"(["a",1])"}, {R"([1])", R"(["a",1,2])"});
  expect_docs(R"({"type":"array","items":[{"type":"string"}],"additionalItems":{"type":"boolean"},"minItems":2})",
              {R"(["a",true])", R"(["a",true,false])"}, {R"(["a"])", R"(["a",1])"});
  expect_docs(R"({"type":"array"})", {"[]", R"([1,"a",{"b":[null]}])"}, {"[", "[1 2]"});
}

TEST(JsonSchema, LargeItemCountsUseLogarithmicRules) {
  Grammar g = compile(R"({"type":"array","items":{"type":"integer"},"minItems":300,"maxItems":1000})");
  EXPECT_LT(g.rules.size(), 200u);
  IrRecognizer rec(g);
  auto array_of = [](int n) {
    std::string s = "[";
    for (int i = 0; i < n; ++i) s += (i ? ",1" : "1");
    return s + "]";
  };
  for (int n : {300, 301, 511, 512, 999, 1000}) EXPECT_TRUE(rec.accepts(array_of(n))) << n;
  for (int n : {0, 299, 1001}) EXPECT_FALSE(rec.accepts(array_of(n))) << n;
}

TEST(JsonSchema, UniqueItemsRefusedUnlessTrivial) {
  EXPECT_NE(compile_error(R"({"type":"array","uniqueItems":true})").find("uniqueItems"), std::string::npos);
  expect_docs(R"({"type":"array","uniqueItems":true,"maxItems":1})", {"[]", "[1]"}, {"[1,2]"});
}

TEST(JsonSchema, EnumAndConst) {
  expect_docs(R"({"enum":["red","green",1,null,[1,"a"],{"k":true}]})",
              {R"("red")", R"("gr\u0065en")", "1", "1.0", "null", R"([1,"a"])", R"({"k": true})"},
              {R"("blue")", "2", R"([1])", R"({"k":false})", "true"});
  expect_docs(R"({"const":0})", {"0", "-0", "0.00"}, {"1", "0.1"});
  expect_docs(R"({"type":"string","enum":["a","bb",3],"maxLength":1})", {R"("a")"}, {R"("bb")", "3"});
}

TEST(JsonSchema, AnyOfOneOfAllOf) {
  expect_docs(R"({"anyOf":[{"type":"string"},{"type":"integer","minimum":5}]})", {R"("x")", "5", "7"}, {"4", "null"});
  expect_docs(R"({"oneOf":[{"type":"string"},{"type":"integer"}]})", {R"("x")", "5"}, {"null"});
  expect_docs(R"({"oneOf":[{"type":"object","properties":{"kind":{"const":"a"},"x":{"type":"integer"}},"required":["kind"]},
                           {"type":"object","properties":{"kind":{"const":"b"}},"required":["kind"]}]})",
              {R"({"kind":"a","x":1})", R"({"kind":"b"})"}, {R"({"kind":"c"})", R"({"x":1})"});
  EXPECT_NE(compile_error(R"({"oneOf":[{"type":"integer"},{"type":"number"}]})").find("oneOf"), std::string::npos);
  // Overlapping branches that negate: each branch and not the others (exactly one must match).
  expect_docs(R"({"oneOf":[{"required":["a"]},{"required":["b"]}]})", {R"({"a":1})", R"({"b":2})", R"({"a":1,"c":3})"},
              {R"({"a":1,"b":2})", "{}", R"("x")", "1"});
  expect_docs(R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"}},"oneOf":[{"required":["a"]},{"required":["b"]}]})",
              {R"({"a":1})", R"({"b":"x"})"}, {R"({"a":1,"b":"x"})", "{}", R"({"a":"x"})"});
  expect_docs(R"({"oneOf":[{"type":"string"},{"not":{"type":"null"}}]})", {"1", "{}", "true"}, {R"("x")", "null"});
  expect_docs(R"({"allOf":[{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]},
                           {"properties":{"b":{"type":"string"}},"required":["b"]}]})",
              {R"({"a":1,"b":"x"})"}, {R"({"a":1})", R"({"b":"x"})"});
  // additionalProperties of one side constrains the other side's properties.
  expect_docs(R"({"allOf":[{"properties":{"a":{"type":"integer"}},"additionalProperties":false},
                           {"properties":{"b":{"type":"integer"}}}]})",
              {R"({"a":1})", "{}"}, {R"({"a":1,"b":2})", R"({"b":2})"});
  expect_docs(R"({"allOf":[{"type":"integer","minimum":0},{"maximum":10},{"type":["integer","string"]}]})", {"0", "10"}, {"-1", "11", R"("a")"});
  EXPECT_NE(compile_error(R"({"allOf":[{"pattern":"a"},{"pattern":"b"}]})").find("pattern"), std::string::npos);
}

TEST(JsonSchema, RefsIncludingRecursion) {
  const std::string tree = R"({"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},
      "kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["v"],"additionalProperties":false}},
      "$ref":"#/$defs/node"})";
  expect_docs(tree, {R"({"v":1})", R"({"v":1,"kids":[{"v":2},{"v":3,"kids":[]}]})"}, {R"({"v":1,"kids":[{}]})"});
  expect_docs(R"({"type":"object","properties":{"next":{"$ref":"#"}},"additionalProperties":false})",
              {"{}", R"({"next":{"next":{}}})"}, {R"({"next":1})"});
  expect_docs(R"({"definitions":{"a/b":{"type":"integer"},"c%d":{"type":"string"}},"properties":{"x":{"$ref":"#/definitions/a~1b"},
      "y":{"$ref":"#/definitions/c%25d"}},"type":"object"})",
              {R"({"x":1,"y":"s"})"}, {R"({"x":"s"})", R"({"y":1})"});
  EXPECT_NE(compile_error(R"({"$ref":"http://example.com/s.json"})").find("$ref"), std::string::npos);
  EXPECT_NE(compile_error(R"({"$ref":"#/nothing"})").find("points to nothing"), std::string::npos);
}

TEST(JsonSchema, PatternSearchSemanticsOnDecodedString) {
  expect_docs(R"({"type":"string","pattern":"b+"})", {R"("abbc")", R"("b")", R"("\u0062")"}, {R"("ac")", R"("")"});
  expect_docs(R"({"type":"string","pattern":"^a\\d{2}$"})", {R"("a12")", R"("\u006112")"}, {R"("a1")", R"("xa12")", R"("a123")"});
  expect_docs(R"({"type":"string","pattern":"^[a-z]+$","maxLength":3})", {R"("ab")", R"("abc")"}, {R"("abcd")", R"("")"});
  expect_docs(R"({"type":"string","pattern":"^\"$"})", {R"("\"")", R"("\u0022")"}, {R"("a")"});
  EXPECT_NE(compile_error(R"({"type":"string","pattern":"(a)\\1"})").find("backreference"), std::string::npos);
}

TEST(JsonSchema, Formats) {
  expect_docs(R"({"type":"string","format":"date"})", {R"("2024-02-29")", R"("2000-02-29")", R"("2023-12-31")"},
              {R"("2023-02-29")", R"("1900-02-29")", R"("2023-04-31")", R"("2023-13-01")", R"("2023-1-01")"});
  expect_docs(R"({"type":"string","format":"date-time"})",
              {R"("2024-01-02T03:04:05Z")", R"("2024-01-02t03:04:05.123+05:30")", R"("2024-01-02T03:04:05-0800")", R"("2016-12-31T23:59:60Z")"},
              {R"("2024-01-02T03:04:05")", R"("2024-01-02 03:04:05Z")", R"("2024-01-02T24:00:00Z")", R"("2024-01-02T03:04:05+24:00")"});
  expect_docs(R"({"type":"string","format":"email"})", {R"("a.b+c@ex-ample.com")"}, {R"("a@b")", R"("a..b@c.com")", R"("@c.com")"});
  expect_docs(R"({"type":"string","format":"uuid"})", {R"("123e4567-e89b-12d3-a456-426614174000")", R"("urn:uuid:123E4567-E89B-12D3-A456-426614174000")"},
              {R"("123e4567e89b12d3a456426614174000")"});
  expect_docs(R"({"type":"string","format":"ipv4"})", {R"("192.168.0.1")", R"("0.0.0.0")"}, {R"("256.1.1.1")", R"("01.1.1.1")", R"("1.1.1")"});
  expect_docs(R"({"type":"string","format":"ipv6"})", {R"("::")", R"("::1")", R"("1:2:3:4:5:6:7:8")", R"("fe80::1:2")", R"("::ffff:1.2.3.4")", R"("1:2:3:4:5:6:7::")"},
              {R"("1:2:3:4:5:6:7:8:9")", R"("1::2::3")", R"("12345::")"});
  expect_docs(R"({"type":"string","format":"hostname"})", {R"("example.com")", R"("a-b.c.")"}, {R"("-a.com")", R"("a_b.com")"});
  EXPECT_NE(compile_error(R"({"type":"string","format":"uri-template"})").find("uri-template"), std::string::npos);
  expect_docs(R"({"type":"string","format":"made-up"})", {R"("anything")"}, {"1"});
}

TEST(JsonSchema, NumberBounds) {
  expect_docs(R"({"type":"integer","minimum":-5,"maximum":120})", {"-5", "0", "-0", "99", "120", "7.0"}, {"-6", "121", "1000", "-10"});
  expect_docs(R"({"type":"integer","exclusiveMinimum":0})", {"1", "25"}, {"0", "-0", "-1"});
  expect_docs(R"({"type":"integer","minimum":0.5,"maximum":2.5})", {"1", "2"}, {"0", "3"});
  expect_docs(R"({"type":"number","minimum":0,"maximum":1})", {"0", "-0", "0.5", "1", "1.000", "0.0001"}, {"-0.1", "1.0001", "2"});
  expect_docs(R"({"type":"number","exclusiveMinimum":-1.5,"exclusiveMaximum":2.25})", {"-1.4999", "0", "2.2499", "2.24"},
              {"-1.5", "-2", "2.25", "2.250", "3"});
  expect_docs(R"({"type":"integer","multipleOf":5,"minimum":0,"maximum":20})", {"0", "5", "20", "15.0"}, {"3", "25", "-5"});
  EXPECT_NE(compile_error(R"({"type":"number","multipleOf":0.01})").find("multipleOf"), std::string::npos);
}

TEST(JsonSchema, BooleanSchemasAndAnnotations) {
  expect_docs("true", {"1", R"({"a":[]})"}, {"", "{"});
  EXPECT_FALSE(json_schema_grammar(nlohmann::ordered_json::parse("false")).ok());
  expect_docs(R"({"title":"t","description":"d","examples":[1],"default":2,"$comment":"c","deprecated":true,"type":"integer"})", {"1"}, {"\"a\""});
}

TEST(JsonSchema, RefusedKeywordsAreNamed) {
  for (const char* kw : {"contains", "propertyNames", "unevaluatedProperties"}) {
    const std::string schema = std::string(R"({")") + kw + R"(":{"type":"string"}})";
    EXPECT_NE(compile_error(schema).find(std::string("'") + kw + "'"), std::string::npos) << kw;
  }
  EXPECT_NE(compile_error(R"({"if":{"type":"string"},"then":{"minLength":2}})").find("'if'"), std::string::npos);
  // `not` forms whose negation is no schema the front end has (schema_not.cc) stay refused by name.
  for (const char* schema : {R"({"not":{"type":"string","minLength":2}})", R"({"properties":{"a":{"not":{"pattern":"x"}}}})",
                             R"({"not":{"type":"integer"}})", R"({"not":{"const":true}})", R"({"not":{"enum":["a"]}})",
                             R"({"not":{"anyOf":[{"type":"string"},{"maximum":3}]}})"}) {
    EXPECT_NE(compile_error(schema).find("'not'"), std::string::npos) << schema;
  }
  // Keywords that change nothing in their context pass: not false, if alone, empty dependencies.
  expect_docs(R"({"type":"integer","not":false,"if":{"minimum":3},"dependencies":{},"propertyNames":true})", {"1"}, {"\"a\""});
}

TEST(JsonSchema, NotForms) {
  // not {not S} is S, with the schema's own keywords.
  expect_docs(R"({"not":{"not":{"type":"integer","minimum":3}}})", {"3", "10"}, {"2", "\"a\"", "null"});
  expect_docs(R"({"maximum":5,"not":{"not":{"type":"integer"}}})", {"3", "5"}, {"6", "2.5", "true"});
  // not true / not {}: nothing (here under an optional property, which then cannot appear).
  expect_docs(R"({"properties":{"a":{"not":{}},"b":{"not":true}}})", {"{}", R"({"c":1})"}, {R"({"a":1})", R"({"b":null})"});
  // not {type}: the other types; number also removes integer.
  expect_docs(R"({"not":{"type":["string","object"]}})", {"1", "2.5", "null", "true", "[1]"}, {"\"a\"", "{}"});
  expect_docs(R"({"not":{"type":"number"}})", {"null", "\"1\"", "{}"}, {"1", "2.5", "-0"});
  expect_docs(R"({"type":["string","integer"],"not":{"type":"integer"}})", {"\"a\""}, {"1"});
  expect_docs(R"({"type":["string","null"],"not":{"type":"null"}})", {"\"a\""}, {"null"});
  // nullable is folded into the types first, so not {type: null} removes it too.
  expect_docs(R"({"type":"string","nullable":true,"not":{"type":"null"}})", {"\"a\""}, {"null"});
  // not {enum/const} of null or both booleans.
  expect_docs(R"({"type":["boolean","null","integer"],"not":{"enum":[null]}})", {"true", "1"}, {"null"});
  expect_docs(R"({"not":{"enum":[true,false]}})", {"1", "null"}, {"true", "false"});
  // not {required}: an object without one of the names; every other type is rejected.
  expect_docs(R"({"properties":{"a":{"type":"integer"}},"not":{"required":["a"]}})", {"{}", R"({"b":1})"},
              {R"({"a":1})", "\"s\"", "1"});
  expect_docs(R"({"not":{"required":["a","b"]}})", {"{}", R"({"a":1})", R"({"b":1})"}, {R"({"a":1,"b":2})", "[]"});
  EXPECT_NE(compile_error(R"({"type":"object","not":{"required":[]}})").find("no JSON value"), std::string::npos);
  // not {anyOf} and not {allOf} by De Morgan, through a $ref.
  expect_docs(R"({"$defs":{"s":{"type":"string"}},"not":{"anyOf":[{"$ref":"#/$defs/s"},{"type":"null"}]}})", {"1", "[]"},
              {"\"a\"", "null"});
  expect_docs(R"({"not":{"allOf":[{"not":{"type":"string"}},{"not":{"type":"null"}}]}})", {"\"a\"", "null"}, {"1", "{}"});
}

TEST(JsonSchema, Dependencies) {
  // Array form: a present needs b; every non-object passes.
  expect_docs(R"({"dependencies":{"a":["b"]}})", {"{}", R"({"b":1})", R"({"a":1,"b":2})", R"("x")", "1"},
              {R"({"a":1})", R"({"a":1,"c":2})"});
  expect_docs(R"({"properties":{"a":{},"b":{},"c":{}},"additionalProperties":false,"dependentRequired":{"a":["b","c"],"c":["b"]}})",
              {"{}", R"({"b":1})", R"({"a":1,"b":2,"c":3})", R"({"b":1,"c":2})"}, {R"({"a":1,"b":2})", R"({"c":1})", R"({"a":1})"});
  // Schema form: a present needs the schema to hold too.
  expect_docs(R"({"properties":{"a":{},"c":{}},"dependencies":{"a":{"required":["c"],"properties":{"c":{"type":"integer"}}}}})",
              {"{}", R"({"a":1,"c":2})", R"({"c":"x"})", "[]"}, {R"({"a":1})", R"({"a":1,"c":"x"})"});
  expect_docs(R"({"type":"object","dependentSchemas":{"a":false}})", {"{}", R"({"b":1})"}, {R"({"a":1})"});
  EXPECT_NE(compile_error(R"({"dependentRequired":{"a":{"type":"string"}}})").find("dependentRequired"), std::string::npos);
}

TEST(JsonSchema, LimitsAreEnforced) {
  SchemaOptions tight;
  tight.limits.max_depth = 4;
  EXPECT_NE(compile_error(R"({"items":{"items":{"items":{"items":{"items":{"items":{}}}}}}})", tight).find("max_depth"), std::string::npos);
  tight = {};
  tight.limits.max_repeat = 100;
  EXPECT_NE(compile_error(R"({"type":"string","maxLength":101})", tight).find("max_repeat"), std::string::npos);
  tight = {};
  tight.limits.max_rules = 50;
  std::string big = R"({"type":"object","properties":{)";
  for (int i = 0; i < 100; ++i) big += (i ? "," : "") + std::string("\"p") + std::to_string(i) + R"(":{"type":"integer"})";
  big += "}}";
  EXPECT_NE(compile_error(big, tight).find("max_rules"), std::string::npos);
  tight = {};
  tight.limits.max_schema_bytes = 100;
  EXPECT_NE(compile_error(big, tight).find("max_schema_bytes"), std::string::npos);
  // A self-referencing allOf ends at the depth limit instead of looping.
  EXPECT_NE(compile_error(R"({"$defs":{"a":{"allOf":[{"$ref":"#/$defs/a"}],"type":"object"}},"$ref":"#/$defs/a"})").find("max_depth"), std::string::npos);
}

TEST(JsonSchema, WhitespaceIsBounded) {
  SchemaOptions options;
  options.max_whitespace_run = 5;
  Grammar g = compile(R"({"type":"array","items":{"type":"integer"}})", options);
  IrRecognizer rec(g);
  EXPECT_TRUE(rec.accepts("[\n    1,\n    2\n]\n"));
  EXPECT_FALSE(rec.accepts("[      1]"));
  EXPECT_FALSE(rec.accepts("[1]      "));
}

TEST(JsonSchema, JsonObjectGrammar) {
  Grammar g = json_object_grammar();
  IrRecognizer rec(g);
  EXPECT_TRUE(rec.accepts(R"({})"));
  EXPECT_TRUE(rec.accepts(R"({"a": [1, 2.5, "x", null, true, {"b": {}}]})"));
  EXPECT_FALSE(rec.accepts(R"([])"));
  EXPECT_FALSE(rec.accepts(R"({"a":})"));
  EXPECT_FALSE(rec.accepts(R"({"a":1,})"));
}

TEST(JsonSchema, FunctionGemmaSyntax) {
  SchemaOptions options;
  options.syntax.kind = ValueSyntax::Kind::kFunctionGemma;
  options.syntax.escape_token = 47;
  Grammar g;
  auto rule = add_json_schema_rule(g, nlohmann::ordered_json::parse(R"({"type":"object","properties":{"city":{"type":"string"},
      "n":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"}}},"required":["city"]})"), options);
  ASSERT_TRUE(rule.ok()) << rule.error();
  g.start = *rule;
  IrRecognizer rec(g);
  auto units = [](const std::string& text) {
    std::vector<int> out;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text.compare(i, 3, "<E>") == 0) {
        out.push_back(256 + 47);
        i += 2;
      } else {
        out.push_back(static_cast<uint8_t>(text[i]));
      }
    }
    return out;
  };
  EXPECT_TRUE(rec.accepts_units(units("{city:<E>Paris \"x\"<E>}")));
  EXPECT_TRUE(rec.accepts_units(units("{city:<E><E>,n:3,tags:[<E>a<E>,<E>b<E>]}")));
  EXPECT_FALSE(rec.accepts_units(units("{city:\"Paris\"}")));
  EXPECT_FALSE(rec.accepts_units(units("{city:<escape>Paris<escape>}")));
  EXPECT_FALSE(rec.accepts_units(units("{n:3}")));
  EXPECT_FALSE(rec.accepts_units(units("{ city:<E>P<E>}")));
}

}  // namespace
}  // namespace gemma3::grammar
