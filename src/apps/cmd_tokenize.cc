// `gemma3 tokenize` and `gemma3 detokenize`: the tokenizer on the command line, for scripts and
// for the reference tests (tests/cmake.d/tokenizer.cmake compares them with a JavaScript port).
//   tokenize   -m MODEL [--add-bos] [--plain]   UTF-8 text on stdin -> one JSON array of ids
//   detokenize -m MODEL [--skip-special]        JSON array of ids on stdin -> text (no newline added)
// Invalid input (text that is not UTF-8, ids out of range, malformed JSON) -> a message on stderr
// and exit status 1.
#include <cstdio>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "apps/command.h"
#include "model/gguf_model.h"
#include "model/model_locator.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"
#include "util/args.h"

namespace gemma3 {
namespace {

std::string read_stdin() {
  std::string data;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), stdin)) > 0) data.append(buffer, n);
  return data;
}

// Parses args, resolves -m and loads the tokenizer; prints the problem and returns null on failure.
std::unique_ptr<Tokenizer> setup(Args& args, int argc, char** argv, int* exit_code) {
  args.option("model", "m", "model folder holding tokenizer.json (default: search the usual places)");
  if (auto parsed = args.parse(argc, argv); !parsed) {
    std::fprintf(stderr, "%s\n", parsed.error().c_str());
    *exit_code = 1;
    return nullptr;
  }
  if (args.help_requested()) {
    std::fprintf(stdout, "%s", args.usage().c_str());
    *exit_code = 0;
    return nullptr;
  }
  auto dir = resolve_model_dir(args.get("model"));
  if (!dir) {
    std::fprintf(stderr, "%s\n", dir.error().c_str());
    *exit_code = 1;
    return nullptr;
  }
  auto tokenizer = load_model_tokenizer(*dir);
  if (!tokenizer) {
    std::fprintf(stderr, "%s\n", tokenizer.error().c_str());
    *exit_code = 1;
    return nullptr;
  }
  return std::move(tokenizer).value();
}

int run_tokenize(int argc, char** argv) {
  Args args("tokenize", "UTF-8 text on stdin -> JSON array of token ids on stdout (HF encode, add_special_tokens=False)");
  args.flag("add-bos", "prepend the BOS token");
  args.flag("plain", "treat special-token text such as <start_of_turn> as ordinary text");
  int exit_code = 0;
  auto tokenizer = setup(args, argc, argv, &exit_code);
  if (!tokenizer) return exit_code;

  const std::string text = read_stdin();
  if (auto bad = utf8::find_invalid(text)) {
    std::fprintf(stderr, "gemma3 tokenize: stdin is not valid UTF-8: byte 0x%02X at offset %zu\n",
                 static_cast<unsigned>(static_cast<unsigned char>(text[*bad])), *bad);
    return 1;
  }
  std::vector<int32_t> ids;
  if (args.is_set("add-bos")) {
    if (tokenizer->bos_id() < 0) {
      std::fprintf(stderr, "gemma3 tokenize: --add-bos: the tokenizer has no BOS token\n");
      return 1;
    }
    ids.push_back(tokenizer->bos_id());
  }
  const auto body = tokenizer->encode(text, /*parse_special=*/!args.is_set("plain"));
  ids.insert(ids.end(), body.begin(), body.end());

  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += std::to_string(ids[i]);
  }
  out += "]\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

int run_detokenize(int argc, char** argv) {
  Args args("detokenize", "JSON array of token ids on stdin -> decoded text on stdout (HF decode)");
  args.flag("skip-special", "drop special tokens (<bos>, <end_of_turn>, ...) from the text");
  int exit_code = 0;
  auto tokenizer = setup(args, argc, argv, &exit_code);
  if (!tokenizer) return exit_code;

  const auto json = nlohmann::json::parse(read_stdin(), nullptr, /*allow_exceptions=*/false);
  if (!json.is_array()) {
    std::fprintf(stderr, "gemma3 detokenize: stdin must hold one JSON array of token ids\n");
    return 1;
  }
  std::vector<int32_t> ids;
  ids.reserve(json.size());
  for (size_t i = 0; i < json.size(); ++i) {
    const auto& v = json[i];
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= tokenizer->vocab_size() ||
        !tokenizer->has_token(static_cast<int32_t>(v.get<int64_t>()))) {
      std::fprintf(stderr, "gemma3 detokenize: element %zu (%s) is not a token id in [0, %d)\n", i, v.dump().c_str(),
                   tokenizer->vocab_size());
      return 1;
    }
    ids.push_back(static_cast<int32_t>(v.get<int64_t>()));
  }
  const std::string text = tokenizer->decode(ids, args.is_set("skip-special"));
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

const bool registered_tokenize = register_command(
    {"tokenize", "text on stdin -> JSON array of token ids", &run_tokenize});
const bool registered_detokenize = register_command(
    {"detokenize", "JSON array of token ids on stdin -> text", &run_detokenize});

}  // namespace
}  // namespace gemma3
