#include "server/response_builder.h"

#include <chrono>
#include <cmath>
#include <random>

namespace gemma3 {

namespace {

using nlohmann::json;

// JSON has no -inf: OpenAI reports impossible tokens (e.g. logit_bias -100 at temperature 0) as
// -9999.0, and so do we.
double finite_logprob(float logprob) { return std::isfinite(logprob) ? static_cast<double>(logprob) : -9999.0; }

json bytes_json(const std::string& bytes) {
  json out = json::array();
  for (unsigned char c : bytes) out.push_back(static_cast<int>(c));
  return out;
}

json envelope(const ResponseMeta& meta, const char* object) {
  return {{"id", meta.id},
          {"object", object},
          {"created", meta.created},
          {"model", meta.model},
          {"system_fingerprint", meta.system_fingerprint}};
}

json finish_json(const std::optional<FinishReason>& finish) {
  if (!finish) return nullptr;
  return finish_reason_name(*finish);
}

json chunk(const ResponseMeta& meta, const char* object, json choice, bool usage_null) {
  json out = envelope(meta, object);
  out["choices"] = json::array({std::move(choice)});
  if (usage_null) out["usage"] = nullptr;
  return out;
}

}  // namespace

std::string make_response_id(std::string_view prefix) {
  // Unpredictable enough for ids; thread_local so HTTP threads never share an engine.
  thread_local std::mt19937_64 rng(std::random_device{}() ^
                                   static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(prefix);
  uint64_t a = rng(), b = rng();
  for (int i = 0; i < 16; ++i) id += kHex[(a >> (4 * i)) & 15];
  for (int i = 0; i < 8; ++i) id += kHex[(b >> (4 * i)) & 15];
  return id;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

json usage_json(const Usage& usage) {
  return {{"prompt_tokens", usage.prompt_tokens},
          {"completion_tokens", usage.completion_tokens},
          {"total_tokens", usage.prompt_tokens + usage.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", usage.cached_tokens}}}};
}

json chat_logprobs_json(std::span<const TokenLogprobInfo> tokens) {
  json content = json::array();
  for (const TokenLogprobInfo& t : tokens) {
    json top = json::array();
    for (const TopLogprobInfo& alt : t.top) {
      top.push_back({{"token", alt.token}, {"logprob", finite_logprob(alt.logprob)}, {"bytes", bytes_json(alt.bytes)}});
    }
    content.push_back({{"token", t.token},
                       {"logprob", finite_logprob(t.logprob)},
                       {"bytes", bytes_json(t.bytes)},
                       {"top_logprobs", std::move(top)}});
  }
  return {{"content", std::move(content)}, {"refusal", nullptr}};
}

json legacy_logprobs_json(std::span<const TokenLogprobInfo> tokens, int32_t text_offset) {
  json out_tokens = json::array(), out_logprobs = json::array(), out_top = json::array(), offsets = json::array();
  int64_t offset = text_offset;
  for (const TokenLogprobInfo& t : tokens) {
    out_tokens.push_back(t.token);
    out_logprobs.push_back(finite_logprob(t.logprob));
    json top = json::object();
    for (const TopLogprobInfo& alt : t.top) top[alt.token] = finite_logprob(alt.logprob);
    top[t.token] = finite_logprob(t.logprob);
    out_top.push_back(std::move(top));
    offsets.push_back(offset);
    offset += static_cast<int64_t>(t.bytes.size());
  }
  return {{"tokens", std::move(out_tokens)},
          {"token_logprobs", std::move(out_logprobs)},
          {"top_logprobs", std::move(out_top)},
          {"text_offset", std::move(offsets)}};
}

json chat_completion_json(const ResponseMeta& meta, const std::vector<ChoiceOutput>& choices, bool logprobs,
                          const Usage& usage) {
  json out = envelope(meta, "chat.completion");
  json list = json::array();
  for (const ChoiceOutput& c : choices) {
    json message = {{"role", "assistant"}, {"content", c.text}, {"refusal", nullptr}};
    json finish = finish_json(c.finish);
    if (!c.tool_calls.empty()) {
      if (c.text.empty()) message["content"] = nullptr;
      json calls = json::array();
      for (const ToolCallOutput& t : c.tool_calls) {
        calls.push_back({{"id", t.id}, {"type", "function"}, {"function", {{"name", t.name}, {"arguments", t.arguments}}}});
      }
      message["tool_calls"] = std::move(calls);
      if (c.finish == FinishReason::kStop) finish = "tool_calls";
    }
    list.push_back({{"index", c.index},
                    {"message", std::move(message)},
                    {"logprobs", logprobs ? chat_logprobs_json(c.logprobs) : json(nullptr)},
                    {"finish_reason", std::move(finish)}});
  }
  out["choices"] = std::move(list);
  out["usage"] = usage_json(usage);
  return out;
}

json text_completion_json(const ResponseMeta& meta, const std::vector<ChoiceOutput>& choices, bool logprobs,
                          const Usage& usage) {
  json out = envelope(meta, "text_completion");
  json list = json::array();
  for (const ChoiceOutput& c : choices) {
    list.push_back({{"index", c.index},
                    {"text", c.text},
                    {"logprobs", logprobs ? legacy_logprobs_json(c.logprobs, 0) : json(nullptr)},
                    {"finish_reason", finish_json(c.finish)}});
  }
  out["choices"] = std::move(list);
  out["usage"] = usage_json(usage);
  return out;
}

json chat_role_chunk(const ResponseMeta& meta, int32_t index, bool usage_null) {
  json choice = {{"index", index},
                 {"delta", {{"role", "assistant"}, {"content", ""}}},
                 {"logprobs", nullptr},
                 {"finish_reason", nullptr}};
  return chunk(meta, "chat.completion.chunk", std::move(choice), usage_null);
}

json chat_delta_chunk(const ResponseMeta& meta, const ChoiceOutput& delta, bool logprobs, bool usage_null) {
  json choice = {{"index", delta.index},
                 {"delta", {{"content", delta.text}}},
                 {"logprobs", logprobs ? chat_logprobs_json(delta.logprobs) : json(nullptr)},
                 {"finish_reason", nullptr}};
  return chunk(meta, "chat.completion.chunk", std::move(choice), usage_null);
}

json chat_finish_chunk(const ResponseMeta& meta, int32_t index, FinishReason finish, bool usage_null,
                       bool made_tool_calls) {
  json choice = {{"index", index},
                 {"delta", json::object()},
                 {"logprobs", nullptr},
                 {"finish_reason", made_tool_calls && finish == FinishReason::kStop ? "tool_calls" : finish_reason_name(finish)}};
  return chunk(meta, "chat.completion.chunk", std::move(choice), usage_null);
}

json chat_tool_call_chunk(const ResponseMeta& meta, int32_t index, int32_t tool_index, const ToolCallOutput* first,
                          std::string_view arguments, bool usage_null) {
  json call = {{"index", tool_index}};
  if (first) {
    call["id"] = first->id;
    call["type"] = "function";
    call["function"] = {{"name", first->name}, {"arguments", ""}};
  } else {
    call["function"] = {{"arguments", std::string(arguments)}};
  }
  json delta = {{"tool_calls", json::array({std::move(call)})}};
  json choice = {{"index", index}, {"delta", std::move(delta)}, {"logprobs", nullptr}, {"finish_reason", nullptr}};
  return chunk(meta, "chat.completion.chunk", std::move(choice), usage_null);
}

json text_delta_chunk(const ResponseMeta& meta, const ChoiceOutput& delta, bool logprobs, bool usage_null) {
  json choice = {{"index", delta.index},
                 {"text", delta.text},
                 {"logprobs", logprobs ? legacy_logprobs_json(delta.logprobs, delta.text_offset) : json(nullptr)},
                 {"finish_reason", nullptr}};
  return chunk(meta, "text_completion", std::move(choice), usage_null);
}

json text_finish_chunk(const ResponseMeta& meta, int32_t index, FinishReason finish, bool usage_null) {
  json choice = {{"index", index}, {"text", ""}, {"logprobs", nullptr}, {"finish_reason", finish_reason_name(finish)}};
  return chunk(meta, "text_completion", std::move(choice), usage_null);
}

json usage_chunk(const ResponseMeta& meta, const char* object, const Usage& usage) {
  json out = envelope(meta, object);
  out["choices"] = json::array();
  out["usage"] = usage_json(usage);
  return out;
}

json models_json(const ModelInfo& model) {
  json entry = {{"id", model.id},
                {"object", "model"},
                {"created", model.created},
                {"owned_by", model.owned_by},
                {"max_model_len", model.context_length}};
  return {{"object", "list"}, {"data", json::array({std::move(entry)})}};
}

std::string dump_json(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string sse_event(const json& value) {
  std::string out = "data: ";
  out += dump_json(value);
  out += "\n\n";
  return out;
}

}  // namespace gemma3
