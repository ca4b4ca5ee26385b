// ChatOutcome: what one chat-completion choice produced, in no API's shape. The Responses API
// (server/responses/) and the Messages API (server/anthropic/) translate their requests into a chat
// completion, run it on the chat route's path, and write this result back in their own shapes, so
// the three APIs share one request path and differ only in their parsers and writers.
//
// Streaming gives the same result piece by piece: ChatStreamPiece is one chat.completion.chunk
// delta of one choice (text, or a fragment of a tool call). Writers accumulate the pieces into a
// ChatOutcome themselves, so a streamed answer ends exactly as the non-streamed one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gemma3 {

// Why generation ended: chat's finish_reason "stop", "length" or "tool_calls".
enum class ChatFinish { kStop, kLength, kToolCalls };

struct OutcomeToolCall {
  std::string id;          // "call_..." as the chat path names it; each API derives its own id from it
  std::string name;
  std::string arguments;   // a JSON object text
};

struct ChatOutcome {
  std::string text;                          // content (never any tool-call syntax)
  std::vector<OutcomeToolCall> tool_calls;   // in the order the model wrote them
  ChatFinish finish = ChatFinish::kStop;
  std::optional<std::string> stop_sequence;  // the stop string that ended it, when known
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;                 // prompt tokens served by the prefix cache
};

// A writer that accumulated the text and calls from stream pieces takes the rest from the end.
inline void take_finish_and_usage(ChatOutcome& into, const ChatOutcome& from) {
  into.finish = from.finish;
  into.stop_sequence = from.stop_sequence;
  into.prompt_tokens = from.prompt_tokens;
  into.completion_tokens = from.completion_tokens;
  into.cached_tokens = from.cached_tokens;
}

// One streamed delta of a choice. Either `text`, or a tool-call fragment: `tool_index` counts the
// calls from 0; the first fragment of a call carries its `tool_id` and `tool_name`, every fragment
// may carry a piece of `arguments` (concatenated, they are the call's arguments text).
struct ChatStreamPiece {
  std::string text;
  std::optional<int32_t> tool_index;
  std::string tool_id, tool_name, arguments;
};

}  // namespace gemma3
