// load_chat_template (declared in chat/chat_template.h): finds a checkpoint's chat template and the
// special-token strings the template sees, the way transformers' tokenizer loading does.
#include <fstream>
#include <sstream>

#include "chat/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace gemma3 {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Result<std::string> read_text_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error("error reading " + path.string());
  return text.str();
}

struct Sources {
  std::string default_source, tool_use_source, origin;
};

// tokenizer_config.json "chat_template": a string, or [{"name", "template"}, ...].
Result<Sources> sources_from_config(const json& value, const std::string& file) {
  Sources s;
  s.origin = file + " chat_template";
  if (value.is_string()) {
    s.default_source = value.get<std::string>();
    return s;
  }
  if (!value.is_array()) return make_error(file + ": chat_template must be a string or a list of {\"name\", \"template\"}");
  for (const json& entry : value) {
    if (!entry.is_object() || !entry.contains("name") || !entry.contains("template") || !entry["name"].is_string() ||
        !entry["template"].is_string()) {
      return make_error(file + ": each chat_template entry must be {\"name\": string, \"template\": string}");
    }
    const std::string name = entry["name"].get<std::string>();
    if (name == "default") s.default_source = entry["template"].get<std::string>();
    if (name == "tool_use") s.tool_use_source = entry["template"].get<std::string>();
  }
  if (s.default_source.empty() && s.tool_use_source.empty()) {
    return make_error(file + ": chat_template lists neither a \"default\" nor a \"tool_use\" template");
  }
  if (s.default_source.empty()) {
    // transformers refuses a tool-less request then; keeping the tool_use template for both is
    // what a user of such a checkpoint wants.
    s.default_source = s.tool_use_source;
  }
  return s;
}

// Every "*_token" entry: "<bos>" or {"content": "<bos>", ...} (AddedToken's serialised form).
std::map<std::string, std::string> special_tokens_from_config(const json& config) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : config.items()) {
    if (key.size() < 7 || key.compare(key.size() - 6, 6, "_token") != 0) continue;
    if (value.is_string()) {
      out[key] = value.get<std::string>();
    } else if (value.is_object() && value.contains("content") && value["content"].is_string()) {
      out[key] = value["content"].get<std::string>();
    }
  }
  return out;
}

std::map<std::string, std::string> special_tokens_from_vocab(const Tokenizer& tokenizer) {
  std::map<std::string, std::string> out;
  auto put = [&](const char* name, int32_t id) {
    if (id >= 0 && tokenizer.has_token(id)) out[name] = std::string(tokenizer.token_piece(id));
  };
  put("bos_token", tokenizer.bos_id());
  put("eos_token", tokenizer.eos_id());
  put("pad_token", tokenizer.pad_id());
  return out;
}

}  // namespace

Result<std::shared_ptr<const ChatTemplate>> load_chat_template(const fs::path& model_path, const Tokenizer& tokenizer,
                                                               const fs::path& override_file) {
  const bool is_dir = fs::is_directory(model_path);
  json config = json::object();
  std::map<std::string, std::string> specials = special_tokens_from_vocab(tokenizer);
  if (is_dir && fs::exists(model_path / "tokenizer_config.json")) {
    auto text = read_text_file(model_path / "tokenizer_config.json");
    if (!text) return std::move(text).take_error();
    config = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!config.is_object()) return make_error((model_path / "tokenizer_config.json").string() + " is not a JSON object");
    for (auto& [name, value] : special_tokens_from_config(config)) specials[name] = value;
  }

  Sources s;
  if (!override_file.empty()) {
    auto text = read_text_file(override_file);
    if (!text) return make_error("--chat-template: " + text.error());
    s.default_source = std::move(text).value();
    s.origin = "--chat-template " + override_file.string();
  } else if (is_dir && fs::exists(model_path / "chat_template.jinja")) {
    auto text = read_text_file(model_path / "chat_template.jinja");
    if (!text) return std::move(text).take_error();
    s.default_source = std::move(text).value();
    s.origin = (model_path / "chat_template.jinja").string();
  } else if (is_dir && config.contains("chat_template") && !config["chat_template"].is_null()) {
    auto from_config = sources_from_config(config["chat_template"], (model_path / "tokenizer_config.json").string());
    if (!from_config) return std::move(from_config).take_error();
    s = std::move(from_config).value();
  } else if (!is_dir && !tokenizer.chat_template().empty()) {
    s.default_source = tokenizer.chat_template();
    s.origin = model_path.string() + " tokenizer.chat_template";
  } else {
    return make_error("no chat template: " + model_path.string() +
                      " has no chat_template.jinja, no chat_template in tokenizer_config.json and no "
                      "tokenizer.chat_template (pass one with --chat-template FILE)");
  }
  return ChatTemplate::create(std::move(s.default_source), std::move(s.tool_use_source), std::move(s.origin),
                              std::move(specials));
}

}  // namespace gemma3
