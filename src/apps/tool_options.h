// Tool calling on the command line (generate --chat, chat): --tools FILE.json (an OpenAI `tools`
// array) and --tool-choice auto|required|none|NAME. The same formats, grammars and parsers as the
// server (toolcall/), so the terminal shows what an API client would get; calls are printed as
// JSON lines {"tool_call": {"name", "arguments"}} after the reply's text.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "chat/chat_template.h"
#include "toolcall/tool_format.h"
#include "toolcall/tool_request.h"
#include "util/args.h"

namespace gemma3 {

struct GenerationSettings;

struct CliTools {
  toolcall::ToolRequest request;
  std::shared_ptr<const toolcall::ToolFormat> format;

  // Puts the tools into what the template sees and the constraint into `settings`.
  Status apply(ChatInput& input, GenerationSettings& settings, const Tokenizer& tokenizer,
               const std::vector<int32_t>& eos_ids) const;
  // Splits a finished reply into its text and its calls, and prints both to stdout. Returns the
  // assistant message for the history ({"role": "assistant", "content", "tool_calls"}).
  nlohmann::ordered_json print_reply(const std::string& text, bool truncated) const;
};

void add_tool_options(Args& args);
// Null when --tools is absent.
Result<std::optional<CliTools>> read_tool_options(const Args& args, const ChatTemplate& chat_template,
                                                  const Tokenizer& tokenizer);

}  // namespace gemma3
