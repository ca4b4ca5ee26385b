// Fuzz target: a POST /v1/messages body through parse_messages_request and
// parse_count_tokens_request. Properties: a refused body is a 400 (invalid_request_error in
// Anthropic's shape) naming its field when it is a JSON object; an accepted one becomes a chat body
// whose messages pass the chat module's own validation (validate_chat_messages), with max_tokens
// set; and the event writer, fed the input as text and tool-call pieces, accumulates the same
// content it was given.
#include <cstddef>
#include <cstdint>
#include <string>

#include "chat/chat_template.h"
#include "fuzz_support.h"
#include "server/anthropic/anthropic_error.h"
#include "server/anthropic/messages_request.h"
#include "server/anthropic/messages_writer.h"

using namespace gemma3;
using nlohmann::ordered_json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const ordered_json body = ordered_json::parse(text, nullptr, false);
  if (body.is_discarded()) return 0;
  for (bool count_only : {false, true}) {
    auto parsed = count_only ? parse_count_tokens_request(body) : parse_messages_request(body);
    if (!parsed.ok()) {
      const AnthropicError e = to_anthropic_error(parsed.error());
      G3_FUZZ_CHECK(e.status == 400 && e.body["error"]["type"] == "invalid_request_error", "status %d", e.status);
      G3_FUZZ_CHECK(!body.is_object() || parsed.error().param.has_value(), "no param: %s",
                    parsed.error().message.c_str());
      continue;
    }
    const Status valid = validate_chat_messages(parsed->chat["messages"]);
    G3_FUZZ_CHECK(valid.ok(), "accepted input is not valid chat: %s", valid.error().c_str());
    G3_FUZZ_CHECK(count_only || parsed->chat["max_tokens"].is_number_integer(), "no max_tokens");
  }

  MessagesEventWriter writer("msg_fuzz", "m");
  writer.begin(static_cast<int64_t>(size));
  std::string expected_text;
  int32_t calls = 0;
  for (size_t pos = 0; pos < text.size();) {
    const uint8_t b = static_cast<uint8_t>(text[pos]);
    const size_t n = 1 + b % 5;
    ChatStreamPiece piece;
    if (b % 4 == 0) {
      piece.tool_index = calls++;
      piece.tool_id = "call_" + std::to_string(calls);
      piece.tool_name = "f";
      piece.arguments = text.substr(pos, n);
    } else {
      piece.text = text.substr(pos, n);
      if (calls == 0) expected_text += piece.text;
    }
    writer.piece(piece);
    pos += n;
  }
  writer.finish(ChatOutcome{});
  G3_FUZZ_CHECK(writer.outcome().tool_calls.size() == static_cast<size_t>(calls), "calls lost");
  G3_FUZZ_CHECK(calls > 0 || writer.outcome().text == expected_text, "text lost");
  message_object("msg_fuzz", "m", writer.outcome());
  return 0;
}
