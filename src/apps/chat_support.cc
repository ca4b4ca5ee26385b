#include "apps/chat_support.h"

namespace gemma3 {

void add_chat_template_option(Args& args) {
  args.option("chat-template", "", "a Jinja chat template file to use instead of the checkpoint's own");
}

Result<std::shared_ptr<const ChatTemplate>> load_chat_template_for(const Args& args, const std::filesystem::path& model_path,
                                                                   const Tokenizer& tokenizer) {
  const std::filesystem::path override_file = args.has("chat-template") ? args.get("chat-template") : std::string();
  return load_chat_template(model_path, tokenizer, override_file);
}

Result<std::vector<int32_t>> render_chat_ids(const ChatTemplate& chat_template, const ChatInput& input,
                                             const Tokenizer& tokenizer) {
  auto prompt = chat_template.render(input);
  if (!prompt) return std::move(prompt).take_error();
  return prompt->tokenize(tokenizer);
}

}  // namespace gemma3
