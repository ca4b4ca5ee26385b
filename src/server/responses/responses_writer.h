// Writes a chat completion's result (ChatOutcome, server/chat_outcome.h) as the Responses API's
// response object, or as its typed server-sent events:
//
//   response.created, response.in_progress,
//   per message:  response.output_item.added, response.content_part.added,
//                 response.output_text.delta..., response.output_text.done,
//                 response.content_part.done, response.output_item.done
//   per call:     response.output_item.added, response.function_call_arguments.delta...,
//                 response.function_call_arguments.done, response.output_item.done
//   response.completed (or response.incomplete when max_output_tokens cut it short)
//
// every event with its `type` and a `sequence_number` counting from 0, so the openai SDK's stream
// helpers rebuild exactly the response object the stream ends with.
//
// Ids: the response's "resp_X" names its message "msg_X"; a call "call_Y" (the chat path's id) is the
// function_call item "fc_Y" with call_id "call_Y".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "server/chat_outcome.h"

namespace gemma3 {

struct ResponseIdentity {
  std::string id;            // "resp_..."
  int64_t created_at = 0;    // unix seconds
  std::string model;
  std::optional<std::string> previous_response_id;
};

// The whole response object for a finished outcome. `echo`: ResponsesRequest::echo.
nlohmann::ordered_json response_object(const ResponseIdentity& identity, const nlohmann::ordered_json& echo,
                                       const ChatOutcome& outcome);

// The assistant chat message an outcome is, as a stored conversation continues with it.
nlohmann::ordered_json assistant_chat_message(const ChatOutcome& outcome);

// The event stream of one response. Not thread-safe (one exchange drives it).
class ResponsesEventWriter {
 public:
  ResponsesEventWriter(ResponseIdentity identity, nlohmann::ordered_json echo);

  std::string begin();                              // response.created, response.in_progress
  std::string piece(const ChatStreamPiece& piece);  // the events for one chat delta
  // Closes what is open and ends with response.completed / response.incomplete. `usage` supplies
  // finish, stop_sequence and the token counts; the text and calls are those the pieces gave.
  std::string finish(const ChatOutcome& usage);
  // An error that ended the stream early: OpenAI's "error" event.
  std::string error(const std::string& code, const std::string& message);

  const ChatOutcome& outcome() const { return outcome_; }        // accumulated from the pieces
  const nlohmann::ordered_json& response() const { return response_; }   // the last snapshot sent

 private:
  std::string event(const char* type, nlohmann::ordered_json fields);
  std::string open_message();
  std::string close_open_item();
  std::string current_message_id() const;

  ResponseIdentity identity_;
  nlohmann::ordered_json echo_;
  nlohmann::ordered_json response_;   // the response as of the last response.* event
  nlohmann::ordered_json items_ = nlohmann::ordered_json::array();   // finished output items
  ChatOutcome outcome_;
  int64_t sequence_ = 0;
  enum class Open { kNone, kMessage, kCall } open_ = Open::kNone;
  std::string open_text_;      // kMessage: the message's text so far
  int32_t open_call_ = -1;     // kCall: the chat tool index
  bool finished_ = false;      // finish() is closing the items
};

}  // namespace gemma3
