// `gemma3 template`: renders an OpenAI messages array (JSON on stdin) with the Gemma 3 chat
// template, as the server would, and prints the prompt text or (with --ids) its token ids.
// tools/render_chat_golden.py --check drives it against Jinja2 on every test case.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "apps/command.h"
#include "chat/chat_template.h"
#include "model/gguf_model.h"
#include "model/model_locator.h"
#include "tokenizer/tokenizer.h"
#include "util/args.h"

namespace gemma3 {
namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "gemma3 template: %s\n", message.c_str());
  return 1;
}

int run(int argc, char** argv) {
  Args args("gemma3 template",
            "Reads a JSON array of chat messages on stdin and prints the prompt the Gemma 3 chat template renders.");
  args.option("model", "m", "checkpoint or tokenizer folder (default: search the usual places)")
      .flag("no-generation-prompt", "do not end with the \"<start_of_turn>model\\n\" generation prompt")
      .flag("ids", "print the prompt's token ids as a JSON array instead of its text");
  if (Status parsed = args.parse(argc, argv); !parsed) return fail(parsed.error());
  if (args.help_requested()) {
    std::fputs(args.usage().c_str(), stdout);
    return 0;
  }

  auto model_dir = resolve_model_dir(args.get("model"));
  if (!model_dir) return fail(model_dir.error());

  const std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  nlohmann::json messages = nlohmann::json::parse(input, nullptr, /*allow_exceptions=*/false);
  if (messages.is_discarded()) return fail("stdin is not valid JSON: expected an array of {\"role\", \"content\"} messages");

  auto parsed = parse_chat_messages(messages);
  if (!parsed) return fail(parsed.error());
  auto prompt = render_chat(*parsed, !args.is_set("no-generation-prompt"));
  if (!prompt) return fail(prompt.error());

  if (!args.is_set("ids")) {
    const std::string text = prompt->text();
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  // Only --ids needs the tokenizer (loading it takes a fraction of a second).
  auto tokenizer = load_model_tokenizer(*model_dir);
  if (!tokenizer) return fail(tokenizer.error());
  const nlohmann::json ids = prompt->tokenize(**tokenizer);
  std::printf("%s\n", ids.dump().c_str());
  return 0;
}

const bool registered = register_command({"template", "render chat messages (JSON on stdin) with the chat template", &run});

}  // namespace
}  // namespace gemma3
