// The tool-call constraints with the real Gemma 3 vocabulary (262k tokens): random walks through the
// mask always end in calls that the format's own parser reads back, to a function of the request,
// with arguments valid against its schema (checked by a small independent validator below).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "grammar/matcher.h"
#include "grammar/token_table.h"
#include "tokenizer/tokenizer.h"
#include "toolcall/fg_syntax.h"
#include "toolcall/tool_format.h"

namespace gemma3::toolcall {
namespace {

using json = nlohmann::ordered_json;

// The JSON Schema subset the test tools use.
bool valid(const json& v, const json& s) {
  if (s.contains("enum")) {
    bool found = false;
    for (const auto& e : s["enum"]) found = found || e == v;
    if (!found) return false;
  }
  std::string type = s.value("type", "");
  if (type == "object") {
    if (!v.is_object()) return false;
    for (const auto& r : s.value("required", json::array()))
      if (!v.contains(r.get<std::string>())) return false;
    const json props = s.value("properties", json::object());
    for (const auto& [k, item] : v.items()) {
      if (props.contains(k)) {
        if (!valid(item, props[k])) return false;
      } else if (s.value("additionalProperties", json(true)) == json(false)) {
        return false;
      }
    }
    return true;
  }
  if (type == "array") {
    if (!v.is_array()) return false;
    if (s.contains("minItems") && v.size() < s["minItems"].get<size_t>()) return false;
    if (s.contains("maxItems") && v.size() > s["maxItems"].get<size_t>()) return false;
    for (const auto& item : v)
      if (s.contains("items") && !valid(item, s["items"])) return false;
    return true;
  }
  if (type == "string") {
    if (!v.is_string()) return false;
    size_t chars = 0;   // maxLength counts code points
    for (unsigned char ch : v.get<std::string>()) chars += (ch & 0xC0) != 0x80;
    if (s.contains("maxLength") && chars > s["maxLength"].get<size_t>()) return false;
    return true;
  }
  if (type == "integer") {   // JSON Schema: any number with a zero fractional part (7.0 too)
    if (!v.is_number() || v.get<double>() != std::floor(v.get<double>())) return false;
    if (s.contains("minimum") && v.get<double>() < s["minimum"].get<double>()) return false;
    if (s.contains("maximum") && v.get<double>() > s["maximum"].get<double>()) return false;
    return true;
  }
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  return true;
}

ToolRequest test_request(ToolChoice::Kind kind, bool parallel) {
  json body = json::parse(R"({"tools": [
    {"type": "function", "function": {"name": "get_weather", "description": "Weather now",
      "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "maxLength": 12},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer", "minimum": 1, "maximum": 7}},
      "required": ["city", "unit"], "additionalProperties": false}}},
    {"type": "function", "function": {"name": "set_flags",
      "parameters": {"type": "object", "properties": {
        "flags": {"type": "array", "items": {"type": "boolean"}, "minItems": 1, "maxItems": 3},
        "ratio": {"type": "number"}},
      "required": ["flags"], "additionalProperties": false}}},
    {"type": "function", "function": {"name": "now"}}]})");
  body["parallel_tool_calls"] = parallel;
  if (kind == ToolChoice::Kind::kNamed) body["tool_choice"] = {{"type", "function"}, {"function", {{"name", "set_flags"}}}};
  if (kind == ToolChoice::Kind::kRequired) body["tool_choice"] = "required";
  auto r = parse_tool_request(body);
  return std::get<ToolRequest>(r);
}

struct Vocab {
  std::unique_ptr<Tokenizer> tokenizer;
  std::shared_ptr<const grammar::TokenTable> gemma;   // Gemma 3's: FunctionGemma's markers are text
  std::shared_ptr<const grammar::TokenTable> fg;      // the same with ids 46-52 as FunctionGemma's special markers
};

