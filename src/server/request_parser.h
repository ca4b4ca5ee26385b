// Request parsing and validation: an OpenAI request body (JSON) -> the typed request the handlers
// act on, and a typed request + tokenized prompts -> the engine's GenerationRequests. Pure
// functions: no I/O, no engine, so every validation rule is unit-tested (tests/server).
//
// Every rejected field yields a 400 ApiError whose `param` names it. Unknown fields are ignored,
// and an explicit null is treated as absent (clients send both).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "server/api_error.h"

namespace gemma3 {

inline constexpr int32_t kMaxChoices = 16;          // n
inline constexpr int32_t kMaxPromptsTimesN = 64;    // /v1/completions: prompts x n engine requests
inline constexpr int32_t kMaxStopStrings = 16;
inline constexpr int32_t kMaxTopLogprobs = 20;
inline constexpr size_t kMaxLogitBias = 1024;

// Fields shared by /v1/chat/completions and /v1/completions.
struct CommonParams {
  std::optional<std::string> model;
  SamplingParams sampling;              // seed: as given (n > 1 derives seed + i, see expand_requests)
  std::optional<int32_t> max_tokens;    // max_completion_tokens, else max_tokens; absent: route default
  std::vector<std::string> stop;
  int32_t n = 1;
  bool stream = false;
  bool include_usage = false;           // stream_options.include_usage
  bool logprobs = false;                // chat: logprobs; completions: logprobs is not null
  int32_t top_logprobs = 0;             // chat: top_logprobs; completions: the logprobs integer
};

struct ChatRequest {
  CommonParams common;
  nlohmann::json messages;   // a non-empty array; the chat module validates each message
};

// A /v1/completions prompt: text (tokenized later) or token ids (used as given).
using PromptInput = std::variant<std::string, std::vector<int32_t>>;

struct CompletionRequest {
  CommonParams common;
  std::vector<PromptInput> prompts;   // one or more; each yields n choices
};

// Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool is_valid_utf8(std::string_view text);

// Parses the raw body: valid UTF-8, valid JSON, an object.
ApiResult<nlohmann::json> parse_json_body(std::string_view body);

ApiResult<ChatRequest> parse_chat_request(const nlohmann::json& body, int32_t vocab_size);
ApiResult<CompletionRequest> parse_completion_request(const nlohmann::json& body, int32_t vocab_size);

struct ExpandOptions {
  int32_t context_length = 0;
  // Absent max_tokens: min(remaining context, this). 16 for /v1/completions (OpenAI's default).
  int32_t default_max_tokens = 0;
  std::string request_id;          // engine request ids are request_id + "-" + choice index
  std::string prompt_param;        // "messages" or "prompt": the field blamed for a too-long prompt
  uint64_t random_seed = 0;        // base seed when n > 1 and no seed was given (choices must differ)
};

// One GenerationRequest per (prompt, choice), in choice-index order (prompt p, choice i -> p*n + i).
// Rejects with context_length_exceeded when a prompt plus its max tokens exceed the context.
ApiResult<std::vector<GenerationRequest>> expand_requests(const CommonParams& params,
                                                          const std::vector<std::vector<int32_t>>& prompts,
                                                          const ExpandOptions& options);

}  // namespace gemma3
