// Fuzz target: the tool-call side of a request and of the model's reply. The first byte picks:
//   0-2  an output parser (FunctionGemma, JSON calls, passthrough) for a fixed two-tool request,
//        fed the rest as the model's output text, whole and then in chunks of input-derived sizes;
//   3    parse_tool_request on the rest as a request body (tools, tool_choice, parallel_tool_calls).
// Checked: feeding in chunks gives the same content and calls as feeding at once; every call names
// a tool of the request and its arguments are a JSON object; passthrough returns the text exactly;
// content is never longer than the text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_support.h"
#include "toolcall/parsers.h"
#include "toolcall/tool_request.h"

using namespace gemma3;
using namespace gemma3::toolcall;

namespace {

const ToolRequest& two_tools() {
  static const ToolRequest r = [] {
    const auto body = nlohmann::json::parse(R"({"tools": [
      {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}, "required": ["city"]}}},
      {"type": "function", "function": {"name": "add", "parameters": {"type": "object",
        "properties": {"a": {"type": "number"}, "b": {"type": "number"}}}}}],
      "tool_choice": "auto", "parallel_tool_calls": true})");
    auto parsed = parse_tool_request(body);
    if (const auto* e = std::get_if<FieldError>(&parsed)) {
      std::fprintf(stderr, "toolcall_fuzz: %s\n", e->message.c_str());
      std::abort();
    }
    return std::get<ToolRequest>(parsed);
  }();
  return r;
}

std::unique_ptr<ToolCallParser> make(uint8_t kind) {
  switch (kind) {
    case 0: return make_functiongemma_parser(two_tools());
    case 1: return make_json_call_parser(two_tools());
    default: return make_passthrough_parser();
  }
}

struct Outcome {
  std::string content;
  std::vector<ParsedCall> calls;
};

// Feeds `text` in chunks (sizes from `seed`; 0 = all at once), then finish().
Outcome run(uint8_t kind, std::string_view text, uint32_t seed, bool truncated) {
  auto parser = make(kind);
  std::vector<ParserEvent> events;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t n = text.size() - pos;
    if (seed != 0) {
      seed = seed * 1103515245u + 12345u;
      n = std::min<size_t>(n, 1 + (seed >> 16) % 9);
    }
    parser->feed(text.substr(pos, n), events);
    pos += n;
  }
  parser->finish(truncated, events);
  Outcome o;
  for (const ParserEvent& e : events) {
    if (e.kind == ParserEvent::Kind::kContent) o.content += e.content;
    else o.calls.push_back(e.call);
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)two_tools();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t kind = data[0] % 4;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (kind == 3) {
    const auto body = nlohmann::json::parse(text, nullptr, false);
    if (!body.is_object()) return 0;
    auto parsed = parse_tool_request(body);
    if (const auto* e = std::get_if<FieldError>(&parsed)) {
      G3_FUZZ_CHECK(!e->param.empty() && !e->message.empty(), "a tool request error without param or message");
    } else {
      const ToolRequest& r = std::get<ToolRequest>(parsed);
      for (const Tool& t : r.tools) G3_FUZZ_CHECK(is_valid_function_name(t.name), "tool name '%s' accepted", t.name.c_str());
      if (r.choice.kind == ToolChoice::Kind::kNamed) G3_FUZZ_CHECK(r.find(r.choice.name) != nullptr, "named tool_choice not a tool");
    }
    return 0;
  }
  const bool truncated = (data[0] & 0x80) != 0;
  const Outcome whole = run(kind, text, 0, truncated);
  const Outcome chunked = run(kind, text, 1u + data[0], truncated);
  G3_FUZZ_CHECK(whole.content == chunked.content, "chunked content differs (%zu vs %zu bytes)", whole.content.size(),
                chunked.content.size());
  G3_FUZZ_CHECK(whole.calls.size() == chunked.calls.size(), "chunked calls differ in number");
  for (size_t i = 0; i < whole.calls.size(); ++i) {
    G3_FUZZ_CHECK(whole.calls[i].name == chunked.calls[i].name && whole.calls[i].arguments_json == chunked.calls[i].arguments_json,
                  "chunked call %zu differs", i);
  }
  G3_FUZZ_CHECK(whole.content.size() <= text.size(), "more content than text");
  if (kind == 2) G3_FUZZ_CHECK(whole.content == text && whole.calls.empty(), "passthrough changed the text");
  for (const ParsedCall& c : whole.calls) {
    G3_FUZZ_CHECK(two_tools().find(c.name) != nullptr, "a call to '%s', not a tool", c.name.c_str());
    const auto args = nlohmann::json::parse(c.arguments_json, nullptr, false);
    G3_FUZZ_CHECK(args.is_object(), "arguments are not a JSON object: %s", c.arguments_json.c_str());
  }
  return 0;
}
