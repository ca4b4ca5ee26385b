// Loading tokenizer.json (and tokenizer_config.json). The vocab and merges are streamed into their
// tables by tokenizer_json_scan.h; the rest of the document, small, is checked here with the
// simdjson DOM parser. Only the components Gemma 3 uses are accepted; anything else is an error
// that names the key, so a different tokenizer is refused instead of silently tokenized wrong.
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_json_scan.h"
#include "tokenizer/utf8.h"
#include "util/mapped_file.h"

namespace gemma3 {

namespace dom = simdjson::dom;

// Builds a Tokenizer; a friend of Tokenizer so the parsed parts go straight into its members.
class TokenizerLoader {
 public:
  explicit TokenizerLoader(std::string file) : file_(std::move(file)) {}

  // `root` is the document without model.vocab and model.merges, which `scan` put into t.vocab_
  // and `merges`.
  Status load_tokenizer_json(dom::element root, const TokenizerJsonScan& scan, MergeTable merges, Tokenizer& t);
  Status load_config_json(dom::element root, Tokenizer& t);

 private:
  Error error(const std::string& key, const std::string& what) const {
    return make_error(file_ + ": " + key + ": " + what);
  }
  // Fetches root[key] as a given type; a missing key or null gives `fallback` (or an error when
  // there is none).
  Result<dom::element> field(dom::object obj, const std::string& key, const std::string& path) const {
    dom::element e;
    if (obj[key].get(e) != simdjson::SUCCESS) return error(path + "." + key, "missing");
    return e;
  }
  Result<std::string_view> string_of(dom::element e, const std::string& path) const {
    std::string_view s;
    if (e.get_string().get(s) != simdjson::SUCCESS) return error(path, "expected a string");
    return s;
  }
  Result<dom::object> object_of(dom::element e, const std::string& path) const {
    dom::object o;
    if (e.get_object().get(o) != simdjson::SUCCESS) return error(path, "expected an object");
    return o;
  }
  Result<dom::array> array_of(dom::element e, const std::string& path) const {
    dom::array a;
    if (e.get_array().get(a) != simdjson::SUCCESS) return error(path, "expected an array");
    return a;
  }
  // A boolean field; absent or null -> `fallback`.
  Result<bool> bool_field(dom::object obj, const std::string& key, const std::string& path, bool fallback) const {
    dom::element e;
    if (obj[key].get(e) != simdjson::SUCCESS || e.is_null()) return fallback;
    bool b = false;
    if (e.get_bool().get(b) != simdjson::SUCCESS) return error(path + "." + key, "expected true or false");
    return b;
  }
  // A string field; absent or null -> nullopt.
  Result<std::optional<std::string_view>> optional_string(dom::object obj, const std::string& key,
                                                          const std::string& path) const {
    dom::element e;
    if (obj[key].get(e) != simdjson::SUCCESS || e.is_null()) return std::optional<std::string_view>();
    auto s = string_of(e, path + "." + key);
    if (!s) return std::move(s).take_error();
    return std::optional<std::string_view>(*s);
  }
  // {"String": "..."} -> the string; {"Regex": ...} is not supported.
  Result<std::string> string_pattern(dom::object obj, const std::string& path) const;
  Status load_model(dom::object model, const TokenizerJsonScan& scan, MergeTable merges, Tokenizer& t);
  Status load_added_tokens(dom::array list, Tokenizer& t);
  Status load_normalizer(dom::element e, Tokenizer& t);
  Status load_pre_tokenizer(dom::element e, Tokenizer& t);
  Status load_decoder(dom::element e, Tokenizer& t);

