// Writes a chat completion's result (ChatOutcome, server/chat_outcome.h) as the Messages API's
// message object, or as its server-sent events:
//
//   message_start, ping,
//   per block: content_block_start, content_block_delta (text_delta / input_json_delta)...,
//              content_block_stop
//   message_delta (stop_reason, stop_sequence, usage), message_stop
//
// so that @anthropic-ai/sdk's MessageStream rebuilds exactly the message the non-streamed call
// returns. stop_reason: tool_calls -> "tool_use", length -> "max_tokens", a matched stop sequence
// -> "stop_sequence", otherwise "end_turn". Usage as Anthropic counts it: input_tokens are the prompt
// tokens the prefix cache did not serve, cache_read_input_tokens those it did.
// Ids: "msg_..." for the message; a chat call "call_Y" is the tool_use block "toolu_Y".
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "server/chat_outcome.h"

namespace gemma3 {

// The whole message for a finished outcome.
nlohmann::ordered_json message_object(const std::string& id, const std::string& model, const ChatOutcome& outcome);

// The event stream of one message. Not thread-safe (one exchange drives it).
class MessagesEventWriter {
 public:
  MessagesEventWriter(std::string id, std::string model);

  std::string begin(int64_t prompt_tokens);          // message_start, ping
  std::string piece(const ChatStreamPiece& piece);   // the events for one chat delta
  // Closes the open block; message_delta and message_stop. `usage` supplies finish, stop_sequence
  // and the token counts; the content is what the pieces gave.
  std::string finish(const ChatOutcome& usage);
  // An error that ended the stream early: Anthropic's "error" event.
  std::string error(const std::string& type, const std::string& message);
  // Keeps an idle stream open (proxies) without disturbing the client.
  std::string ping();

  const ChatOutcome& outcome() const { return outcome_; }   // accumulated from the pieces

 private:
  std::string close_block();

  std::string id_, model_;
  ChatOutcome outcome_;
  int32_t blocks_ = 0;   // content blocks started so far
  enum class Open { kNone, kText, kToolUse } open_ = Open::kNone;
  int32_t open_call_ = -1;   // kToolUse: the chat tool index
};

}  // namespace gemma3
