#include "chat/chat_template.h"

#include <nlohmann/json.hpp>

#include "chat/python_strip.h"
#include "tokenizer/tokenizer.h"

namespace gemma3 {
namespace {

constexpr const char* kBos = "<bos>";
constexpr const char* kStartOfTurn = "<start_of_turn>";
constexpr const char* kEndOfTurn = "<end_of_turn>";

std::string field(size_t i) { return "messages[" + std::to_string(i) + "]"; }

Result<ChatMessage> parse_message(const nlohmann::json& m, size_t i) {
  const std::string name = field(i);
  if (!m.is_object()) return make_error(name + " must be an object with \"role\" and \"content\"");
  auto role_it = m.find("role");
  if (role_it == m.end()) return make_error(name + ".role is required");
  if (!role_it->is_string()) return make_error(name + ".role must be a string");
  ChatMessage message;
  message.role = role_it->get<std::string>();
  if (message.role == "developer") message.role = "system";
  if (message.role != "system" && message.role != "user" && message.role != "assistant") {
    return make_error(name + ".role must be one of \"system\", \"developer\", \"user\", \"assistant\" (got \"" +
                      role_it->get<std::string>() + "\")");
  }

  auto content_it = m.find("content");
  if (content_it == m.end()) {
    // The template renders an absent content as nothing (Jinja's undefined iterates as empty).
    message.content_is_string = false;
    return message;
  }
  const nlohmann::json& content = *content_it;
  if (content.is_string()) {
    message.parts.push_back(content.get<std::string>());
    return message;
  }
  if (!content.is_array()) {
    return make_error(name + ".content must be a string or an array of content parts");
  }
  message.content_is_string = false;
  for (size_t j = 0; j < content.size(); ++j) {
    const nlohmann::json& part = content[j];
    const std::string part_name = name + ".content[" + std::to_string(j) + "]";
    if (!part.is_object()) return make_error(part_name + " must be an object like {\"type\": \"text\", \"text\": ...}");
    auto type_it = part.find("type");
    if (type_it == part.end() || !type_it->is_string()) {
      return make_error(part_name + ".type must be the string \"text\"");
    }
    if (*type_it != "text") {
      return make_error(part_name + ".type \"" + type_it->get<std::string>() +
                        "\" is not supported: this model takes text only (type must be \"text\")");
    }
    auto text_it = part.find("text");
    if (text_it == part.end() || !text_it->is_string()) return make_error(part_name + ".text must be a string");
    message.parts.push_back(text_it->get<std::string>());
  }
  return message;
}

class PromptBuilder {
 public:
  void control(const char* token) { prompt_.pieces.push_back({token, true}); }
  void text(std::string_view s) {
    if (!s.empty()) prompt_.pieces.push_back({std::string(s), false});
  }
  ChatPrompt take() { return std::move(prompt_); }

 private:
  ChatPrompt prompt_;
};

}  // namespace

Result<std::vector<ChatMessage>> parse_chat_messages(const nlohmann::json& messages) {
  if (!messages.is_array()) return make_error("messages must be an array of {\"role\", \"content\"} objects");
  std::vector<ChatMessage> out;
  out.reserve(messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    auto message = parse_message(messages[i], i);
    if (!message) return std::move(message).take_error();
    out.push_back(std::move(message).value());
  }
  return out;
}

Result<ChatPrompt> render_chat(const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  if (messages.empty()) return make_error("messages must hold at least one message");
  PromptBuilder b;
  b.control(kBos);

  // The first system message prefixes the first turn, untrimmed; for list content the template
  // reads only content[0].text.
  // Messages built in code (not by parse_chat_messages) get the same role rules.
  auto role_of = [&](size_t i) -> const std::string& {
    static const std::string kSystem = "system";
    return messages[i].role == "developer" ? kSystem : messages[i].role;
  };
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string& role = role_of(i);
    if (role != "system" && role != "user" && role != "assistant") {
      return make_error(field(i) + ".role must be one of \"system\", \"developer\", \"user\", \"assistant\" (got \"" +
                        role + "\")");
    }
  }

  std::string first_user_prefix;
  size_t first = 0;
  if (role_of(0) == "system") {
    if (messages[0].parts.empty()) {
      return make_error(field(0) + ".content: a system message needs text (a string or at least one text part)");
    }
    first_user_prefix = messages[0].parts[0] + "\n\n";
    first = 1;
  }

  for (size_t i = first; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    const std::string& role = role_of(i);
    const bool even = (i - first) % 2 == 0;
    if ((role == "user") != even) {
      return make_error(field(i) + ".role: conversation roles must alternate user/assistant/user/assistant/... "
                        "(after an optional first system message; got \"" + role + "\" " +
                        (even ? "where a user message belongs)" : "after a user message)"));
    }
    b.control(kStartOfTurn);
    b.text((role == "assistant" ? std::string("model") : role) + "\n");
    if (i == first) b.text(first_user_prefix);
    for (const std::string& part : m.parts) b.text(python_strip(part));
    b.control(kEndOfTurn);
    b.text("\n");
  }
  if (add_generation_prompt) {
    b.control(kStartOfTurn);
    b.text("model\n");
  }
  return b.take();
}

std::string ChatPrompt::text() const {
  std::string out;
  for (const PromptPiece& p : pieces) out += p.text;
  return out;
}

std::vector<int32_t> ChatPrompt::tokenize(const Tokenizer& tokenizer) const {
  std::vector<int32_t> ids;
  std::string run;  // adjacent text pieces, encoded as one
  auto flush_run = [&] {
    if (run.empty()) return;
    std::vector<int32_t> encoded = tokenizer.encode(run, /*parse_special=*/false);
    ids.insert(ids.end(), encoded.begin(), encoded.end());
    run.clear();
  };
  for (const PromptPiece& p : pieces) {
    if (!p.is_control) {
      run += p.text;
      continue;
    }
    flush_run();
    if (std::optional<int32_t> id = tokenizer.find_token(p.text)) {
      ids.push_back(*id);
    } else {
      // A tokenizer without the marker (not a Gemma 3 one): let it encode the marker as it would
      // in the rendered text, rather than failing.
      std::vector<int32_t> encoded = tokenizer.encode(p.text, /*parse_special=*/true);
      ids.insert(ids.end(), encoded.begin(), encoded.end());
    }
  }
  flush_run();
  return ids;
}

}  // namespace gemma3