  std::string file_;
};

#define GEMMA3_TRY_ASSIGN(var, expr)                  \
  auto var##_result = (expr);                         \
  if (!var##_result) return std::move(var##_result).take_error(); \
  auto var = std::move(var##_result).value()
#define GEMMA3_TRY(expr)                              \
  do {                                                \
    auto try_status_ = (expr);                        \
    if (!try_status_) return std::move(try_status_).take_error(); \
  } while (0)

Result<std::string> TokenizerLoader::string_pattern(dom::object obj, const std::string& path) const {
  GEMMA3_TRY_ASSIGN(pattern_el, field(obj, "pattern", path));
  GEMMA3_TRY_ASSIGN(pattern, object_of(pattern_el, path + ".pattern"));
  dom::element s;
  if (pattern["String"].get(s) != simdjson::SUCCESS) {
    return error(path + ".pattern", "only {\"String\": ...} patterns are supported (Regex is not)");
  }
  GEMMA3_TRY_ASSIGN(text, string_of(s, path + ".pattern.String"));
  if (text.empty()) return error(path + ".pattern.String", "an empty pattern is not supported");
  return std::string(text);
}

Status TokenizerLoader::load_model(dom::object model, const TokenizerJsonScan& scan, MergeTable merges, Tokenizer& t) {
  GEMMA3_TRY_ASSIGN(type_el, field(model, "type", "model"));
  GEMMA3_TRY_ASSIGN(type, string_of(type_el, "model.type"));
  if (type != "BPE") {
    std::string what = "\"";  // built in steps: GCC 12 warns (-Wrestrict) on "..." + std::string
    what.append(type).append("\" is not supported (expected \"BPE\")");
    return error("model.type", what);
  }
  dom::element dropout;
  if (model["dropout"].get(dropout) == simdjson::SUCCESS && !dropout.is_null()) {
    return error("model.dropout", "BPE dropout is not supported (expected null)");
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    GEMMA3_TRY_ASSIGN(value, optional_string(model, key, "model"));
    if (value && !value->empty()) return error(std::string("model.") + key, "not supported (expected null)");
  }
  GEMMA3_TRY_ASSIGN(byte_fallback, bool_field(model, "byte_fallback", "model", false));
  GEMMA3_TRY_ASSIGN(fuse_unk, bool_field(model, "fuse_unk", "model", false));
  GEMMA3_TRY_ASSIGN(ignore_merges, bool_field(model, "ignore_merges", "model", false));
  GEMMA3_TRY_ASSIGN(unk_token, optional_string(model, "unk_token", "model"));

  // The scan took vocab and merges of the right type; one still here has the wrong one.
  dom::element e;
  if (model["vocab"].get(e) == simdjson::SUCCESS) GEMMA3_TRY(object_of(e, "model.vocab"));
  if (!scan.has_vocab) return error("model.vocab", "missing");

  BpeModel::Options options;
  options.byte_fallback = byte_fallback;
  options.fuse_unk = fuse_unk;
  // Chunking hint (exact either way, see bpe.h): the character the normalizer puts between words.
  if (t.normalizer_.size() == 1 && !t.normalizer_[0].content.empty() &&
      utf8::valid_char_len(t.normalizer_[0].content, 0) == t.normalizer_[0].content.size()) {
    options.word_start = t.normalizer_[0].content;
  }
  if (unk_token) {
    options.unk_id = t.vocab_.find(*unk_token);
    if (!options.unk_id) return error("model.unk_token", "\"" + std::string(*unk_token) + "\" is not in the vocab");
  }
  t.ignore_merges_ = ignore_merges;
  if (model["merges"].get(e) == simdjson::SUCCESS) GEMMA3_TRY(array_of(e, "model.merges"));
  if (!scan.has_merges) return error("model.merges", "missing");
  t.bpe_ = std::make_unique<BpeModel>(&t.vocab_, std::move(merges), options);
  return ok_status();
}

Status TokenizerLoader::load_added_tokens(dom::array list, Tokenizer& t) {
  size_t i = 0;
  for (dom::element e : list) {
    const std::string path = "added_tokens[" + std::to_string(i++) + "]";
    GEMMA3_TRY_ASSIGN(obj, object_of(e, path));
    AddedToken token;
    int64_t id = -1;
    dom::element id_el;
    if (obj["id"].get(id_el) != simdjson::SUCCESS || id_el.get_int64().get(id) != simdjson::SUCCESS || id < 0 ||
        id > INT32_MAX - 1) {
      return error(path + ".id", "expected a non-negative integer");
    }
    token.id = static_cast<int32_t>(id);
    GEMMA3_TRY_ASSIGN(content_el, field(obj, "content", path));
    GEMMA3_TRY_ASSIGN(content, string_of(content_el, path + ".content"));
    token.content = std::string(content);
    GEMMA3_TRY_ASSIGN(special, bool_field(obj, "special", path, false));
    GEMMA3_TRY_ASSIGN(lstrip, bool_field(obj, "lstrip", path, false));
    GEMMA3_TRY_ASSIGN(rstrip, bool_field(obj, "rstrip", path, false));
    GEMMA3_TRY_ASSIGN(single_word, bool_field(obj, "single_word", path, false));
    GEMMA3_TRY_ASSIGN(normalized, bool_field(obj, "normalized", path, !special));
    token.special = special;
    token.lstrip = lstrip;
    token.rstrip = rstrip;
    token.single_word = single_word;
    token.normalized = normalized;
    t.added_.push_back(std::move(token));
  }
  return ok_status();
}

Status TokenizerLoader::load_normalizer(dom::element e, Tokenizer& t) {
  if (e.is_null()) return ok_status();
  GEMMA3_TRY_ASSIGN(obj, object_of(e, "normalizer"));
  std::vector<dom::object> steps{obj};
  GEMMA3_TRY_ASSIGN(type_el, field(obj, "type", "normalizer"));
  GEMMA3_TRY_ASSIGN(type, string_of(type_el, "normalizer.type"));
  if (type == "Sequence") {
    steps.clear();
    GEMMA3_TRY_ASSIGN(list_el, field(obj, "normalizers", "normalizer"));
    GEMMA3_TRY_ASSIGN(list, array_of(list_el, "normalizer.normalizers"));
    for (dom::element step : list) {
      GEMMA3_TRY_ASSIGN(step_obj, object_of(step, "normalizer.normalizers[]"));
      steps.push_back(step_obj);
    }
  }
  for (dom::object step : steps) {
    GEMMA3_TRY_ASSIGN(step_type_el, field(step, "type", "normalizer"));
    GEMMA3_TRY_ASSIGN(step_type, string_of(step_type_el, "normalizer.type"));
    if (step_type != "Replace") {
      return error("normalizer.type", "\"" + std::string(step_type) + "\" is not supported (expected Replace)");
    }
    GEMMA3_TRY_ASSIGN(pattern, string_pattern(step, "normalizer"));
    GEMMA3_TRY_ASSIGN(content_el, field(step, "content", "normalizer"));
    GEMMA3_TRY_ASSIGN(content, string_of(content_el, "normalizer.content"));
    t.normalizer_.push_back({std::move(pattern), std::string(content)});
  }
  return ok_status();
}

Status TokenizerLoader::load_pre_tokenizer(dom::element e, Tokenizer& t) {
  if (e.is_null()) return ok_status();
  GEMMA3_TRY_ASSIGN(obj, object_of(e, "pre_tokenizer"));
  GEMMA3_TRY_ASSIGN(type_el, field(obj, "type", "pre_tokenizer"));
  GEMMA3_TRY_ASSIGN(type, string_of(type_el, "pre_tokenizer.type"));
  if (type != "Split") return error("pre_tokenizer.type", "\"" + std::string(type) + "\" is not supported (expected Split)");
  GEMMA3_TRY_ASSIGN(behavior_el, field(obj, "behavior", "pre_tokenizer"));
  GEMMA3_TRY_ASSIGN(behavior, string_of(behavior_el, "pre_tokenizer.behavior"));
  if (behavior != "MergedWithPrevious") {
    return error("pre_tokenizer.behavior", "\"" + std::string(behavior) + "\" is not supported (expected MergedWithPrevious)");
  }
  GEMMA3_TRY_ASSIGN(invert, bool_field(obj, "invert", "pre_tokenizer", false));
  if (invert) return error("pre_tokenizer.invert", "true is not supported");
  GEMMA3_TRY_ASSIGN(pattern, string_pattern(obj, "pre_tokenizer"));
  t.split_on_ = std::move(pattern);
  return ok_status();
}

Status TokenizerLoader::load_decoder(dom::element e, Tokenizer& t) {
  if (e.is_null()) return error("decoder", "a tokenizer without a decoder is not supported");
  GEMMA3_TRY_ASSIGN(obj, object_of(e, "decoder"));
  GEMMA3_TRY_ASSIGN(type_el, field(obj, "type", "decoder"));
  GEMMA3_TRY_ASSIGN(type, string_of(type_el, "decoder.type"));
  std::vector<dom::object> steps{obj};
  if (type == "Sequence") {
    steps.clear();
    GEMMA3_TRY_ASSIGN(list_el, field(obj, "decoders", "decoder"));
    GEMMA3_TRY_ASSIGN(list, array_of(list_el, "decoder.decoders"));
    for (dom::element step : list) {
      GEMMA3_TRY_ASSIGN(step_obj, object_of(step, "decoder.decoders[]"));
      steps.push_back(step_obj);
    }
  }
  // Accepted: Replace* then ByteFallback? then Fuse?. Fuse only joins, which decode does anyway.
  int stage = 0;  // 0: replaces, 1: after ByteFallback, 2: after Fuse
  for (dom::object step : steps) {
    GEMMA3_TRY_ASSIGN(step_type_el, field(step, "type", "decoder"));
    GEMMA3_TRY_ASSIGN(step_type, string_of(step_type_el, "decoder.type"));
    if (step_type == "Replace" && stage == 0) {
      GEMMA3_TRY_ASSIGN(pattern, string_pattern(step, "decoder"));
      GEMMA3_TRY_ASSIGN(content_el, field(step, "content", "decoder"));
      GEMMA3_TRY_ASSIGN(content, string_of(content_el, "decoder.content"));
      t.decoder_replaces_.push_back({std::move(pattern), std::string(content)});
    } else if (step_type == "ByteFallback" && stage == 0) {
      t.byte_fallback_decoder_ = true;
      stage = 1;
    } else if (step_type == "Fuse" && stage < 2) {
      stage = 2;
    } else {
      return error("decoder", "\"" + std::string(step_type) +
                                  "\" here is not supported (expected Replace..., ByteFallback, Fuse in that order)");
    }
  }
  return ok_status();
}

Status TokenizerLoader::load_tokenizer_json(dom::element root_el, const TokenizerJsonScan& scan, MergeTable merges,
                                            Tokenizer& t) {
  GEMMA3_TRY_ASSIGN(root, object_of(root_el, "(root)"));
  GEMMA3_TRY_ASSIGN(model_el, field(root, "model", "(root)"));
  GEMMA3_TRY_ASSIGN(model, object_of(model_el, "model"));
  dom::element e;
  if (root["normalizer"].get(e) == simdjson::SUCCESS) GEMMA3_TRY(load_normalizer(e, t));
  GEMMA3_TRY(load_model(model, scan, std::move(merges), t));  // after the normalizer: its replacement is BPE's word_start
  if (root["added_tokens"].get(e) == simdjson::SUCCESS && !e.is_null()) {
    GEMMA3_TRY_ASSIGN(list, array_of(e, "added_tokens"));
    GEMMA3_TRY(load_added_tokens(list, t));
  }
  if (root["pre_tokenizer"].get(e) == simdjson::SUCCESS) GEMMA3_TRY(load_pre_tokenizer(e, t));
  if (root["decoder"].get(e) != simdjson::SUCCESS) return error("decoder", "missing");
  GEMMA3_TRY(load_decoder(e, t));

  // Ids and lookup tables over model vocab + added tokens.
  int32_t limit = t.vocab_.id_limit();
  for (const AddedToken& a : t.added_) limit = std::max(limit, a.id + 1);
  t.vocab_size_ = limit;
  t.added_index_.assign(limit, -1);
  for (size_t i = 0; i < t.added_.size(); ++i) {
    const AddedToken& a = t.added_[i];
    if (t.added_index_[a.id] >= 0 || t.added_by_content_.count(a.content)) {
      return error("added_tokens[" + std::to_string(i) + "]", "id " + std::to_string(a.id) + " or content repeated");
    }
    t.added_index_[a.id] = static_cast<int32_t>(i);
    t.added_by_content_.emplace(a.content, a.id);
    if (a.normalized) {
      std::string normalized;
      Tokenizer::apply_replaces(t.normalizer_, a.content, normalized);
      t.normalized_matcher_.add(normalized, static_cast<int32_t>(i));
    } else {
      t.raw_matcher_.add(a.content, static_cast<int32_t>(i));
    }
  }
  t.build_byte_values(limit);
  return ok_status();
}

Status TokenizerLoader::load_config_json(dom::element root_el, Tokenizer& t) {
  GEMMA3_TRY_ASSIGN(root, object_of(root_el, "(root)"));
  // "bos_token": "<bos>" or {"content": "<bos>", ...}; absent or null -> the default name.
  auto token_id = [&](const char* key, std::string_view fallback) -> Result<int32_t> {
    std::string_view name = fallback;
    dom::element e;
    bool named = false;
    if (root[key].get(e) == simdjson::SUCCESS && !e.is_null()) {
      if (e.is_object()) {
        if (e["content"].get_string().get(name) != simdjson::SUCCESS) return error(key, "expected {\"content\": \"...\"}");
      } else if (e.get_string().get(name) != simdjson::SUCCESS) {
        return error(key, "expected a string");
      }
      named = true;
    }
    if (auto id = t.find_token(name)) return *id;
    if (named) {
      std::string what = "\"";  // built in steps: GCC 12 warns (-Wrestrict) on "..." + std::string
      what.append(name).append("\" is not a token of tokenizer.json");
      return error(key, what);
    }
    return -1;
  };
  GEMMA3_TRY_ASSIGN(bos, token_id("bos_token", "<bos>"));
  GEMMA3_TRY_ASSIGN(eos, token_id("eos_token", "<eos>"));
  GEMMA3_TRY_ASSIGN(pad, token_id("pad_token", "<pad>"));
  t.bos_id_ = bos;
  t.eos_id_ = eos;
  t.pad_id_ = pad;
  dom::element e;
  if (root["chat_template"].get(e) == simdjson::SUCCESS && !e.is_null()) {
    std::string_view s;
    if (e.get_string().get(s) == simdjson::SUCCESS) {
      t.chat_template_ = std::string(s);
    } else if (dom::array list; e.get_array().get(list) == simdjson::SUCCESS) {
      // [{"name": "default", "template": "..."}, ...]: take "default", else the first.
      for (dom::element entry : list) {
        std::string_view name, text;
        if (entry["template"].get_string().get(text) != simdjson::SUCCESS) {
          return error("chat_template[]", "expected {\"name\": ..., \"template\": ...}");
        }
        if (entry["name"].get_string().get(name) != simdjson::SUCCESS) name = "";
        if (t.chat_template_.empty() || name == "default") t.chat_template_ = std::string(text);
        if (name == "default") break;
      }
    } else {
      return error("chat_template", "expected a string or a list of {name, template}");
    }
  }
  return ok_status();
}

// A JSON file's text with the SIMDJSON_PADDING readable bytes simdjson needs after it: a memory
// map provides them for free when the file does not end near a page boundary (the rest of the last
// page reads as zeros), which saves copying 33 MB; otherwise the file is read into a padded copy.
struct JsonText {
  std::unique_ptr<MappedFile> map;
  simdjson::padded_string copy;
  std::string_view text;
  size_t capacity = 0;  // readable bytes at text.data()
};

static Status read_json(const std::filesystem::path& path, JsonText& out) {
  auto map = MappedFile::open(path);
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  if (map.ok() && (*map)->size() % page != 0 && page - (*map)->size() % page >= simdjson::SIMDJSON_PADDING) {
    out.map = std::move(map).value();
    out.text = out.map->view();
    out.capacity = out.text.size() + simdjson::SIMDJSON_PADDING;
    return ok_status();
  }
  if (simdjson::padded_string::load(path.string()).get(out.copy) != simdjson::SUCCESS) {
    return make_error(path.string() + ": cannot read the file");
  }
  out.text = std::string_view(out.copy.data(), out.copy.size());
  out.capacity = out.copy.size() + simdjson::SIMDJSON_PADDING;
  return ok_status();
}

static Status parse_dom(const std::string& file, std::string_view text, size_t capacity, dom::parser& parser,
                        dom::element& root) {
  const bool copy = capacity < text.size() + simdjson::SIMDJSON_PADDING;  // else parsed in place
  const auto err = parser.parse(text.data(), text.size(), copy).get(root);
  if (err != simdjson::SUCCESS) return make_error(file + ": invalid JSON (" + simdjson::error_message(err) + ")");
  return ok_status();
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::load_files(const std::filesystem::path& tokenizer_json,
                                                         const std::filesystem::path& tokenizer_config_json) {
  std::unique_ptr<Tokenizer> t(new Tokenizer());
  {
    const std::string file = tokenizer_json.string();
    JsonText json;
    GEMMA3_TRY(read_json(tokenizer_json, json));
    MergeTable merges;
    GEMMA3_TRY_ASSIGN(scan, scan_tokenizer_json(json.text, json.capacity, file, t->vocab_, merges));
    dom::parser parser;
    dom::element root;
    GEMMA3_TRY(parse_dom(file, scan.rest, scan.rest.capacity(), parser, root));
    TokenizerLoader loader(file);
    GEMMA3_TRY(loader.load_tokenizer_json(root, scan, std::move(merges), *t));
  }
  t->bos_id_ = t->find_token("<bos>").value_or(-1);
  t->eos_id_ = t->find_token("<eos>").value_or(-1);
  t->pad_id_ = t->find_token("<pad>").value_or(-1);
  if (!tokenizer_config_json.empty()) {
    const std::string file = tokenizer_config_json.string();
    JsonText json;
    GEMMA3_TRY(read_json(tokenizer_config_json, json));
    dom::parser parser;
    dom::element root;
    GEMMA3_TRY(parse_dom(file, json.text, json.capacity, parser, root));
    TokenizerLoader loader(file);
    GEMMA3_TRY(loader.load_config_json(root, *t));
  }
  return t;
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::load(const std::filesystem::path& model_dir) {
  const auto json = model_dir / "tokenizer.json";
  const auto config = model_dir / "tokenizer_config.json";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(json, ec)) {
    return make_error(json.string() + ": not found (the model folder must hold the Hugging Face tokenizer.json)");
  }
  return load_files(json, std::filesystem::is_regular_file(config, ec) ? config : std::filesystem::path());
}

}  // namespace gemma3
