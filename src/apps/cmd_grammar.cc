// `gemma3 grammar`: checks documents against a constraint exactly as constrained decoding sees
// them, and times the masks (issue 11, part 7).
//   gemma3 grammar -m MODEL (--schema FILE.json | --json-object | --regex R | --choice JSON-ARRAY |
//                            --grammar FILE.gbnf) --instances FILE.jsonl [--json]
// Each line of the instances file (its bytes exactly, without the newline) is tokenized with the
// model's tokenizer (no BOS, special-token text as plain text) and walked token by token through a
// Matcher, computing the full-vocabulary mask before every token; a token is accepted iff its mask
// bit is set. One JSON line per instance {"accepted": bool, "tokens": N} (accepted: every token
// allowed and the document complete), then {"compile_us", "tokens", "mask_us": {"p50","p99","max"}}
// (one thread). A constraint the front end cannot enforce exits 1 with its message (naming the
// keyword); unreadable files and bad options exit 1 too.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "apps/command.h"
#include "grammar/front_ends.h"
#include "grammar/matcher.h"
#include "model/gguf_model.h"
#include "model/model_locator.h"
#include "tokenizer/tokenizer.h"
#include "util/args.h"

namespace gemma3 {
namespace {

using Clock = std::chrono::steady_clock;

double micros(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::micro>(b - a).count(); }

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The grammar the options ask for.
Result<grammar::Grammar> constraint_grammar(const Args& args) {
  const int n = args.has("schema") + args.is_set("json-object") + args.has("regex") + args.has("choice") + args.has("grammar");
  if (n != 1) return make_error("give exactly one of --schema, --json-object, --regex, --choice, --grammar");
  if (args.is_set("json-object")) return grammar::json_object_grammar();
  if (args.has("regex")) return grammar::regex_grammar(args.get("regex"));
  if (args.has("choice")) {
    const auto j = nlohmann::json::parse(args.get("choice"), nullptr, /*allow_exceptions=*/false);
    if (!j.is_array() || !std::all_of(j.begin(), j.end(), [](const nlohmann::json& v) { return v.is_string(); })) {
      return make_error("--choice must be a JSON array of strings");
    }
    return grammar::choice_grammar(j.get<std::vector<std::string>>());
  }
  const bool schema = args.has("schema");
  auto text = read_file(args.get(schema ? "schema" : "grammar"));
  if (!text) return std::move(text).take_error();
  if (!schema) return grammar::gbnf_grammar(*text);
  const auto j = nlohmann::ordered_json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return make_error(args.get("schema") + " is not valid JSON");
  return grammar::json_schema_grammar(j);
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

int run_grammar(int argc, char** argv) {
  Args args("grammar", "walk documents through a constraint token by token, computing full masks (checks and times the grammar engine)");
  args.option("model", "m", "model folder or GGUF file holding the tokenizer (default: search the usual places)");
  args.option("schema", "", "JSON Schema file");
  args.flag("json-object", "any JSON object (response_format json_object)");
  args.option("regex", "", "ECMAScript regular expression the whole output must match");
  args.option("choice", "", "JSON array of strings: the output is exactly one of them");
  args.option("grammar", "", "GBNF grammar file (root rule 'root')");
  args.option("instances", "", "documents to check, one per line (JSON Lines for schemas)");
  args.flag("json", "JSON lines output (the only format; accepted for scripts)");
  if (auto parsed = args.parse(argc, argv); !parsed) {
    std::fprintf(stderr, "gemma3 grammar: %s\n", parsed.error().c_str());
    return 1;
  }
  if (args.help_requested()) {
    std::fprintf(stdout, "%s", args.usage().c_str());
    return 0;
  }
  if (!args.has("instances")) {
    std::fprintf(stderr, "gemma3 grammar: --instances FILE is required\n");
    return 1;
  }
  auto instances = read_file(args.get("instances"));
  if (!instances) {
    std::fprintf(stderr, "gemma3 grammar: %s\n", instances.error().c_str());
    return 1;
  }
  auto dir = resolve_model_dir(args.get("model"));
  if (!dir) {
    std::fprintf(stderr, "gemma3 grammar: %s\n", dir.error().c_str());
    return 1;
  }
  auto tokenizer = load_model_tokenizer(*dir);
  if (!tokenizer) {
    std::fprintf(stderr, "gemma3 grammar: %s\n", tokenizer.error().c_str());
    return 1;
  }
  const Tokenizer& tok = **tokenizer;
  const auto table = grammar::build_token_table(tok);

  const auto t0 = Clock::now();
  auto g = constraint_grammar(args);
  if (!g) {
    std::fprintf(stderr, "gemma3 grammar: %s\n", g.error().c_str());
    return 1;
  }
  auto compiled = grammar::compile(std::move(g).value(), table);
  const double compile_us = micros(t0, Clock::now());
  if (!compiled) {
    std::fprintf(stderr, "gemma3 grammar: %s\n", compiled.error().c_str());
    return 1;
  }

  std::vector<int32_t> end_ids;
  if (tok.eos_id() >= 0) end_ids.push_back(tok.eos_id());
  if (auto eot = tok.find_token("<end_of_turn>")) end_ids.push_back(*eot);
  std::vector<uint32_t> mask(grammar::mask_words(*table));
  std::vector<double> mask_us;
  size_t total_tokens = 0;
  std::istringstream lines(*instances);
  std::string line;
  while (std::getline(lines, line)) {
    const auto ids = tok.encode(line, /*parse_special=*/false);
    grammar::Matcher m(*compiled, end_ids);
    bool accepted = true;
    for (int32_t id : ids) {
      const auto a = Clock::now();
      m.fill_mask(mask);
      mask_us.push_back(micros(a, Clock::now()));
      ++total_tokens;
      const bool allowed = (mask[static_cast<size_t>(id) / 32] >> (id % 32)) & 1u;
      if (!allowed || !m.accept(id)) {
        accepted = false;
        break;
      }
    }
    accepted = accepted && m.is_complete();
    std::printf("{\"accepted\": %s, \"tokens\": %zu}\n", accepted ? "true" : "false", ids.size());
  }
  nlohmann::ordered_json summary;
  summary["compile_us"] = compile_us;
  summary["tokens"] = total_tokens;
  const double max = mask_us.empty() ? 0 : *std::max_element(mask_us.begin(), mask_us.end());
  summary["mask_us"] = {{"p50", percentile(mask_us, 0.5)}, {"p99", percentile(mask_us, 0.99)}, {"max", max}};
  std::printf("%s\n", summary.dump().c_str());
  return std::fflush(stdout) == 0 ? 0 : 1;
}

const bool registered = register_command(
    {"grammar", "walk documents through a JSON Schema / regex / GBNF constraint with full token masks", &run_grammar});

}  // namespace
}  // namespace gemma3
