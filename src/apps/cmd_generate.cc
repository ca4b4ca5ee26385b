// gemma3 generate: complete a prompt (or a chat turn with --chat), streaming text to stdout.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <optional>
#include <nlohmann/json.hpp>

#include "apps/command.h"
#include "apps/generation_loop.h"
#include "apps/chat_support.h"
#include "apps/constraint_options.h"
#include "apps/tool_options.h"
#include "util/mapped_file.h"

namespace gemma3 {
namespace {

// [BOS] + encode(text), as HF's add_special_tokens=True does — but never a second BOS when the
// text already starts with "<bos>" (a known double-BOS mistake with Gemma 3 templates).
std::vector<int32_t> plain_prompt_ids(const Tokenizer& tokenizer, const std::string& text) {
  std::vector<int32_t> ids = tokenizer.encode(text, /*parse_special=*/true);
  if (ids.empty() || ids.front() != tokenizer.bos_id()) ids.insert(ids.begin(), tokenizer.bos_id());
  return ids;
}

int run_generate(int argc, char** argv) {
  Args args("generate", "Generate text from a prompt; text streams to stdout, timings to stderr.");
  add_model_options(args);
  add_sampling_options(args);
  add_chat_template_option(args);
  add_constraint_options(args);
  add_tool_options(args);
  args.option("prompt", "p", "prompt text (- reads stdin)")
      .option("prompt-ids-file", "", "JSON array of prompt token ids instead of -p")
      .flag("chat", "wrap the prompt in the checkpoint's chat template as one user turn")
      .option("system", "", "system prompt (with --chat)")
      .flag("ids", "print the generated token ids as one JSON array instead of text");
  if (auto s = args.parse(argc, argv); !s) return std::fprintf(stderr, "%s\n", s.error().c_str()), 1;
  if (args.help_requested()) return std::fprintf(stdout, "%s", args.usage().c_str()), 0;
  if (args.has("prompt") == args.has("prompt-ids-file"))
    return std::fprintf(stderr, "generate: give exactly one of -p TEXT or --prompt-ids-file FILE\n"), 1;

  auto ckpt = load_checkpoint(args);
  if (!ckpt) return std::fprintf(stderr, "generate: %s\n", ckpt.error().c_str()), 1;
  auto settings = read_generation_settings(args, *ckpt);
  if (!settings) return std::fprintf(stderr, "generate: %s\n", settings.error().c_str()), 1;
  auto grammar = read_constraint_options(args, *ckpt->tokenizer);
  if (!grammar) return std::fprintf(stderr, "generate: %s\n", grammar.error().c_str()), 1;
  settings->constraint.grammar = *grammar;
  if (args.has("tools") && !args.is_set("chat")) return std::fprintf(stderr, "generate: --tools needs --chat\n"), 1;
  if (args.has("tools") && *grammar) return std::fprintf(stderr, "generate: --tools cannot be combined with an output constraint\n"), 1;
  std::optional<CliTools> tools;

  std::vector<int32_t> prompt;
  if (args.has("prompt-ids-file")) {
    auto text = read_text_file(args.get("prompt-ids-file"));
    if (!text) return std::fprintf(stderr, "generate: %s\n", text.error().c_str()), 1;
    auto ids = parse_token_ids(*text, ckpt->model->config.vocab_size, args.get("prompt-ids-file"));
    if (!ids) return std::fprintf(stderr, "generate: %s\n", ids.error().c_str()), 1;
    prompt = std::move(ids).value();
  } else {
    std::string text = args.get("prompt");
    if (text == "-") text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    if (args.is_set("chat")) {
      nlohmann::json messages = nlohmann::json::array();
      if (args.has("system")) messages.push_back({{"role", "system"}, {"content", args.get("system")}});
      messages.push_back({{"role", "user"}, {"content", text}});
      auto chat_template = load_chat_template_for(args, ckpt->dir, *ckpt->tokenizer);
      if (!chat_template) return std::fprintf(stderr, "generate: %s\n", chat_template.error().c_str()), 1;
      ChatInput chat;
      chat.messages = std::move(messages);
      auto read_tools = read_tool_options(args, **chat_template, *ckpt->tokenizer);
      if (!read_tools) return std::fprintf(stderr, "generate: %s\n", read_tools.error().c_str()), 1;
      tools = std::move(read_tools).value();
      if (tools) {
        if (auto s = tools->apply(chat, *settings, *ckpt->tokenizer, ckpt->generation.eos_token_ids); !s)
          return std::fprintf(stderr, "generate: %s\n", s.error().c_str()), 1;
      }
      auto ids = render_chat_ids(**chat_template, chat, *ckpt->tokenizer);
      if (!ids) return std::fprintf(stderr, "generate: %s\n", ids.error().c_str()), 1;
      prompt = std::move(ids).value();
    } else {
      prompt = plain_prompt_ids(*ckpt->tokenizer, text);
    }
  }
  if (prompt.empty()) return std::fprintf(stderr, "generate: the prompt is empty\n"), 1;
  if (auto s = check_prompt_ids(prompt, ckpt->model->config.vocab_size); !s)
    return std::fprintf(stderr, "generate: %s\n", s.error().c_str()), 1;
  const int32_t max_context = ckpt->model->config.max_position_embeddings;
  if (static_cast<int64_t>(prompt.size()) >= max_context)
    return std::fprintf(stderr, "generate: the prompt has %zu tokens; the context holds %d\n", prompt.size(), max_context), 1;

  const int32_t capacity = static_cast<int32_t>(std::min<int64_t>(max_context, prompt.size() + settings->max_new_tokens));
  SequenceRunner runner(*ckpt->model, capacity);
  const bool print_ids = args.is_set("ids");
  std::string reply;   // with --tools: printed once parsed into text and calls
  auto stats = generate_tokens(*ckpt, runner, prompt, *settings, [&](const std::string& text) {
    if (tools) {
      reply += text;
    } else if (!print_ids) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
    }
  });
  if (print_ids) std::printf("%s\n", nlohmann::json(stats.generated_ids).dump().c_str());
  else if (tools) tools->print_reply(reply, stats.finish_reason == "length");
  else std::printf("\n");
  print_generation_stats(stats);
  return 0;
}

const bool registered = register_command({"generate", "generate text from a prompt", &run_generate});

}  // namespace
}  // namespace gemma3
