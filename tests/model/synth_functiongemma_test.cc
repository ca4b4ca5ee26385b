// `gemma3 synth --tokenizer functiongemma`: FunctionGemma's markers as single special tokens at ids
// 46-52 of the otherwise unchanged Gemma 3 tokenizer.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "model/synth.h"
#include "tokenizer/tokenizer.h"

namespace gemma3 {
namespace {

namespace fs = std::filesystem;

TEST(SynthFunctionGemma, MarkersAreSpecialTokensAtTheirIds) {
  fs::path out = fs::temp_directory_path() / ("g3_fg_tok_" + std::to_string(::getpid()));
  fs::create_directories(out);
  auto s = write_functiongemma_tokenizer(GEMMA3_TOKENIZER_DIR, out);
  ASSERT_TRUE(s.ok()) << s.error();
  auto fg = Tokenizer::load(out);
  auto base = Tokenizer::load(GEMMA3_TOKENIZER_DIR);
  ASSERT_TRUE(fg.ok() && base.ok());
  const char* markers[] = {"<start_function_declaration>", "<end_function_declaration>", "<start_function_call>",
                           "<end_function_call>", "<start_function_response>", "<end_function_response>", "<escape>"};
  for (int k = 0; k < 7; ++k) {
    auto id = (*fg)->find_token(markers[k]);
    ASSERT_TRUE(id.has_value()) << markers[k];
    EXPECT_EQ(*id, 46 + k);
    EXPECT_TRUE((*fg)->is_special(*id));
    EXPECT_EQ((*fg)->decode(std::vector<int32_t>{*id}), markers[k]);
    EXPECT_FALSE((*base)->find_token(markers[k]).has_value());
  }
  // The template's markers become the tokens; the same text from a request stays plain text.
  std::string text = "<start_function_call>call:f{a:<escape>x<escape>}<end_function_call>";
  auto ids = (*fg)->encode(text, true);
  EXPECT_EQ(ids.front(), 48);
  EXPECT_EQ(ids.back(), 49);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 52), 2);
  std::vector<std::pair<size_t, size_t>> untrusted = {{0, text.size()}};
  auto plain = (*fg)->encode_with_provenance(text, untrusted);
  for (int32_t id : plain) EXPECT_FALSE(id >= 46 && id <= 52) << id;
  EXPECT_EQ(plain, (*base)->encode(text, true));
  // Everything else is Gemma 3's tokenizer.
  std::string prose = "Hello <start_of_turn>user\nwhat's the weather?";
  EXPECT_EQ((*fg)->encode(prose, true), (*base)->encode(prose, true));
  EXPECT_EQ((*fg)->vocab_size(), (*base)->vocab_size());
  // The chat template speaks FunctionGemma.
  std::ifstream in(out / "tokenizer_config.json");
  auto cfg = nlohmann::json::parse(in);
  const std::string tmpl = cfg["chat_template"].get<std::string>();
  EXPECT_NE(tmpl.find("<start_function_call>"), std::string::npos);
  EXPECT_NE(tmpl.find("<start_function_declaration>"), std::string::npos);
  EXPECT_EQ(cfg["added_tokens_decoder"]["52"]["content"], "<escape>");
  fs::remove_all(out);
}

TEST(SynthFunctionGemma, RefusesUnknownTokenizerNames) {
  SynthOptions o;
  o.tokenizer = "llama";
  o.out_dir = fs::temp_directory_path() / "g3_never_written";
  auto s = write_synthetic_checkpoint(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("llama"), std::string::npos);
  EXPECT_FALSE(fs::exists(o.out_dir));
}

}  // namespace
}  // namespace gemma3
