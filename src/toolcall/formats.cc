// The two formats (see tool_format.h) and choose_tool_format.
#include <algorithm>
#include <array>

#include "grammar/token_table.h"
#include "tokenizer/tokenizer.h"
#include "toolcall/call_grammar.h"
#include "toolcall/fg_syntax.h"
#include "toolcall/json_prompt.h"
#include "toolcall/parsers.h"
#include "toolcall/tool_format.h"

namespace gemma3::toolcall {

namespace {

bool parses_calls(const ToolRequest& r) { return !r.empty() && r.choice.kind != ToolChoice::Kind::kNone; }

class FunctionGemmaFormat final : public ToolFormat {
 public:
  // `marker_ids`: kFgMarkers' ids when the vocabulary has them as special tokens, else -1.
  explicit FunctionGemmaFormat(std::array<int32_t, 7> marker_ids) : ids_(marker_ids) {}

  std::string name() const override { return "functiongemma"; }

  void prepare_chat(nlohmann::ordered_json&, nlohmann::ordered_json&, const ToolRequest&) const override {}

  Result<OutputConstraint> constraint(const ToolRequest& request, std::shared_ptr<const grammar::TokenTable> tokens,
                                      const std::vector<int32_t>& eos_ids) const override {
    CallFrame frame{CallFrame::Kind::kFunctionGemma, ids_[2], ids_[3], ids_[6]};
    std::vector<int32_t> end_ids = eos_ids;
    if (ids_[4] >= 0) end_ids.push_back(ids_[4]);   // <start_function_response>: the model awaits the result
    const int32_t start = ids_[2];
    // The start marker as one token, or (vocabularies without it) the canonical first token of its
    // text and any longer token that begins it, so that a stray "<" alone does not start a call
    // unless the tokenizer itself splits the marker that way.
    std::vector<int32_t> canonical = start >= 0 ? std::vector<int32_t>{} : tokens->encode(kFgStartCall);
    const size_t min_len = canonical.empty() ? 0 : tokens->bytes(canonical[0]).size();
    auto is_trigger = [start, min_len](int32_t id, const grammar::TokenTable& t) {
      if (start >= 0) return id == start;
      return t.bytes(id).size() >= min_len;
    };
    return build_call_constraint(request, frame, std::move(tokens), std::move(end_ids), is_trigger, false);
  }

  std::vector<int32_t> visible_special_ids() const override {
    std::vector<int32_t> out;
    for (int32_t id : ids_)
      if (id >= 0) out.push_back(id);
    return out;
  }

  std::unique_ptr<ToolCallParser> make_parser(const ToolRequest& request) const override {
    return parses_calls(request) ? make_functiongemma_parser(request) : make_passthrough_parser();
  }

 private:
  std::array<int32_t, 7> ids_;
};

class JsonFormat final : public ToolFormat {
 public:
  std::string name() const override { return "json"; }

  void prepare_chat(nlohmann::ordered_json& messages, nlohmann::ordered_json& tools, const ToolRequest& request) const override {
    if (request.empty()) return;
    rewrite_messages_for_json(messages, describe_tools_for_json(request));
    tools = nullptr;
  }

  Result<OutputConstraint> constraint(const ToolRequest& request, std::shared_ptr<const grammar::TokenTable> tokens,
                                      const std::vector<int32_t>& eos_ids) const override {
    // auto: a reply is a call only if its first token opens the JSON ('{' or '[').
    auto is_trigger = [](int32_t id, const grammar::TokenTable& t) {
      const std::string& b = t.bytes(id);
      return !t.is_special(id) && !b.empty() && (b[0] == '{' || b[0] == '[');
    };
    return build_call_constraint(request, CallFrame{}, std::move(tokens), eos_ids, is_trigger, true);
  }

  std::vector<int32_t> visible_special_ids() const override { return {}; }

  std::unique_ptr<ToolCallParser> make_parser(const ToolRequest& request) const override {
    return parses_calls(request) ? make_json_call_parser(request) : make_passthrough_parser();
  }
};

}  // namespace

std::shared_ptr<const ToolFormat> functiongemma_format(const std::array<int32_t, 7>& marker_ids) {
  return std::make_shared<FunctionGemmaFormat>(marker_ids);
}
std::shared_ptr<const ToolFormat> json_format() { return std::make_shared<JsonFormat>(); }

namespace {

std::shared_ptr<const ToolFormat> functiongemma_for(const Tokenizer& tokenizer) {
  std::array<int32_t, 7> ids;
  for (size_t i = 0; i < ids.size(); ++i) {
    auto id = tokenizer.find_token(kFgMarkers[i]);
    ids[i] = id && tokenizer.is_special(*id) ? *id : -1;
  }
  return functiongemma_format(ids);
}

}  // namespace

std::vector<std::string> tool_format_names() { return {"functiongemma", "json"}; }

Result<std::shared_ptr<const ToolFormat>> choose_tool_format(const std::string& template_source,
                                                             const Tokenizer& tokenizer, const std::string& forced) {
  if (forced == "functiongemma") return functiongemma_for(tokenizer);
  if (forced == "json") return json_format();
  if (!forced.empty()) return make_error("unknown tool format '" + forced + "' (expected functiongemma or json)");
  if (template_source.find(kFgStartCall) != std::string::npos) return functiongemma_for(tokenizer);
  return json_format();
}

}  // namespace gemma3::toolcall
