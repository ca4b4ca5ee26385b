#include "server/structured_output.h"

#include "grammar/front_ends.h"
#include "grammar/matcher.h"

namespace gemma3 {
namespace {

using json = nlohmann::ordered_json;

constexpr size_t kMaxGuidedChoices = 4096;
constexpr size_t kMaxConstraintBytes = 1 << 20;   // the front end's max_schema_bytes too

const json* field(const json& body, const char* name) {
  auto it = body.find(name);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

ApiResult<ConstraintSpec> parse_response_format(const json& rf) {
  ConstraintSpec spec;
  spec.param = "response_format";
  if (!rf.is_object()) return invalid_field("response_format", "'response_format' must be an object like {\"type\": \"json_object\"}.");
  const json* type = field(rf, "type");
  if (!type || !type->is_string()) {
    return invalid_field("response_format.type", "'response_format.type' must be one of \"text\", \"json_object\", \"json_schema\".");
  }
  if (*type == "text") return spec;
  if (*type == "json_object") {
    spec.kind = ConstraintSpec::Kind::kJsonObject;
    return spec;
  }
  if (*type != "json_schema") {
    return invalid_field("response_format.type", "'response_format.type' must be one of \"text\", \"json_object\", "
                                                 "\"json_schema\", got \"" + type->get<std::string>() + "\".");
  }
  const json* js = field(rf, "json_schema");
  if (!js || !js->is_object()) {
    return invalid_field("response_format.json_schema",
                         "'response_format.json_schema' must be an object {\"name\", \"schema\", \"strict\"}.");
  }
  const json* name = field(*js, "name");
  if (name && !name->is_string()) return invalid_field("response_format.json_schema.name", "'response_format.json_schema.name' must be a string.");
  if (const json* strict = field(*js, "strict"); strict && !strict->is_boolean()) {
    return invalid_field("response_format.json_schema.strict", "'response_format.json_schema.strict' must be a boolean.");
  }
  const json* schema = field(*js, "schema");
  // OpenAI: an absent schema means any JSON (the schema `{}`); we follow it.
  spec.kind = ConstraintSpec::Kind::kJsonSchema;
  spec.schema = schema ? *schema : json::object();
  spec.param = "response_format.json_schema.schema";
  if (!spec.schema.is_object() && !spec.schema.is_boolean()) {
    return invalid_field(spec.param, "'response_format.json_schema.schema' must be a JSON Schema (an object or a boolean).");
  }
  return spec;
}

}  // namespace

std::string ConstraintSpec::cache_key() const {
  switch (kind) {
    case Kind::kNone: return "none";
    case Kind::kJsonObject: return "json_object";
    case Kind::kJsonSchema: return "json_schema:" + schema.dump();   // key order matters: it is the output's order
    case Kind::kRegex: return "regex:" + text;
    case Kind::kGrammar: return "gbnf:" + text;
    case Kind::kChoice: return "choice:" + json(choices).dump();
  }
  return "";
}

ApiResult<ConstraintSpec> parse_constraint_spec(const json& body) {
  std::vector<std::string> given;
  for (const char* name : {"response_format", "guided_json", "guided_regex", "guided_choice", "guided_grammar", "grammar"}) {
    if (!field(body, name)) continue;
    if (std::string(name) == "response_format") {
      const json& rf = body["response_format"];
      if (rf.is_object() && rf.value("type", json()) == "text") continue;   // no constraint: does not conflict
    }
    given.push_back(name);
  }
  if (given.size() > 1) {
    return invalid_field(given[1], "'" + given[0] + "' and '" + given[1] + "' both constrain the output; give one.");
  }
  ConstraintSpec spec;
  if (given.empty()) {
    if (const json* rf = field(body, "response_format")) return parse_response_format(*rf);
    return spec;
  }
  const std::string& name = given[0];
  const json& value = body[name];
  if (value.dump().size() > kMaxConstraintBytes) {
    return invalid_field(name, "'" + name + "' is larger than " + std::to_string(kMaxConstraintBytes) + " bytes.");
  }
  spec.param = name;
  if (name == "response_format") return parse_response_format(value);
  if (name == "guided_json") {
    json schema = value;
    if (schema.is_string()) {   // vLLM accepts the schema as a JSON string too
      schema = json::parse(value.get<std::string>(), nullptr, /*allow_exceptions=*/false);
      if (schema.is_discarded()) return invalid_field(name, "'guided_json' is a string that is not valid JSON.");
    }
    if (!schema.is_object() && !schema.is_boolean()) return invalid_field(name, "'guided_json' must be a JSON Schema (an object).");
    spec.kind = ConstraintSpec::Kind::kJsonSchema;
    spec.schema = std::move(schema);
    return spec;
  }
  if (name == "guided_regex") {
    if (!value.is_string() || value.get<std::string>().empty()) return invalid_field(name, "'guided_regex' must be a non-empty string.");
    spec.kind = ConstraintSpec::Kind::kRegex;
    spec.text = value.get<std::string>();
    return spec;
  }
  if (name == "guided_choice") {
    if (!value.is_array() || value.empty() || value.size() > kMaxGuidedChoices) {
      return invalid_field(name, "'guided_choice' must be an array of 1 to " + std::to_string(kMaxGuidedChoices) + " strings.");
    }
    for (size_t i = 0; i < value.size(); ++i) {
      if (!value[i].is_string() || value[i].get<std::string>().empty()) {
        return invalid_field(name + "[" + std::to_string(i) + "]", "every 'guided_choice' entry must be a non-empty string.");
      }
      spec.choices.push_back(value[i].get<std::string>());
    }
    spec.kind = ConstraintSpec::Kind::kChoice;
    return spec;
  }
  // guided_grammar / grammar: GBNF text.
  if (!value.is_string() || value.get<std::string>().empty()) return invalid_field(name, "'" + name + "' must be a GBNF grammar (a string).");
  spec.kind = ConstraintSpec::Kind::kGrammar;
  spec.text = value.get<std::string>();
  return spec;
}

ConstraintCompiler::ConstraintCompiler(std::shared_ptr<const grammar::TokenTable> tokens, size_t capacity)
    : tokens_(std::move(tokens)), capacity_(capacity == 0 ? 1 : capacity) {}

ConstraintCompiler::~ConstraintCompiler() = default;

int64_t ConstraintCompiler::hits() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return hits_;
}

int64_t ConstraintCompiler::misses() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return misses_;
}

