// `gemma3 template`: renders chat messages (JSON on stdin) with the checkpoint's own chat template
// (or --chat-template FILE), exactly as the server would, and prints the prompt byte for byte, or
// (with --ids) its token ids. Input: a JSON array of messages, or an object {"messages": [...],
// "tools": [...], "chat_template_kwargs": {...}}. A template error (raise_exception, an undefined
// attribute, a type error) exits 1 with the template's message.
// tools/render_chat_golden.py --check and the Jinja corpus tests drive it against Python Jinja2.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "apps/chat_support.h"
#include "apps/command.h"
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
            "Reads chat messages (JSON on stdin: an array of messages, or {\"messages\", \"tools\", "
            "\"chat_template_kwargs\"}) and prints the prompt the chat template renders.");
  args.option("model", "m", "checkpoint folder, tokenizer folder or GGUF file (default: search the usual places)")
      .flag("no-generation-prompt", "render without the generation prompt (add_generation_prompt=False)")
      .flag("ids", "print the prompt's token ids as a JSON array instead of its text");
  add_chat_template_option(args);
  if (Status parsed = args.parse(argc, argv); !parsed) return fail(parsed.error());
  if (args.help_requested()) {
    std::fputs(args.usage().c_str(), stdout);
    return 0;
  }

  auto model_path = resolve_model_dir(args.get("model"));
  if (!model_path) return fail(model_path.error());

  const std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  // ordered_json: templates see the request's key order (tools | tojson), as in Python.
  nlohmann::ordered_json body = nlohmann::ordered_json::parse(input, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return fail("stdin is not valid JSON: expected an array of {\"role\", \"content\"} messages or {\"messages\": [...]}");
  }
  ChatInput chat;
  chat.add_generation_prompt = !args.is_set("no-generation-prompt");
  if (body.is_object()) {
    chat.messages = body.value("messages", nlohmann::ordered_json());
    chat.tools = body.value("tools", nlohmann::ordered_json());
    chat.kwargs = body.value("chat_template_kwargs", nlohmann::ordered_json::object());
    if (chat.kwargs.is_null()) chat.kwargs = nlohmann::ordered_json::object();
  } else {
    chat.messages = std::move(body);
  }

  // The tokenizer is needed even for text: a GGUF's template and special tokens live in its vocab.
  auto tokenizer = load_model_tokenizer(*model_path);
  if (!tokenizer) return fail(tokenizer.error());
  auto chat_template = load_chat_template_for(args, *model_path, **tokenizer);
  if (!chat_template) return fail(chat_template.error());
  auto prompt = (*chat_template)->render(chat);
  if (!prompt) return fail(prompt.error());

  if (!args.is_set("ids")) {
    std::fwrite(prompt->text.data(), 1, prompt->text.size(), stdout);
    return 0;
  }
  const nlohmann::json ids = prompt->tokenize(**tokenizer);
  std::printf("%s\n", ids.dump().c_str());
  return 0;
}

const bool registered = register_command({"template", "render chat messages (JSON on stdin) with the chat template", &run});

}  // namespace
}  // namespace gemma3
