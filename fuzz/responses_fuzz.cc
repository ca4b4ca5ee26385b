// Fuzz target: a POST /v1/responses body through parse_responses_request. Properties: a refused
// body is a 400 naming its field (a JSON object) or the body; an accepted one becomes a chat body
// whose messages pass the chat module's own validation (validate_chat_messages), with the input
// items in order after the instructions; and the event writer, fed the input's text in pieces of
// sizes taken from the input, ends with the very response object the non-streamed writer builds.
#include <cstddef>
#include <cstdint>
#include <string>

#include "chat/chat_template.h"
#include "fuzz_support.h"
#include "server/responses/responses_request.h"
#include "server/responses/responses_writer.h"

using namespace gemma3;
using nlohmann::ordered_json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const ordered_json body = ordered_json::parse(text, nullptr, false);
  if (body.is_discarded()) return 0;
  auto parsed = parse_responses_request(body);
  if (!parsed.ok()) {
    G3_FUZZ_CHECK(parsed.error().status == 400, "status %d", parsed.error().status);
    G3_FUZZ_CHECK(!body.is_object() || parsed.error().param.has_value(), "no param: %s", parsed.error().message.c_str());
    return 0;
  }
  const ResponsesRequest& r = *parsed;
  const ordered_json history = ordered_json::array({{{"role", "user"}, {"content", "earlier"}}});
  const ordered_json chat = chat_body_for(r, history);
  G3_FUZZ_CHECK(chat["messages"].size() == (r.instructions ? 1 : 0) + history.size() + r.input_messages.size(),
                "%zu messages", chat["messages"].size());
  const Status valid = validate_chat_messages(chat["messages"]);
  G3_FUZZ_CHECK(valid.ok(), "accepted input is not valid chat: %s", valid.error().c_str());

  ChatOutcome outcome;
  outcome.text = text;
  outcome.finish = size % 3 == 0 ? ChatFinish::kLength : ChatFinish::kStop;
  outcome.prompt_tokens = static_cast<int64_t>(size);
  const ResponseIdentity id{"resp_fuzz", 1, "m", r.previous_response_id};
  ResponsesEventWriter writer(id, r.echo);
  writer.begin();
  for (size_t pos = 0; pos < text.size();) {
    const size_t n = 1 + static_cast<uint8_t>(text[pos]) % 7;
    ChatStreamPiece piece;
    piece.text = text.substr(pos, n);
    writer.piece(piece);
    pos += n;
  }
  writer.finish(outcome);
  G3_FUZZ_CHECK(writer.response() == response_object(id, r.echo, outcome), "stream and whole response differ");
  return 0;
}
