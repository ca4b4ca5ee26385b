// Response JSON, field for field like OpenAI's: chat.completion, chat.completion.chunk,
// text_completion (streamed or not), usage, both logprobs shapes, the model list, and the SSE
// framing of a stream. Pure functions over plain structs; the handlers only decide what to send.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "server/backend.h"

namespace gemma3 {

// Identity of one response; every chunk of a stream repeats it.
struct ResponseMeta {
  std::string id;                   // "chatcmpl-..." / "cmpl-..."
  int64_t created = 0;              // unix seconds
  std::string model;
  std::string system_fingerprint;
};

// A function call the model made (tool calling), as OpenAI's message.tool_calls[] writes it.
struct ToolCallOutput {
  std::string id;          // "call_..." unique within the response
  std::string name;
  std::string arguments;   // a JSON object text
};

// One choice's output so far (a whole completion, or one streamed delta's worth).
struct ChoiceOutput {
  int32_t index = 0;
  std::string text;
  std::vector<ToolCallOutput> tool_calls;   // chat: content is null when there is no text beside them
  std::vector<TokenLogprobInfo> logprobs;   // empty unless requested
  std::optional<FinishReason> finish;
  int32_t text_offset = 0;                  // legacy logprobs: byte offset of this output in the choice's text
};

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;
};

std::string make_response_id(std::string_view prefix);   // prefix + 24 random hex digits
int64_t unix_now();

nlohmann::json usage_json(const Usage& usage);
// Chat shape: {"content": [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}]}.
nlohmann::json chat_logprobs_json(std::span<const TokenLogprobInfo> tokens);
// Legacy /v1/completions shape: {tokens, token_logprobs, top_logprobs: [{token: logprob}], text_offset}.
// top_logprobs dicts hold the top entries and the sampled token (OpenAI: up to logprobs + 1).
nlohmann::json legacy_logprobs_json(std::span<const TokenLogprobInfo> tokens, int32_t text_offset);

// Whole responses (stream: false). `logprobs` says whether logprobs were requested (else null).
nlohmann::json chat_completion_json(const ResponseMeta& meta, const std::vector<ChoiceOutput>& choices,
                                    bool logprobs, const Usage& usage);
nlohmann::json text_completion_json(const ResponseMeta& meta, const std::vector<ChoiceOutput>& choices,
                                    bool logprobs, const Usage& usage);

// Stream chunks. `usage_null` adds "usage": null (OpenAI does when include_usage is on).
nlohmann::json chat_role_chunk(const ResponseMeta& meta, int32_t index, bool usage_null);
nlohmann::json chat_delta_chunk(const ResponseMeta& meta, const ChoiceOutput& delta, bool logprobs, bool usage_null);
// `made_tool_calls`: the choice made calls, so a normal end is finish_reason "tool_calls".
nlohmann::json chat_finish_chunk(const ResponseMeta& meta, int32_t index, FinishReason finish, bool usage_null,
                                 bool made_tool_calls = false);
// A fragment of tool call `tool_index` of choice `index`, as OpenAI streams calls: the first
// fragment of a call carries id, type and name (and empty arguments); later ones a piece of the
// arguments text.
nlohmann::json chat_tool_call_chunk(const ResponseMeta& meta, int32_t index, int32_t tool_index, const ToolCallOutput* first,
                                    std::string_view arguments, bool usage_null);
nlohmann::json text_delta_chunk(const ResponseMeta& meta, const ChoiceOutput& delta, bool logprobs, bool usage_null);
nlohmann::json text_finish_chunk(const ResponseMeta& meta, int32_t index, FinishReason finish, bool usage_null);
// The include_usage chunk: empty choices plus usage.
nlohmann::json usage_chunk(const ResponseMeta& meta, const char* object, const Usage& usage);

nlohmann::json models_json(const ModelInfo& model);

// JSON text; invalid UTF-8 in strings (never expected) is replaced rather than thrown.
std::string dump_json(const nlohmann::json& value);
// SSE framing: "data: <json>\n\n"; the terminator; a comment line clients ignore (keeps idle
// streams alive and makes a vanished client visible as a failed write).
std::string sse_event(const nlohmann::json& value);
inline constexpr std::string_view kSseDone = "data: [DONE]\n\n";
inline constexpr std::string_view kSseKeepAlive = ": keep-alive\n\n";

}  // namespace gemma3
