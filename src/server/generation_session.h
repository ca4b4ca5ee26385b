// GenerationSession: the engine side of one HTTP request. It owns the request's TokenStreams (one
// per choice: prompts x n) and turns their deltas into either one response JSON (collect) or the
// SSE byte stream, chunk by chunk (pump). No HTTP here, so the streaming protocol is unit-tested
// with scripted streams.
//
// Not thread-safe: one HTTP thread (or one strand) drives a session. Destroying it cancels unfinished choices, so
// a vanished client frees its sequences in the engine at the next step.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/api_error.h"
#include "server/backend.h"
#include "server/response_builder.h"
#include "toolcall/tool_format.h"

namespace gemma3 {

enum class ApiKind { kChat, kCompletion };

struct SessionOptions {
  ApiKind kind = ApiKind::kChat;
  ResponseMeta meta;
  bool logprobs = false;
  bool include_usage = false;
  int32_t n = 1;                        // choices per prompt; choice i belongs to prompt i / n
  std::vector<int32_t> prompt_tokens;   // per choice
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  // Tool calling (chat with tools): makes each choice's parser, which splits the output text into
  // content and calls (toolcall/tool_format.h). Null: all text is content.
  std::function<std::unique_ptr<toolcall::ToolCallParser>()> make_tool_parser;
};

class GenerationSession {
 public:
  GenerationSession(SessionOptions options, std::vector<std::unique_ptr<TokenStream>> streams);
  ~GenerationSession();
  GenerationSession(const GenerationSession&) = delete;
  GenerationSession& operator=(const GenerationSession&) = delete;

  // stream: false. Blocks until every choice finished; the whole response JSON. A stream that ends
  // without a finish reason (engine shutting down) is a 503.
  ApiResult<nlohmann::json> collect();

  // stream: false, without blocking: takes what the choices have ready; the response (or the
  // error) once every choice finished, else nullopt (call again when notified).
  std::optional<ApiResult<nlohmann::json>> try_collect();

  // stream: true. Appends the next SSE bytes to *out, waiting up to `wait` for engine output (may
  // append nothing; a zero wait never blocks). Returns false once the stream is complete and
  // "data: [DONE]" was appended.
  bool pump(std::string* out, std::chrono::milliseconds wait);
  // Ends a stream early (server shutdown): the error event and "data: [DONE]"; cancels the rest.
  std::string abort_stream();

  // Asks every choice's stream to call `notify` when it has something new (TokenStream::
  // set_notify). False when some cannot: the caller then polls. nullptr removes the callbacks.
  bool set_notify(const std::function<void()>& notify);

  void cancel();   // cancels every unfinished choice; idempotent
  // 503 "shutting_down": a stream ended without a finish reason, or the server's drain deadline.
  static ApiError ended_early_error();

  // For the request log line.
  Usage usage() const;
  std::optional<double> ttft_ms() const { return ttft_ms_; }
  bool complete() const { return complete_; }   // every choice reached a finish reason
  const char* object_name() const;

 private:
  struct Choice {
    std::unique_ptr<TokenStream> stream;
    std::unique_ptr<toolcall::ToolCallParser> tool_parser;
    std::vector<ToolCallOutput> tool_calls;   // collect(): every call; pump(): counted only
    bool finished = false;
    std::optional<FinishReason> finish;
    std::string text;                          // collect() only
    std::vector<TokenLogprobInfo> logprobs;    // collect() only
    int32_t text_bytes = 0;                    // bytes streamed so far (legacy text_offset)
    int32_t completion_tokens = 0;
    int32_t cached_prompt_tokens = 0;
  };

  // Applies one delta of choice `index`; when streaming, appends its chunks to *out.
  void apply(int32_t index, OutputDelta& delta, std::string* out);
  // With a tool parser: splits the delta's text into content (left in delta.text) and calls.
  void parse_tool_calls(Choice& c, OutputDelta& delta, std::vector<ToolCallOutput>* calls);
  void stream_tool_call(int32_t index, int32_t tool_index, const ToolCallOutput& call, std::string* out);
  void note_first_token(const OutputDelta& delta);
  std::string failure_event() const;
  nlohmann::json build_response();

  SessionOptions options_;
  std::vector<Choice> choices_;
  bool started_ = false;      // pump: role chunks sent
  bool complete_ = false;
  bool ended_ = false;        // pump: [DONE] appended
  size_t rotate_ = 0;         // pump: which unfinished choice to block on next
  std::optional<double> ttft_ms_;
};

}  // namespace gemma3
