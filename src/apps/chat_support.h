// The chat template for the command-line tools (generate --chat, chat, serve, template, info):
// --chat-template FILE, and the checkpoint's own template otherwise (chat/chat_template.h says
// where it is looked for).
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "chat/chat_template.h"
#include "util/args.h"

namespace gemma3 {

// Declares --chat-template FILE on `args`.
void add_chat_template_option(Args& args);
// Loads the template of the model at `model_path` (a folder or a GGUF file), or --chat-template's.
Result<std::shared_ptr<const ChatTemplate>> load_chat_template_for(const Args& args, const std::filesystem::path& model_path,
                                                                   const Tokenizer& tokenizer);
// Renders `input` and tokenizes it with the provenance rule (chat/chat_template.h).
Result<std::vector<int32_t>> render_chat_ids(const ChatTemplate& chat_template, const ChatInput& input,
                                             const Tokenizer& tokenizer);

}  // namespace gemma3