const Vocab& vocab() {
  static Vocab* v = [] {
    auto* out = new Vocab;
    auto tok = Tokenizer::load(GEMMA3_TOKENIZER_DIR);
    EXPECT_TRUE(tok.ok());
    out->tokenizer = std::move(*tok);
    out->gemma = grammar::build_token_table(*out->tokenizer);
    std::vector<std::string> bytes(static_cast<size_t>(out->gemma->vocab_size()));
    std::vector<int32_t> special;
    for (int32_t id = 0; id < out->gemma->vocab_size(); ++id) {
      if (out->gemma->is_special(id) || (id >= 46 && id <= 52)) special.push_back(id);
      else bytes[static_cast<size_t>(id)] = out->gemma->bytes(id);
    }
    out->fg = grammar::TokenTable::from_bytes(std::move(bytes), std::move(special));
    return out;
  }();
  return *v;
}

// A random walk through the constraint's masks until an end token is allowed and chosen; returns the
// output text as the engine would show it (FunctionGemma's markers visible), or nullopt if it ran long.
std::optional<std::string> walk(const OutputConstraint& c, const grammar::TokenTable& table, std::mt19937& rng) {
  grammar::Matcher m(c.grammar, c.end_ids);
  std::vector<uint32_t> mask(grammar::mask_words(table));
  std::string text;
  auto emit = [&](int32_t id) {
    if (id >= 46 && id <= 52 && table.is_special(id)) text += kFgMarkers[id - 46];
    else text += table.bytes(id);
  };
  std::set<int32_t> ends(c.end_ids.begin(), c.end_ids.end());
  if (c.lazy) {
    int32_t first = c.trigger_tokens[rng() % c.trigger_tokens.size()];
    EXPECT_TRUE(m.accept(first));
    emit(first);
  }
  for (int step = 0; step < 400; ++step) {
    m.fill_mask(mask);
    std::vector<int32_t> allowed, closing;
    bool end_allowed = false;
    for (size_t w = 0; w < mask.size(); ++w)
      for (uint32_t bits = mask[w]; bits != 0; bits &= bits - 1) {
      const int32_t id = static_cast<int32_t>(w * 32 + static_cast<size_t>(__builtin_ctz(bits)));
      if (ends.count(id)) {
        end_allowed = true;
        continue;
      }
      allowed.push_back(id);
      const std::string& b = table.bytes(id);
      if (!b.empty() && (b[0] == '"' || b[0] == '}' || b[0] == ']' || b.find("<escape>") == 0 || b[0] == '<')) closing.push_back(id);
      if (table.is_special(id)) closing.push_back(id);
    }
    EXPECT_EQ(end_allowed, m.is_complete());
    if (end_allowed && (allowed.empty() || rng() % 2 == 0)) return text;
    EXPECT_FALSE(allowed.empty()) << "dead end after: " << text;
    if (allowed.empty()) return std::nullopt;
    const auto& pool = !closing.empty() && rng() % 10 < 6 ? closing : allowed;
    int32_t id = pool[rng() % pool.size()];
    EXPECT_TRUE(m.accept(id));
    emit(id);
  }
  return std::nullopt;
}

void check_walks(const ToolFormat& format, const grammar::TokenTable& table, ToolChoice::Kind kind, bool parallel,
                 int n_walks) {
  ToolRequest request = test_request(kind, parallel);
  auto c = format.constraint(request, std::shared_ptr<const grammar::TokenTable>(&table, [](auto*) {}), {1, 106});
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_NE(c->grammar, nullptr);
  EXPECT_EQ(c->lazy, kind == ToolChoice::Kind::kAuto);
  std::mt19937 rng(static_cast<unsigned>(kind) * 10 + parallel);
  int finished = 0;
  for (int w = 0; w < n_walks; ++w) {
    auto text = walk(*c, table, rng);
    if (!text) continue;
    ++finished;
    auto parser = format.make_parser(request);
    std::vector<ParserEvent> events;
    parser->feed(*text, events);
    parser->finish(false, events);
    ASSERT_FALSE(events.empty()) << *text;
    size_t calls = 0;
    for (const auto& e : events) {
      ASSERT_EQ(e.kind, ParserEvent::Kind::kToolCall) << "content '" << e.content << "' in: " << *text;
      ++calls;
      const Tool* tool = request.find(e.call.name);
      ASSERT_NE(tool, nullptr) << *text;
      if (kind == ToolChoice::Kind::kNamed) EXPECT_EQ(e.call.name, "set_flags");
      json args = json::parse(e.call.arguments_json);
      EXPECT_TRUE(valid(args, tool->parameters)) << e.call.arguments_json << " vs " << tool->parameters.dump();
    }
    if (!parallel) EXPECT_EQ(calls, 1u) << *text;
  }
  EXPECT_GE(finished, 1);
}

