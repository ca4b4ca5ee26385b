// gemma3 chat: an interactive multi-turn chat in the terminal. Each turn re-renders the whole
// conversation with the chat template; when the new prompt extends what is already in the KV
// cache (the usual case), only the new tokens are computed.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "apps/command.h"
#include "apps/generation_loop.h"
#include "apps/chat_support.h"
#include "apps/tool_options.h"

namespace gemma3 {
namespace {

int run_chat(int argc, char** argv) {
  Args args("chat", "Interactive chat. Type a message and press Enter; /reset starts over, /quit (or Ctrl-D) leaves.");
  add_model_options(args);
  add_sampling_options(args);
  args.option("system", "", "system prompt").option("ctx", "", "context size in tokens (default: the model's)");
  add_chat_template_option(args);
  add_tool_options(args);
  if (auto s = args.parse(argc, argv); !s) return std::fprintf(stderr, "%s\n", s.error().c_str()), 1;
  if (args.help_requested()) return std::fprintf(stdout, "%s", args.usage().c_str()), 0;
  auto ckpt = load_checkpoint(args);
  if (!ckpt) return std::fprintf(stderr, "chat: %s\n", ckpt.error().c_str()), 1;
  auto settings = read_generation_settings(args, *ckpt);
  if (!settings) return std::fprintf(stderr, "chat: %s\n", settings.error().c_str()), 1;
  auto loaded_template = load_chat_template_for(args, ckpt->dir, *ckpt->tokenizer);
  if (!loaded_template) return std::fprintf(stderr, "chat: %s\n", loaded_template.error().c_str()), 1;
  const std::shared_ptr<const ChatTemplate> chat_template = std::move(loaded_template).value();
  auto read_tools = read_tool_options(args, *chat_template, *ckpt->tokenizer);
  if (!read_tools) return std::fprintf(stderr, "chat: %s\n", read_tools.error().c_str()), 1;
  const std::optional<CliTools> tools = std::move(read_tools).value();
  int32_t ctx = ckpt->model->config.max_position_embeddings;
  if (args.has("ctx")) {
    auto v = args.get_int("ctx");
    if (!v || *v < 16) return std::fprintf(stderr, "chat: --ctx must be an integer >= 16\n"), 1;
    ctx = static_cast<int32_t>(std::min<long long>(*v, ctx));
  }

  SequenceRunner runner(*ckpt->model, ctx);
  std::vector<int32_t> cached;  // tokens whose K/V are in the runner, in order
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  if (args.has("system")) messages.push_back({{"role", "system"}, {"content", args.get("system")}});
  const bool interactive = isatty(STDIN_FILENO);
  std::string line;
  while (true) {
    if (interactive) std::fprintf(stdout, "\n> "), std::fflush(stdout);
    if (!std::getline(std::cin, line) || line == "/quit") break;
    if (line == "/reset") {
      messages = nlohmann::ordered_json::array();
      if (args.has("system")) messages.push_back({{"role", "system"}, {"content", args.get("system")}});
      continue;
    }
    if (line.empty()) continue;
    messages.push_back({{"role", "user"}, {"content", line}});
    ChatInput chat;
    chat.messages = messages;
    GenerationSettings turn = *settings;
    if (tools) {
      if (auto s = tools->apply(chat, turn, *ckpt->tokenizer, ckpt->generation.eos_token_ids); !s) {
        std::fprintf(stderr, "chat: %s\n", s.error().c_str());
        return 1;
      }
    }
    auto rendered = render_chat_ids(*chat_template, chat, *ckpt->tokenizer);
    if (!rendered) {
      std::fprintf(stderr, "chat: %s\n", rendered.error().c_str());
      messages.erase(messages.end() - 1);
      continue;
    }
    std::vector<int32_t> prompt = std::move(rendered).value();
    if (auto s = check_prompt_ids(prompt, ckpt->model->config.vocab_size); !s) {
      std::fprintf(stderr, "chat: %s\n", s.error().c_str());
      messages.erase(messages.end() - 1);
      continue;
    }
    // Reuse the cache when the new prompt starts with everything cached; else recompute.
    const bool extends = prompt.size() > cached.size() && std::equal(cached.begin(), cached.end(), prompt.begin());
    if (!extends) {
      runner.reset();
      cached.clear();
    }
    std::span<const int32_t> fresh(prompt.data() + cached.size(), prompt.size() - cached.size());
    if (static_cast<int64_t>(prompt.size()) + 1 >= ctx) {
      std::fprintf(stderr, "chat: the conversation no longer fits the context (%d tokens); /reset to start over\n", ctx);
      messages.erase(messages.end() - 1);
      continue;
    }
    turn.max_new_tokens = std::min<int32_t>(turn.max_new_tokens, ctx - static_cast<int32_t>(prompt.size()));
    std::string reply;
    auto stats = generate_tokens(*ckpt, runner, fresh, turn, [&](const std::string& text) {
      reply += text;
      if (tools) return;   // printed below, split into text and calls
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
    });
    nlohmann::ordered_json answer = {{"role", "assistant"}, {"content", reply}};
    if (tools) answer = tools->print_reply(reply, stats.finish_reason == "length");
    else std::fprintf(stdout, "\n");
    cached = prompt;
    // The last sampled token was never fed through the model, so the cache holds one fewer.
    cached.insert(cached.end(), stats.generated_ids.begin(), stats.generated_ids.end());
    if (!stats.generated_ids.empty() && runner.position() < static_cast<int32_t>(cached.size())) cached.pop_back();
    messages.push_back(std::move(answer));
    if (interactive) print_generation_stats(stats);
  }
  return 0;
}

const bool registered = register_command({"chat", "interactive multi-turn chat in the terminal", &run_chat});

}  // namespace
}  // namespace gemma3