ApiResult<std::shared_ptr<const grammar::CompiledGrammar>> ConstraintCompiler::compile(const ConstraintSpec& spec) {
  using Kind = ConstraintSpec::Kind;
  if (spec.kind == Kind::kNone) return std::shared_ptr<const grammar::CompiledGrammar>();
  const std::string key = spec.cache_key();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = index_.find(key); it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      ++hits_;
      return it->second->second;
    }
    ++misses_;
  }

  Result<grammar::Grammar> lowered = make_error("unreachable");
  switch (spec.kind) {
    case Kind::kJsonObject: lowered = grammar::json_object_grammar(); break;
    case Kind::kJsonSchema: lowered = grammar::json_schema_grammar(spec.schema); break;
    case Kind::kRegex: lowered = grammar::regex_grammar(spec.text); break;
    case Kind::kChoice: lowered = grammar::choice_grammar(spec.choices); break;
    case Kind::kGrammar: lowered = grammar::gbnf_grammar(spec.text); break;
    case Kind::kNone: break;
  }
  if (!lowered) return invalid_field(spec.param, lowered.error());
  auto compiled = grammar::compile(std::move(lowered).value(), tokens_);
  if (!compiled) return invalid_field(spec.param, compiled.error());

  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = index_.find(key); it != index_.end()) return it->second->second;   // compiled twice at once
  lru_.emplace_front(key, *compiled);
  index_[key] = lru_.begin();
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  return std::move(compiled).value();
}

}  // namespace gemma3