std::shared_ptr<const ToolFormat> format_named(const std::string& name) {
  auto f = choose_tool_format("", *vocab().tokenizer, name);
  EXPECT_TRUE(f.ok());
  return *f;
}

TEST(CallGrammar, JsonFormatWalksGiveValidCalls) {
  auto f = format_named("json");
  for (auto kind : {ToolChoice::Kind::kRequired, ToolChoice::Kind::kNamed, ToolChoice::Kind::kAuto})
    for (bool parallel : {false, true}) check_walks(*f, *vocab().gemma, kind, parallel, 4);
}

TEST(CallGrammar, FunctionGemmaWithTextMarkersWalksGiveValidCalls) {
  auto f = format_named("functiongemma");   // Gemma 3's vocabulary has no marker tokens
  EXPECT_TRUE(f->visible_special_ids().empty());
  for (auto kind : {ToolChoice::Kind::kRequired, ToolChoice::Kind::kAuto})
    for (bool parallel : {false, true}) check_walks(*f, *vocab().gemma, kind, parallel, 3);
}

TEST(CallGrammar, FunctionGemmaWithMarkerTokensWalksGiveValidCalls) {
  auto f = functiongemma_format({46, 47, 48, 49, 50, 51, 52});   // FunctionGemma's vocabulary
  EXPECT_EQ(f->visible_special_ids(), (std::vector<int32_t>{46, 47, 48, 49, 50, 51, 52}));
  for (auto kind : {ToolChoice::Kind::kRequired, ToolChoice::Kind::kNamed, ToolChoice::Kind::kAuto})
    for (bool parallel : {false, true}) check_walks(*f, *vocab().fg, kind, parallel, 4);
  ToolRequest autoreq = test_request(ToolChoice::Kind::kAuto, true);
  auto c = f->constraint(autoreq, vocab().fg, {1, 106});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->trigger_tokens, (std::vector<int32_t>{48}));
  EXPECT_FALSE(c->trigger_at_start_only);
  EXPECT_EQ(c->end_ids, (std::vector<int32_t>{1, 106, 50}));
}

TEST(CallGrammar, TriggersAndEndIds) {
  ToolRequest autoreq = test_request(ToolChoice::Kind::kAuto, true);
  auto j = format_named("json")->constraint(autoreq, vocab().gemma, {1, 106});
  ASSERT_TRUE(j.ok()) << j.error();
  EXPECT_TRUE(j->trigger_at_start_only);
  EXPECT_EQ(j->end_ids, (std::vector<int32_t>{1, 106}));
  ASSERT_FALSE(j->trigger_tokens.empty());
  for (int32_t id : j->trigger_tokens) {
    const std::string& b = vocab().gemma->bytes(id);
    EXPECT_TRUE(b[0] == '{' || b[0] == '[') << b;
  }
  ToolRequest none = test_request(ToolChoice::Kind::kAuto, true);
  none.choice.kind = ToolChoice::Kind::kNone;
  auto n = format_named("json")->constraint(none, vocab().gemma, {1, 106});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->grammar, nullptr);
}

TEST(CallGrammar, UnsupportedSchemaNamesTheTool) {
  ToolRequest r = test_request(ToolChoice::Kind::kRequired, true);
  r.tools[1].parameters = json::parse(R"({"type": "object", "properties": {"a": {"type": "array", "uniqueItems": true}}})");
  auto c = format_named("json")->constraint(r, vocab().gemma, {1});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().find("tools[1].function.parameters"), std::string::npos) << c.error();
}

}  // namespace
}  // namespace gemma3::toolcall
