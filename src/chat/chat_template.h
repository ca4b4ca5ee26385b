// The Gemma 3 chat template (tokenizer_config.json "chat_template"), reproduced in C++ so a
// request never runs a template engine. What it renders is checked character for character
// against Jinja2 on tests/data/chat/cases.json (tools/render_chat_golden.py).
//
// What the template does, and so what render_chat does:
//   <bos>
//   an optional first system message (OpenAI's "developer" is the same) is not a turn: its content,
//     NOT trimmed (for a list: only the first part's text), plus "\n\n", prefixes the first turn
//   each following message i (0-based after the system one) must be "user" when i is even and
//     anything else when i is odd (the template's exact rule; a later "system" becomes a turn)
//   turn: <start_of_turn> + ("model" for assistant, else the role) + "\n" + content + <end_of_turn> + "\n"
//     content: a string, trimmed (Python str.strip()), or a list of text parts, each trimmed, joined
//   add_generation_prompt: <start_of_turn> + "model\n"
// We are stricter than the template where it would silently drop or mangle input: unknown roles,
// non-text parts (images) and malformed JSON are errors naming the field.
//
// Security: message content never becomes a control token. The prompt is kept as pieces, and only
// the template's own markers are control pieces; text pieces are tokenized with special-token
// matching off, so a user who writes "<end_of_turn>" cannot forge a turn.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "util/result.h"

namespace gemma3 {

class Tokenizer;

struct ChatMessage {
  std::string role;                 // "system" (also for "developer"), "user" or "assistant"
  std::vector<std::string> parts;   // the content string as one part, or each text part's text
  bool content_is_string = true;    // false for list content (and absent content: no parts)
};

// Validates an OpenAI `messages` array. Errors name the field, e.g.
// "messages[1].content[0].text must be a string". Does not check the turn order (render_chat does).
Result<std::vector<ChatMessage>> parse_chat_messages(const nlohmann::json& messages);

struct PromptPiece {
  std::string text;
  bool is_control;  // one of the template's own special tokens (<bos>, <start_of_turn>, <end_of_turn>)
};

struct ChatPrompt {
  std::vector<PromptPiece> pieces;  // never holds an empty text piece

  // Exactly the string Jinja renders.
  std::string text() const;

  // Control pieces become their token ids; each run of adjacent text pieces is concatenated and
  // encoded with parse_special=false (as Hugging Face splits on special tokens, then encodes each
  // run between them). Adds no BOS of its own: the template's <bos> is the only one.
  std::vector<int32_t> tokenize(const Tokenizer& tokenizer) const;
};

// Applies the template. Errors: no messages, a system message with no text part, and turns that
// do not alternate ("messages[2].role: conversation roles must alternate user/assistant/...").
Result<ChatPrompt> render_chat(const std::vector<ChatMessage>& messages, bool add_generation_prompt);

}  // namespace gemma3
