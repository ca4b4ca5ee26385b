#include "apps/constraint_options.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "grammar/front_ends.h"
#include "grammar/matcher.h"

namespace gemma3 {
namespace {

Result<std::string> read_file(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("--" + flag + ": cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<grammar::Grammar> lower(const Args& args) {
  if (args.has("json-schema")) {
    auto text = read_file("json-schema", args.get("json-schema"));
    if (!text) return std::move(text).take_error();
    // ordered_json: the output writes properties in the schema's order.
    auto schema = nlohmann::ordered_json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (schema.is_discarded()) return make_error("--json-schema: " + args.get("json-schema") + " is not valid JSON");
    auto g = grammar::json_schema_grammar(schema);
    if (!g) return make_error("--json-schema: " + g.error());
    return g;
  }
  if (args.is_set("json-object")) return grammar::json_object_grammar();
  if (args.has("regex")) {
    auto g = grammar::regex_grammar(args.get("regex"));
    if (!g) return make_error("--regex: " + g.error());
    return g;
  }
  if (args.has("choice")) {
    auto list = nlohmann::json::parse(args.get("choice"), nullptr, /*allow_exceptions=*/false);
    if (!list.is_array()) return make_error("--choice expects a JSON array of strings");
    std::vector<std::string> choices;
    for (const auto& c : list) {
      if (!c.is_string()) return make_error("--choice expects a JSON array of strings");
      choices.push_back(c.get<std::string>());
    }
    auto g = grammar::choice_grammar(choices);
    if (!g) return make_error("--choice: " + g.error());
    return g;
  }
  auto text = read_file("grammar", args.get("grammar"));
  if (!text) return std::move(text).take_error();
  auto g = grammar::gbnf_grammar(*text);
  if (!g) return make_error("--grammar: " + g.error());
  return g;
}

}  // namespace

void add_constraint_options(Args& args) {
  args.option("json-schema", "", "constrain the output to JSON valid against this JSON Schema file")
      .flag("json-object", "constrain the output to one JSON object")
      .option("regex", "", "constrain the output to match this (ECMAScript) regular expression")
      .option("choice", "", "constrain the output to one of these strings (a JSON array)")
      .option("grammar", "", "constrain the output to this GBNF grammar file (llama.cpp's format; root rule \"root\")");
}

Result<std::shared_ptr<const grammar::CompiledGrammar>> read_constraint_options(const Args& args, const Tokenizer& tokenizer) {
  int given = args.has("json-schema") + args.is_set("json-object") + args.has("regex") + args.has("choice") + args.has("grammar");
  if (given == 0) return std::shared_ptr<const grammar::CompiledGrammar>();
  if (given > 1) return make_error("give at most one of --json-schema, --json-object, --regex, --choice, --grammar");
  auto lowered = lower(args);
  if (!lowered) return std::move(lowered).take_error();
  return grammar::compile(std::move(lowered).value(), grammar::build_token_table(tokenizer));
}

}  // namespace gemma3
