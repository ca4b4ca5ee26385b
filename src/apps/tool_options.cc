#include "apps/tool_options.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "apps/generation_loop.h"
#include "grammar/matcher.h"
#include "server/response_builder.h"

namespace gemma3 {

void add_tool_options(Args& args) {
  args.option("tools", "", "JSON file with an OpenAI tools array; the model may call them (with the chat template)")
      .option("tool-choice", "", "auto, required, none, or a function name (with --tools)", "auto");
}

Result<std::optional<CliTools>> read_tool_options(const Args& args, const ChatTemplate& chat_template,
                                                  const Tokenizer& tokenizer) {
  if (!args.has("tools")) return std::optional<CliTools>();
  std::ifstream in(args.get("tools"), std::ios::binary);
  if (!in) return make_error("--tools: cannot read " + args.get("tools"));
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::ordered_json body = nlohmann::ordered_json::object();
  body["tools"] = nlohmann::ordered_json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (body["tools"].is_discarded()) return make_error("--tools: " + args.get("tools") + " is not valid JSON");
  const std::string choice = args.get("tool-choice");
  if (choice == "auto" || choice == "required" || choice == "none") {
    body["tool_choice"] = choice;
  } else {
    body["tool_choice"] = {{"type", "function"}, {"function", {{"name", choice}}}};
  }
  auto parsed = toolcall::parse_tool_request(body);
  if (auto* e = std::get_if<toolcall::FieldError>(&parsed)) return make_error("--tools: " + e->param + ": " + e->message);
  auto format = toolcall::choose_tool_format(chat_template.source(), tokenizer);
  if (!format) return std::move(format).take_error();
  return std::optional<CliTools>(CliTools{std::get<toolcall::ToolRequest>(std::move(parsed)), std::move(format).value()});
}

Status CliTools::apply(ChatInput& input, GenerationSettings& settings, const Tokenizer& tokenizer,
                       const std::vector<int32_t>& eos_ids) const {
  input.tools = request.tools_json;
  format->prepare_chat(input.messages, input.tools, request);
  if (request.choice.kind != toolcall::ToolChoice::Kind::kNone) {
    auto constraint = format->constraint(request, grammar::build_token_table(tokenizer), eos_ids);
    if (!constraint) return make_error("--tools: " + constraint.error());
    settings.constraint = std::move(constraint).value();
  }
  settings.visible_special_ids = format->visible_special_ids();
  return ok_status();
}

nlohmann::ordered_json CliTools::print_reply(const std::string& text, bool truncated) const {
  std::unique_ptr<toolcall::ToolCallParser> parser = format->make_parser(request);
  std::vector<toolcall::ParserEvent> events;
  parser->feed(text, events);
  parser->finish(truncated, events);
  std::string content;
  nlohmann::ordered_json calls = nlohmann::ordered_json::array();
  for (toolcall::ParserEvent& e : events) {
    if (e.kind == toolcall::ParserEvent::Kind::kContent) {
      content += e.content;
      continue;
    }
    calls.push_back({{"id", make_response_id("call_")},
                     {"type", "function"},
                     {"function", {{"name", e.call.name}, {"arguments", e.call.arguments_json}}}});
  }
  std::fwrite(content.data(), 1, content.size(), stdout);
  if (!content.empty() && !calls.empty()) std::fputc('\n', stdout);
  for (const auto& call : calls) {
    nlohmann::ordered_json line = {{"tool_call", {{"name", call["function"]["name"]},
                                                  {"arguments", nlohmann::ordered_json::parse(
                                                                    call["function"]["arguments"].get<std::string>(),
                                                                    nullptr, false)}}}};
    std::printf("%s\n", line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
  }
  std::fflush(stdout);
  nlohmann::ordered_json message = {{"role", "assistant"}, {"content", content}};
  if (!calls.empty()) {
    if (content.empty()) message["content"] = nullptr;
    message["tool_calls"] = std::move(calls);
  }
  return message;
}

}  // namespace gemma3
