// The checkpoint's own chat template, rendered as Hugging Face's apply_chat_template does, through
// our Jinja engine (src/jinja/), and tokenized so that nothing a request writes becomes a control
// token.
//
// Where the template comes from (first found wins; see chat/template_source.h):
//   --chat-template FILE  >  DIR/chat_template.jinja  >  tokenizer_config.json "chat_template"
//   (a string, or the list form [{"name", "template"}]: "tool_use" when the request has tools and
//   the list has it, else "default")  >  a GGUF's tokenizer.chat_template.
//
// What the template sees, as apply_chat_template passes it:
//   messages               the request's messages (an assistant message's tool_calls[].function
//                          .arguments, a JSON string in the OpenAI API, parsed into an object)
//   tools                  the request's tools, or None
//   add_generation_prompt  bool
//   bos_token, eos_token, ... every "*_token" entry of tokenizer_config.json (string or
//                          {"content": ...}); for a GGUF: bos_token and eos_token from its vocab
//   + the request's chat_template_kwargs (they cannot replace the names above)
//
// Provenance (security): request data (messages, tools, kwargs) is untrusted; the Jinja engine
// tracks which output bytes derive from it through every operation. A special token is matched in
// the rendered text only where the template itself wrote all of its bytes
// (Tokenizer::encode_with_provenance), so a user who types "<start_of_turn>" cannot forge a turn.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/result.h"

namespace gemma3 {

class Tokenizer;
namespace jinja {
class Template;
}

// What a request asks the template to render. ordered_json, because key order is visible to
// templates (`tools | tojson`, `arguments.items()`): it must be the request's, as in Python.
struct ChatInput {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();   // validated by validate_chat_messages
  nlohmann::ordered_json tools;                                          // null, or an array of tools
  nlohmann::ordered_json kwargs = nlohmann::ordered_json::object();      // chat_template_kwargs
  bool add_generation_prompt = true;
};

// The rendered prompt: exactly the text Jinja renders, plus which bytes came from the request.
struct ChatPrompt {
  std::string text;
  std::vector<std::pair<size_t, size_t>> untrusted;   // sorted [begin, end) byte ranges of `text`

  // Special tokens only where the template wrote them; no BOS added (the template writes its own).
  std::vector<int32_t> tokenize(const Tokenizer& tokenizer) const;
};

// Checks the OpenAI messages shape that every template relies on, and nothing a template decides
// (roles are the template's business): an array of objects with a string "role"; "content" a
// string, null/absent, or an array of {"type": "text", "text": ...} parts (other part types are
// refused: the model takes text only); "tool_calls" an array of {"id"?, "type": "function",
// "function": {"name": string, "arguments": string or object}}; "name" / "tool_call_id" strings.
// Errors name the field ("messages[2].tool_calls[0].function.name must be a string").
Status validate_chat_messages(const nlohmann::ordered_json& messages);

class ChatTemplate {
 public:
  // `default_source` renders requests without tools; `tool_use_source` (may be empty) those with.
  // Parses both once. `origin` says where they came from (for `gemma3 info` and errors);
  // `special_tokens` maps bos_token, eos_token, ... to their text.
  static Result<std::shared_ptr<const ChatTemplate>> create(std::string default_source, std::string tool_use_source,
                                                            std::string origin,
                                                            std::map<std::string, std::string> special_tokens);
  ~ChatTemplate();

  Result<ChatPrompt> render(const ChatInput& input) const;

  const std::string& origin() const { return origin_; }
  const std::string& source() const { return default_source_; }
  bool has_tool_use_template() const { return tool_use_ != nullptr; }
  const std::map<std::string, std::string>& special_tokens() const { return special_tokens_; }

 private:
  ChatTemplate() = default;
  std::string default_source_, tool_use_source_, origin_;
  std::unique_ptr<jinja::Template> default_, tool_use_;
  std::map<std::string, std::string> special_tokens_;
};

// Where a model's template is: `model_path` a checkpoint folder or a GGUF file; `override_file`
// (--chat-template) wins when non-empty. Error when no template is found anywhere, naming the
// places looked at, or when the template does not parse (line and column).
Result<std::shared_ptr<const ChatTemplate>> load_chat_template(const std::filesystem::path& model_path,
                                                               const Tokenizer& tokenizer,
                                                               const std::filesystem::path& override_file = {});

}  // namespace gemma3
